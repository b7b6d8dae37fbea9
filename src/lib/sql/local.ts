/**
 * The `SqlEngine` seam (src/lib/services.ts) in process: sql.js on this thread. Queries are
 * stopped by the engine's soft limit only (checked between rows); hosts that need a hard stop
 * run the engine in a worker behind `SqlClient`.
 */
import type { SqlJsStatic } from 'sql.js';
import type { QueryResult } from '../types.ts';
import type { SqlEngine, SqlExecOptions } from '../services.ts';
import { SqlEngine as SqlJsEngine, type DbInfo, type DbSource } from './engine.ts';
import { locateSqlError, type SqlErrorSpot } from './locate-error.ts';
import { throwIfAborted } from '../errors.ts';

export class LocalSqlEngine implements SqlEngine {
  private readonly engine: SqlJsEngine;

  constructor(SQL: SqlJsStatic) {
    this.engine = new SqlJsEngine(SQL);
  }

  get current(): DbInfo | null {
    return this.engine.current;
  }

  async open(src: DbSource): Promise<DbInfo> {
    return this.engine.open(src);
  }

  async exec(sql: string, opts: SqlExecOptions = {}): Promise<QueryResult> {
    const { signal, ...execOpts } = opts;
    throwIfAborted(signal, 'query');
    return this.engine.exec(sql, execOpts);
  }

  async locateError(sql: string, message: string): Promise<SqlErrorSpot | null> {
    return locateSqlError(sql, message, (s) => this.engine.check(s));
  }

  async export(): Promise<Uint8Array> {
    return this.engine.exportBytes();
  }

  dispose(): void {
    this.engine.close();
  }
}
