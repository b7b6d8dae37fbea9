/** Chunking every file of a collection, with progress and a stop between files. */
import { CancelledError } from '../errors.ts';
import type { ProgressFn } from '../types.ts';
import { chunkFile, type ChunkOptions } from './chunk.ts';
import type { CodeParsers } from './parsers.ts';
import type { Chunk, SourceFile } from './types.ts';

export async function chunkFiles(
  files: SourceFile[],
  parsers: CodeParsers | null,
  o: ChunkOptions & { signal?: AbortSignal; onProgress?: ProgressFn } = {},
): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for (let i = 0; i < files.length; i++) {
    if (o.signal?.aborted) throw new CancelledError('chunking');
    o.onProgress?.({ phase: 'Chunking files', done: i, total: files.length, detail: files[i].path });
    chunks.push(...(await chunkFile(files[i], parsers, o)));
  }
  return chunks;
}
