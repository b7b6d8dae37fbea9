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
  const bs = o.batchSize ?? 32;
  for (let i = 0; i < chunks.length; i += bs) {
    if (o.signal?.aborted) throw new CancelledError('embedding');
    o.onProgress?.({ phase: 'Embedding chunks', done: i, total: chunks.length });
    const batch = chunks.slice(i, i + bs).map(chunkEmbedText);
    vectors.set(await o.embedder.embed(batch, { role: 'doc', signal: o.signal }), i * dim);
  }
  o.onProgress?.({ phase: 'Embedding chunks', done: chunks.length, total: chunks.length });
  return { index: new CodeIndex(chunks, vectors, dim), chunks, ms: { chunk: t1 - t0, embed: performance.now() - t1 } };
}
