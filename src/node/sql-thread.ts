/**
 * SQL with a HARD timeout in Node: sql.js runs in a worker thread (sql-worker.ts), and the core's
 * `SqlClient` (src/lib/sql/client.ts) terminates and respawns that thread when a query outlives
 * its limit. The engine's own soft limit is checked only between rows, so without this an
 * aggregate over an endless CTE would hang the whole process.
 *
 * The worker entry is TypeScript; a tiny bootstrap registers tsx's loader inside the new thread
 * and then imports it. This works under `tsx` CLIs and under Vitest alike, since the worker is a
 * fresh isolate that gets its own loader.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DbInfo, DbSource, ExecOptions } from '../lib/sql/engine.ts';
import { DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS } from '../lib/sql/engine.ts';
import { SqlClient, type SqlRemote, type SqlWorkerHandle } from '../lib/sql/client.ts';
import { CodeRagError, isErrorCode, SqlError, SqlRowLimitError, SqlTimeoutError } from '../lib/errors.ts';
import type { QueryResult } from '../lib/types.ts';
import type { InstantAnswer } from '../lib/instant/generator.ts';
import type { InstantWireRequest } from '../lib/instant/host.ts';

export type SqlRequest =
  | { id: number; method: 'open'; args: [DbSource] }
  | { id: number; method: 'exec'; args: [string, ExecOptions | undefined] }
  | { id: number; method: 'instant'; args: [InstantWireRequest] };

export type SqlResponse =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; code: string } };

/**
 * Path of tsx's ESM API (`tsx/esm/api`, import condition). `require.resolve` would pick the
 * CommonJS build, so read the import target from tsx's own exports map.
 */
function tsxEsmApiPath(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, unknown> };
  const entry = pkg.exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined;
  const rel = typeof entry?.import === 'string' ? entry.import : entry?.import?.default;
  if (!rel) throw new Error('cannot find tsx/esm/api: is tsx installed?');
  return path.join(path.dirname(pkgPath), rel);
}

/**
 * The worker's bootstrap, a CommonJS script run with `eval: true`: it registers tsx's ESM loader in
 * the new thread, then imports the TypeScript entry. (On Node 20, `execArgv: ['--import', 'tsx']`
 * is not enough: tsx only registers itself on the main thread there.)
 */
let bootstrap: string | null = null;
function workerBootstrap(): string {
  if (bootstrap) return bootstrap;
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const entry = new URL('./sql-worker.ts', import.meta.url).href;
  bootstrap = `(async () => {
    const { register } = await import(${JSON.stringify(tsxApi)});
    register();
    await import(${JSON.stringify(entry)});
  })().catch((e) => { setTimeout(() => { throw e; }); });`;
  return bootstrap;
}

/** Rebuild a typed core error from what crossed the thread boundary. */
function rebuildError(err: { message: string; code: string }, opts: ExecOptions | undefined): Error {
  if (err.code === 'sql-timeout') return new SqlTimeoutError(opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (err.code === 'sql-row-limit') return new SqlRowLimitError(opts?.maxRows ?? DEFAULT_MAX_ROWS);
  if (err.code === 'sql') return new SqlError(err.message);
  return new CodeRagError(err.message, isErrorCode(err.code) ? err.code : 'internal');
}

/** Start one SQL worker thread. Calls made before it is ready are queued by the thread itself. */
export function spawnSqlThread(): SqlWorkerHandle {
  const worker = new Worker(workerBootstrap(), { eval: true });
  // The thread must never keep a finished CLI alive.
  worker.unref();
  let nextId = 1;
  let dead: Error | null = null;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; opts?: ExecOptions }>();
  const failAll = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (res: SqlResponse) => {
    const p = pending.get(res.id);
    if (!p) return;
    pending.delete(res.id);
    if (res.ok) p.resolve(res.value);
    else p.reject(rebuildError(res.error, p.opts));
  });
  worker.on('error', (e) => failAll(new SqlError(`SQL worker failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new SqlError(`SQL worker exited (code ${code})`)));
  const call = <T>(req: Omit<SqlRequest, 'id'>, opts?: ExecOptions): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, opts });
      worker.ref(); // keep the process alive while a call is in flight
      worker.postMessage({ ...req, id });
    }).finally(() => {
      if (pending.size === 0) worker.unref();
    });
  };
  const remote: SqlRemote = {
    open: (src: DbSource) => call<DbInfo>({ method: 'open', args: [src] }),
    exec: (sql: string, opts?: ExecOptions) => call<QueryResult>({ method: 'exec', args: [sql, opts] }, opts),
    instant: (req: InstantWireRequest) => call<InstantAnswer>({ method: 'instant', args: [req] }),
  };
  return {
    remote,
    terminate: () => {
      failAll(new SqlError('SQL worker terminated'));
      void worker.terminate();
    },
  };
}

/** A SqlClient whose engine runs in a worker thread with a hard timeout (terminate + respawn). */
export function nodeSqlClient(defaultTimeoutMs = DEFAULT_TIMEOUT_MS): SqlClient {
  return new SqlClient(spawnSqlThread, defaultTimeoutMs);
}
