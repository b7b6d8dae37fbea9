/**
 * Building a code & docs collection as one job: chunk every ingested file, embed the chunks, and
 * index them. Progress per phase; the signal stops it between files and between embedding
 * batches; nothing is returned (so nothing is stored) unless it finished.
 */
import type { Embedder } from '../embed/embedder.ts';
import { CancelledError } from '../errors.ts';
import type { ProgressFn } from '../types.ts';
import type { ChunkOptions } from './chunk.ts';
import { chunkFiles } from './chunk-files.ts';
import type { CodeParsers } from './parsers.ts';
import { chunkEmbedText, CodeIndex } from './search.ts';
import type { Chunk, SourceFile } from './types.ts';

export { chunkFiles };

export interface BuildCollectionOptions {
  parsers: CodeParsers | null;
  embedder: Embedder;
  chunk?: ChunkOptions;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export interface BuiltCollection {
  index: CodeIndex;
  chunks: Chunk[];
  ms: { chunk: number; embed: number };
}

export async function buildCollection(files: SourceFile[], o: BuildCollectionOptions): Promise<BuiltCollection> {
  const t0 = performance.now();
  // 512 tokens whatever the embedder reads: it sees the header and the start of a chunk, BM25 all
  // of it; measured better than chunks cut to a 128-token embedder's limit (docs/code-docs.md).
  const maxTokens = o.chunk?.maxTokens ?? 512;
  const chunks = await chunkFiles(files, o.parsers, {
    ...o.chunk,
    maxTokens,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const t1 = performance.now();
  const dim = o.embedder.dim;
  const vectors = new Float32Array(chunks.length * dim);
  await embedRows(
    o.embedder,
    chunks,
    chunks.map((_, i) => i),
    vectors,
    { batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress },
  );
  if (o.signal?.aborted) throw new CancelledError('embedding');
  return { index: new CodeIndex(chunks, vectors, dim), chunks, ms: { chunk: t1 - t0, embed: performance.now() - t1 } };
}

/** Texts per embedding call (one worker round trip in the page): measured in docs/code-docs.md. */
export const EMBED_BATCH = 32;

export interface EmbedRowsOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** After each batch, with the rows whose vectors are now in place. */
  onBatch?: (rows: number[]) => void;
}

/**
 * Embed the chunks at `rows` into their rows of `vectors` (chunks.length × dim), in batches of
 * texts of similar length (sorted by length, so a batch pads little), one embedder call per batch
 * with progress after each. A stop (the signal) takes effect between batches: the rows done so far
 * are in place and returned; the caller decides what a stop means (nothing thrown here).
 */
export async function embedRows(
  embedder: Embedder,
  chunks: Chunk[],
  rows: number[],
  vectors: Float32Array,
  o: EmbedRowsOptions = {},
): Promise<number[]> {
  const dim = embedder.dim;
  if (vectors.length !== chunks.length * dim)
    throw new Error(`${vectors.length / dim} vectors for ${chunks.length} chunks`);
  const bs = Math.max(1, o.batchSize ?? EMBED_BATCH);
  const texts = new Map(rows.map((r) => [r, chunkEmbedText(chunks[r])]));
  const order = [...rows].sort((a, b) => texts.get(a)!.length - texts.get(b)!.length || a - b);
  const done: number[] = [];
  for (let i = 0; i < order.length; i += bs) {
    if (o.signal?.aborted) break;
    o.onProgress?.({ phase: 'Embedding chunks', done: i, total: order.length });
    const batch = order.slice(i, i + bs);
    const v = await embedder.embed(
      batch.map((r) => texts.get(r)!),
      { role: 'doc', signal: o.signal, batchSize: bs },
    );
    // a batch that finished is kept even if a stop came meanwhile
    batch.forEach((r, j) => vectors.set(v.subarray(j * dim, (j + 1) * dim), r * dim));
    done.push(...batch);
    o.onBatch?.(batch);
  }
  if (done.length === order.length)
    o.onProgress?.({ phase: 'Embedding chunks', done: order.length, total: order.length });
  return done;
}
