/**
 * The Node half of the benchmark: the native references (onnxruntime-node through transformers.js,
 * via src/node/host.ts) measured on the same inputs as the browser harness. Node only.
 */
import { findCpuGenerator, findEmbedder } from '../lib/config.ts';
import { TransformersEmbedder } from '../lib/embed/transformers-embedder.ts';
import { TransformersGenerator } from '../lib/llm/transformers-generator.ts';
import { FlatIndex } from '../lib/index/flat.ts';
import { Int8Index } from '../lib/index/int8.ts';
import type { VectorIndex } from '../lib/index/vector-index.ts';
import { buildPrompt } from '../lib/llm/prompts.ts';
import type { TableInfo } from '../lib/types.ts';
import { loadCpuGenerator, loadEmbedder, transformers } from '../node/host.ts';
import {
  epochTimes,
  errorText,
  p50,
  randomUnitVectors,
  trainPairs,
  type GenerateRun,
  type QueryPathStage,
  type TrainRun,
} from './common.ts';

export const EMBEDDER = 'universal-sentence-encoder-lite';
export const GENERATOR = 'tiny-sql-lm';

type Embed = (texts: string[], batchSize: number) => Promise<Float32Array>;
type Tf = Awaited<ReturnType<typeof transformers>>;

/**
 * transformers.js with every pipeline pinned to `threads` intra-op threads (onnxruntime-node's
 * `intraOpNumThreads`), so the product's loader classes can run single-threaded unchanged.
 */
async function pinnedTransformers(threads: number): Promise<Tf> {
  const tf = await transformers();
  const pipeline = ((task: string, model: string, o: Record<string, unknown> = {}) =>
    tf.pipeline(task as never, model, {
      ...o,
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    } as never)) as unknown as Tf['pipeline'];
  return { ...tf, pipeline } as Tf;
}

/**
 * A native embedder: the product's TransformersEmbedder on onnxruntime-node. threads 0 =
 * onnxruntime-node's default (host.ts's loader, as the CLIs use it); threads > 0 = pinned.
 */
export async function nativeEmbedder(
  dtype: 'q8' | 'fp32',
  threads: number,
): Promise<{ embed: Embed; dispose: () => Promise<void> }> {
  const e =
    threads <= 0
      ? await loadEmbedder(EMBEDDER, dtype)
      : await TransformersEmbedder.load(await pinnedTransformers(threads), {
          spec: findEmbedder(EMBEDDER)!,
          dtype,
          device: 'cpu',
        });
  return { embed: (t, b) => e.embed(t, { batchSize: b }), dispose: () => e.dispose() };
}

export interface NativeEmbedResult {
  loadMs: number;
  perBatch: Record<string, number[]>;
  probe: number[];
  error?: string;
}

export async function nativeEmbedBench(opts: {
  dtype: 'q8' | 'fp32';
  threads: number;
  texts: string[];
  singles: number;
  batchSizes: number[];
  repeats: number;
}): Promise<NativeEmbedResult> {
  const t0 = performance.now();
  let emb;
  try {
    emb = await nativeEmbedder(opts.dtype, opts.threads);
  } catch (e) {
    return { loadMs: NaN, perBatch: {}, probe: [], error: errorText(e) };
  }
  const loadMs = performance.now() - t0;
  const { texts } = opts;
  const perBatch: Record<string, number[]> = {};
  await emb.embed([texts[0]], 1);
  for (const b of opts.batchSizes) await emb.embed(texts.slice(0, b), b);
  for (let r = 0; r < opts.repeats; r++) {
    if (opts.singles > 0) {
      const t = performance.now();
      for (let i = 0; i < opts.singles; i++) await emb.embed([texts[i % texts.length]], 1);
      (perBatch['1'] ??= []).push((opts.singles * 1000) / (performance.now() - t));
    }
    for (const b of opts.batchSizes) {
      const t = performance.now();
      await emb.embed(texts, b);
      (perBatch[String(b)] ??= []).push((texts.length * 1000) / (performance.now() - t));
    }
  }
  const probe = Array.from((await emb.embed([texts[0]], 1)).subarray(0, 4));
  await emb.dispose();
  return { loadMs, perBatch, probe };
}

/** threads 0 = onnxruntime-node's default (host.ts's loader); threads > 0 = pinned. */
export async function nativeGenerate(opts: {
  prompts: string[];
  maxNewTokens: number;
  dtype: 'q8' | 'fp32';
  repeats: number;
  threads?: number;
}): Promise<GenerateRun> {
  const t0 = performance.now();
  const run: GenerateRun = {
    tokensPerSecond: [],
    e2eTokensPerSecond: [],
    firstTokenMs: [],
    tokens: [],
    texts: [],
    loadMs: NaN,
  };
  let gen;
  try {
    gen = opts.threads
      ? await TransformersGenerator.load(
          await pinnedTransformers(opts.threads),
          findCpuGenerator(GENERATOR)!,
          'cpu',
          opts.dtype,
        )
      : await loadCpuGenerator(GENERATOR, opts.dtype);
  } catch (e) {
    return { ...run, error: errorText(e) };
  }
  run.loadMs = performance.now() - t0;
  await gen.generate(opts.prompts[0], { maxNewTokens: 4 });
  for (let r = 0; r < opts.repeats; r++) {
    let decodeTokens = 0,
      decodeMs = 0,
      allTokens = 0,
      allMs = 0;
    const ttft: number[] = [];
    for (const p of opts.prompts) {
      const g = await gen.generate(p, { maxNewTokens: opts.maxNewTokens });
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
}

export interface QueryCorpus {
  examples: { question: string; sql: string }[];
  schemas: Record<string, TableInfo[]>;
  vectors: Float32Array;
  dim: number;
}

export async function nativeQueryPath(
  c: QueryCorpus,
  opts: {
    questions: { question: string; dbId: string }[];
    k: number;
    kinds: ('flat' | 'int8')[];
    sizes: number[];
    repeats: number;
  },
): Promise<{ stages: QueryPathStage[]; loadMs: number }> {
  const t0 = performance.now();
  const emb = await loadEmbedder(EMBEDDER, 'q8');
  const tf = await transformers();
  const tok = await tf.AutoTokenizer.from_pretrained(GENERATOR);
  const spec = findCpuGenerator(GENERATOR)!;
  const countTokens = (t: string) => tok.encode(t, { add_special_tokens: false }).length;
  const loadMs = performance.now() - t0;
  const nReal = c.vectors.length / c.dim;
  const stages: QueryPathStage[] = [];
  for (const size of opts.sizes) {
    let vectors = c.vectors;
    if (size > nReal) {
      vectors = new Float32Array(size * c.dim);
      vectors.set(c.vectors);
      randomUnitVectors(size - nReal, c.dim, 4242, vectors, c.vectors.length);
    } else if (size < nReal) vectors = c.vectors.subarray(0, size * c.dim);
    for (const kind of opts.kinds) {
      const index: VectorIndex = kind === 'int8' ? new Int8Index(vectors, c.dim) : new FlatIndex(vectors, c.dim);
      const st: QueryPathStage = { kind, docs: size, embed: [], search: [], prompt: [], total: [] };
      const once = async (qi: number) => {
        const { question, dbId } = opts.questions[qi];
        const ta = performance.now();
        const qv = await emb.embed([question], { role: 'query', batchSize: 1 });
        const tb = performance.now();
        const hits = index.search(qv, opts.k);
        const tc = performance.now();
        const examples = hits.map((h) => c.examples[h.row % c.examples.length]);
        buildPrompt(
          spec.format,
          { tables: c.schemas[dbId] ?? [], examples, question },
          { countTokens, maxTokens: spec.contextTokens - 128 },
        );
        const td = performance.now();
        return [tb - ta, tc - tb, td - tc, td - ta];
      };
      await once(0);
      for (let r = 0; r < opts.repeats; r++) {
        const e: number[] = [],
          s: number[] = [],
          p: number[] = [],
          t: number[] = [];
        for (let i = 0; i < opts.questions.length; i++) {
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
    }
  }
  await emb.dispose();
  return { stages, loadMs };
}

export async function nativeTrain(opts: {
  pairs: number;
  epochs: number;
  dim: number;
  batchSize: number;
  seed: number;
}): Promise<TrainRun> {
  let mod: {
    trainAdapter?: (o: Record<string, unknown>) => Promise<{ history: { epoch: number; step: number; ms: number }[] }>;
  };
  try {
    mod = (await import('../lib/train/trainer.ts')) as unknown as typeof mod;
  } catch (e) {
    return { skipped: `skipped: trainer not available (${errorText(e).split('\n')[0]})` };
  }
  if (typeof mod.trainAdapter !== 'function')
    return { skipped: 'skipped: trainer not available (no trainAdapter export)' };
  const { q, p } = trainPairs(opts.pairs, opts.dim, opts.seed);
  const t0 = performance.now();
  try {
    const r = await mod.trainAdapter({
      dim: opts.dim,
      trainQ: q,
      trainP: p,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      seed: opts.seed,
      patience: 0,
    });
    const last = r.history[r.history.length - 1];
    return { ms: performance.now() - t0, epochMs: epochTimes(r.history), epochs: last?.epoch, steps: last?.step };
  } catch (e) {
    return { error: errorText(e) };
  }
}
