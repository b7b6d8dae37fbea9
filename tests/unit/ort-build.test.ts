/**
 * The ONNX runtime build per worker (src/browser/runtime.ts): the plain build for the WASM engine,
 * the asyncify build only for WebGPU; a realm's build is fixed by its first model load, and the
 * embed worker's client replaces the worker when a load needs the other build.
 */
import { describe, expect, test, vi } from 'vitest';
import { claimOrtBuild, ortBuildFor } from '../../src/browser/runtime.ts';
import { WorkerEmbedder, WorkerLightQuery } from '../../src/browser/clients.ts';
import { CancelledError, CodeRagError, ModelLoadError, RuntimeBuildError } from '../../src/lib/errors.ts';

describe('ONNX runtime build', () => {
  test('WASM loads use the plain build, WebGPU the asyncify one; a realm keeps its first', () => {
    expect(ortBuildFor('wasm')).toBe('cpu');
    expect(ortBuildFor('webgpu')).toBe('webgpu');
    expect(claimOrtBuild('wasm')).toBe('cpu');
    expect(claimOrtBuild('wasm')).toBe('cpu');
    let err: unknown;
    try {
      claimOrtBuild('webgpu');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeBuildError);
    expect((err as CodeRagError).code).toBe('runtime-build');
    // Refused, not switched: the realm is still the plain build.
    expect(claimOrtBuild('wasm')).toBe('cpu');
  });
});

describe('WorkerEmbedder.load and the runtime build', () => {
  const info = { id: 'm', dim: 4, dtype: 'q8', device: 'webgpu' };
  const cfg = { localModelBase: null, allowRemoteModels: true, numThreads: 0 };

  /**
   * A fake embed worker: a fresh one starts whichever build its first load asks for, then keeps it;
   * `restart` replaces it. Its `embed` never answers (a worker terminated mid-call).
   */
  function fakeEmbedWorker() {
    let started: string | null = 'cpu';
    const api = {
      load: vi.fn(async (_c: unknown, _id: string, _d: string, device: string) => {
        const want = device === 'webgpu' ? 'webgpu' : 'cpu';
        if (started && started !== want) throw new RuntimeBuildError(started, want);
        started = want;
        return info;
      }),
      embed: vi.fn(() => new Promise<Float32Array>(() => {})),
      timeQueries: vi.fn(() => new Promise<never>(() => {})),
    };
    const restart = vi.fn(() => {
      started = null;
    });
    return { api, restart, embedder: new WorkerEmbedder(api as never, null, restart) };
  }

  test('a RuntimeBuildError replaces the worker and loads again, once', async () => {
    const { api, restart, embedder: e } = fakeEmbedWorker();
    await expect(e.load(cfg, 'm', 'q8', 'webgpu')).resolves.toEqual(info);
    expect(restart).toHaveBeenCalledTimes(1);
    expect(api.load).toHaveBeenCalledTimes(2);
    expect(e.loaded).toBe(true);
    // The same build again: no restart.
    await e.load(cfg, 'm', 'q8', 'webgpu');
    expect(restart).toHaveBeenCalledTimes(1);
  });

  test('a call still running in the replaced worker ends with a cancel instead of never settling', async () => {
    const { api, embedder: e } = fakeEmbedWorker();
    const light = new WorkerLightQuery(api as never, e, () => {
      throw new Error('no distiller here');
    });
    const pending = [
      e.embed(['a question'], { role: 'query' }),
      light.timeQueries(['a question'], { kind: 'teacher' }),
    ];
    await e.load(cfg, 'm', 'q8', 'webgpu');
    const late = new Promise((r) => setTimeout(() => r('never settled'), 1000));
    for (const p of pending) await expect(Promise.race([p, late])).rejects.toBeInstanceOf(CancelledError);
  });

  test('other load errors are not retried', async () => {
    const api = { load: vi.fn(async () => Promise.reject(new ModelLoadError('m', new Error('404')))) };
    const restart = vi.fn();
    const e = new WorkerEmbedder(api as never, null, restart);
    await expect(e.load(cfg, 'm', 'q8', 'wasm')).rejects.toBeInstanceOf(ModelLoadError);
    expect(restart).not.toHaveBeenCalled();
    expect(api.load).toHaveBeenCalledTimes(1);
  });
});
