/**
 * A small on-disk cache of embeddings for Node tools: one float32 file per (embedder, dtype, role,
 * list of texts), named by a hash of all of them. Re-running a tool on the same data (for example
 * a hyperparameter sweep) then skips the model entirely.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../lib/embed/embedder.ts';
import { fnv1a64Hex } from '../lib/corpus/hash.ts';
import type { ProgressFn } from '../lib/types.ts';

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
  const key = fnv1a64Hex([embedder.id, embedder.dtype, opts.role, String(texts.length), ...texts].join('\u0001'));
  const file = opts.cacheDir ? path.join(opts.cacheDir, `${key}.f32`) : null;
  if (file && existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.byteLength === texts.length * embedder.dim * 4) {
      const vectors = new Float32Array(texts.length * embedder.dim);
      new Uint8Array(vectors.buffer).set(buf);
      return { vectors, cached: true };
    }
  }
  const vectors = await embedder.embed(texts, {
    role: opts.role,
    batchSize: opts.batchSize ?? 64,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
    renameSync(tmp, file);
  }
  return { vectors, cached: false };
}
