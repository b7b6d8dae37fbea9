/**
 * The in-browser benchmark harness (bench.html), driven by `npm run bench` (scripts/bench.ts)
 * through page.evaluate. It exposes `window.bench`; every heavy step runs in a fresh dedicated
 * worker (bench.worker.ts), like the product's workers, and the worker is terminated afterwards,
 * so each thread or device setting starts from a clean ORT. No Svelte here.
 */
import * as Comlink from 'comlink';
import { probeWebGpu } from '../lib/llm/webgpu.ts';
import { wasmSimdAvailable } from '../lib/index/int8.ts';
import type { BenchWorkerApi } from './bench.worker.ts';
import {
  errorText,
  withTimeout,
  type EmbedRequest,
  type EmbedResult,
  type GenerateRequest,
  type GenerateRun,
  type IndexRequest,
  type IndexResult,
  type QueryPathRequest,
  type TrainRequest,
  type TrainRun,
} from './common.ts';
import type { TableInfo } from '../lib/types.ts';

interface Spawned {
  api: Comlink.Remote<BenchWorkerApi>;
  worker: Worker;
  /** Rejects when the worker dies (uncaught error, out of memory). */
  died: Promise<never>;
}

function spawn(): Spawned {
  const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: 'bench' });
  const died = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(`worker error: ${e.message || 'crashed'}`)));
  });
  died.catch(() => {});
  return { api: Comlink.wrap<BenchWorkerApi>(worker), worker, died };
}

/** Run `fn` in a fresh worker with a time limit; the worker is always terminated. */
async function inWorker<T>(what: string, timeoutMs: number, fn: (w: Spawned) => Promise<T>): Promise<T> {
  const w = spawn();
  try {
    return await withTimeout(Promise.race([fn(w), w.died]), timeoutMs, what);
  } finally {
    w.api[Comlink.releaseProxy]();
    w.worker.terminate();
  }
}

type MemoryApi = { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };

/** Page + workers memory in bytes (needs cross-origin isolation), else the page's JS heap, else null. */
async function memoryBytes(): Promise<{ bytes: number; source: string; ms?: number } | null> {
  const perf = performance as unknown as MemoryApi & { memory?: { usedJSHeapSize: number } };
  (globalThis as { gc?: () => void }).gc?.(); // exposed by --js-flags=--expose-gc
  if (perf.measureUserAgentSpecificMemory && crossOriginIsolated) {
    try {
      const t = performance.now();
      const m = await withTimeout(perf.measureUserAgentSpecificMemory(), 30_000, 'measureUserAgentSpecificMemory');
      return { bytes: m.bytes, source: 'measureUserAgentSpecificMemory', ms: performance.now() - t };
    } catch {
      /* fall through */
    }
  }
  if (perf.memory) return { bytes: perf.memory.usedJSHeapSize, source: 'performance.memory (page heap only)' };
  return null;
}

export interface DatasetSpec {
  name: string;
  n: number;
  dim: number;
  seed: number;
  queries: number;
  /** URLs of real vectors (n×dim float32) and query vectors, instead of random ones. */
  vectorsUrl?: string;
  queryVectorsUrl?: string;
}

async function fetchF32(url: string): Promise<Float32Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`);
  return new Float32Array(await r.arrayBuffer());
}

const bench = {
  async info() {
    const nav = navigator as Navigator & { deviceMemory?: number };
    return {
      userAgent: nav.userAgent,
      crossOriginIsolated,
      hardwareConcurrency: nav.hardwareConcurrency,
      deviceMemoryGB: nav.deviceMemory ?? null,
      wasmSimd: wasmSimdAvailable(),
      measureMemory: typeof (performance as unknown as MemoryApi).measureUserAgentSpecificMemory === 'function',
      webgpu: await probeWebGpu(),
    };
  },

  memory: memoryBytes,

  /**
   * Embedding runs that share one worker (same thread setting): ORT is initialised once, each
   * request loads its own model. A failed or timed-out request fails the ones after it too.
   */
  async embedSeries(reqs: EmbedRequest[]): Promise<EmbedResult[]> {
    const out: EmbedResult[] = [];
    const total = reqs.reduce((s, r) => s + r.timeoutMs, 0);
    try {
      await inWorker(`embed ${reqs.map((r) => `${r.device}/${r.dtype}`).join(', ')}`, total, async (w) => {
        for (const req of reqs) {
          const t = performance.now();
          try {
            out.push(await withTimeout(w.api.embed(req), req.timeoutMs, `embed ${req.device}/${req.dtype}`));
          } catch (e) {
            out.push({ loadMs: NaN, perBatch: {}, probe: [], error: errorText(e) });
            if (performance.now() - t >= req.timeoutMs) throw e; // the worker is still busy: give up on it
          }
        }
      });
    } catch (e) {
      while (out.length < reqs.length) out.push({ loadMs: NaN, perBatch: {}, probe: [], error: errorText(e) });
    }
    return out;
  },

  /**
   * Every index kind on one dataset, in one worker (the flat run's answers are the ground truth
   * for recall). A kind that crashes or times out is recorded, and a fresh worker takes over.
   */
  async indexSuite(
    spec: DatasetSpec,
    kinds: IndexRequest['kind'][],
    opts: { k: number; repeats: number; idbRepeats: number; timeoutMs: number },
  ) {
    const results: (IndexResult & {
      memBefore?: number;
      memAfter?: number;
      memSource?: string;
      memMs?: (number | undefined)[];
      wallMs?: number;
    })[] = [];
    let w: Spawned | null = null;
    const setup = async () => {
      w = spawn();
      const vectors = spec.vectorsUrl ? await fetchF32(spec.vectorsUrl) : undefined;
      const queryVectors = spec.queryVectorsUrl ? await fetchF32(spec.queryVectorsUrl) : undefined;
      const xfer = [vectors?.buffer, queryVectors?.buffer].filter(Boolean) as ArrayBuffer[];
      return w.api.indexData(
        spec.name,
        Comlink.transfer(
          { n: spec.n, dim: spec.dim, seed: spec.seed, queries: spec.queries, vectors, queryVectors },
          xfer,
        ),
      );
    };
    const kill = () => {
      if (w) {
        w.api[Comlink.releaseProxy]();
        w.worker.terminate();
      }
      w = null;
    };
    try {
      for (const kind of kinds) {
        if (!w) {
          await setup();
          await memoryBytes(); // the first measurement after a worker starts can miss it: discard
        }
        const cur = w as unknown as Spawned;
        const tk = performance.now();
        await cur.api.gc();
        const before = await memoryBytes();
        let after: Awaited<ReturnType<typeof memoryBytes>> = null;
        const req: IndexRequest = {
          kind,
          dataset: spec.name,
          k: opts.k,
          repeats: opts.repeats,
          idbRepeats: opts.idbRepeats,
          timeoutMs: opts.timeoutMs,
        };
        const probe = Comlink.proxy(async () => {
          after = await memoryBytes();
        });
        try {
          const r = await withTimeout(
            Promise.race([cur.api.indexRun(req, probe), cur.died]),
            opts.timeoutMs,
            `index ${kind} on ${spec.name}`,
          );
          const a = after as Awaited<ReturnType<typeof memoryBytes>>;
          results.push({
            ...r,
            memBefore: before?.bytes,
            memAfter: a?.bytes,
            memSource: a?.source,
            memMs: [before?.ms, a?.ms],
            wallMs: performance.now() - tk,
          });
        } catch (e) {
          results.push({
            kind,
            dataset: spec.name,
            n: spec.n,
            dim: spec.dim,
            p50: [],
            p95: [],
            recall: NaN,
            saveMs: [],
            loadMs: [],
            error: errorText(e),
          });
          kill();
        }
      }
    } finally {
      kill();
    }
    return results;
  },

  async queryPath(
    req: QueryPathRequest,
    corpus: { examplesUrl: string; vectorsUrl: string; dim: number; schemas: Record<string, TableInfo[]> },
  ) {
    const examples = await (await fetch(corpus.examplesUrl)).json();
    const vectors = await fetchF32(corpus.vectorsUrl);
    return inWorker('query path', req.timeoutMs, async (w) => {
      await w.api.setCorpus(
        Comlink.transfer({ examples, schemas: corpus.schemas, vectors, dim: corpus.dim }, [vectors.buffer]),
      );
      return w.api.queryPath(req);
    }).catch((e) => ({ error: errorText(e) }));
  },

  generate(req: GenerateRequest): Promise<GenerateRun> {
    return inWorker('generate', req.timeoutMs, (w) => w.api.generate(req)).catch((e) => ({
      tokensPerSecond: [],
      e2eTokensPerSecond: [],
      firstTokenMs: [],
      tokens: [],
      texts: [],
      loadMs: NaN,
      error: errorText(e),
    }));
  },

  train(req: TrainRequest): Promise<TrainRun> {
    return inWorker('train', req.timeoutMs, (w) => w.api.train(req)).catch((e) => ({ error: errorText(e) }));
  },
};

export type Bench = typeof bench;
(window as unknown as { bench: Bench }).bench = bench;
document.body.dataset.benchReady = '1';
