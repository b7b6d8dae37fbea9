import type { ProgressFn } from '../types.ts';

export interface EmbedOptions {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Texts per model call. */
  batchSize?: number;
  /** 'query' texts may get a different prefix (or a query-side adapter) than 'doc' texts. */
  role?: 'query' | 'doc';
}

/** Turns texts into L2-normalised vectors. */
export interface Embedder {
  /** Model id, e.g. `Xenova/all-MiniLM-L6-v2`. */
  readonly id: string;
  readonly dim: number;
  readonly dtype: string;
  /** Where it runs: 'webgpu', 'wasm' (browser) or 'cpu' (Node native). */
  readonly device: string;
  /** Returns n×dim row-major, each row unit length. */
  embed(texts: string[], opts?: EmbedOptions): Promise<Float32Array>;
  dispose?(): Promise<void>;
}

/**
 * Longest text handed to an embedding model, in characters. Models read at most 512 tokens (a
 * few thousand characters of real text), so cutting here never changes a realistic vector, while
 * a pasted megabyte would otherwise overflow the tokenizer ("Maximum call stack size exceeded").
 */
export const MAX_EMBED_CHARS = 32_768;

/** `text`, cut to MAX_EMBED_CHARS (without splitting a surrogate pair). */
export function cutForEmbedding(text: string): string {
  if (text.length <= MAX_EMBED_CHARS) return text;
  let end = MAX_EMBED_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

/** Row `i` of an n×dim matrix as a view. */
export function row(mat: Float32Array, dim: number, i: number): Float32Array {
  return mat.subarray(i * dim, (i + 1) * dim);
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}
