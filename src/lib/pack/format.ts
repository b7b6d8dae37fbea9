/**
 * Corpus pack format, version 1: a corpus ready to search with no embedding. One binary file:
 *
 *   bytes 0..7    magic "CRAGPACK"
 *   bytes 8..11   format version, u32 little-endian (PACK_VERSION)
 *   bytes 12..15  header length H in bytes, u32 LE
 *   bytes 16..19  CRC-32 of the header bytes, u32 LE
 *   bytes 20..23  reserved (0)
 *   bytes 24..    the header: H bytes of UTF-8 JSON (PackHeader)
 *   then          the sections, each starting on a 16-byte boundary, at the offsets the header lists
 *
 * Sections: `examples` (UTF-8 JSON, PackExamplesJson), then per vector set (`primary`, and
 * optionally `masked` for the masked-question index) `<set>.i8` (n×dim int8 codes, row-major),
 * `<set>.scales` (n float32 LE: row ≈ code · scale) and, optionally, `<set>.f32` (n×dim float32 LE).
 * Every section carries a CRC-32 in the header; the examples must also hash to `corpusHash`.
 * docs/packs.md describes the format for people; this file is its definition.
 */
import { CodeRagError } from '../errors.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { TableInfo } from '../types.ts';

export const PACK_MAGIC = 'CRAGPACK';
export const PACK_VERSION = 1;
/** Bytes before the header JSON. */
export const PACK_PREFIX_BYTES = 24;
/** Sections start on multiples of this (so typed-array views need no copy). */
export const PACK_ALIGN = 16;

/** Which embedder made the vectors; a pack is usable only with the same one. */
export interface PackEmbedder {
  id: string;
  dtype: string;
  dim: number;
}

/** `primary` = the corpus index in `textMode`; `masked` = the masked-question index. */
export type VectorSetRole = 'primary' | 'masked';

export interface PackVectorSetInfo {
  role: VectorSetRole;
  textMode: TextMode;
  /** Whether a `<role>.f32` section holds the float vectors too. */
  float: boolean;
}

export interface PackSection {
  name: string;
  offset: number;
  length: number;
  /** CRC-32 of the section's bytes, 8 hex digits. */
  crc32: string;
}

export interface PackHeader {
  format: 'coderag-pack';
  version: number;
  /** Corpus name, e.g. "Spider train (6,726)". */
  name: string;
  embedder: PackEmbedder;
  /** Text mode of the primary vectors (rag/doc-text.ts). */
  textMode: TextMode;
  /** corpusHash() of the examples (corpus/hash.ts). */
  corpusHash: string;
  count: number;
  vectorSets: PackVectorSetInfo[];
  sections: PackSection[];
  /** Length of the whole file. */
  totalBytes: number;
  /** ISO time of writing (informative only). */
  createdAt?: string;
}

/** One example in the `examples` section; `schema` indexes `schemaTexts` (schemas are shared). */
export interface PackExampleJson {
  id: string;
  question: string;
  sql: string;
  dbId?: string;
  schema?: number;
}

export interface PackExamplesJson {
  examples: PackExampleJson[];
  schemaTexts: string[];
  schemas?: Record<string, TableInfo[]>;
}

export type PackProblem = 'truncated' | 'checksum' | 'embedder' | 'format' | 'version';

/** A pack that cannot be used; `problem` says why, `message` says it for the user. */
export class PackError extends CodeRagError {
  constructor(
    message: string,
    readonly problem: PackProblem,
  ) {
    super(message, 'pack');
  }
}

export const align = (n: number, a = PACK_ALIGN): number => Math.ceil(n / a) * a;

export function describeEmbedder(e: PackEmbedder): string {
  return `${e.id} (${e.dtype}, ${e.dim}-d)`;
}

/** Throws PackError('embedder') unless `have` is the embedder the pack was built with. */
export function checkPackEmbedder(built: PackEmbedder, have: PackEmbedder): void {
  if (built.id === have.id && built.dtype === have.dtype && built.dim === have.dim) return;
  throw new PackError(
    `this pack was built with ${describeEmbedder(built)}, you use ${describeEmbedder(have)}: ` +
      'switch to that embedder, or re-embed the corpus with yours',
    'embedder',
  );
}
