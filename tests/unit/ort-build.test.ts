/**
 * The ONNX runtime build per worker (src/browser/runtime.ts): the plain build for the WASM engine,
 * the asyncify build only for WebGPU; a realm's build is fixed by its first model load, and the
 * embed worker's client replaces the worker when a load needs the other build.
 */
import { describe, expect, test, vi } from 'vitest';
import { claimOrtBuild, ortBuildFor } from '../../src/browser/runtime.ts';
import * as Comlink from 'comlink';
import { WorkerEmbedder, WorkerLightQuery } from '../../src/browser/clients.ts';
import { spawnOnUse } from '../../src/browser/spawn.ts';
import type { EmbedApi } from '../../workers/embed.worker.ts';
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
   * `restart` replaces it.
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

  test('through spawnOnUse: a call still running in the replaced worker ends with a cancel; the load goes to a new one', async () => {
    // Fake workers over MessageChannels: the first one had started the plain build (the boot's
    // load); a new one starts whichever build its first load asks for. Embedding never answers.
    const workers: string[] = [];
    const make = () => {
      let started: string | null = workers.length === 0 ? 'cpu' : null;
      workers.push('running');
      const n = workers.length - 1;
      const worker = {
        async load(_c: unknown, _id: string, _d: string, device: string) {
          const want = device === 'webgpu' ? 'webgpu' : 'cpu';
          if (started && started !== want) throw new RuntimeBuildError(started, want);
          started = want;
          return { ...info, device };
        },
        embed: () => new Promise<Float32Array>(() => {}),
        timeQueries: () => new Promise<never>(() => {}),
      };
      const { port1, port2 } = new MessageChannel();
      Comlink.expose(worker, port1 as unknown as Comlink.Endpoint);
      const terminate = () => {
        workers[n] = 'terminated';
        port1.close();
        port2.close();
      };
      return Object.assign(port2, { terminate }) as unknown as Worker;
    };
    const embed = spawnOnUse<EmbedApi>(make);
    const e = new WorkerEmbedder(embed.api, null, embed.restart);
    const light = new WorkerLightQuery(embed.api, e, () => {
      throw new Error('no distiller here');
    });
    // how each call ends (or 'never settled' after a second), observed from the start
    const late = new Promise((r) => setTimeout(() => r('never settled'), 1000));
    const outcome = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'resolved',
          (err: unknown) => err,
        ),
        late,
      ]);
    const pending = [
      outcome(e.embed(['a question'], { role: 'query' })),
      outcome(light.timeQueries(['a question'], { kind: 'teacher' })),
    ];
    await expect(e.load(cfg, 'm', 'q8', 'webgpu')).resolves.toMatchObject({ device: 'webgpu' });
    expect(workers).toEqual(['terminated', 'running']);
    for (const p of pending) expect(await p).toBeInstanceOf(CancelledError);
    embed.restart();
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
