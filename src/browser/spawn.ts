/**
 * Starting workers behind comlink: `spawn` at once, `spawnOnUse` at the first call (with a
 * `restart` that replaces the worker). Kept apart from the services factory so that they can be
 * tested in Node over a MessageChannel.
 */
import * as Comlink from 'comlink';
import { CancelledError } from '../lib/errors.ts';

export function spawn<T>(make: () => Worker): { api: Comlink.Remote<T>; worker: Worker } {
  const worker = make();
  return { api: Comlink.wrap<T>(worker), worker };
}

/**
 * A worker started at its first call, not when the page is built: the model workers (their
 * transformers.js and ONNX runtime code) then start when the app first asks them for something,
 * after the database has opened (AppState.boot), instead of competing with it for the few cores.
 *
 * `restart` ends the worker; the next call starts a new one. Calls still running in the ended
 * worker would never settle (a terminated worker answers nothing): they end with a CancelledError.
 * Every property of `api` is taken as a method of the worker (no property reads through it).
 */
export function spawnOnUse<T>(make: () => Worker): {
  api: Comlink.Remote<T>;
  started: () => ReturnType<typeof spawn<T>> | null;
  restart: () => void;
} {
  type Started = ReturnType<typeof spawn<T>> & { ended: Promise<never>; end: (e: Error) => void };
  let w: Started | null = null;
  const start = (): Started => {
    let end: (e: Error) => void = () => {};
    const ended = new Promise<never>((_, reject) => (end = reject));
    ended.catch(() => {}); // only ever raced against a call
    return { ...spawn<T>(make), ended, end };
  };
  const api = new Proxy({} as Record<PropertyKey, unknown>, {
    get: (_, prop) => {
      // not a thenable: awaiting the remote itself must not start the worker
      if (prop === 'then') return undefined;
      const cur = (w ??= start());
      const method = (cur.api as unknown as Record<PropertyKey, (...args: unknown[]) => Promise<unknown>>)[prop];
      return (...args: unknown[]) => Promise.race([method(...args), cur.ended]);
    },
  }) as unknown as Comlink.Remote<T>;
  const restart = () => {
    if (!w) return;
    w.end(new CancelledError('work in a replaced worker'));
    w.api[Comlink.releaseProxy]();
    w.worker.terminate();
    w = null;
  };
  return { api, started: () => w, restart };
}
