/**
 * IndexedDB persistence for vector indexes, corpora and small settings (idb).
 *
 * An index is written in ONE readwrite transaction spanning its metadata and its vector chunks,
 * so a crash, a cancel or a full quota leaves either the old index or the new one, never half.
 * Each index is keyed by its identity (embedder, dtype, corpus hash, text mode, kind):
 * if any of those change, the key changes and the old index is reported as stale.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { QuotaError } from '../errors.ts';
import type { StoredEvalDataset, StoredEvalProgress } from '../eval/stored.ts';
import type { Turn } from '../history/turns.ts';
import type { TextMode } from '../rag/doc-text.ts';
import type { ShareState } from '../share/codec.ts';
import type { DbSource } from '../sql/engine.ts';
import type { Corpus } from '../types.ts';
import type { NotesDoc } from '../notes/notes.ts';
import type { MyExamplesDoc } from '../loop/my-examples.ts';
import type { IndexKind } from './vector-index.ts';
import type { StoredLight } from '../embed/light-query.ts';

export interface IndexMeta {
  /** Which corpus slot this index serves (the corpus name); used to detect staleness. */
  slot: string;
  embedderId: string;
  /**
   * The dtype the DOCUMENTS were embedded with. Questions may use another dtype or a light encoder
   * into the same space (issue 17): that is not part of the identity, so it never makes an index stale.
   */
  dtype: string;
  dim: number;
  corpusHash: string;
  count: number;
  kind: IndexKind;
  /** How each example was turned into text (see rag/doc-text.ts). */
  textMode: TextMode;
}

export interface IndexRecord {
  key: string;
  meta: IndexMeta;
  chunks: number;
  bytes: number;
  createdAt: number;
  buildMs: number;
  extra?: string;
}

/** The database to reopen after a reload: the demo, or a source (and the URL it came from). */
export type SavedDb = { kind: 'demo' } | (DbSource & { url?: string });

/**
 * The corpus to load after a reload, and where it came from (for share links). A large corpus is
 * stored in parts (corpus/saved.ts): then `examples` is empty here and `parts` says how many
 * 'corpus:current#i' records hold them.
 */
export type SavedCorpus = Corpus & { origin?: ShareState['corpus']; parts?: number };

/** One part of a corpus stored in parts: the corpus's hash (checked on reading) and its rows. */
export interface SavedCorpusPart {
  hash: string;
  examples: Corpus['examples'];
}

/** A database's question history (history/store.ts); read back through `validTurns`. */
export interface StoredHistory {
  version: number;
  db: string;
  turns: readonly Turn[];
}

/**
 * Every key of the small key-value store and the type of its value. Values are as this version
 * writes them; a reader of data that an older version may have written checks it (history does).
 */
/** A code & docs collection as stored: its chunks with the vectors of one embedder. */
export interface StoredCodeCollection {
  version: 1;
  id: string;
  name: string;
  created: number;
  embedderId: string;
  dim: number;
  files: { path: string; print: string; lines: number }[];
  chunks: import('../code/types.ts').Chunk[];
  /** chunks.length × dim unit vectors (zero rows for the chunks still `pending`). */
  vectors: Float32Array;
  /**
   * Rows not embedded yet (absent or empty: every row has its vector). A collection is stored as
   * soon as it is chunked, keyword-searchable, and again when its vectors are in (hybrid search);
   * a stopped or interrupted embedding leaves the rows it did not reach here.
   */
  pending?: number[];
  skipped: { path: string; reason: string }[];
  bytes: number;
  /** Wall time of the build (read + chunk, embed; embedding summed over resumed runs). */
  ms: { prepare: number; embed: number };
}

export interface KvSchema {
  'db:current': SavedDb;
  'corpus:current': SavedCorpus;
  /** Part i of a corpus stored in parts (corpus/saved.ts). */
  [key: `corpus:current#${number}`]: SavedCorpusPart;
  /** The Evaluate page's dataset and run, for resuming after a reload. */
  'eval:dataset': StoredEvalDataset;
  'eval:progress': StoredEvalProgress;
  /** Question history per database name. */
  [key: `history:${string}`]: StoredHistory;
  /** A trained query adapter (its JSON) per embedder id. */
  [key: `adapter:${string}`]: string;
  /** A code & docs collection (src/lib/code/), by its id. */
  [key: `code:${string}`]: StoredCodeCollection;
  /** The fast query encoder (embed/light-query.ts StoredLight) per embedder id; checked on reading. */
  [key: `light:${string}`]: StoredLight;
  /** Schema notes per database identity (notes/notes.ts `dbIdentity`). */
  [key: `notes:${string}`]: NotesDoc;
  /** The user's confirmed examples ("My examples") per database identity (loop/my-examples.ts). */
  [key: `mine:${string}`]: MyExamplesDoc;
}

export type KvKey = keyof KvSchema;

/** The key-value part of IndexStore, typed by key (easy to fake in tests). */
export interface KvStore {
  getKv<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  setKv<K extends KvKey>(key: K, value: KvSchema[K]): Promise<void>;
  /** Every stored key, including any an older version wrote. */
  kvKeys(): Promise<string[]>;
  deleteKv(key: string): Promise<void>;
  /**
   * Replace every key that starts with `prefix` by `entries`, in one transaction: a value stored in
   * several records is written whole or not at all (the previous one stays on any failure).
   */
  replaceKvPrefix(prefix: string, entries: readonly (readonly [KvKey, unknown])[]): Promise<void>;
  /**
   * `key`'s value, then, in the same transaction, the values of the keys `then` names for it (one
   * request each, so each value is read back in a task of its own); undefined for a missing key.
   */
  getKvChain<K extends KvKey>(
    key: K,
    then: (value: KvSchema[K]) => readonly KvKey[],
  ): Promise<{ value: KvSchema[K] | undefined; more: unknown[] }>;
}

interface CodeRagDB extends DBSchema {
  indexes: { key: string; value: IndexRecord; indexes: { bySlot: string } };
  chunks: { key: [string, number]; value: ArrayBuffer };
  kv: { key: string; value: unknown };
}

export const DB_NAME = 'coderag-web';
const CHUNK_FLOATS = 4 * 1024 * 1024; // 16 MB per chunk

/**
 * The stored key of an index identity. The last, always empty, field is where a document-side
 * adapter id once went (never wired: adapters are query-side only); it stays so that keys of
 * indexes already stored in users' browsers keep their meaning and are restored, not rebuilt.
 */
export function indexKey(m: IndexMeta): string {
  return [m.slot, m.embedderId, m.dtype, m.dim, m.corpusHash, m.count, m.kind, m.textMode, ''].join('|');
}

/** Which fields of two index identities differ (for a "stale because …" message). */
export function staleReasons(stored: IndexMeta, wanted: IndexMeta): string[] {
  const out: string[] = [];
  if (stored.embedderId !== wanted.embedderId)
    out.push(`embedder changed (${stored.embedderId} → ${wanted.embedderId})`);
  if (stored.dtype !== wanted.dtype) out.push(`dtype changed (${stored.dtype} → ${wanted.dtype})`);
  if (stored.corpusHash !== wanted.corpusHash || stored.count !== wanted.count) out.push('corpus changed');
  if (stored.textMode !== wanted.textMode) out.push(`document text changed (${stored.textMode} → ${wanted.textMode})`);
  if (stored.kind !== wanted.kind) out.push(`index kind changed (${stored.kind} → ${wanted.kind})`);
  return out;
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException ? e.name === 'QuotaExceededError' : (e as Error)?.name === 'QuotaExceededError';
}

export class IndexStore implements KvStore {
  private constructor(private readonly db: IDBPDatabase<CodeRagDB>) {}

  static async open(name = DB_NAME): Promise<IndexStore> {
    const db = await openDB<CodeRagDB>(name, 1, {
      upgrade(db) {
        const idx = db.createObjectStore('indexes', { keyPath: 'key' });
        idx.createIndex('bySlot', 'meta.slot');
        db.createObjectStore('chunks');
        db.createObjectStore('kv');
      },
    });
    return new IndexStore(db);
  }

  close(): void {
    this.db.close();
  }

  /** Save atomically, replacing any index in the same slot. Returns the record. */
  async save(meta: IndexMeta, vectors: Float32Array, extra: string | undefined, buildMs: number): Promise<IndexRecord> {
    const key = indexKey(meta);
    const chunks: ArrayBuffer[] = [];
    for (let off = 0; off < vectors.length; off += CHUNK_FLOATS) {
      chunks.push(vectors.slice(off, off + CHUNK_FLOATS).buffer as ArrayBuffer);
    }
    const record: IndexRecord = {
      key,
      meta,
      chunks: chunks.length,
      bytes: vectors.byteLength + (extra?.length ?? 0) * 2,
      createdAt: Date.now(),
      buildMs,
      extra,
    };
    try {
      const tx = this.db.transaction(['indexes', 'chunks'], 'readwrite');
      const idx = tx.objectStore('indexes');
      const ch = tx.objectStore('chunks');
      // Replace every index in this slot (old ones are stale by construction).
      const old = await idx.index('bySlot').getAll(meta.slot);
      for (const r of old) {
        await ch.delete(IDBKeyRange.bound([r.key, 0], [r.key, Number.MAX_SAFE_INTEGER]));
        await idx.delete(r.key);
      }
      for (let i = 0; i < chunks.length; i++) await ch.put(chunks[i], [key, i]);
      await idx.put(record);
      await tx.done;
    } catch (e) {
      if (isQuotaError(e)) {
        const est = await storageEstimate();
        throw new QuotaError(record.bytes / 1e6, est ? (est.quota - est.usage) / 1e6 : 0);
      }
      throw e;
    }
    return record;
  }

  async get(key: string): Promise<{ record: IndexRecord; vectors: Float32Array } | null> {
    const tx = this.db.transaction(['indexes', 'chunks'], 'readonly');
    const record = await tx.objectStore('indexes').get(key);
    if (!record) return null;
    const parts: ArrayBuffer[] = [];
    for (let i = 0; i < record.chunks; i++) {
      const buf = await tx.objectStore('chunks').get([key, i]);
      if (!buf) return null; // incomplete: treat as absent
      parts.push(buf);
    }
    await tx.done;
    const total = parts.reduce((s, b) => s + b.byteLength, 0) / 4;
    const vectors = new Float32Array(total);
    let off = 0;
    for (const b of parts) {
      vectors.set(new Float32Array(b), off);
      off += b.byteLength / 4;
    }
    if (vectors.length !== record.meta.count * record.meta.dim) return null;
    return { record, vectors };
  }

  async list(): Promise<IndexRecord[]> {
    const all = await this.db.getAll('indexes');
    return all.map((r) => ({ ...r, extra: undefined }));
  }

  async inSlot(slot: string): Promise<IndexRecord[]> {
    return (await this.db.getAllFromIndex('indexes', 'bySlot', slot)).map((r) => ({ ...r, extra: undefined }));
  }

  async delete(key: string): Promise<void> {
    const tx = this.db.transaction(['indexes', 'chunks'], 'readwrite');
    await tx.objectStore('chunks').delete(IDBKeyRange.bound([key, 0], [key, Number.MAX_SAFE_INTEGER]));
    await tx.objectStore('indexes').delete(key);
    await tx.done;
  }

  async getKv<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined> {
    return (await this.db.get('kv', key)) as KvSchema[K] | undefined;
  }

  async setKv<K extends KvKey>(key: K, value: KvSchema[K]): Promise<void> {
    try {
      await this.db.put('kv', value, key);
    } catch (e) {
      if (isQuotaError(e)) throw new QuotaError(0, 0);
      throw e;
    }
  }

  async replaceKvPrefix(prefix: string, entries: readonly (readonly [KvKey, unknown])[]): Promise<void> {
    if (!prefix) throw new Error('replaceKvPrefix needs a prefix');
    for (const [k] of entries) if (!k.startsWith(prefix)) throw new Error(`${k} does not start with ${prefix}`);
    const tx = this.db.transaction('kv', 'readwrite');
    try {
      await tx.store.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
      for (const [k, v] of entries) await tx.store.put(v, k);
      await tx.done;
    } catch (e) {
      // a request that throws (a value that cannot be stored) does not end the transaction by
      // itself: what was done before it would be committed
      try {
        tx.abort();
      } catch {
        /* already ended */
      }
      tx.done.catch(() => {});
      if (isQuotaError(e)) throw new QuotaError(0, 0);
      throw e;
    }
  }

  async getKvChain<K extends KvKey>(
    key: K,
    then: (value: KvSchema[K]) => readonly KvKey[],
  ): Promise<{ value: KvSchema[K] | undefined; more: unknown[] }> {
    const tx = this.db.transaction('kv', 'readonly');
    const value = (await tx.store.get(key)) as KvSchema[K] | undefined;
    const more: unknown[] = [];
    if (value !== undefined) for (const k of then(value)) more.push(await tx.store.get(k));
    await tx.done;
    return { value, more };
  }

  async kvKeys(): Promise<string[]> {
    return (await this.db.getAllKeys('kv')).map(String);
  }

  async deleteKv(key: string): Promise<void> {
    await this.db.delete('kv', key);
  }
}

export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  const nav = (globalThis as { navigator?: { storage?: StorageManager } }).navigator;
  if (!nav?.storage?.estimate) return null;
  const e = await nav.storage.estimate();
  return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
}
