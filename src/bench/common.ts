/**
 * Shared by the in-browser harness (harness.ts, bench.worker.ts) and the Node driver
 * (scripts/bench.ts): seeded data, timing helpers and the shapes that cross page.evaluate.
 * No DOM here.
 */
import { mulberry32, percentile } from '../lib/eval/stats.ts';

/** n seeded random unit vectors of `dim` (uniform in the cube, then normalised). */
export function randomUnitVectors(
  n: number,
  dim: number,
  seed: number,
  out: Float32Array = new Float32Array(n * dim),
  offset = 0,
): Float32Array {
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const o = offset + i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = r() * 2 - 1;
      out[o + j] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) out[o + j] *= inv;
  }
  return out;
}

/** Milliseconds taken by `fn`. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function p50(values: number[]): number {
  return percentile(values, 50);
}
export function p95(values: number[]): number {
  return percentile(values, 95);
}

/** recall@k of `got` against the exact top-k `want` (row ids). */
export function recallAtK(want: number[], got: number[], k: number): number {
  const w = new Set(want.slice(0, k));
  if (!w.size) return 1;
  let hit = 0;
  for (const g of got.slice(0, k)) if (w.has(g)) hit++;
  return hit / w.size;
}

/**
 * Mean recall@k over queries: `got[i]` (rows found for query i) against `want[i]` (its exact top
 * k). 0 for no queries.
 */
export function meanRecallAtK(want: number[][], got: number[][], k: number): number {
  return got.reduce((s, g, i) => s + recallAtK(want[i], g, k), 0) / Math.max(1, got.length);
}

/** Run `fn` but give up after `ms` (the work itself may keep running; the caller cleans up). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

// ---------------------------------------------------------------------------------------------
// What the harness returns to the driver

export interface EmbedRequest {
  device: 'wasm' | 'webgpu';
  dtype: 'q8' | 'fp32';
  /** ORT WASM threads (ignored by WebGPU sessions but still set). */
  threads: number;
  texts: string[];
  /** Sentences embedded one call at a time (batch size 1). */
  singles: number;
  /** Batch sizes > 1 to measure on `texts`. */
  batchSizes: number[];
  repeats: number;
  timeoutMs: number;
}

export interface EmbedResult {
  loadMs: number;
  /** Per batch size: sentences/s of each repeat. */
  perBatch: Record<string, number[]>;
  /** First vector's first values, to check that hosts agree. */
  probe: number[];
  error?: string;
  /** Set when the run fell back or ran somewhere other than asked. */
  note?: string;
}

export interface IndexRequest {
  kind: 'flat' | 'int8' | 'voy';
  dataset: string;
  k: number;
  repeats: number;
  /** IndexedDB save/load repeats (0 = skip). */
  idbRepeats: number;
  timeoutMs: number;
}

export interface IndexResult {
  kind: string;
  dataset: string;
  n: number;
  dim: number;
  buildMs?: number;
  /** Per repeat: p50 / p95 query latency (ms) over the query set. */
  p50: number[];
  p95: number[];
  recall: number;
  saveMs: number[];
  loadMs: number[];
  /** Bytes held: vectors + index structures we can count. */
  bytes?: number;
  /** Serialized extra (voy JSON) in UTF-16 code units, if any. */
  extraChars?: number;
  error?: string;
  engine?: string;
}

export interface QueryPathRequest {
  questions: { question: string; dbId: string }[];
  k: number;
  kinds: ('flat' | 'int8')[];
  /** Document counts to measure: the real corpus, then padded with seeded random vectors. */
  sizes: number[];
  repeats: number;
  threads: number;
  timeoutMs: number;
}

export interface QueryPathStage {
  kind: string;
  docs: number;
  /** Per repeat: p50 over the questions, ms. */
  embed: number[];
  search: number[];
  prompt: number[];
  total: number[];
}

export interface GenerateRequest {
  prompts: string[];
  maxNewTokens: number;
  dtype: 'q8' | 'fp32';
  threads: number;
  repeats: number;
  timeoutMs: number;
}

export interface GenerateRun {
  /** tokens/s over all prompts (decode, excluding each prompt's first token), per repeat. */
  tokensPerSecond: number[];
  /** end-to-end tokens/s (all tokens / all wall time), per repeat. */
  e2eTokensPerSecond: number[];
  /** Time to first token, median over prompts, per repeat. */
  firstTokenMs: number[];
  tokens: number[];
  texts: string[];
  loadMs: number;
  error?: string;
}

export interface TrainRequest {
  pairs: number;
  epochs: number;
  dim: number;
  batchSize: number;
  seed: number;
  timeoutMs: number;
}

export interface TrainRun {
  ms?: number;
  /** Wall time of each training epoch (validation excluded when there is none). */
  epochMs?: number[];
  epochs?: number;
  steps?: number;
  skipped?: string;
  error?: string;
}

/** Synthetic training pairs: Q random unit, P = normalize(Q + noise) (timing does not depend on content). */
export function trainPairs(n: number, dim: number, seed: number): { q: Float32Array; p: Float32Array } {
  const q = randomUnitVectors(n, dim, seed);
  const noise = randomUnitVectors(n, dim, seed + 1);
  const p = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = q[i * dim + j] + 1.5 * noise[i * dim + j];
      p[i * dim + j] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) p[i * dim + j] *= inv;
  }
  return { q, p };
}

/** Per-epoch wall times from a trainer history of cumulative `ms` (entry 0 = before training). */
export function epochTimes(history: { epoch: number; ms: number }[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < history.length; i++) out.push(history[i].ms - history[i - 1].ms);
  return out;
}
