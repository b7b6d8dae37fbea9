/**
 * sql.js database wrapper: open a database (file bytes or SQL text), read its schema, run
 * read-only queries with limits on rows, bytes, statements and time.
 *
 * The user's database is never modified, and SQL cannot switch that off:
 * 1. every statement is classified before it runs (sql/read-only.ts): only SELECT, WITH … SELECT,
 *    VALUES, EXPLAIN and read-only PRAGMAs run, checked on our own split of the SQL and again on
 *    each statement SQLite parsed;
 * 2. the working copy is in `PRAGMA query_only` mode;
 * 3. after every run a fingerprint (total_changes(), schema and user version, attached
 *    databases, query_only) is compared with the one before; on any difference the working copy is
 *    rebuilt from the pristine source (the file bytes, or the CREATE/INSERT text) and the run
 *    fails with a read-only message.
 *
 * Opening validates the file before the current database is touched: empty files, files without
 * the SQLite header, a failed `PRAGMA quick_check` (files up to QUICK_CHECK_MAX_BYTES) and schemas
 * that cannot be read (a virtual table whose module this build lacks, e.g. rtree) are refused, and
 * the current database stays open.
 *
 * The soft time limit is checked after every row; a query that spends long inside one step (an
 * aggregate over an endless CTE, a sort of endless rows) is stopped by the host terminating the
 * worker (sql/client.ts).
 */
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import type { QueryResult, TableInfo } from '../types.ts';
import {
  CodeRagError,
  SqlError,
  SqlResultSizeError,
  SqlRowLimitError,
  SqlStatementLimitError,
  SqlTimeoutError,
} from '../errors.ts';
import {
  READ_ONLY_REFUSAL,
  countStatements,
  refusalFor,
  refusalMessage,
  splitStatements,
  startsWithVerb,
} from './read-only.ts';
import { significantTokens } from './tokenize.ts';

export type DbSource = { kind: 'bytes'; bytes: Uint8Array; name: string } | { kind: 'sql'; sql: string; name: string };

export interface DbInfo {
  name: string;
  tables: TableInfo[];
  /** Row count per table. */
  rows: Record<string, number>;
}

export interface ExecOptions {
  /** Stop with an error past this many rows (default 200,000). */
  maxRows?: number;
  /** Soft limit checked between rows, in ms (default 5,000). */
  timeoutMs?: number;
  /** Refuse a single text or blob value larger than this many bytes (default 16 MiB). */
  maxValueBytes?: number;
  /** Stop when all rows together pass this many bytes (default 64 MiB). */
  maxResultBytes?: number;
  /** Refuse SQL with more statements than this (default 100); nothing runs then. */
  maxStatements?: number;
}

export const DEFAULT_MAX_ROWS = 200_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_STATEMENTS = 100;
/** Files up to this size get a full `PRAGMA quick_check` on open; larger ones only the schema check. */
export const QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024;

const SQLITE_HEADER = 'SQLite format 3\0';

/** Approximate size of one value in bytes (text: UTF-16 code units, which is a lower bound for UTF-8 of ASCII). */
function valueBytes(v: SqlValue): number {
  if (v === null) return 1;
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  return 8;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function readSchema(db: Database): { tables: TableInfo[]; rows: Record<string, number> } {
  const tables: TableInfo[] = [];
  const rows: Record<string, number> = {};
  const res = db.exec(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
  );
  for (const [name] of res[0]?.values ?? []) {
    const t = String(name);
    const info = db.exec(`PRAGMA table_info(${quoteIdent(t)})`);
    const cols = info[0]?.values ?? [];
    tables.push({ name: t, columns: cols.map((c) => String(c[1])), types: cols.map((c) => String(c[2] ?? '')) });
    try {
      rows[t] = Number(db.exec(`SELECT count(*) FROM ${quoteIdent(t)}`)[0]?.values[0][0] ?? 0);
    } catch {
      rows[t] = -1;
    }
  }
  return { tables, rows };
}

/** What must not change across a read-only run. */
function fingerprint(db: Database): string {
  const parts = db.exec(
    'SELECT total_changes(); PRAGMA schema_version; PRAGMA user_version; PRAGMA application_id; PRAGMA query_only; PRAGMA database_list',
  );
  return JSON.stringify(parts.map((r) => r.values));
}

export class SqlEngine {
  private db: Database | null = null;
  private info: DbInfo | null = null;
  private source: DbSource | null = null;

  constructor(private readonly SQL: SqlJsStatic) {}

  /**
   * Build and validate a database from its source without touching the current one. Throws
   * SqlError with a message that names the file and the reason.
   */
  private build(src: DbSource): { db: Database; tables: TableInfo[]; rows: Record<string, number> } {
    if (src.kind === 'bytes') {
      if (src.bytes.byteLength === 0) throw new SqlError(`"${src.name}" is empty (0 bytes): not a SQLite database`);
      const head = new TextDecoder('latin1').decode(src.bytes.subarray(0, 16));
      if (head !== SQLITE_HEADER) {
        throw new SqlError(
          `"${src.name}" is not a readable SQLite database (it does not start with the SQLite file header)`,
        );
      }
    }
    let db: Database | null = null;
    try {
      if (src.kind === 'bytes') {
        db = new this.SQL.Database(src.bytes);
        // sql.js opens anything lazily; touch the schema to validate the file now.
        db.exec('SELECT count(*) FROM sqlite_master');
        if (src.bytes.byteLength <= QUICK_CHECK_MAX_BYTES) {
          const verdict = String(db.exec('PRAGMA quick_check(1)')[0]?.values[0]?.[0] ?? '');
          if (verdict !== 'ok') throw new Error(`the integrity check failed: ${verdict || 'no answer'}`);
        }
      } else {
        db = new this.SQL.Database();
        db.exec(src.sql);
      }
    } catch (e) {
      db?.close();
      const msg = (e as Error).message;
      throw new SqlError(
        src.kind === 'bytes'
          ? `"${src.name}" is not a readable SQLite database (${msg})`
          : `could not build the database from its CREATE/INSERT context: ${msg}`,
      );
    }
    try {
      db.exec('PRAGMA query_only = 1');
      return { db, ...readSchema(db) };
    } catch (e) {
      db.close();
      const msg = (e as Error).message;
      const hint = /no such module/i.test(msg) ? ': it uses a table type this SQLite build does not include' : '';
      throw new SqlError(`"${src.name}" cannot be opened here: its schema cannot be read (${msg})${hint}`);
    }
  }

  /**
   * Open a database, replacing the current one only once the new one is fully open and its schema
   * read: on any error the current database stays open and usable. Throws SqlError.
   */
  open(src: DbSource): DbInfo {
    const { db, tables, rows } = this.build(src);
    this.db?.close();
    this.db = db;
    this.source = src;
    this.info = { name: src.name, tables, rows };
    return this.info;
  }

  get current(): DbInfo | null {
    return this.info;
  }

  /**
   * The open database as a SQLite file: the pristine source bytes (the working copy is never
   * modified), or, for a database built from CREATE/INSERT text, a fresh build of it exported.
   */
  exportBytes(): Uint8Array {
    const src = this.source;
    if (!src) throw new SqlError('no database is open');
    if (src.kind === 'bytes') return src.bytes.slice();
    const db = new this.SQL.Database();
    try {
      db.exec(src.sql);
      return db.export();
    } finally {
      db.close();
    }
  }

  /** Throw away the working copy and rebuild it from the pristine source. */
  private restore(): void {
    if (!this.source) return;
    const { db } = this.build(this.source);
    this.db?.close();
    this.db = db;
  }

  /** Run SQL; returns the result of the last statement that produced columns. */
  exec(sql: string, opts: ExecOptions = {}): QueryResult {
    if (!this.db) throw new SqlError('no database is open');
    const db = this.db;
    const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    const maxResultBytes = opts.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    const maxStatements = opts.maxStatements ?? DEFAULT_MAX_STATEMENTS;
    const t0 = performance.now();
    let result: QueryResult = { columns: [], rows: [], ms: 0 };
    if (!sql.trim()) throw new SqlError('empty SQL');
    // First line: refuse anything but reads, and too many statements, before anything runs.
    const quickCount = countStatements(sql);
    if (quickCount > maxStatements) throw new SqlStatementLimitError(maxStatements, quickCount);
    const planned = splitStatements(sql);
    if (planned.length > maxStatements) throw new SqlStatementLimitError(maxStatements, planned.length);
    for (const st of planned) {
      const why = refusalFor(st);
      if (why === null) continue;
      // A misspelt verb is a syntax error: SQLite's own message says more than a refusal.
      const parseError = startsWithVerb(st) ? null : this.check(sql);
      throw new SqlError(parseError ?? refusalMessage(why));
    }
    const before = fingerprint(db);
    let failure: unknown = null;
    try {
      let count = 0;
      for (const stmt of db.iterateStatements(sql)) {
        try {
          // Same check on the statement as SQLite parsed it.
          const why = refusalFor(significantTokens(stmt.getSQL()));
          if (why !== null) throw new SqlError(refusalMessage(why));
          if (++count > maxStatements) throw new SqlStatementLimitError(maxStatements, count);
          const columns = stmt.getColumnNames();
          const rows: SqlValue[][] = [];
          let n = 0;
          let bytes = 0;
          while (stmt.step()) {
            if (++n > maxRows) throw new SqlRowLimitError(maxRows);
            const row = stmt.get();
            for (const v of row) {
              const b = valueBytes(v);
              if (b > maxValueBytes) throw new SqlResultSizeError('value', maxValueBytes);
              bytes += b;
            }
            if (bytes > maxResultBytes) throw new SqlResultSizeError('result', maxResultBytes);
            rows.push(row);
            if (performance.now() - t0 > timeoutMs) throw new SqlTimeoutError(timeoutMs);
          }
          if (columns.length > 0) result = { columns, rows, ms: 0 };
        } finally {
          stmt.free();
        }
      }
    } catch (e) {
      failure = e;
    }
    // Second line: anything changed (whatever the route) is undone from the pristine source.
    let changed: boolean;
    try {
      changed = fingerprint(db) !== before;
    } catch {
      changed = true;
    }
    if (changed) {
      this.restore();
      throw new SqlError(`${READ_ONLY_REFUSAL}: the SQL tried to change the database, so the change was undone`);
    }
    if (failure) {
      if (failure instanceof CodeRagError) throw failure;
      const msg = (failure as Error).message ?? String(failure);
      throw new SqlError(
        /readonly|query_only/i.test(msg) ? `${msg}: the database is read-only here, so it is never modified` : msg,
      );
    }
    result.ms = performance.now() - t0;
    return result;
  }

  /** Compile `sql` without running it: SQLite's error message, or null when every statement compiles. */
  check(sql: string): string | null {
    if (!this.db) return 'no database is open';
    try {
      for (const stmt of this.db.iterateStatements(sql)) stmt.free();
      return null;
    } catch (e) {
      return (e as Error).message ?? String(e);
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.info = null;
    this.source = null;
  }
}
