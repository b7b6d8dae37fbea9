/**
 * Work the page starts before its main chunk is fetched and evaluated (src/main.ts imports this
 * small module first, then the app): the SQL worker (its script, sql.js's WebAssembly compile) and
 * the demo database's file. The app takes them over when it gets there (`newWorkerSql`,
 * `demoDatabaseSql`); whatever it does not take is a started worker or a fetch it would have made
 * anyway. In Node and tests nothing here runs: every `take…` returns null until `startEarly()`.
 */

/** The SQL worker (the one place its URL is written, so the build bundles it once). */
export function spawnSqlWorker(): Worker {
  return new Worker(new URL('../../workers/sql.worker.ts', import.meta.url), { type: 'module', name: 'sql' });
}

let sqlWorker: Worker | null = null;
const fetches = new Map<string, Promise<Response>>();

/** Start the SQL worker and the fetches of `urls` now. Called once, by the page's entry. */
export function startEarly(urls: readonly string[] = []): void {
  if (typeof Worker === 'undefined') return;
  sqlWorker ??= spawnSqlWorker();
  for (const url of urls) {
    if (fetches.has(url)) continue;
    const p = fetch(url);
    p.catch(() => {}); // a failure is the taker's to see (it fetches again)
    fetches.set(url, p);
  }
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
