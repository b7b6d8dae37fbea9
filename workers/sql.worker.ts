/** SQL worker: sql.js with a read-only database; the page terminates it on a hard timeout. */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import initSqlJs from 'sql.js';
import sqlWasm from 'sql.js/dist/sql-wasm-browser.wasm?url';
import { SqlEngine, type DbSource, type ExecOptions } from '../src/lib/sql/engine.ts';
import { locateSqlError } from '../src/lib/sql/locate-error.ts';
import { InstantHost, type InstantWireRequest } from '../src/lib/instant/host.ts';
import { toWire, wireBuffers } from '../src/lib/sql/columnar.ts';

const enginePromise = initSqlJs({ locateFile: () => sqlWasm }).then((SQL) => new SqlEngine(SQL));
const instant = new InstantHost(() => enginePromise);

const api = {
  async open(src: DbSource) {
    const info = (await enginePromise).open(src);
    instant.reset();
    return info;
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
