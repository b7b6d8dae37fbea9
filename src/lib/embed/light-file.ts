/**
 * The stored form of the light query encoders (static encoder tables, linear maps): one binary
 * blob, small enough for IndexedDB and a download, that says what it is before any weight is
 * trusted.
 *
 *   bytes 0..3   magic "CRLQ"
 *   bytes 4..7   header length H (uint32 LE)
 *   bytes 8..8+H header, UTF-8 JSON: { kind, version, checksum, floats, ...meta }
 *   padding to a multiple of 4, then `floats` float32 LE values (the payload)
 *
 * `checksum` is FNV-1a 32 of the payload bytes (8 hex digits): a truncated or altered file is
 * refused with a message instead of answering with garbage.
 */
import { CodeRagError } from '../errors.ts';

const MAGIC = [0x43, 0x52, 0x4c, 0x51]; // "CRLQ"
/** Largest header accepted (the metadata is small; a huge one means a damaged file). */
const MAX_HEADER = 1 << 20;

/** A stored light encoder or map that cannot be used; `message` says why and what to do. */
export class LightFormatError extends CodeRagError {
  constructor(message: string) {
    super(message, 'light-format');
  }
}

export interface LightHeader {
  kind: string;
  version: number;
  checksum: string;
  floats: number;
  [key: string]: unknown;
}

/** FNV-1a 32 of a byte range, as 8 hex digits. */
export function fnv1a32Hex(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const f32Bytes = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Pack metadata and float32 arrays (concatenated in order) into one blob. */
export function packLight(meta: Record<string, unknown> & { kind: string; version: number }, parts: Float32Array[]) {
  let floats = 0;
  for (const p of parts) floats += p.length;
  const payload = new Float32Array(floats);
  let o = 0;
  for (const p of parts) {
    payload.set(p, o);
    o += p.length;
  }
  const header: LightHeader = { ...meta, checksum: fnv1a32Hex(f32Bytes(payload)), floats };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const start = (8 + head.length + 3) & ~3;
  const out = new Uint8Array(start + payload.byteLength);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  out.set(f32Bytes(payload), start);
  return out;
}

/**
 * Unpack a blob, checking magic, header, kind, version (not newer than `maxVersion`), size and
 * checksum. `what` names the thing in messages ("static encoder", "query map").
 */
export function unpackLight(
  input: ArrayBuffer | Uint8Array,
  kind: string,
  maxVersion: number,
  what: string,
): { header: LightHeader; payload: Float32Array } {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new LightFormatError(`not a stored ${what}: the data does not start with the CRLQ mark`);
  }
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (hlen > MAX_HEADER || 8 + hlen > bytes.length) {
    throw new LightFormatError(`stored ${what} is truncated or damaged (header of ${hlen} bytes)`);
  }
  let header: LightHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new LightFormatError(`stored ${what} has a damaged header (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new LightFormatError(`stored ${what} has a damaged header (not an object)`);
  }
  if (header.kind !== kind) {
    throw new LightFormatError(`this is a ${JSON.stringify(header.kind ?? null)}, not a ${what} (${kind})`);
  }
  if (typeof header.version !== 'number' || !Number.isInteger(header.version) || header.version < 1) {
    throw new LightFormatError(`stored ${what} has no valid version`);
  }
  if (header.version > maxVersion) {
    throw new LightFormatError(
      `stored ${what} is version ${header.version}, newer than this app reads (${maxVersion}): update the app`,
    );
  }
  const floats = header.floats;
  const start = (8 + hlen + 3) & ~3;
  if (typeof floats !== 'number' || !Number.isInteger(floats) || floats < 0 || start + floats * 4 !== bytes.length) {
    throw new LightFormatError(
      `stored ${what} is truncated or damaged: ${bytes.length - start} payload bytes for ${String(floats)} floats`,
    );
  }
  // Copy into an aligned buffer (the input may sit at any offset).
  const payload = new Float32Array(floats);
  new Uint8Array(payload.buffer).set(bytes.subarray(start, start + floats * 4));
  if (header.checksum !== fnv1a32Hex(f32Bytes(payload))) {
    throw new LightFormatError(`stored ${what} is damaged: its checksum does not match its contents`);
  }
  return { header, payload };
}

/** Reads typed header fields, naming the bad one in the error. */
export function headerReader(header: LightHeader, what: string) {
  const bad = (field: string, want: string) =>
    new LightFormatError(`stored ${what} field ${field} must be ${want}, got ${JSON.stringify(header[field] ?? null)}`);
  return {
    str(field: string): string {
      const v = header[field];
      if (typeof v !== 'string' || !v) throw bad(field, 'a non-empty string');
      return v;
    },
    int(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
      const v = header[field];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        throw bad(field, `a whole number from ${min} to ${max}`);
      return v;
    },
    num(field: string): number {
      const v = header[field];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, 'a finite number');
      return v;
    },
    optStr(field: string): string | undefined {
      const v = header[field];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw bad(field, 'a string');
      return v;
    },
  };
}

/** Throws when any value is NaN or infinite. */
export function checkFinite(v: Float32Array, what: string): void {
  for (let i = 0; i < v.length; i++)
    if (!Number.isFinite(v[i])) throw new LightFormatError(`stored ${what} holds a non-finite weight at ${i}`);
}
