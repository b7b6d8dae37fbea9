/**
 * Loaders for the gretelai/synthetic_text_to_sql format: records with `id`, `sql_prompt` (the
 * question), `sql_context` (CREATE TABLE / INSERT statements), `sql`, and extra columns such as
 * `domain` or `sql_complexity`, which are ignored.
 *
 * Example mapping: id -> `<idPrefix>-<id>` (or `<idPrefix>-r<row>` when the record has no id),
 * sql_prompt -> question, sql -> sql, sql_context -> schema. `sql_prompt` and `sql` are required;
 * a record without them is reported with its row number and skipped. Row numbers: the line for
 * JSONL, the CSV line (header = row 1), index + 1 for JSON arrays and parquet rows.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parseCsv } from './csv.ts';
import { CorpusFormatError, ExampleSink, csvColumn, isRecord, parseJsonLines, readFields } from './records.ts';
import type { LoadResult, RowIssue } from '../types.ts';

export interface GretelLoadOptions {
  /** Id prefix. Default `gretel`. */
  idPrefix?: string;
}

const REQUIRED = ['sql_prompt', 'sql'] as const;
const OPTIONAL = ['id', 'sql_context'] as const;

function addRecord(sink: ExampleSink, row: number, value: unknown, prefix: string): void {
  if (!isRecord(value)) {
    sink.issue(row, 'not a JSON object; skipped');
    return;
  }
  const r = readFields(value, REQUIRED, OPTIONAL);
  if ('reason' in r) {
    sink.issue(row, r.reason);
    return;
  }
  const v = r.values;
  sink.add(row, {
    id: v.id !== undefined ? `${prefix}-${v.id}` : `${prefix}-r${row}`,
    question: v.sql_prompt,
    sql: v.sql,
    ...(v.sql_context !== undefined ? { schema: v.sql_context } : {}),
  });
}

/** Records already parsed (a JSON array, rows of another reader). Row = index + 1 unless `rows` is given. */
export function parseGretelRecords(
  records: readonly unknown[],
  opts: GretelLoadOptions = {},
  rows?: readonly number[],
  issues: readonly RowIssue[] = [],
): LoadResult {
  const prefix = opts.idPrefix ?? 'gretel';
  const sink = new ExampleSink(issues);
  records.forEach((rec, i) => addRecord(sink, rows ? rows[i] : i + 1, rec, prefix));
  return sink.result();
}

/** One JSON object per line; bad JSON lines and incomplete records are reported by line number. */
export function parseGretelJsonl(text: string, opts: GretelLoadOptions = {}): LoadResult {
  const { lines, issues } = parseJsonLines(text);
  return parseGretelRecords(
    lines.map((l) => l.value),
    opts,
    lines.map((l) => l.row),
    issues,
  );
}

/** CSV with at least the columns sql_prompt and sql (id and sql_context used when present). */
export function parseGretelCsv(text: string, opts: GretelLoadOptions = {}): LoadResult {
  const csv = parseCsv(text);
  const cols = [...REQUIRED, ...OPTIONAL].map((k) => [k, csvColumn(csv.header, [k])] as const);
  const missing = cols.filter(([k, i]) => i < 0 && (REQUIRED as readonly string[]).includes(k)).map(([k]) => k);
  if (missing.length) {
    const found = csv.header.length ? csv.header.map((h) => `"${h}"`).join(', ') : 'none';
    throw new CorpusFormatError(
      `gretel CSV needs the columns sql_prompt and sql (missing: ${missing.join(', ')}); found: ${found}`,
    );
  }
  const records = csv.rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, i] of cols) if (i >= 0) o[k] = r.cells[i];
    return o;
  });
  return parseGretelRecords(
    records,
    opts,
    csv.rows.map((r) => r.row),
    csv.issues,
  );
}

/**
 * A gretel parquet file (as published on the Hugging Face Hub; snappy, gzip, zstd, brotli and lz4
 * pages are supported). Only the needed columns are decoded. Rows are numbered from 1.
 */
export async function parseGretelParquet(buf: ArrayBuffer, opts: GretelLoadOptions = {}): Promise<LoadResult> {
  let names: string[];
  let metadata;
  try {
    metadata = parquetMetadata(buf);
    names = parquetSchema(metadata).children.map((c) => c.element.name);
  } catch (e) {
    throw new CorpusFormatError(`not a readable parquet file: ${parquetWhy(e)}`);
  }
  const missing = REQUIRED.filter((k) => !names.includes(k));
  if (missing.length) {
    throw new CorpusFormatError(
      `gretel parquet needs the columns sql_prompt and sql (missing: ${missing.join(', ')}); found: ${names.join(', ') || 'none'}`,
    );
  }
  const columns = [...REQUIRED, ...OPTIONAL].filter((k) => names.includes(k));
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: buf, metadata, columns, compressors });
  } catch (e) {
    throw new CorpusFormatError(`could not read parquet data: ${parquetWhy(e)}`);
  }
  return parseGretelRecords(rows, opts);
}

/**
 * Why the parquet reader failed, for a user: the reader's own message when it wrote one, and a
 * plain sentence instead of a JavaScript internal error (a damaged footer makes the reader follow
 * garbage and fail with "Cannot read properties of undefined").
 */
function parquetWhy(e: unknown): string {
  const internal =
    e instanceof TypeError ||
    e instanceof RangeError ||
    !(e instanceof Error) ||
    /cannot read propert|undefined|null|is not a function|is not iterable|out of bounds/i.test(e.message);
  return internal
    ? 'the file is damaged or truncated (its metadata does not describe valid data)'
    : `the file is damaged or truncated (${e.message})`;
}
