/**
 * Writes a corpus pack (format.ts) into one ArrayBuffer: DOM-free, the same code in Node
 * (`npm run pack`) and in a worker.
 */
import { corpusHash } from '../corpus/hash.ts';
import { quantizeRow } from '../index/int8.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { Corpus } from '../types.ts';
import { crc32Hex } from './crc32.ts';
import {
  PACK_MAGIC,
  PACK_PREFIX_BYTES,
  PACK_VERSION,
  align,
  type PackEmbedder,
  type PackExampleJson,
  type PackExamplesJson,
  type PackHeader,
  type PackSection,
  type PackVectorSetInfo,
  type VectorSetRole,
} from './format.ts';

export interface PackVectorInput {
  textMode: TextMode;
  /** n×dim, row-major, unit rows. */
  vectors: Float32Array;
}

export interface PackInput {
  corpus: Corpus;
  embedder: PackEmbedder;
  primary: PackVectorInput;
  /** The masked-question vectors (text mode 'masked-question'), when the pack carries them. */
  masked?: PackVectorInput;
  /** Also store the float32 vectors (4× the int8 bytes; exact scores without re-embedding). */
  includeFloat?: boolean;
  createdAt?: string;
}

/** The examples with their schema texts stored once and referenced by number. */
export function examplesJson(corpus: Corpus): PackExamplesJson {
  const schemaTexts: string[] = [];
  const refs = new Map<string, number>();
  const examples = corpus.examples.map((e): PackExampleJson => {
    const out: PackExampleJson = { id: e.id, question: e.question, sql: e.sql };
    if (e.dbId !== undefined) out.dbId = e.dbId;
    if (e.schema !== undefined) {
      let r = refs.get(e.schema);
      if (r === undefined) {
        r = schemaTexts.length;
        schemaTexts.push(e.schema);
        refs.set(e.schema, r);
      }
      out.schema = r;
    }
    return out;
  });
  return corpus.schemas ? { examples, schemaTexts, schemas: corpus.schemas } : { examples, schemaTexts };
}

/** int8 codes and per-row scales of n×dim vectors (int8.ts quantizeRow: max |x| → 127). */
export function quantizeAll(vectors: Float32Array, dim: number): { codes: Int8Array; scales: Float32Array } {
  const n = vectors.length / dim;
  const codes = new Int8Array(n * dim);
  const scales = new Float32Array(n);
  for (let i = 0; i < n; i++) scales[i] = quantizeRow(vectors, i * dim, dim, codes, i * dim);
  return { codes, scales };
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The pack's bytes. Throws on vectors of the wrong size, or a corpus whose hash is not its examples'. */
export function writePack(input: PackInput): Uint8Array<ArrayBuffer> {
  const { corpus, embedder } = input;
  const n = corpus.examples.length;
  const dim = embedder.dim;
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`embedder dim must be a positive integer (got ${dim})`);
  const hash = corpusHash(corpus.examples);
  if (corpus.hash !== hash) throw new Error(`corpus hash ${corpus.hash} is not the hash of its examples (${hash})`);

  const parts: { name: string; bytes: Uint8Array }[] = [];
  parts.push({ name: 'examples', bytes: new TextEncoder().encode(JSON.stringify(examplesJson(corpus))) });
  const sets: PackVectorSetInfo[] = [];
  const addSet = (role: VectorSetRole, v: PackVectorInput) => {
    if (v.vectors.length !== n * dim)
      throw new Error(`${role} vectors: expected ${n}×${dim} = ${n * dim} values, got ${v.vectors.length}`);
    const { codes, scales } = quantizeAll(v.vectors, dim);
    parts.push({ name: `${role}.i8`, bytes: bytesOf(codes) });
    parts.push({ name: `${role}.scales`, bytes: bytesOf(scales) });
    if (input.includeFloat) parts.push({ name: `${role}.f32`, bytes: bytesOf(v.vectors) });
    sets.push({ role, textMode: v.textMode, float: !!input.includeFloat });
  };
  addSet('primary', input.primary);
  if (input.masked) addSet('masked', input.masked);

  // The header holds the section offsets, which depend on the header's length: lay out with
  // offsets relative to the data start, then fix the start once the header length is stable.
  const header: PackHeader = {
    format: 'coderag-pack',
    version: PACK_VERSION,
    name: corpus.name,
    embedder: { id: embedder.id, dtype: embedder.dtype, dim },
    textMode: input.primary.textMode,
    corpusHash: hash,
    count: n,
    vectorSets: sets,
    sections: [],
    totalBytes: 0,
    ...(input.createdAt ? { createdAt: input.createdAt } : {}),
  };
  const layout = (dataStart: number): PackSection[] => {
    let off = dataStart;
    return parts.map((p) => {
      off = align(off);
      const s = { name: p.name, offset: off, length: p.bytes.byteLength, crc32: '' };
      off += p.bytes.byteLength;
      return s;
    });
  };
  const crcs = parts.map((p) => crc32Hex(p.bytes));
  let headerBytes = new Uint8Array(0);
  let dataStart = 0;
  for (let round = 0; round < 8; round++) {
    header.sections = layout(dataStart).map((s, i) => ({ ...s, crc32: crcs[i] }));
    const last = header.sections[header.sections.length - 1];
    header.totalBytes = last.offset + last.length;
    headerBytes = new TextEncoder().encode(JSON.stringify(header));
    const start = align(PACK_PREFIX_BYTES + headerBytes.byteLength);
    if (start === dataStart) break;
    dataStart = start;
  }
  if (align(PACK_PREFIX_BYTES + headerBytes.byteLength) !== dataStart)
    throw new Error('pack header layout did not settle');

  const out = new Uint8Array(header.totalBytes);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < PACK_MAGIC.length; i++) out[i] = PACK_MAGIC.charCodeAt(i);
  dv.setUint32(8, PACK_VERSION, true);
  dv.setUint32(12, headerBytes.byteLength, true);
  dv.setUint32(16, parseInt(crc32Hex(headerBytes), 16), true);
  out.set(headerBytes, PACK_PREFIX_BYTES);
  header.sections.forEach((s, i) => out.set(parts[i].bytes, s.offset));
  return out;
}
