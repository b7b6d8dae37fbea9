/**
 * Workspace file, version 1: everything that belongs to one database in one file, the database
 * itself, its schema notes, the user's confirmed examples ("My examples") and the query adapter.
 *
 *   bytes 0..7    magic "CRAGWKSP"
 *   bytes 8..11   format version, u32 little-endian (WORKSPACE_VERSION)
 *   bytes 12..15  header length H in bytes, u32 LE
 *   bytes 16..19  CRC-32 of the header bytes, u32 LE
 *   bytes 20..23  reserved (0)
 *   bytes 24..    the header: H bytes of UTF-8 JSON (WorkspaceHeader)
 *   then          the sections, back to back, at the offsets (from the file start) the header lists
 *
 * Sections: `db` (the SQLite file bytes, or UTF-8 CREATE/INSERT text when `db.kind` is 'sql'),
 * `notes` (UTF-8 JSON, notes/notes.ts), `examples` (UTF-8 JSON, loop/my-examples.ts) and
 * optionally `adapter` (the adapter's JSON, train/adapter.ts). Every section carries a CRC-32.
 *
 * `readWorkspace` checks everything (bounds, checksums, each section's own schema) before it
 * returns, and throws a WorkspaceError saying what is wrong; so an importer that writes only
 * after it returned never overwrites anything with a malformed or tampered file.
 */
import { CodeRagError } from '../errors.ts';
import { parseMyExamples, type MyExamplesDoc } from '../loop/my-examples.ts';
import { parseNotes, type NotesDoc } from '../notes/notes.ts';
import { crc32 } from '../pack/crc32.ts';

export const WORKSPACE_MAGIC = 'CRAGWKSP';
export const WORKSPACE_VERSION = 1;
export const WORKSPACE_PREFIX_BYTES = 24;
export const WORKSPACE_EXTENSION = '.coderag-workspace';
const MAX_HEADER = 1 << 20;

type SectionName = 'db' | 'notes' | 'examples' | 'adapter';
const SECTIONS: readonly SectionName[] = ['db', 'notes', 'examples', 'adapter'];

export interface WorkspaceSection {
  name: SectionName;
  offset: number;
  length: number;
  crc32: number;
}

export interface WorkspaceHeader {
  format: 'coderag-workspace';
  version: number;
  createdAt: string;
  db: { name: string; kind: 'bytes' | 'sql' };
  sections: WorkspaceSection[];
}

export interface Workspace {
  db: { kind: 'bytes'; bytes: Uint8Array; name: string } | { kind: 'sql'; sql: string; name: string };
  notes: NotesDoc;
  examples: MyExamplesDoc;
  /** The adapter's JSON (validated by the adapter loader when applied). */
  adapter?: string;
}

export class WorkspaceError extends CodeRagError {
  constructor(message: string) {
    super(`Not a usable workspace file: ${message}. Nothing was changed.`, 'workspace-format');
  }
}

const utf8 = new TextEncoder();

export function writeWorkspace(ws: Workspace, now = new Date()): Uint8Array {
  const bodies: [SectionName, Uint8Array][] = [
    ['db', ws.db.kind === 'bytes' ? ws.db.bytes : utf8.encode(ws.db.sql)],
    ['notes', utf8.encode(JSON.stringify(ws.notes))],
    ['examples', utf8.encode(JSON.stringify(ws.examples))],
  ];
  if (ws.adapter) bodies.push(['adapter', utf8.encode(ws.adapter)]);
  // The header's size depends on the offsets it lists: lay out with a first guess, then settle.
  let headerBytes = new Uint8Array(0);
  let settled = false;
  for (let pass = 0; pass < 8 && !settled; pass++) {
    let off = WORKSPACE_PREFIX_BYTES + headerBytes.length;
    const sections = bodies.map(([name, b]) => {
      const s = { name, offset: off, length: b.length, crc32: crc32(b) };
      off += b.length;
      return s;
    });
    const header: WorkspaceHeader = {
      format: 'coderag-workspace',
      version: WORKSPACE_VERSION,
      createdAt: now.toISOString(),
      db: { name: ws.db.name, kind: ws.db.kind },
      sections,
    };
    const next = utf8.encode(JSON.stringify(header));
    settled = next.length === headerBytes.length;
    headerBytes = next;
  }
  if (!settled) throw new Error('workspace header layout did not settle');
  const total = WORKSPACE_PREFIX_BYTES + headerBytes.length + bodies.reduce((s, [, b]) => s + b.length, 0);
  const out = new Uint8Array(total);
  out.set(utf8.encode(WORKSPACE_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, WORKSPACE_VERSION, true);
  dv.setUint32(12, headerBytes.length, true);
  dv.setUint32(16, crc32(headerBytes), true);
  out.set(headerBytes, WORKSPACE_PREFIX_BYTES);
  let off = WORKSPACE_PREFIX_BYTES + headerBytes.length;
  for (const [, b] of bodies) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function readHeader(bytes: Uint8Array): WorkspaceHeader {
  if (bytes.length < WORKSPACE_PREFIX_BYTES) throw new WorkspaceError('the file is too short');
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== WORKSPACE_MAGIC) {
    throw new WorkspaceError('it does not start with the workspace signature (is it a workspace export?)');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== WORKSPACE_VERSION) {
    throw new WorkspaceError(`format version ${version} is not supported (this app reads ${WORKSPACE_VERSION})`);
  }
  if (dv.getUint32(20, true) !== 0) throw new WorkspaceError('the reserved bytes are not zero');
  const h = dv.getUint32(12, true);
  if (h > MAX_HEADER || WORKSPACE_PREFIX_BYTES + h > bytes.length) throw new WorkspaceError('the header is cut off');
  const headerBytes = bytes.subarray(WORKSPACE_PREFIX_BYTES, WORKSPACE_PREFIX_BYTES + h);
  if (crc32(headerBytes) !== dv.getUint32(16, true)) throw new WorkspaceError('the header checksum does not match');
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw new WorkspaceError('the header is not JSON');
  }
  const o = raw as Partial<WorkspaceHeader>;
  if (!o || o.format !== 'coderag-workspace' || o.version !== WORKSPACE_VERSION) {
    throw new WorkspaceError('the header is not a workspace header');
  }
  const db = o.db as WorkspaceHeader['db'] | undefined;
  if (!db || typeof db.name !== 'string' || (db.kind !== 'bytes' && db.kind !== 'sql')) {
    throw new WorkspaceError('the header does not describe the database');
  }
  if (!Array.isArray(o.sections)) throw new WorkspaceError('the header lists no sections');
  const seen = new Set<string>();
  const body0 = WORKSPACE_PREFIX_BYTES + h;
  for (const s of o.sections as WorkspaceSection[]) {
    if (!s || !SECTIONS.includes(s.name) || seen.has(s.name))
      throw new WorkspaceError('a section is unknown or repeated');
    if (!isInt(s.offset) || !isInt(s.length) || !isInt(s.crc32))
      throw new WorkspaceError(`section "${s.name}" is malformed`);
    if (s.offset < body0 || s.offset + s.length > bytes.length)
      throw new WorkspaceError(`section "${s.name}" is cut off`);
    seen.add(s.name);
  }
  for (const need of ['db', 'notes', 'examples']) {
    if (!seen.has(need)) throw new WorkspaceError(`the "${need}" section is missing`);
  }
  return { format: 'coderag-workspace', version, createdAt: String(o.createdAt ?? ''), db, sections: o.sections };
}

/** Read and check a workspace file completely; throws WorkspaceError on anything wrong. */
export function readWorkspace(bytes: Uint8Array): Workspace {
  const header = readHeader(bytes);
  const body = (name: SectionName): Uint8Array | undefined => {
    const s = header.sections.find((x) => x.name === name);
    if (!s) return undefined;
    const b = bytes.subarray(s.offset, s.offset + s.length);
    if (crc32(b) !== s.crc32)
      throw new WorkspaceError(`the "${name}" section's checksum does not match (changed or damaged)`);
    return b;
  };
  const text = (name: SectionName): string | undefined => {
    const b = body(name);
    if (!b) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new WorkspaceError(`the "${name}" section is not UTF-8 text`);
    }
  };
  const json = (name: SectionName): unknown => {
    try {
      return JSON.parse(text(name)!);
    } catch (e) {
      if (e instanceof WorkspaceError) throw e;
      throw new WorkspaceError(`the "${name}" section is not JSON`);
    }
  };
  const dbBytes = body('db')!;
  const db: Workspace['db'] =
    header.db.kind === 'bytes'
      ? { kind: 'bytes', bytes: dbBytes.slice(), name: header.db.name }
      : { kind: 'sql', sql: text('db')!, name: header.db.name };
  let notes: NotesDoc;
  let examples: MyExamplesDoc;
  try {
    notes = parseNotes(json('notes'));
    examples = parseMyExamples(json('examples'));
  } catch (e) {
    if (e instanceof WorkspaceError) throw e;
    throw new WorkspaceError((e as Error).message);
  }
  const adapter = text('adapter');
  return { db, notes, examples, ...(adapter ? { adapter } : {}) };
}
