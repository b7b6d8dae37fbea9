/**
 * What the UI state classes need from the outside world, as types only: the worker services,
 * the key-value store and the page. The page passes the real ones (src/ui/browser-app.ts); unit
 * tests pass fakes, so no state class opens a worker or IndexedDB on import.
 */
import type { Remote } from 'comlink';
import type { EmbedApi } from '../../../workers/embed.worker.ts';
import type { IndexApi } from '../../../workers/index.worker.ts';
import type { LlmApi } from '../../../workers/llm.worker.ts';
import type { SqlClient } from '../../lib/sql/client.ts';
import type { ProgressFn } from '../../lib/types.ts';

/** The worker services as the page sees them (comlink proxies). */
export interface UiServices {
  embed: Remote<EmbedApi>;
  index: Remote<IndexApi>;
  llm: Remote<LlmApi>;
  /** The Ask page's database. */
  sql: SqlClient;
  /** A separate SQL worker (the Evaluate page opens many databases). */
  newSql(timeoutMs: number): SqlClient;
  /** Make a callback callable from a worker. */
  progressProxy(fn: ProgressFn): ProgressFn;
  tokenProxy(fn: (piece: string) => void): (piece: string) => void;
  /** Mark a value's buffers as transferred (not copied) to a worker. */
  transfer<T>(value: T, transfers: Transferable[]): T;
}

/** The key-value store, typed by key (src/lib/index/store.ts). */
export type { KvStore } from '../../lib/index/store.ts';
import type { KvStore } from '../../lib/index/store.ts';

/** The store is opened on first use, not on import. */
export type OpenKv = () => Promise<KvStore>;

/** Open once, share the promise (a failed open is retried on the next use). */
export function lazyKv(open: () => Promise<KvStore>): OpenKv {
  let p: Promise<KvStore> | null = null;
  return () => {
    p ??= open().catch((e) => {
      p = null;
      throw e;
    });
    return p;
  };
}

/** The page around the app: its address and fetch. */
export interface PageEnv {
  /** location.href */
  href(): string;
  fetch: typeof fetch;
  /** navigator.onLine: false when the browser knows it is offline (absent = assume online). */
  online?: () => boolean;
}
