/**
 * Spider loaders: tables.json schemas, dev.json-style question arrays, and question CSVs such as the
 * cloudera/spiderman train file (`database,question,sql`, SQL with MySQL backticks).
 *
 * Ids are `<idPrefix>-<n>` with n the 0-based position of the entry in its source (the JSON array
 * index, or the data-row index of the CSV, header excluded), so `spider-dev-0` is dev.json[0].
 */
import { parseCsv } from './csv.ts';
import { quoteIdentifier, stripMysqlQuoting } from '../sql/normalize.ts';
import { CorpusFormatError, ExampleSink, csvColumn, isRecord, readFields } from './records.ts';
import type { Example, LoadResult, TableInfo } from '../types.ts';

export interface SpiderLoadOptions {
  /** Id prefix; ids are `<idPrefix>-<n>`. Default `spider`. */
  idPrefix?: string;
  /** Schemas by db_id (from parseSpiderTables): examples get `schema` DDL and the result gets `schemas`. */
  tables?: Record<string, TableInfo[]>;
  /** Rewrite MySQL backtick quoting to SQLite quoting (default true; a no-op on SQL without backticks). */
  normalizeQuoting?: boolean;
}

// Identifier quoting: MySQL backticks become SQLite quoting via stripMysqlQuoting (sql/normalize.ts).

// ---------------------------------------------------------------------------------------------
// tables.json

/**
 * Parse Spider's tables.json: schemas by db_id, with original table and column names in database
 * order and Spider's column types (`text`, `number`, `time`, `boolean`, `others`). The `*` column
 * (table index -1) is dropped. Entries without a db_id or table list are ignored; a value that is not
 * an array, or that holds no usable database, throws CorpusFormatError.
 */
export function parseSpiderTables(json: unknown): Record<string, TableInfo[]> {
  if (!Array.isArray(json)) {
    throw new CorpusFormatError(
      'tables.json must be a JSON array of Spider databases (objects with db_id, table_names_original, column_names_original)',
    );
  }
  const out: Record<string, TableInfo[]> = {};
  let count = 0;
  for (const db of json) {
    if (!isRecord(db)) continue;
    const dbId = db.db_id;
    if (typeof dbId !== 'string' || !dbId || dbId === '__proto__') continue;
    const tableNames = Array.isArray(db.table_names_original) ? db.table_names_original : db.table_names;
    if (!Array.isArray(tableNames)) continue;
    const tables: TableInfo[] = tableNames.map((t) => ({ name: String(t), columns: [], types: [] }));
    const cols = Array.isArray(db.column_names_original) ? db.column_names_original : db.column_names;
    const types = Array.isArray(db.column_types) ? db.column_types : [];
    if (Array.isArray(cols)) {
      cols.forEach((col, k) => {
        if (!Array.isArray(col) || col.length < 2) return;
        const [ti, name] = col;
        if (typeof ti !== 'number' || ti < 0 || ti >= tables.length) return; // (-1, '*') and junk
        const t = tables[ti];
        t.columns.push(String(name));
        t.types!.push(typeof types[k] === 'string' ? (types[k] as string) : '');
      });
    }
    out[dbId] = tables;
    count++;
  }
  if (count === 0)
    throw new CorpusFormatError(
      'tables.json holds no Spider database (expected objects with db_id and table_names_original)',
    );
  return out;
}

const SPIDER_TYPE_SQL: Record<string, string> = {
  text: 'TEXT',
  number: 'NUMERIC',
  time: 'DATETIME',
  boolean: 'BOOLEAN',
  others: '',
};

function sqlType(t: string | undefined): string {
  const s = (t ?? '').trim();
  if (!s) return '';
  const mapped = SPIDER_TYPE_SQL[s.toLowerCase()];
  if (mapped !== undefined) return mapped;
  return /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?$/.test(s) ? s.toUpperCase() : '';
}

/**
 * CREATE TABLE statements for a schema, one line per table, e.g.
 * `CREATE TABLE singer (Singer_ID NUMERIC, Name TEXT, "Home Town" TEXT);`
 * Identifiers are quoted the SQLite way when needed; Spider types map text->TEXT,
 * number->NUMERIC, time->DATETIME, boolean->BOOLEAN, others->(none); other type names are kept.
 * SQLite's internal tables (`sqlite_sequence`, listed in a few Spider schemas) are left out, since
 * they cannot be created; the result runs as is in SQLite.
 */
export function schemaDdl(tables: readonly TableInfo[]): string {
  return tables
    .filter((t) => !/^sqlite_/i.test(t.name))
    .map((t) => {
      const cols = t.columns.map((c, i) => {
        const ty = sqlType(t.types?.[i]);
        return ty ? `${quoteIdentifier(c)} ${ty}` : quoteIdentifier(c);
      });
      return `CREATE TABLE ${quoteIdentifier(t.name)} (${cols.join(', ')});`;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// questions

/** Attach schema DDL (by dbId) to examples and collect the schemas they use. Mutates `result`. */
export function attachSchemas(result: LoadResult, tables: Record<string, TableInfo[]> | undefined): LoadResult {
  if (!tables) return result;
  const ddl = new Map<string, string>();
  const used: Record<string, TableInfo[]> = { ...(result.schemas ?? {}) };
  for (const ex of result.examples) {
    if (!ex.dbId || !Object.prototype.hasOwnProperty.call(tables, ex.dbId)) continue;
    let s = ddl.get(ex.dbId);
    if (s === undefined) {
      s = schemaDdl(tables[ex.dbId]);
      ddl.set(ex.dbId, s);
      used[ex.dbId] = tables[ex.dbId];
    }
    if (!ex.schema) ex.schema = s;
  }
  if (Object.keys(used).length) result.schemas = used;
  return result;
}

function makeExample(id: string, dbId: string | undefined, question: string, sql: string, normalize: boolean): Example {
  const ex: Example = { id, question, sql: normalize ? stripMysqlQuoting(sql) : sql };
  if (dbId !== undefined) ex.dbId = dbId;
  return ex;
}

/** Accepted CSV header names (lower case) for the Spider columns. */
export const SPIDER_CSV_DB = ['database', 'db_id', 'db'] as const;
export const SPIDER_CSV_QUESTION = ['question'] as const;
export const SPIDER_CSV_SQL = ['sql', 'query'] as const;

/**
 * Spider dev.json / train_spider.json style: an array of objects with db_id, question and query
 * (`sql` is accepted when it is a string; Spider's parsed `sql` object is ignored). Malformed
 * entries become issues with row = index + 1 and are skipped.
 */
export function parseSpiderQuestions(json: unknown, opts: SpiderLoadOptions = {}): LoadResult {
  if (!Array.isArray(json)) {
    throw new CorpusFormatError('Spider questions must be a JSON array of objects with db_id, question and query');
  }
  const prefix = opts.idPrefix ?? 'spider';
  const normalize = opts.normalizeQuoting ?? true;
  const sink = new ExampleSink();
  json.forEach((entry, index) => {
    const row = index + 1;
    if (!isRecord(entry)) {
      sink.issue(row, 'not a JSON object; skipped');
      return;
    }
    // Spider's own files carry a parsed `sql` object next to `query`; only a string `sql` is SQL text.
    const obj = typeof entry.sql === 'string' ? entry : { ...entry, sql: undefined };
    const r = readFields(obj, ['db_id', 'question', ['query', 'sql']]);
    if ('reason' in r) {
      sink.issue(row, r.reason);
      return;
    }
    const v = r.values;
    sink.add(row, makeExample(`${prefix}-${index}`, v.db_id, v.question, v.query, normalize));
  });
  return attachSchemas(sink.result(), opts.tables);
}

/**
 * Spider-style CSV: columns `question`, `sql` (or `query`) and usually `database` (or `db_id`/`db`),
 * in any order, case-insensitive; other columns are ignored. Without a database column the examples
 * have no dbId; with one, an empty database cell is an issue. Row numbers are CSV lines (header =
 * row 1). MySQL backticks in the SQL are rewritten for SQLite unless `normalizeQuoting` is false.
 */
export function parseSpiderCsv(text: string, opts: SpiderLoadOptions = {}): LoadResult {
  const csv = parseCsv(text);
  const iDb = csvColumn(csv.header, SPIDER_CSV_DB);
  const iQ = csvColumn(csv.header, SPIDER_CSV_QUESTION);
  const iSql = csvColumn(csv.header, SPIDER_CSV_SQL);
  if (iQ < 0 || iSql < 0) {
    const found = csv.header.length ? csv.header.map((h) => `"${h}"`).join(', ') : 'none';
    throw new CorpusFormatError(
      `Spider CSV needs the columns question and sql (or query), and usually database (or db_id); found: ${found}`,
    );
  }
  const prefix = opts.idPrefix ?? 'spider';
  const normalize = opts.normalizeQuoting ?? true;
  const sink = new ExampleSink(csv.issues);
  // Name the fields after the file's own header, so issues quote the user's column names.
  const kQ = csv.header[iQ].trim();
  const kSql = csv.header[iSql].trim();
  const kDb = iDb >= 0 ? csv.header[iDb].trim() : undefined;
  const required = kDb !== undefined ? [kDb, kQ, kSql] : [kQ, kSql];
  csv.rows.forEach((r, index) => {
    const obj: Record<string, string> = { [kQ]: r.cells[iQ], [kSql]: r.cells[iSql] };
    if (kDb !== undefined) obj[kDb] = r.cells[iDb];
    const res = readFields(obj, required);
    if ('reason' in res) {
      sink.issue(r.row, res.reason);
      return;
    }
    const v = res.values;
    const ex = makeExample(`${prefix}-${index}`, kDb !== undefined ? v[kDb] : undefined, v[kQ], v[kSql], normalize);
    sink.add(r.row, ex);
  });
  return attachSchemas(sink.result(), opts.tables);
}
