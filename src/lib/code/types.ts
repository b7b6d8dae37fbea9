/**
 * The code & docs space: a user's source files become a collection of chunks (functions,
 * classes, methods, Markdown sections, or token windows), each with its path and line span, that
 * are searched densely and lexically and cited by number in answers.
 */

/** A text file of a collection, after ingestion. */
export interface SourceFile {
  /** Path inside the collection, with `/` separators and no leading slash. */
  path: string;
  text: string;
}

/** A file that ingestion left out, and why (listed to the user, never silently dropped). */
export interface SkippedFile {
  path: string;
  reason: string;
}

export type ChunkKind = 'function' | 'class' | 'method' | 'declaration' | 'section' | 'window';

export interface Chunk {
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  kind: ChunkKind;
  /**
   * The symbols the chunk covers, innermost last: e.g. `['Retrieval', 'retriever']` for a
   * method, `['Tests', 'Running them']` for a Markdown section. Empty for plain windows.
   */
  symbols: string[];
  /** A short line that situates the chunk: `path:10-42 class Retrieval › method retriever`. */
  header: string;
  text: string;
}

/** Citation label of a chunk: `path:start-end`. */
export function chunkLabel(c: Pick<Chunk, 'path' | 'startLine' | 'endLine'>): string {
  return `${c.path}:${c.startLine}-${c.endLine}`;
}
