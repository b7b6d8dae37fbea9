/**
 * Reads and validates a corpus pack (format.ts) from an ArrayBuffer: every failure is a PackError
 * whose message says what is wrong (truncated, damaged or altered, another embedder, not a pack,
 * a newer version), so the host can show it and keep its previous corpus.
 */
import { corpusHash } from '../corpus/hash.ts';
import { TEXT_MODES } from '../rag/doc-text.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { Corpus, Example } from '../types.ts';
import { crc32, crc32Hex } from './crc32.ts';
import {
  PACK_MAGIC,
  PACK_PREFIX_BYTES,
  PACK_VERSION,
  PackError,
  checkPackEmbedder,
  type PackEmbedder,
  type PackExamplesJson,
  type PackHeader,
  type PackSection,
  type VectorSetRole,
} from './format.ts';

export interface PackVectors {
  textMode: TextMode;
  /** n×dim int8 codes (views into the pack's buffer). */
  codes: Int8Array;
  /** n per-row scales: row ≈ code · scale. */
  scales: Float32Array;
  /** n×dim float32 vectors, when the pack stores them. */
  float?: Float32Array;
}

export interface Pack {
  header: PackHeader;
  corpus: Corpus;
  primary: PackVectors;
  masked?: PackVectors;
}

export interface ReadPackOptions {
  /** The embedder the caller will query with: another one is a PackError('embedder'). */
  embedder?: PackEmbedder;
}

const TEXT_MODE_IDS = new Set<string>([...TEXT_MODES.map((m) => m.id), 'masked-question']);
const fmt = (n: number) => n.toLocaleString('en-US');

function bad(message: string): PackError {
  return new PackError(`not a usable corpus pack: ${message}`, 'format');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the header's shape (after its checksum matched: this guards against writer bugs and hand edits). */
function checkHeader(h: unknown): PackHeader {
  if (!isObj(h) || h.format !== 'coderag-pack') throw bad('the header is not a CodeRAG pack header');
  const e = h.embedder;
  if (
    !isObj(e) ||
    typeof e.id !== 'string' ||
    typeof e.dtype !== 'string' ||
    !Number.isInteger(e.dim) ||
    (e.dim as number) <= 0
  )
    throw bad('the header names no valid embedder (id, dtype, dim)');
  if (typeof h.textMode !== 'string' || !TEXT_MODE_IDS.has(h.textMode))
    throw bad(`unknown text mode "${String(h.textMode)}"`);
  if (typeof h.corpusHash !== 'string' || !/^[0-9a-f]{16}$/.test(h.corpusHash)) throw bad('the corpus hash is missing');
  if (!Number.isInteger(h.count) || (h.count as number) < 0) throw bad('the example count is missing');
  if (!Number.isInteger(h.totalBytes)) throw bad('the total size is missing');
  if (!Array.isArray(h.sections) || !h.sections.every((s) => isObj(s) && typeof s.name === 'string'))
    throw bad('the section table is missing');
  for (const s of h.sections as Record<string, unknown>[]) {
    if (!Number.isInteger(s.offset) || !Number.isInteger(s.length) || typeof s.crc32 !== 'string')
      throw bad(`section ${String(s.name)} has no offset, length or checksum`);
  }
  if (!Array.isArray(h.vectorSets) || !h.vectorSets.some((v) => isObj(v) && v.role === 'primary'))
    throw bad('the pack has no primary vectors');
  for (const v of h.vectorSets as Record<string, unknown>[]) {
    if (
      (v.role !== 'primary' && v.role !== 'masked') ||
      typeof v.textMode !== 'string' ||
      !TEXT_MODE_IDS.has(v.textMode)
    )
      throw bad(`a vector set has an unknown role or text mode`);
  }
  return h as unknown as PackHeader;
}

/** The fixed prefix and the header, checked; no section is read. Needs only the first bytes. */
export function readPackHeader(buf: ArrayBuffer, fileBytes = buf.byteLength): PackHeader {
  if (buf.byteLength < PACK_PREFIX_BYTES) {
    if (fileBytes < PACK_PREFIX_BYTES)
      throw new PackError(`the pack is truncated: ${fmt(fileBytes)} bytes`, 'truncated');
    throw new Error('readPackHeader needs the first bytes of the pack');
  }
  const b = new Uint8Array(buf);
  const magic = String.fromCharCode(...b.subarray(0, 8));
  if (magic !== PACK_MAGIC) throw bad('it does not start with "CRAGPACK" (wrong file?)');
  const dv = new DataView(buf);
  const version = dv.getUint32(8, true);
  if (version > PACK_VERSION)
    throw new PackError(
      `this pack has format version ${version}; this app reads version ${PACK_VERSION}: update the app, or rebuild the pack`,
      'version',
    );
  if (version < 1) throw bad(`format version ${version}`);
  const hLen = dv.getUint32(12, true);
  if (PACK_PREFIX_BYTES + hLen > b.byteLength)
    throw new PackError(
      `the pack is truncated: its header needs ${fmt(PACK_PREFIX_BYTES + hLen)} bytes, the file has ${fmt(fileBytes)}`,
      'truncated',
    );
  const hBytes = b.subarray(PACK_PREFIX_BYTES, PACK_PREFIX_BYTES + hLen);
  if (crc32(hBytes) !== dv.getUint32(16, true))
    throw new PackError('the pack header fails its checksum: the file is damaged or was altered', 'checksum');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hBytes));
  } catch {
    throw bad('the header is not JSON');
  }
  const header = checkHeader(parsed);
  if (header.version !== version) throw bad('the header and the prefix disagree on the version');
  return header;
}

/** The bytes of one section, bounds- and checksum-checked. */
function section(buf: ArrayBuffer, header: PackHeader, name: string): { s: PackSection; bytes: Uint8Array } | null {
  const s = header.sections.find((x) => x.name === name);
  if (!s) return null;
  if (s.offset < 0 || s.offset + s.length > buf.byteLength)
    throw new PackError(
      `the pack is truncated: section ${name} ends at byte ${fmt(s.offset + s.length)}, the file has ${fmt(buf.byteLength)}`,
      'truncated',
    );
  const bytes = new Uint8Array(buf, s.offset, s.length);
  if (crc32Hex(bytes) !== s.crc32)
    throw new PackError(`section ${name} fails its checksum: the pack is damaged or was altered`, 'checksum');
  return { s, bytes };
}

function need(buf: ArrayBuffer, header: PackHeader, name: string): Uint8Array {
  const got = section(buf, header, name);
  if (!got) throw bad(`section ${name} is missing`);
  return got.bytes;
}

function vectorsOf(buf: ArrayBuffer, header: PackHeader, role: VectorSetRole): PackVectors | undefined {
  const info = header.vectorSets.find((v) => v.role === role);
  if (!info) return undefined;
  const { count: n } = header;
  const dim = header.embedder.dim;
  const i8 = need(buf, header, `${role}.i8`);
  const sc = need(buf, header, `${role}.scales`);
  if (i8.byteLength !== n * dim) throw bad(`${role}.i8 holds ${fmt(i8.byteLength)} bytes, expected ${n}×${dim}`);
  if (sc.byteLength !== n * 4) throw bad(`${role}.scales holds ${fmt(sc.byteLength)} bytes, expected ${n}×4`);
  if (sc.byteOffset % 4) throw bad(`${role}.scales is not aligned`);
  const out: PackVectors = {
    textMode: info.textMode,
    codes: new Int8Array(buf, i8.byteOffset, i8.byteLength),
    scales: new Float32Array(buf, sc.byteOffset, n),
  };
  if (info.float) {
    const f = need(buf, header, `${role}.f32`);
    if (f.byteLength !== n * dim * 4) throw bad(`${role}.f32 holds ${fmt(f.byteLength)} bytes, expected ${n}×${dim}×4`);
    if (f.byteOffset % 4) throw bad(`${role}.f32 is not aligned`);
    out.float = new Float32Array(buf, f.byteOffset, n * dim);
  }
  return out;
}

function examplesOf(bytes: Uint8Array, header: PackHeader): Pick<Corpus, 'examples' | 'schemas'> {
  let j: PackExamplesJson;
  try {
    j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as PackExamplesJson;
  } catch {
    throw bad('the examples section is not JSON');
  }
  if (!isObj(j) || !Array.isArray(j.examples) || !Array.isArray(j.schemaTexts))
    throw bad('the examples section has no examples');
  const examples = j.examples.map((e, i): Example => {
    if (!isObj(e) || typeof e.id !== 'string' || typeof e.question !== 'string' || typeof e.sql !== 'string')
      throw bad(`example ${i + 1} has no id, question or sql`);
    const ex: Example = { id: e.id, question: e.question, sql: e.sql };
    if (e.schema !== undefined) {
      const text = j.schemaTexts[e.schema];
      if (typeof text !== 'string') throw bad(`example ${i + 1} refers to a missing schema (${String(e.schema)})`);
      ex.schema = text;
    }
    if (e.dbId !== undefined) ex.dbId = e.dbId;
    return ex;
  });
  if (examples.length !== header.count)
    throw bad(`the header says ${header.count} examples, the pack holds ${examples.length}`);
  return j.schemas ? { examples, schemas: j.schemas } : { examples };
}

/**
 * Validate and open a whole pack. Order of checks: prefix and header (truncated / not a pack /
 * newer version / header checksum), the embedder (cheap, before any section is hashed), the file
 * size, then each section's checksum, then the examples against the corpus hash.
 */
export function readPack(buf: ArrayBuffer, opts: ReadPackOptions = {}): Pack {
  const header = readPackHeader(buf);
  if (opts.embedder) checkPackEmbedder(header.embedder, opts.embedder);
  if (buf.byteLength < header.totalBytes)
    throw new PackError(
      `the pack is truncated: ${fmt(buf.byteLength)} of ${fmt(header.totalBytes)} bytes (download it again)`,
      'truncated',
    );
  if (buf.byteLength > header.totalBytes)
    throw bad(`${fmt(buf.byteLength - header.totalBytes)} bytes follow the end of the pack`);
  const ex = examplesOf(need(buf, header, 'examples'), header);
  const primary = vectorsOf(buf, header, 'primary')!;
  const masked = vectorsOf(buf, header, 'masked');
  const hash = corpusHash(ex.examples);
  if (hash !== header.corpusHash)
    throw new PackError(
      `the examples do not match the pack's corpus hash (${hash} vs ${header.corpusHash}): the pack was altered`,
      'checksum',
    );
  const corpus: Corpus = { hash, name: header.name, ...ex };
  return masked ? { header, corpus, primary, masked } : { header, corpus, primary };
}

/** Float vectors of a set for a VectorIndex: the stored float32, else the int8 codes scaled and re-normalised. */
export function packFloatVectors(v: PackVectors, dim: number): Float32Array {
  if (v.float) return v.float.slice();
  const n = v.scales.length;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const sc = v.scales[i];
    for (let j = 0; j < dim; j++) {
      const x = v.codes[i * dim + j] * sc;
      out[i * dim + j] = x;
      s += x * x;
    }
    const norm = Math.sqrt(s);
    if (norm > 0) for (let j = 0; j < dim; j++) out[i * dim + j] /= norm;
  }
  return out;
}

/** Reads and checks a pack somewhere: in process (`readPackHere`), or in a worker (the page's index worker). */
export type PackReader = (buf: ArrayBuffer, opts?: ReadPackOptions) => Promise<Pack>;

/** `readPack` in this thread, with every vector set decoded (`decodePackVectors`). */
export const readPackHere: PackReader = async (buf, opts) => decodePackVectors(readPack(buf, opts));

/**
 * Give every vector set of `pack` its float vectors (the int8 codes scaled and re-normalised, when
 * the pack stores no float32), so that whoever restores the indexes only copies them. A worker
 * that reads a pack does this, so neither checksums nor de-quantising run on the page's main thread.
 */
export function decodePackVectors(pack: Pack): Pack {
  const dim = pack.header.embedder.dim;
  for (const v of [pack.primary, pack.masked]) if (v && !v.float) v.float = packFloatVectors(v, dim);
  return pack;
}

/** The buffers a decoded pack holds (the file's and the decoded vectors'), to transfer it between threads. */
export function packBuffers(pack: Pack): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of [pack.primary, pack.masked])
    for (const a of [v?.codes, v?.scales, v?.float]) if (a) out.add(a.buffer as ArrayBuffer);
  return [...out];
}
