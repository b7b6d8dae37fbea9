/**
 * sql.js database wrapper: open a database (file bytes or SQL text), read its schema, run
 * read-only queries with a row limit and a soft time limit.
 *
 * The user's database is never modified: sql.js works on an in-memory copy, and that copy is
 * put in `PRAGMA query_only` mode so a DELETE or UPDATE fails with a clear error.
 *
 * The soft time limit is checked between rows; a query that spends long inside one step (an
 * aggregate over an endless CTE) is stopped by the host terminating the worker (sql/client.ts).
 */
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import type { QueryResult, TableInfo } from '../types.ts';
import { SqlError, SqlRowLimitError, SqlTimeoutError } from '../errors.ts';

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
}

export const DEFAULT_MAX_ROWS = 200_000;
export const DEFAULT_TIMEOUT_MS = 5_000;

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

export class SqlEngine {
  private db: Database | null = null;
  private info: DbInfo | null = null;

  constructor(private readonly SQL: SqlJsStatic) {}

  /** Open a database, replacing the current one. Throws SqlError on a bad file or bad SQL. */
  open(src: DbSource): DbInfo {
    let db: Database;
    try {
      if (src.kind === 'bytes') {
        db = new this.SQL.Database(src.bytes);
        // sql.js opens anything lazily; touch the schema to validate the file now.
        db.exec('SELECT count(*) FROM sqlite_master');
      } else {
        db = new this.SQL.Database();
        db.exec(src.sql);
      }
    } catch (e) {
      const msg = (e as Error).message;
      throw new SqlError(
        src.kind === 'bytes'
          ? `"${src.name}" is not a readable SQLite database (${msg})`
          : `could not build the database from its CREATE/INSERT context: ${msg}`,
      );
    }
    db.exec('PRAGMA query_only = 1');
    this.db?.close();
    this.db = db;
    const { tables, rows } = readSchema(db);
    this.info = { name: src.name, tables, rows };
    return this.info;
  }

  get current(): DbInfo | null {
    return this.info;
  }

  /** Run SQL; returns the result of the last statement that produced columns. */
  exec(sql: string, opts: ExecOptions = {}): QueryResult {
    if (!this.db) throw new SqlError('no database is open');
    const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const t0 = performance.now();
    let result: QueryResult = { columns: [], rows: [], ms: 0 };
    if (!sql.trim()) throw new SqlError('empty SQL');
    try {
      for (const stmt of this.db.iterateStatements(sql)) {
        try {
          const columns = stmt.getColumnNames();
          const rows: SqlValue[][] = [];
          let n = 0;
          while (stmt.step()) {
            if (++n > maxRows) throw new SqlRowLimitError(maxRows);
            rows.push(stmt.get());
            // Check the clock every 256 rows: cheap, and catches endless row generators.
            if ((n & 255) === 0 && performance.now() - t0 > timeoutMs) throw new SqlTimeoutError(timeoutMs);
          }
          if (columns.length > 0) result = { columns, rows, ms: 0 };
        } finally {
          stmt.free();
        }
      }
    } catch (e) {
      if (e instanceof SqlRowLimitError || e instanceof SqlTimeoutError) throw e;
      const msg = (e as Error).message ?? String(e);
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
  }
}
