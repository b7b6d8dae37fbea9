/**
 * The one on-disk embedding cache of the Node tools (`npm run eval`, `npm run train-adapter`,
 * `npm run bench`, scripts/retrieval-lab.ts): one float32 file per set of vectors, in one folder
 * (node_modules/.cache/coderag-embed), under one key scheme:
 *
 *   embedder id, dtype, dim, text mode or role, texts per embedder call, content hash, count
 *
 * The content hash is the hash of the texts themselves, or, for a corpus embedded through the
 * app's own document-text code, the corpus hash (the text mode then says how its texts are made).
 * The batch is part of the key because q8 vectors depend slightly on the other texts in a call.
 * Re-running a tool on the same data (for example a hyperparameter sweep) then skips the model.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../lib/embed/embedder.ts';
import { fnv1a64Hex } from '../lib/corpus/hash.ts';
import type { ProgressFn } from '../lib/types.ts';
import { writeAtomic } from './cli/output.ts';
import { repoRoot } from './host.ts';

/** The cache folder every Node tool uses by default. */
export const EMBED_CACHE_DIR = path.join(repoRoot, 'node_modules', '.cache', 'coderag-embed');

/** What identifies one set of cached vectors. */
export interface EmbedCacheKey {
  embedderId: string;
  dtype: string;
  dim: number;
  /** `query` or `doc` for plain texts; `doc:<text mode>` for a corpus embedded by text mode. */
  mode: string;
  /** Texts per embedder call. */
  batch: number;
  /** Hash of the texts (textsHash), or the corpus hash. */
  content: string;
  /** Number of vectors. */
  count: number;
}

/** The content hash of a list of texts. */
export function textsHash(texts: readonly string[]): string {
  return fnv1a64Hex([String(texts.length), ...texts].join('\u0001'));
}

/** The file that holds the vectors of `k` under `dir`. */
export function cacheFile(dir: string, k: EmbedCacheKey): string {
  const id = fnv1a64Hex([k.embedderId, k.dtype, k.dim, k.mode, k.batch, k.content, k.count].join('|'));
  const slug = (s: string) => s.replace(/[^A-Za-z0-9._+-]+/g, '_');
  return path.join(dir, `${slug(k.embedderId)}-${k.dtype}-${slug(k.mode)}-${id}.f32`);
}

/** Cached vectors for `k`, or null (absent, or of the wrong size). */
export function readCachedVectors(dir: string, k: EmbedCacheKey): Float32Array | null {
  const file = cacheFile(dir, k);
  if (!existsSync(file)) return null;
  const b = readFileSync(file);
  if (b.byteLength !== k.count * k.dim * 4) return null;
  const out = new Float32Array(k.count * k.dim);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Store vectors for `k` (a temporary file, then a rename: never a half file). */
export function writeCachedVectors(dir: string, k: EmbedCacheKey, v: Float32Array): void {
  writeAtomic(cacheFile(dir, k), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}

/**
 * The vectors for `k` from the cache in `dir`, or from `compute()` (then stored). `dir` null = no
 * cache. `compute` is only called on a miss, so a caller can load its model lazily inside it.
 */
export async function cachedVectors(
  dir: string | null,
  k: EmbedCacheKey,
  compute: () => Promise<Float32Array>,
): Promise<{ vectors: Float32Array; cached: boolean }> {
  const hit = dir ? readCachedVectors(dir, k) : null;
  if (hit) return { vectors: hit, cached: true };
  const vectors = await compute();
  if (dir) writeCachedVectors(dir, k, vectors);
  return { vectors, cached: false };
}

export interface CachedEmbedOptions {
  role: 'query' | 'doc';
  /** Cache folder; null = no cache. */
  cacheDir: string | null;
  batchSize?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** Embed `texts` (n×dim), reading from / writing to the cache when one is given. */
export async function embedCached(
  embedder: Embedder,
  texts: string[],
  opts: CachedEmbedOptions,
): Promise<{ vectors: Float32Array; cached: boolean }> {
  const batch = opts.batchSize ?? 64;
  const key: EmbedCacheKey = {
    embedderId: embedder.id,
    dtype: embedder.dtype,
    dim: embedder.dim,
    mode: opts.role,
    batch,
    content: textsHash(texts),
    count: texts.length,
  };
  return cachedVectors(opts.cacheDir, key, () =>
    embedder.embed(texts, { role: opts.role, batchSize: batch, onProgress: opts.onProgress, signal: opts.signal }),
  );
}

/**
 * The embedder read through the cache: an `Embedder` whose every call (role and batch as asked,
 * documents by default) is answered from `cacheDir` when it was seen before.
 */
export function cachingEmbedder(embedder: Embedder, cacheDir: string | null): Embedder {
  return {
    id: embedder.id,
    dim: embedder.dim,
    dtype: embedder.dtype,
    device: embedder.device,
    async embed(texts, o = {}) {
      const r = await embedCached(embedder, texts, {
        role: o.role ?? 'doc',
        cacheDir,
        batchSize: o.batchSize ?? 64,
        onProgress: o.onProgress,
        signal: o.signal,
      });
      return r.vectors;
    },
  };
}
