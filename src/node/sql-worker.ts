/**
 * Worker-thread entry for SQL in Node: one sql.js engine per thread, driven by `spawnSqlThread`
 * (sql-thread.ts) over a small request/response protocol. The parent terminates the thread when a
 * query outlives its hard timeout, which is the only way to stop a query that never yields a row
 * (an aggregate over an endless recursive CTE), since sql.js runs synchronously.
 */
import { parentPort } from 'node:worker_threads';
import initSqlJs from 'sql.js';
import { SqlEngine, type DbSource, type ExecOptions } from '../lib/sql/engine.ts';
import { CodeRagError, errorMessage } from '../lib/errors.ts';
import type { SqlRequest, SqlResponse } from './sql-thread.ts';
import { InstantHost, type InstantWireRequest } from '../lib/instant/host.ts';

if (!parentPort) throw new Error('sql-worker.ts must run in a worker thread');
const port = parentPort;
const enginePromise = initSqlJs().then((SQL) => new SqlEngine(SQL));
const instant = new InstantHost(() => enginePromise);

port.on('message', async (req: SqlRequest) => {
  let res: SqlResponse;
  try {
    const engine = await enginePromise;
    let value: unknown;
    if (req.method === 'open') {
      value = engine.open(req.args[0] as DbSource);
      instant.reset();
    } else if (req.method === 'instant') value = await instant.answer(req.args[0] as InstantWireRequest);
    else value = engine.exec(req.args[0] as string, req.args[1] as ExecOptions | undefined);
    res = { id: req.id, ok: true, value };
  } catch (e) {
    res = {
      id: req.id,
      ok: false,
      error: { message: errorMessage(e), code: e instanceof CodeRagError ? e.code : 'error' },
    };
  }
  port.postMessage(res);
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies SqlResponse);
