/**
 * Import worker: reads the picked files (streamed from the File objects), checks them and builds a
 * new SQLite database (src/lib/import/session.ts). The page cancels by terminating this worker.
 */
import * as Comlink from 'comlink';
import initSqlJs from 'sql.js';
import sqlWasm from 'sql.js/dist/sql-wasm-browser.wasm?url';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import { ImportError } from '../src/lib/errors.ts';
import { ImportSession, type TableEdit } from '../src/lib/import/session.ts';
import type { ImportInput } from '../src/lib/import/readers.ts';
import type { ImportRemote } from '../src/lib/import/client.ts';
import type { Progress, ProgressFn } from '../src/lib/types.ts';

let SQL: ReturnType<typeof initSqlJs> | null = null;
let session: ImportSession | null = null;

/** At most ~10 progress messages a second (and always the last of a phase). */
function throttled(fn?: ProgressFn): ProgressFn | undefined {
  if (!fn) return undefined;
  let last = 0;
  let phase = '';
  return (p: Progress) => {
    const now = performance.now();
    if (p.phase !== phase || now - last > 100 || (p.total > 0 && p.done >= p.total)) {
      phase = p.phase;
      last = now;
      fn(p);
    }
  };
}

const api: ImportRemote = {
  async analyse(files: ImportInput[], onProgress?: ProgressFn) {
    session = null;
    session = await ImportSession.analyse(files, { onProgress: throttled(onProgress) });
    return session.plan;
  },
  async build(edits: TableEdit[], name: string | undefined, onProgress?: ProgressFn) {
    if (!session) throw new ImportError('pick the files to import first');
    SQL ??= initSqlJs({ locateFile: () => sqlWasm });
    const r = await session.build(await SQL, edits, { name, onProgress: throttled(onProgress) });
    return Comlink.transfer(r, [r.bytes.buffer]);
  },
};

export type ImportApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
