/**
 * Work the page starts before its main chunk is fetched and evaluated (src/main.ts imports this
 * small module first, then the app): the SQL worker (its script, sql.js's WebAssembly compile) and
 * the demo database's file. The app takes them over when it gets there (`newWorkerSql`,
 * `demoDatabaseSql`); whatever it does not take is a started worker or a fetch it would have made
 * anyway. In Node and tests nothing here runs: every `take…` returns null until `startEarly()`.
 */

import { earlyOpenMessage } from '../lib/sql/early-open.ts';

/** The SQL worker (the one place its URL is written, so the build bundles it once). */
export function spawnSqlWorker(): Worker {
  return new Worker(new URL('../../workers/sql.worker.ts', import.meta.url), { type: 'module', name: 'sql' });
}

let sqlWorker: Worker | null = null;
const fetches = new Map<string, Promise<Response>>();

/**
 * Start the SQL worker and the fetches of `urls` now. Called once, by the page's entry. With
 * `openSql`, the SQL text fetched from its URL is also posted to the worker to be opened as a
 * database at once (src/lib/sql/early-open.ts): the app's later open of the same source is then
 * answered with it. The response handed over by `takeEarlyFetch` keeps its body (a copy is read).
 */
export function startEarly(urls: readonly string[] = [], openSql?: { url: string; name: string }): void {
  if (typeof Worker === 'undefined') return;
  const worker = (sqlWorker ??= spawnSqlWorker());
  for (const url of [...urls, ...(openSql ? [openSql.url] : [])]) {
    if (fetches.has(url)) continue;
    const p = fetch(url);
    p.catch(() => {}); // a failure is the taker's to see (it fetches again)
    fetches.set(url, p);
  }
  if (openSql)
    fetches
      .get(openSql.url)!
      // this callback is registered before any taker's, so the copy is made before a body is read
      .then((r) => (r.ok ? r.clone().text() : null))
      .then((sql) => {
        if (sql !== null) worker.postMessage(earlyOpenMessage({ kind: 'sql', sql, name: openSql.name }));
      })
      .catch(() => {}); // the app opens the database itself either way
}

/** The SQL worker started early, once (a restarted worker after a timeout is a new one). */
export function takeEarlySqlWorker(): Worker | null {
  const w = sqlWorker;
  sqlWorker = null;
  return w;
}

/**
 * The early response for `url`, once; null when none was started. A failed or non-OK early fetch
 * gives way to a fresh one, so the caller sees the same errors as without this module.
 */
export async function takeEarlyFetch(url: string): Promise<Response | null> {
  const p = fetches.get(url);
  if (!p) return null;
  fetches.delete(url);
  try {
    const r = await p;
    return r.ok ? r : null;
  } catch {
    return null;
  }
}
