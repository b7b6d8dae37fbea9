/**
 * Question history per database, kept in the IndexedDB key-value store of IndexStore
 * (key `history:<database name>`), so it survives a reload and shows up in the Storage tab.
 * Results are stored truncated (history/turns.ts: MAX_STORED_ROWS).
 */
import type { KvStore as IndexKvStore, StoredHistory } from '../index/store.ts';
import { validTurns, type Turn } from './turns.ts';

/** The part of IndexStore this needs (easy to fake in tests). */
export type KvStore = Pick<IndexKvStore, 'getKv' | 'setKv' | 'deleteKv'>;

export const HISTORY_PREFIX = 'history:';
export const HISTORY_VERSION = 1;

export function historyKey(dbName: string): `history:${string}` {
  return `${HISTORY_PREFIX}${dbName}`;
}

export class HistoryStore {
  /** Writes are chained so a slow write never lands after a newer one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly kv: KvStore) {}

  async load(dbName: string): Promise<Turn[]> {
    await this.queue.catch(() => {});
    return validTurns(await this.kv.getKv(historyKey(dbName)));
  }

  save(dbName: string, turns: readonly Turn[]): Promise<void> {
    const value: StoredHistory = { version: HISTORY_VERSION, db: dbName, turns };
    const p = this.queue.catch(() => {}).then(() => this.kv.setKv(historyKey(dbName), value));
    this.queue = p;
    return p;
  }

  clear(dbName: string): Promise<void> {
    const p = this.queue.catch(() => {}).then(() => this.kv.deleteKv(historyKey(dbName)));
    this.queue = p;
    return p;
  }
}
