/**
 * Readers: one file → one or more source tables, each read as a stream of records that can be
 * read again (a first pass to check types, a second to build). Host-agnostic: a file is a Blob
 * (a browser File, or `fs.openAsBlob` in Node) with a name.
 *
 * - CSV/TSV: streamed in chunks through papaparse's parser (quotes, embedded newlines, escaped
 *   quotes); BOM dropped; UTF-8, or Windows-1252 when the start is not valid UTF-8. Rows are
 *   numbered as records from the header (= row 1).
 * - JSON Lines: streamed line by line; row = line number.
 * - JSON: an array of objects, streamed element by element; row = index + 1.
 * - Excel .xlsx: read-excel-file (all of a workbook is unzipped in memory); one table per sheet;
 *   row = sheet row.
 * - Parquet: hyparquet, one row group at a time, read through Blob slices; row = index + 1.
 */
import Papa from 'papaparse';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import readXlsxFile from 'read-excel-file/universal';
import { CancelledError } from '../errors.ts';
import { ImportError } from './errors.ts';
import { tableNameFor } from './identifiers.ts';

/** A file to import: its bytes as a Blob, and its name (the extension picks the reader). */
export interface ImportInput {
  name: string;
  blob: Blob;
}

export type SourceRecord =
  /** The header of a tabular source (first record of a CSV). */
  | { kind: 'header'; row: number; cells: string[] }
  | { kind: 'cells'; row: number; cells: unknown[] }
  | { kind: 'object'; row: number; object: Record<string, unknown> }
  | { kind: 'bad'; row: number; reason: string }
  /** A blank line (not data; counted, not listed). */
  | { kind: 'blank'; row: number };

export interface ReadOptions {
  signal?: AbortSignal;
  /** Bytes (or rows, for sheets and parquet) read of the total. */
  onProgress?: (done: number, total: number) => void;
}

export type SourceFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'xlsx' | 'parquet';

export interface SourceTable {
  /** Suggested table name (from the file name, and the sheet). */
  name: string;
  file: string;
  sheet?: string;
  format: SourceFormat;
  /** Notes for the user about how the file was read (encoding, delimiter). */
  notes: string[];
  records(opts?: ReadOptions): AsyncIterable<SourceRecord>;
}

function check(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('import');
}

/** Which reader: the extension first, then the first bytes. */
export async function detectFormat(input: ImportInput): Promise<SourceFormat> {
  const ext = /\.([a-z0-9]+)$/i.exec(input.name)?.[1]?.toLowerCase() ?? '';
  const head = new Uint8Array(await input.blob.slice(0, 8).arrayBuffer());
  const magic = String.fromCharCode(...head.subarray(0, 4));
  if (magic === 'PAR1') return 'parquet';
  if (magic.startsWith('PK')) return 'xlsx';
  if (ext === 'xlsx' || ext === 'xls') {
    throw new ImportError(
      ext === 'xls'
        ? `"${input.name}": the old binary Excel format (.xls) is not supported; save it as .xlsx or CSV`
        : `"${input.name}" is not a readable .xlsx workbook (it is not a zip archive)`,
    );
  }
  if (ext === 'parquet') throw new ImportError(`"${input.name}" is not a Parquet file (it lacks the PAR1 header)`);
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'json') {
    const start = (await input.blob.slice(0, 4096).text()).replace(/^\uFEFF/, '').trimStart();
    return start.startsWith('[') ? 'json' : 'jsonl';
  }
  return 'csv';
}

/** The tables in one file. Throws ImportError when the file cannot be read at all. */
export async function openSource(input: ImportInput): Promise<SourceTable[]> {
  if (input.blob.size === 0) throw new ImportError(`"${input.name}" is empty (0 bytes)`);
  const format = await detectFormat(input);
  const base = { name: tableNameFor(input.name), file: input.name, format };
  switch (format) {
    case 'csv':
    case 'tsv': {
      const notes: string[] = [];
      const enc = await sniffText(input);
      const delimiter = format === 'tsv' ? '\t' : await sniffDelimiter(input, enc);
      if (format === 'csv' && delimiter !== ',') notes.push(`columns separated by ${delimiterName(delimiter)}`);
      if (enc !== 'utf-8') notes.push('read as Windows-1252 (the file is not valid UTF-8)');
      return [{ ...base, notes, records: (o) => csvRecords(input, delimiter, enc, o) }];
    }
    case 'jsonl': {
      const enc = await sniffText(input);
      return [{ ...base, notes: [], records: (o) => jsonLinesRecords(input, enc, o) }];
    }
    case 'json': {
      const enc = await sniffText(input);
      return [{ ...base, notes: [], records: (o) => jsonArrayRecords(input, enc, o) }];
    }
    case 'xlsx':
      return openWorkbook(input);
    case 'parquet':
      return [{ ...base, notes: [], records: (o) => parquetRecords(input, o) }];
  }
}

// ------------------------------------------------------------------------------- text

type Encoding = 'utf-8' | 'windows-1252';

/** Refuse binary files; pick UTF-8 unless the first 64 KiB are not valid UTF-8. */
async function sniffText(input: ImportInput): Promise<Encoding> {
  const head = new Uint8Array(await input.blob.slice(0, 65536).arrayBuffer());
  if (head.subarray(0, 4096).includes(0)) {
    throw new ImportError(`"${input.name}" looks like a binary file, not text (it contains NUL bytes)`);
  }
  try {
    // A multi-byte character cut at the 64 KiB edge is not an error: stream mode keeps it pending.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** Decoded text of a Blob in chunks; a BOM is dropped. */
async function* textChunks(input: ImportInput, enc: Encoding, opts: ReadOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder(enc, { fatal: enc === 'utf-8' });
  const reader = input.blob.stream().getReader();
  const total = input.blob.size;
  let done = 0;
  try {
    for (;;) {
      check(opts.signal);
      const r = await reader.read();
      if (r.done) break;
      done += r.value.byteLength;
      let text: string;
      try {
        text = decoder.decode(r.value, { stream: true });
      } catch {
        throw new ImportError(`"${input.name}" is not valid UTF-8 text (a bad byte near byte ${done})`);
      }
      opts.onProgress?.(done, total);
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } finally {
    reader.releaseLock();
  }
}

function delimiterName(d: string): string {
  return d === '\t' ? 'tabs' : d === ';' ? 'semicolons' : d === '|' ? 'pipes' : `"${d}"`;
}

/** The delimiter of the first line (outside quotes): the most frequent of , ; tab |. */
async function sniffDelimiter(input: ImportInput, enc: Encoding): Promise<string> {
  const text = new TextDecoder(enc).decode(new Uint8Array(await input.blob.slice(0, 65536).arrayBuffer()));
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  let best = ',';
  for (const d of Object.keys(counts)) if (counts[d] > counts[best]) best = d;
  return best;
}

/** The line break the text uses; null while unknown (none yet, or a `\r` at the very end). */
function newlineOf(text: string): '\r\n' | '\n' | '\r' | null {
  const i = text.search(/\r\n|\n|\r/);
  if (i < 0 || (text[i] === '\r' && i === text.length - 1)) return null;
  if (text[i] === '\n') return '\n';
  return text[i + 1] === '\n' ? '\r\n' : '\r';
}

const PAPA_REASONS: Record<string, string> = {
  MissingQuotes: 'a quoted field is not closed',
  InvalidQuotes: 'a quote inside a field is not doubled',
};

async function* csvRecords(
  input: ImportInput,
  delimiter: string,
  enc: Encoding,
  opts: ReadOptions = {},
): AsyncGenerator<SourceRecord> {
  let pending = '';
  let newline: '\r\n' | '\n' | '\r' | null = null;
  let row = 0;
  const chunks = textChunks(input, enc, opts);
  let finished = false;
  while (!finished) {
    const next = await chunks.next();
    finished = next.done === true;
    const text = pending + (next.done ? '' : next.value);
    if (!text) continue;
    newline ??= newlineOf(text) ?? (finished && text.endsWith('\r') ? '\r' : null);
    // Without a line break yet, wait for more text (unless this is all there is).
    if (!newline && !finished) {
      pending = text;
      continue;
    }
    const parser = new Papa.Parser({ delimiter, newline: newline ?? '\n', quoteChar: '"' });
    const res = parser.parse(text, 0, !finished);
    const badAt = new Map<number, string>();
    for (const e of res.errors) {
      if (e.row !== undefined && !badAt.has(e.row)) badAt.set(e.row, PAPA_REASONS[e.code] ?? e.message);
    }
    const rows = res.data as string[][];
    for (let i = 0; i < rows.length; i++) {
      row++;
      const cells = rows[i];
      const why = badAt.get(i);
      if (why) yield { kind: 'bad', row, reason: why };
      else if (cells.length === 1 && cells[0] === '') yield { kind: 'blank', row };
      else if (row === 1) yield { kind: 'header', row, cells };
      else yield { kind: 'cells', row, cells };
    }
    pending = finished ? '' : text.slice(res.meta.cursor);
  }
}

// ------------------------------------------------------------------------------- JSON

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonRecord(text: string, row: number, what: string): SourceRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { kind: 'bad', row, reason: `invalid JSON (${(e as Error).message.slice(0, 80)})` };
  }
  return isObject(v)
    ? { kind: 'object', row, object: v }
    : { kind: 'bad', row, reason: `${what} is not a JSON object` };
}

async function* jsonLinesRecords(
  input: ImportInput,
  enc: Encoding,
  opts: ReadOptions = {},
): AsyncGenerator<SourceRecord> {
  let pending = '';
  let line = 0;
  for await (const chunk of textChunks(input, enc, opts)) {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const p of parts) {
      line++;
      const t = p.trim();
      yield t ? jsonRecord(t, line, 'the line') : { kind: 'blank', row: line };
    }
  }
  const t = pending.trim();
  if (t) yield jsonRecord(t, line + 1, 'the line');
}

/**
 * A JSON array streamed element by element: a small scanner finds where each top-level element
 * ends (depth, strings and escapes tracked), and each element is parsed on its own.
 */
async function* jsonArrayRecords(
  input: ImportInput,
  enc: Encoding,
  opts: ReadOptions = {},
): AsyncGenerator<SourceRecord> {
  let state: 'start' | 'between' | 'inside' | 'end' = 'start';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let buf = '';
  let index = 0;
  for await (const chunk of textChunks(input, enc, opts)) {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (state === 'inside') {
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === '\\') escaped = true;
          else if (ch === '"') inString = false;
          continue;
        }
        if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') depth++;
        else if (ch === '}' || ch === ']') {
          if (depth === 0) {
            // `]` closing the array right after a primitive element
            buf += chunk.slice(from, i);
            yield jsonRecord(buf.trim(), ++index, `item ${index}`);
            buf = '';
            state = 'end';
            continue;
          }
          depth--;
        } else if (ch === ',' && depth === 0) {
          buf += chunk.slice(from, i);
          yield jsonRecord(buf.trim(), ++index, `item ${index}`);
          buf = '';
          state = 'between';
        }
        continue;
      }
      if (/\s/.test(ch)) continue;
      if (state === 'start') {
        if (ch !== '[') throw new ImportError(`"${input.name}" is not a JSON array (it starts with "${ch}")`);
        state = 'between';
      } else if (state === 'between') {
        if (ch === ']') state = 'end';
        else if (ch !== ',') {
          state = 'inside';
          from = i;
          inString = ch === '"';
          escaped = false;
          depth = ch === '{' || ch === '[' ? 1 : 0;
        }
      } else if (state === 'end') {
        throw new ImportError(`"${input.name}": text after the end of the JSON array`);
      }
    }
    if (state === 'inside') buf += chunk.slice(from);
  }
  if ((state as string) !== 'end') {
    throw new ImportError(`"${input.name}" is not a complete JSON array (the file ends inside it)`);
  }
}

// ------------------------------------------------------------------------------- Excel

async function openWorkbook(input: ImportInput): Promise<SourceTable[]> {
  let sheets: { sheet: string; data: unknown[][] }[];
  try {
    sheets = (await readXlsxFile(input.blob, { trim: false })) as { sheet: string; data: unknown[][] }[];
  } catch (e) {
    throw new ImportError(`"${input.name}" is not a readable .xlsx workbook (${(e as Error).message})`);
  }
  const tables: SourceTable[] = [];
  for (const { sheet, data } of sheets) {
    if (!data.some((r) => r.some((c) => c !== null && c !== ''))) continue;
    tables.push({
      name: tableNameFor(input.name, sheets.length > 1 ? sheet : undefined),
      file: input.name,
      sheet,
      format: 'xlsx',
      notes: [],
      records: (o) => sheetRecords(data, o),
    });
  }
  if (!tables.length) throw new ImportError(`"${input.name}": every sheet is empty`);
  return tables;
}

async function* sheetRecords(data: unknown[][], opts: ReadOptions = {}): AsyncGenerator<SourceRecord> {
  let header = false;
  for (let i = 0; i < data.length; i++) {
    if (i % 5000 === 0) {
      check(opts.signal);
      opts.onProgress?.(i, data.length);
      await Promise.resolve();
    }
    const cells = data[i];
    const row = i + 1;
    if (!cells.some((c) => c !== null && c !== '')) yield { kind: 'blank', row };
    else if (!header) {
      header = true;
      yield { kind: 'header', row, cells: cells.map((c) => (c === null ? '' : String(c))) };
    } else yield { kind: 'cells', row, cells };
  }
  opts.onProgress?.(data.length, data.length);
}

// ------------------------------------------------------------------------------- Parquet

async function* parquetRecords(input: ImportInput, opts: ReadOptions = {}): AsyncGenerator<SourceRecord> {
  const blob = input.blob;
  const file: AsyncBuffer = { byteLength: blob.size, slice: (s, e) => blob.slice(s, e).arrayBuffer() };
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
    parquetSchema(metadata);
  } catch (e) {
    throw new ImportError(`"${input.name}" is not a readable Parquet file (${(e as Error).message})`);
  }
  const total = Number(metadata.num_rows);
  let start = 0;
  for (const group of metadata.row_groups) {
    check(opts.signal);
    const end = start + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
    } catch (e) {
      throw new ImportError(
        `"${input.name}": could not read Parquet rows ${start + 1}–${end} (${(e as Error).message})`,
      );
    }
    for (let i = 0; i < rows.length; i++) yield { kind: 'object', row: start + i + 1, object: rows[i] };
    start = end;
    opts.onProgress?.(start, total);
  }
}
