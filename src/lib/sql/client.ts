/**
 * Hard timeout for SQL: the engine runs in its own worker; if a query outlives the timeout the
 * worker is terminated and a fresh one is started with the same database reopened, so the app
 * keeps working. Host-agnostic: `spawn` creates a worker (browser Worker + comlink, or Node
 * worker_threads) and returns its remote API.
 */
import type { DbInfo, DbSource, ExecOptions } from './engine.ts';
import type { QueryResult } from '../types.ts';
import { CancelledError, SqlTimeoutError } from '../errors.ts';
import type { SqlEngine, SqlExecOptions } from '../services.ts';
import { locateSqlError, type SqlErrorSpot } from './locate-error.ts';

/** What the SQL worker exposes (every call is async across the boundary). */
export interface SqlRemote {
  open(src: DbSource): Promise<DbInfo>;
  exec(sql: string, opts?: ExecOptions): Promise<QueryResult>;
  /** Optional: locate an error message in the SQL with the parser's help (sql/locate-error.ts). */
  locateError?(sql: string, message: string): Promise<SqlErrorSpot | null>;
}

export interface SqlWorkerHandle {
  remote: SqlRemote;
  terminate(): void;
}

export class SqlClient implements SqlEngine {
  private handle: SqlWorkerHandle;
  private source: DbSource | null = null;
  private info: DbInfo | null = null;
  /** Number of times a worker was terminated for running too long (or stopped). */
  restarts = 0;
  /** A restart after a stopped query, run in the background so Stop answers at once. */
  private restarting: Promise<void> | null = null;

  constructor(
    private readonly spawn: () => SqlWorkerHandle,
    readonly defaultTimeoutMs = 5_000,
  ) {
    this.handle = spawn();
  }

  get current(): DbInfo | null {
    return this.info;
  }

  async open(src: DbSource): Promise<DbInfo> {
    await this.restarting;
    const info = await this.handle.remote.open(src);
    this.source = src;
    this.info = info;
    return info;
  }

  /** Run SQL with the hard timeout; aborting `opts.signal` stops the query by restarting the worker. */
  async exec(sql: string, opts: SqlExecOptions = {}): Promise<QueryResult> {
    const { signal, ...execOpts } = opts;
    if (signal?.aborted) throw new CancelledError('query');
    await this.restarting;
    const timeoutMs = execOpts.timeoutMs ?? this.defaultTimeoutMs;
    const h = this.handle;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // The hard limit fires a little after the soft one, so the engine's own check wins when it can.
    const hard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SqlTimeoutError(timeoutMs)), timeoutMs + 250);
      onAbort = () => reject(new CancelledError('query'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([h.remote.exec(sql, { ...execOpts, timeoutMs }), hard]);
    } catch (e) {
      if (e instanceof SqlTimeoutError && this.handle === h) await this.restart();
      else if (e instanceof CancelledError && this.handle === h) {
        this.restarting = this.restart()
          .catch(() => {})
          .finally(() => (this.restarting = null));
      }
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Where an SQL error message points in the SQL, for an inline mark; null when it names no token. */
  async locateError(sql: string, message: string): Promise<SqlErrorSpot | null> {
    await this.restarting;
    const remote = this.handle.remote;
    if (!remote.locateError) return locateSqlError(sql, message);
    try {
      return await remote.locateError(sql, message);
    } catch {
      return locateSqlError(sql, message);
    }
  }

  /** Kill the worker and start a fresh one with the current database. */
  async restart(): Promise<void> {
    this.handle.terminate();
    this.restarts++;
    this.handle = this.spawn();
    if (this.source) this.info = await this.handle.remote.open(this.source);
  }

  dispose(): void {
    this.handle.terminate();
  }
}
