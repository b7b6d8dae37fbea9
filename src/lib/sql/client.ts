/**
 * Hard timeout for SQL: the engine runs in its own worker; if a query outlives the timeout the
 * worker is terminated and a fresh one is started with the same database reopened, so the app
 * keeps working. Host-agnostic: `spawn` creates a worker (browser Worker + comlink, or Node
 * worker_threads) and returns its remote API.
 */
import type { DbInfo, DbSource, ExecOptions } from './engine.ts';
import type { QueryResult } from '../types.ts';
import { CancelledError, SqlError, SqlTimeoutError } from '../errors.ts';
import type { SqlEngine, SqlExecOptions } from '../services.ts';
import { locateSqlError, type SqlErrorSpot } from './locate-error.ts';
import type { InstantAnswer } from '../instant/generator.ts';
import type { InstantWireRequest } from '../instant/host.ts';
import { fromWire, type ColumnarResult } from './columnar.ts';

/** What the SQL worker exposes (every call is async across the boundary). */
export interface SqlRemote {
  open(src: DbSource): Promise<DbInfo>;
  /** A big result may come column-wise (./columnar.ts); the client turns it back into a QueryResult. */
  exec(sql: string, opts?: ExecOptions): Promise<QueryResult | ColumnarResult>;
  /** Optional: locate an error message in the SQL with the parser's help (sql/locate-error.ts). */
  locateError?(sql: string, message: string): Promise<SqlErrorSpot | null>;
  /** The open database as a SQLite file (sql/engine.ts `exportBytes`). */
  export?(): Promise<Uint8Array>;
  /** Optional: answer with the instant generator next to the database (src/lib/instant/host.ts). */
  instant?(req: InstantWireRequest): Promise<InstantAnswer>;
}

export interface SqlWorkerHandle {
  remote: SqlRemote;
  terminate(): void;
}

export class SqlClient implements SqlEngine {
  private handle: SqlWorkerHandle;
  private source: DbSource | null = null;
  private info: DbInfo | null = null;
  /** A fresh worker being started (and the database reopened) after a hard stop; calls wait for it. */
  private restarting: Promise<void> | null = null;
  /** Number of times a worker was terminated for running too long (or stopped). */
  restarts = 0;

  constructor(
    private readonly spawn: () => SqlWorkerHandle,
    readonly defaultTimeoutMs = 5_000,
  ) {
    this.handle = spawn();
  }

  get current(): DbInfo | null {
    return this.info;
  }

  /** Wait for a restart in progress; its failure is not this call's failure (the next call reopens). */
  private async settled(): Promise<void> {
    if (this.restarting) await this.restarting.catch(() => {});
  }

  /**
   * Open a database. The worker validates it fully before closing the current one, so on error the
   * current database stays open and `current` is unchanged.
   */
  async open(src: DbSource): Promise<DbInfo> {
    await this.settled();
    const info = await this.handle.remote.open(src);
    this.source = src;
    this.info = info;
    return info;
  }

  /** Run SQL with the hard timeout; aborting `opts.signal` stops the query by restarting the worker. */
  async exec(sql: string, opts: SqlExecOptions = {}): Promise<QueryResult> {
    const { signal, ...execOpts } = opts;
    if (signal?.aborted) throw new CancelledError('query');
    await this.settled();
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
      return fromWire(await Promise.race([h.remote.exec(sql, { ...execOpts, timeoutMs }), hard]));
    } catch (e) {
      if ((e instanceof SqlTimeoutError || e instanceof CancelledError) && this.handle === h) this.hardStop();
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Where an SQL error message points in the SQL, for an inline mark; null when it names no token. */
  async locateError(sql: string, message: string): Promise<SqlErrorSpot | null> {
    await this.settled();
    const remote = this.handle.remote;
    if (!remote.locateError) return locateSqlError(sql, message);
    try {
      return await remote.locateError(sql, message);
    } catch {
      return locateSqlError(sql, message);
    }
  }

  /** The open database as a `.sqlite` file (for a download, or a workspace file). */
  async export(): Promise<Uint8Array> {
    await this.settled();
    const remote = this.handle.remote;
    if (remote.export) return remote.export();
    if (this.source?.kind === 'bytes') return this.source.bytes.slice();
    throw new SqlError('this SQL engine cannot export its database');
  }

  /**
   * Answer a question with the instant generator inside the SQL worker, next to the database
   * (nothing of it runs on the caller's thread). The worker bounds it with `req.budgetMs`; if it
   * outlives that plus the query timeout, the worker is restarted like a query that ran too long.
   * Aborting `signal` resolves at once as a cancelled abstention (the worker's run ends within its
   * budget). Never rejects for a question it cannot answer: that is an abstention with a reason.
   */
  async instant(req: InstantWireRequest, signal?: AbortSignal): Promise<InstantAnswer> {
    if (signal?.aborted) throw new CancelledError('instant answer');
    await this.settled();
    const h = this.handle;
    if (!h.remote.instant) throw new Error('this SQL worker has no instant generator');
    const limit = (req.budgetMs ?? 1000) + this.defaultTimeoutMs + 250;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const hard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SqlTimeoutError(limit)), limit);
      onAbort = () => reject(new CancelledError('instant answer'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([h.remote.instant(req), hard]);
    } catch (e) {
      if (e instanceof SqlTimeoutError && this.handle === h) this.hardStop();
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Terminate the worker now and start a fresh one in the background. */
  private hardStop(): void {
    this.handle.terminate();
    this.restarts++;
    this.handle = this.spawn();
    const h = this.handle;
    const src = this.source;
    this.restarting = (async () => {
      if (src) this.info = await h.remote.open(src);
    })().finally(() => {
      if (this.handle === h) this.restarting = null;
    });
  }

  /** Kill the worker and start a fresh one with the current database. */
  async restart(): Promise<void> {
    await this.settled();
    this.hardStop();
    await this.restarting;
  }

  dispose(): void {
    this.handle.terminate();
  }
}
