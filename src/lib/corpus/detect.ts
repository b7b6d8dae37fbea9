/**
 * Load a user-supplied corpus file of any supported kind, choosing the loader from the file's
 * extension and content:
 *
 * | file | content | format |
 * |---|---|---|
 * | `.parquet` (or bytes starting with `PAR1`) | gretel columns | `gretel-parquet` |
 * | `.jsonl` / `.ndjson` | objects with `sql_prompt` | `gretel-jsonl` |
 * | `.jsonl` / `.ndjson` | objects with `question` and `sql`/`query` | `question-jsonl` |
 * | `.json` | array of objects with `sql_prompt` | `gretel-json` |
 * | `.json` | array of objects with `question` and `query`/`sql` (Spider dev.json) | `spider-json` |
 * | `.json` | not one JSON value but JSON Lines | as `.jsonl` |
 * | `.csv` | header with `sql_prompt` | `gretel-csv` |
 * | `.csv` | header with `question` and `sql`/`query` | `spider-csv` |
 *
 * Anything else throws CorpusFormatError with a message meant for the user. Rows that cannot be
 * used come back as `issues`; file-level facts (UTF-16 or Latin-1 decoding, see records.ts
 * `decodeFile`) as `notes`. Pass bytes rather than text so the encoding can be detected. When `extra.tablesJson` (Spider tables.json) is given, examples with a
 * known dbId get its CREATE TABLE statements as `schema`, and the result carries their `schemas`.
 */
import { parseCsv } from './csv.ts';
import { parseQuestionJsonl } from './demo.ts';
import { parseGretelCsv, parseGretelJsonl, parseGretelParquet, parseGretelRecords } from './gretel.ts';
import { CorpusFormatError, decodeFile, isRecord, parseJsonLines } from './records.ts';
import {
  SPIDER_CSV_QUESTION,
  SPIDER_CSV_SQL,
  attachSchemas,
  parseSpiderCsv,
  parseSpiderQuestions,
  parseSpiderTables,
} from './spider.ts';
import type { LoadResult } from '../types.ts';

export type CorpusFormat =
  'gretel-parquet' | 'gretel-jsonl' | 'gretel-json' | 'gretel-csv' | 'spider-json' | 'spider-csv' | 'question-jsonl';

export interface LoadCorpusExtra {
  /** Spider tables.json, already parsed: attaches schemas by dbId. */
  tablesJson?: unknown;
  /** Id prefix for formats whose ids are generated (default `gretel`, `spider` or `jsonl`). */
  idPrefix?: string;
}

const SUPPORTED =
  'Supported corpus files: .parquet or .jsonl/.json/.csv in the gretelai/synthetic_text_to_sql format (sql_prompt, sql_context, sql), Spider questions (.json like dev.json, or .csv with database, question, sql), or JSON Lines with question and sql.';

function isParquet(data: ArrayBuffer | string): boolean {
  if (typeof data === 'string') return data.startsWith('PAR1');
  if (data.byteLength < 8) return false;
  const b = new Uint8Array(data, 0, 4);
  return b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
}

function isCompressed(data: ArrayBuffer | string): boolean {
  if (typeof data === 'string' || data.byteLength < 4) return false;
  const b = new Uint8Array(data, 0, 4);
  return (b[0] === 0x1f && b[1] === 0x8b) || (b[0] === 0x50 && b[1] === 0x4b && b[2] === 3 && b[3] === 4);
}

function keysOf(v: Record<string, unknown>): string {
  const ks = Object.keys(v).slice(0, 12);
  return ks.length ? ks.map((k) => `"${k}"`).join(', ') : 'none';
}

type RecordKind = 'gretel' | 'question' | 'tables' | 'unknown';

function recordKind(v: Record<string, unknown>): RecordKind {
  if ('sql_prompt' in v) return 'gretel';
  if ('question' in v && (typeof v.query === 'string' || typeof v.sql === 'string')) return 'question';
  if ('table_names_original' in v || 'column_names_original' in v) return 'tables';
  return 'unknown';
}

function tablesMistake(name: string): CorpusFormatError {
  return new CorpusFormatError(
    `${name} looks like a Spider tables.json (database schemas), not a question file: supply it as the schema file instead.`,
  );
}

function loadJsonl(name: string, text: string, prefix: string | undefined): LoadResult & { format: CorpusFormat } {
  const { lines } = parseJsonLines(text);
  const first = lines.find((l) => isRecord(l.value))?.value as Record<string, unknown> | undefined;
  if (!first) throw new CorpusFormatError(`${name}: no JSON object found on any line. ${SUPPORTED}`);
  switch (recordKind(first)) {
    case 'gretel':
      return { ...parseGretelJsonl(text, { idPrefix: prefix }), format: 'gretel-jsonl' };
    case 'question':
      return { ...parseQuestionJsonl(text, { idPrefix: prefix }), format: 'question-jsonl' };
    case 'tables':
      throw tablesMistake(name);
    default:
      throw new CorpusFormatError(`${name}: unrecognised JSON Lines records (keys: ${keysOf(first)}). ${SUPPORTED}`);
  }
}

function loadJson(name: string, text: string, prefix: string | undefined): LoadResult & { format: CorpusFormat } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Some "JSON" downloads are really JSON Lines.
    const { lines } = parseJsonLines(text);
    if (lines.length > 1 && lines.some((l) => isRecord(l.value))) return loadJsonl(name, text, prefix);
    const why = e instanceof Error ? e.message : String(e);
    throw new CorpusFormatError(`${name} is not valid JSON (${why}).`);
  }
  if (!Array.isArray(json)) {
    throw new CorpusFormatError(
      `${name}: expected a JSON array of examples${isRecord(json) ? ` but found an object (keys: ${keysOf(json)})` : ''}. ${SUPPORTED}`,
    );
  }
  const first = json.find(isRecord);
  if (!first) throw new CorpusFormatError(`${name}: the JSON array holds no objects. ${SUPPORTED}`);
  switch (recordKind(first)) {
    case 'gretel':
      return { ...parseGretelRecords(json, { idPrefix: prefix }), format: 'gretel-json' };
    case 'question':
      return { ...parseSpiderQuestions(json, { idPrefix: prefix }), format: 'spider-json' };
    case 'tables':
      throw tablesMistake(name);
    default:
      throw new CorpusFormatError(`${name}: unrecognised JSON records (keys: ${keysOf(first)}). ${SUPPORTED}`);
  }
}

function loadCsv(name: string, text: string, prefix: string | undefined): LoadResult & { format: CorpusFormat } {
  // Only the header is needed to decide; headers do not span lines in practice.
  const m = /\r\n|\n|\r/.exec(text);
  const header = parseCsv(m ? text.slice(0, m.index) : text).header.map((h) => h.trim().toLowerCase());
  if (header.includes('sql_prompt')) return { ...parseGretelCsv(text, { idPrefix: prefix }), format: 'gretel-csv' };
  const has = (names: readonly string[]) => names.some((n) => header.includes(n));
  if (has(SPIDER_CSV_QUESTION) && has(SPIDER_CSV_SQL)) {
    return { ...parseSpiderCsv(text, { idPrefix: prefix }), format: 'spider-csv' };
  }
  const found = header.length && header.some(Boolean) ? header.map((h) => `"${h}"`).join(', ') : 'none';
  throw new CorpusFormatError(
    `${name}: unrecognised CSV columns (${found}). A gretel CSV needs sql_prompt and sql; a Spider CSV needs question and sql (or query), plus database.`,
  );
}

/**
 * Load a corpus file. `name` is only used for its extension and in messages; `data` is the file's
 * bytes (required for parquet) or its text.
 */
export async function loadCorpusFile(
  name: string,
  data: ArrayBuffer | string,
  extra: LoadCorpusExtra = {},
): Promise<LoadResult & { format: string }> {
  if (typeof data !== 'string' && ArrayBuffer.isView(data)) {
    const v = data as ArrayBufferView;
    data = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
  }
  const base = name.split(/[\\/]/).pop() || name;
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  const size = typeof data === 'string' ? data.length : data.byteLength;
  if (size === 0) throw new CorpusFormatError(`${base} is empty.`);

  const tables = extra.tablesJson === undefined ? undefined : parseSpiderTables(extra.tablesJson);
  const prefix = extra.idPrefix;
  let result: LoadResult & { format: CorpusFormat };
  const notes: string[] = [];

  if (ext === 'parquet' || (isParquet(data) && !['json', 'jsonl', 'ndjson', 'csv'].includes(ext))) {
    if (typeof data === 'string') {
      throw new CorpusFormatError(`${base}: a parquet file must be read as binary data (ArrayBuffer), not text.`);
    }
    result = { ...(await parseGretelParquet(data, { idPrefix: prefix })), format: 'gretel-parquet' };
  } else if (isCompressed(data) || ['gz', 'zip', 'zst', 'bz2', 'xz', '7z', 'tgz'].includes(ext)) {
    throw new CorpusFormatError(`${base} is a compressed archive: unpack it first. ${SUPPORTED}`);
  } else {
    const decoded = decodeFile(data, base);
    const text = decoded.text;
    if (decoded.note) notes.push(decoded.note);
    let kind = ext;
    if (!['jsonl', 'ndjson', 'json', 'csv'].includes(kind)) {
      // Unknown extension: accept only content that is unmistakably JSON.
      const head = text.trimStart();
      if (head.startsWith('[')) kind = 'json';
      else if (head.startsWith('{')) kind = 'jsonl';
      else throw new CorpusFormatError(`Unsupported file type${ext ? ` ".${ext}"` : ''} (${base}). ${SUPPORTED}`);
    }
    if (kind === 'csv') result = loadCsv(base, text, prefix);
    else if (kind === 'json') result = loadJson(base, text, prefix);
    else result = loadJsonl(base, text, prefix);
  }
  attachSchemas(result, tables);
  if (notes.length) result.notes = [...(result.notes ?? []), ...notes];
  return result;
}
