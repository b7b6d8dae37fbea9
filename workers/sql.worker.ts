/** SQL worker: sql.js with a read-only database; the page terminates it on a hard timeout. */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import initSqlJs from 'sql.js';
import sqlWasm from 'sql.js/dist/sql-wasm-browser.wasm?url';
import { SqlEngine, type DbSource, type ExecOptions } from '../src/lib/sql/engine.ts';
import { locateSqlError } from '../src/lib/sql/locate-error.ts';
import { InstantHost, type InstantWireRequest } from '../src/lib/instant/host.ts';
import { toWire, wireBuffers } from '../src/lib/sql/columnar.ts';
import { EarlyOpener } from '../src/lib/sql/early-open.ts';
import { mark } from '../src/lib/marks.ts';

mark('sql-worker');

const enginePromise = initSqlJs({ locateFile: () => sqlWasm }).then((SQL) => {
  mark('sql-engine');
  return new SqlEngine(SQL);
});
const instant = new InstantHost(() => enginePromise);
// The demo's source posted by the page's entry before the app loads (src/lib/sql/early-open.ts):
// handled here, ahead of comlink's listener, which never sees it.
const early = new EarlyOpener(async (src) => {
  const engine = await enginePromise;
  mark('sql-open-start');
  const info = engine.open(src);
  mark('sql-open-done');
  instant.reset();
  return info;
});
self.addEventListener('message', (ev: MessageEvent) => {
  if (early.onMessage(ev.data)) {
    mark('sql-early-message');
    ev.stopImmediatePropagation();
  }
});

const api = {
  async open(src: DbSource) {
    mark('sql-app-open');
    return early.open(src);
  },
  /** The instant generator next to the database (src/lib/instant/host.ts). */
  async instant(req: InstantWireRequest) {
    return instant.answer(req);
  },
  /** A big result crosses column-wise in transferable buffers (src/lib/sql/columnar.ts). */
  async exec(sql: string, opts?: ExecOptions) {
    const wire = toWire((await enginePromise).exec(sql, opts));
    return Comlink.transfer(wire, wireBuffers(wire));
  },
  /** The open database as a SQLite file (moved to the page, not copied). */
  async export() {
    const bytes = (await enginePromise).exportBytes();
    return Comlink.transfer(bytes, [bytes.buffer]);
  },
  /** Where an error message points in the SQL (the parser is asked which occurrence it stopped at). */
  async locateError(sql: string, message: string) {
    const engine = await enginePromise;
    return locateSqlError(sql, message, (s) => engine.check(s));
  },
};

export type SqlApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
