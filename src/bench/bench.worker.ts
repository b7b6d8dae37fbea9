/**
 * The benchmark worker: the heavy half of the in-browser harness. The page spawns a fresh one per
 * measurement that needs its own transformers.js / ORT state (thread count, device), so a thread
 * setting always applies before the first session is created. Same building blocks as the
 * product's workers (browserTransformers, TransformersEmbedder, TransformersGenerator, IndexStore,
 * the index factories).
 */
import * as Comlink from 'comlink';
import voyWasm from 'voy-search/voy_search_bg.wasm?url';
import { browserTransformers, type BrowserModelConfig } from '../browser/runtime.ts';
import { findCpuGenerator, findEmbedder } from '../lib/config.ts';
import { TransformersEmbedder } from '../lib/embed/transformers-embedder.ts';
import { TransformersGenerator } from '../lib/llm/transformers-generator.ts';
import { buildPrompt } from '../lib/llm/prompts.ts';
import { flatFactory } from '../lib/index/flat.ts';
import { Int8Index, int8Factory } from '../lib/index/int8.ts';
import { initVoy, voyFactory } from '../lib/index/voy.ts';
import { IndexStore, indexKey, type IndexMeta } from '../lib/index/store.ts';
import type { IndexFactory, VectorIndex } from '../lib/index/vector-index.ts';
import type { TableInfo } from '../lib/types.ts';
import {
  errorText,
  p50,
  p95,
  randomUnitVectors,
  meanRecallAtK,
  trainPairs,
  type EmbedRequest,
  type EmbedResult,
  type GenerateRequest,
  type GenerateRun,
  type IndexRequest,
  type IndexResult,
  type QueryPathRequest,
  type QueryPathStage,
  type TrainRequest,
  type TrainRun,
  epochTimes,
} from './common.ts';

const EMBEDDER = 'universal-sentence-encoder-lite';
const GENERATOR = 'tiny-sql-lm';

function modelCfg(threads: number): BrowserModelConfig {
  // A same-origin path, not an absolute URL (transformers.js only probes local paths).
  return { localModelBase: '/models/', allowRemoteModels: false, numThreads: threads };
}

async function loadEmbedder(threads: number, dtype: 'q8' | 'fp32', device: 'wasm' | 'webgpu') {
  const tf = await browserTransformers(modelCfg(threads), device);
  const spec = findEmbedder(EMBEDDER)!;
  return TransformersEmbedder.load(tf, { spec, dtype, device });
}

// ---------------------------------------------------------------------------------------------
// Indexes

const factories: Record<string, IndexFactory> = { flat: flatFactory, int8: int8Factory, voy: voyFactory };

interface Dataset {
  name: string;
  dim: number;
  vectors: Float32Array;
  queries: Float32Array;
  /** Exact top-k of each query (filled by the flat run, or computed on demand). */
  truth: number[][] | null;
}
const datasets = new Map<string, Dataset>();

function exactTruth(ds: Dataset, k: number): number[][] {
  if (ds.truth && ds.truth[0]?.length >= Math.min(k, ds.vectors.length / ds.dim)) return ds.truth;
  const flat = flatFactory.build(ds.vectors, ds.dim) as VectorIndex;
  const nq = ds.queries.length / ds.dim;
  ds.truth = [];
  for (let i = 0; i < nq; i++)
    ds.truth.push(flat.search(ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim), k).map((h) => h.row));
  return ds.truth;
}

/** voy's wasm memory, captured when it is instantiated (it grows with the index it holds). */
let voyMemory: WebAssembly.Memory | null = null;

/** initVoy, noting the instance's memory so the benchmark can count what voy holds. */
async function initVoyWatched(): Promise<void> {
  if (voyMemory) return;
  const orig = WebAssembly.instantiate;
  const patched = async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const r = (await (orig as (...a: unknown[]) => Promise<unknown>)(
      ...args,
    )) as WebAssembly.WebAssemblyInstantiatedSource;
    const mem = r.instance?.exports?.memory;
    if (mem instanceof WebAssembly.Memory) voyMemory = mem;
    return r;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  try {
    await initVoy(() => fetch(voyWasm));
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = orig;
  }
}

/** Bytes an index holds that we can count (the Float32 vectors plus kind-specific structures). */
function countedBytes(index: VectorIndex, extraChars = 0): number {
  let b = index.vectors.byteLength;
  if (index instanceof Int8Index) b += index.extraBytes;
  return b + extraChars * 2;
}

// ---------------------------------------------------------------------------------------------
// Query path state

interface Corpus {
  examples: { question: string; sql: string }[];
  schemas: Record<string, TableInfo[]>;
  vectors: Float32Array;
  dim: number;
}
let corpus: Corpus | null = null;

const api = {
  async embed(req: EmbedRequest): Promise<EmbedResult> {
    const t0 = performance.now();
    const emb = await loadEmbedder(req.threads, req.dtype, req.device);
    const loadMs = performance.now() - t0;
    const perBatch: Record<string, number[]> = {};
    const texts = req.texts;
    // Warm-up: one single and one full batch of each size.
    await emb.embed([texts[0]], { batchSize: 1 });
    for (const b of req.batchSizes) await emb.embed(texts.slice(0, b), { batchSize: b });
    for (let r = 0; r < req.repeats; r++) {
      if (req.singles > 0) {
        const t = performance.now();
        for (let i = 0; i < req.singles; i++) await emb.embed([texts[i % texts.length]], { batchSize: 1 });
        (perBatch['1'] ??= []).push((req.singles * 1000) / (performance.now() - t));
      }
      for (const b of req.batchSizes) {
        const t = performance.now();
        await emb.embed(texts, { batchSize: b });
        (perBatch[String(b)] ??= []).push((texts.length * 1000) / (performance.now() - t));
      }
    }
    const probe = Array.from((await emb.embed([texts[0]])).subarray(0, 4));
    await emb.dispose();
    const tf = await browserTransformers(modelCfg(req.threads));
    const wasm = (tf.env.backends.onnx as { wasm?: { numThreads?: number } }).wasm;
    const note = `ORT wasm numThreads=${wasm?.numThreads ?? '?'}, worker crossOriginIsolated=${crossOriginIsolated}`;
    return { loadMs, perBatch, probe, note };
  },

  /** Create a dataset: seeded random unit vectors, or given ones (real embeddings). */
  indexData(
    name: string,
    opts: {
      n: number;
      dim: number;
      seed: number;
      queries: number;
      vectors?: Float32Array;
      queryVectors?: Float32Array;
    },
  ): { name: string; n: number; dim: number; queries: number; ms: number } {
    const t0 = performance.now();
    const { dim } = opts;
    const vectors = opts.vectors ?? randomUnitVectors(opts.n, dim, opts.seed);
    const queries = opts.queryVectors ?? randomUnitVectors(opts.queries, dim, opts.seed + 7919);
    datasets.set(name, { name, dim, vectors, queries, truth: null });
    return { name, n: vectors.length / dim, dim, queries: queries.length / dim, ms: performance.now() - t0 };
  },

  /**
   * Build, query, persist and restore one index kind on a dataset. `afterBuild` lets the page
   * measure memory while the index is alive.
   */
  async indexRun(req: IndexRequest, afterBuild?: () => Promise<void>): Promise<IndexResult> {
    const ds = datasets.get(req.dataset);
    if (!ds) throw new Error(`no dataset ${req.dataset}`);
    const n = ds.vectors.length / ds.dim;
    const res: IndexResult = {
      kind: req.kind,
      dataset: req.dataset,
      n,
      dim: ds.dim,
      p50: [],
      p95: [],
      recall: NaN,
      saveMs: [],
      loadMs: [],
    };
    if (req.kind === 'voy') await initVoyWatched();
    const voyBefore = voyMemory?.buffer.byteLength ?? 0;
    const factory = factories[req.kind];
    let index: VectorIndex;
    const t0 = performance.now();
    try {
      index = await factory.build(ds.vectors, ds.dim);
    } catch (e) {
      res.buildMs = performance.now() - t0;
      res.error = `build failed after ${(res.buildMs / 1000).toFixed(1)} s: ${errorText(e)}`;
      return res;
    }
    res.buildMs = performance.now() - t0;
    if (index instanceof Int8Index) res.engine = index.engine;
    (globalThis as { gc?: () => void }).gc?.(); // drop build garbage before the page measures (--expose-gc)
    await afterBuild?.();
    // Serialized only after the memory measurement: the product serializes transiently, to save.
    const extra = index.serializeExtra();
    res.extraChars = extra?.length;
    res.bytes = countedBytes(index, 0) + (req.kind === 'voy' ? (voyMemory?.buffer.byteLength ?? 0) - voyBefore : 0);
    const nq = ds.queries.length / ds.dim;
    const q = (i: number) => ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim);
    // Warm-up, then timed repeats over the query set.
    for (let i = 0; i < Math.min(5, nq); i++) index.search(q(i), req.k);
    const got: number[][] = [];
    for (let r = 0; r < req.repeats; r++) {
      const times: number[] = [];
      for (let i = 0; i < nq; i++) {
        const t = performance.now();
        const hits = index.search(q(i), req.k);
        times.push(performance.now() - t);
        if (r === 0) got.push(hits.map((h) => h.row));
      }
      res.p50.push(p50(times));
      res.p95.push(p95(times));
    }
    if (req.kind === 'flat' && !ds.truth) ds.truth = got;
    const truth = exactTruth(ds, req.k);
    res.recall = meanRecallAtK(truth, got, req.k);
    // IndexedDB: save (one atomic transaction), then load (read + restore) as the index worker does.
    if (req.idbRepeats > 0) {
      const store = await IndexStore.open('coderag-bench');
      const meta: IndexMeta = {
        slot: `bench:${req.dataset}:${req.kind}`,
        embedderId: 'bench',
        dtype: 'f32',
        dim: ds.dim,
        corpusHash: req.dataset,
        count: n,
        kind: req.kind,
        textMode: 'question',
      };
      try {
        for (let r = 0; r < req.idbRepeats; r++) {
          let t = performance.now();
          await store.save(meta, ds.vectors, extra, res.buildMs);
          res.saveMs.push(performance.now() - t);
          t = performance.now();
          const got2 = await store.get(indexKey(meta));
          if (!got2) throw new Error('saved index not found');
          const again = await factory.restore(got2.vectors, ds.dim, got2.record.extra);
          res.loadMs.push(performance.now() - t);
          if (again.search(q(0), 1)[0]?.row !== got[0][0] && req.kind !== 'voy')
            throw new Error('restored index disagrees');
          if (again !== index) again.dispose?.();
        }
      } catch (e) {
        res.error = `IndexedDB: ${errorText(e)}`;
      } finally {
        await store.delete(indexKey(meta)).catch(() => {});
        store.close();
      }
    }
    index.dispose?.();
    return res;
  },

  /** Collect garbage now, when the browser runs with --js-flags=--expose-gc. */
  gc(): void {
    (globalThis as { gc?: () => void }).gc?.();
  },

  dropData(name: string): void {
    datasets.delete(name);
  },

  // -------------------------------------------------------------------------------------------

  setCorpus(c: Corpus): number {
    corpus = c;
    return c.examples.length;
  },

  async queryPath(req: QueryPathRequest): Promise<{ stages: QueryPathStage[]; loadMs: number; promptChars: number }> {
    if (!corpus) throw new Error('no corpus');
    const c = corpus;
    const t0 = performance.now();
    const emb = await loadEmbedder(req.threads, 'q8', 'wasm');
    const tf = await browserTransformers(modelCfg(req.threads));
    const spec = findCpuGenerator(GENERATOR)!;
    const tok = await tf.AutoTokenizer.from_pretrained(GENERATOR);
    const countTokens = (t: string) => tok.encode(t, { add_special_tokens: false }).length;
    const loadMs = performance.now() - t0;
    const stages: QueryPathStage[] = [];
    const nReal = c.vectors.length / c.dim;
    let promptChars = 0;
    for (const size of req.sizes) {
      let vectors = c.vectors;
      if (size > nReal) {
        vectors = new Float32Array(size * c.dim);
        vectors.set(c.vectors);
        randomUnitVectors(size - nReal, c.dim, 4242, vectors, c.vectors.length);
      } else if (size < nReal) vectors = c.vectors.subarray(0, size * c.dim);
      for (const kind of req.kinds) {
        const index = await factories[kind].build(vectors, c.dim);
        const st: QueryPathStage = { kind, docs: size, embed: [], search: [], prompt: [], total: [] };
        const once = async (qi: number) => {
          const { question, dbId } = req.questions[qi];
          const ta = performance.now();
          const qv = await emb.embed([question], { role: 'query', batchSize: 1 });
          const tb = performance.now();
          const hits = index.search(qv, req.k);
          const tc = performance.now();
          const examples = hits.map((h) => c.examples[h.row % c.examples.length]);
          const p = buildPrompt(
            spec.format,
            { tables: c.schemas[dbId] ?? [], examples, question },
            { countTokens, maxTokens: spec.contextTokens - 128 },
          );
          const td = performance.now();
          promptChars = p.text.length;
          return [tb - ta, tc - tb, td - tc, td - ta];
        };
        await once(0);
        for (let r = 0; r < req.repeats; r++) {
          const e: number[] = [],
            s: number[] = [],
            p: number[] = [],
            t: number[] = [];
          for (let i = 0; i < req.questions.length; i++) {
            const [a, b, cc, d] = await once(i);
            e.push(a);
            s.push(b);
            p.push(cc);
            t.push(d);
          }
          st.embed.push(p50(e));
          st.search.push(p50(s));
          st.prompt.push(p50(p));
          st.total.push(p50(t));
        }
        stages.push(st);
        index.dispose?.();
      }
    }
    await emb.dispose();
    return { stages, loadMs, promptChars };
  },

  async generate(req: GenerateRequest): Promise<GenerateRun> {
    const t0 = performance.now();
    const tf = await browserTransformers(modelCfg(req.threads), 'wasm');
    const spec = findCpuGenerator(GENERATOR)!;
    const gen = await TransformersGenerator.load(tf, spec, 'wasm', req.dtype);
    const run: GenerateRun = {
      tokensPerSecond: [],
      e2eTokensPerSecond: [],
      firstTokenMs: [],
      tokens: [],
      texts: [],
      loadMs: performance.now() - t0,
    };
    await gen.generate(req.prompts[0], { maxNewTokens: 4 }); // warm-up
    for (let r = 0; r < req.repeats; r++) {
      let decodeTokens = 0,
        decodeMs = 0,
        allTokens = 0,
        allMs = 0;
      const ttft: number[] = [];
      for (const p of req.prompts) {
        const g = await gen.generate(p, { maxNewTokens: req.maxNewTokens });
        const dMs = g.tokens > 1 && g.tokensPerSecond > 0 ? ((g.tokens - 1) * 1000) / g.tokensPerSecond : 0;
        decodeTokens += Math.max(0, g.tokens - 1);
        decodeMs += dMs;
        allTokens += g.tokens;
        allMs += g.ms;
        ttft.push(g.ms - dMs);
        if (r === 0) {
          run.tokens.push(g.tokens);
          run.texts.push(g.text);
        }
      }
      run.tokensPerSecond.push(decodeMs > 0 ? (decodeTokens * 1000) / decodeMs : 0);
      run.e2eTokensPerSecond.push(allMs > 0 ? (allTokens * 1000) / allMs : 0);
      run.firstTokenMs.push(p50(ttft));
    }
    await gen.dispose();
    return run;
  },

  async train(req: TrainRequest): Promise<TrainRun> {
    // The trainer is optional at build time: glob imports resolve to nothing when it is absent.
    const mods = import.meta.glob('../lib/train/trainer.ts');
    const load = Object.values(mods)[0];
    if (!load) return { skipped: 'skipped: trainer not available (src/lib/train/trainer.ts missing at build time)' };
    const mod = (await load()) as {
      trainAdapter?: (
        o: Record<string, unknown>,
      ) => Promise<{ ms: number; history: { epoch: number; step: number; ms: number }[] }>;
    };
    if (typeof mod.trainAdapter !== 'function')
      return { skipped: 'skipped: trainer not available (no trainAdapter export)' };
    const { q, p } = trainPairs(req.pairs, req.dim, req.seed);
    const t0 = performance.now();
    const r = await mod.trainAdapter({
      dim: req.dim,
      trainQ: q,
      trainP: p,
      epochs: req.epochs,
      batchSize: req.batchSize,
      seed: req.seed,
      patience: 0,
    });
    const ms = performance.now() - t0;
    const last = r.history[r.history.length - 1];
    return { ms, epochMs: epochTimes(r.history), epochs: last?.epoch, steps: last?.step };
  },
};

export type BenchWorkerApi = typeof api;
Comlink.expose(api);
