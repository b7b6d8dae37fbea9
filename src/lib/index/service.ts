/**
 * The index service: holds the active vector index and persists it in IndexedDB. It is what
 * the index worker exposes, and what Node tools and tests call directly.
 */
import type { IndexFactory, IndexKind, SearchHit, VectorIndex } from './vector-index.ts';
import { IndexStore, indexKey, staleReasons, type IndexMeta, type IndexRecord } from './store.ts';
import type { IndexSearchOptions, IndexServiceApi } from '../services.ts';
import { IndexMismatchError } from '../errors.ts';

export type RestoreResult =
  | { status: 'restored'; record: IndexRecord; loadMs: number }
  | { status: 'missing' }
  | { status: 'stale'; reasons: string[]; record: IndexRecord };

/**
 * Holds one active index per slot (a corpus may have a second index, e.g. over masked
 * questions, in the slot `<corpus>#masked`). Searches go to the primary slot unless named.
 */
export class IndexService implements IndexServiceApi {
  private actives = new Map<string, { index: VectorIndex; key: string; corpusHash: string }>();
  private primary: string | null = null;

  constructor(
    private readonly store: IndexStore,
    private readonly factories: Partial<Record<IndexKind, IndexFactory>>,
  ) {}

  private factory(kind: IndexKind): IndexFactory {
    const f = this.factories[kind];
    if (!f) throw new Error(`index kind "${kind}" is not available here`);
    return f;
  }

  /** Reuse a stored index when its identity matches; else say whether one is stale. */
  async restore(meta: IndexMeta): Promise<RestoreResult> {
    const t0 = performance.now();
    const key = indexKey(meta);
    if (this.actives.get(meta.slot)?.key === key) {
      const rec = (await this.store.inSlot(meta.slot)).find((r) => r.key === key);
      if (rec) {
        this.markPrimary(meta.slot);
        return { status: 'restored', record: rec, loadMs: 0 };
      }
    }
    const got = await this.store.get(key);
    if (got) {
      const index = await this.factory(meta.kind).restore(got.vectors, meta.dim, got.record.extra);
      this.activate(meta.slot, index, key, got.record.meta.corpusHash);
      return { status: 'restored', record: { ...got.record, extra: undefined }, loadMs: performance.now() - t0 };
    }
    const others = await this.store.inSlot(meta.slot);
    if (others.length) return { status: 'stale', reasons: staleReasons(others[0].meta, meta), record: others[0] };
    return { status: 'missing' };
  }

  /** Build an index from vectors, save it atomically, then make it active. */
  async build(meta: IndexMeta, vectors: Float32Array, embedMs: number): Promise<IndexRecord> {
    if (vectors.length !== meta.count * meta.dim) {
      throw new Error(`expected ${meta.count}×${meta.dim} values, got ${vectors.length}`);
    }
    const t0 = performance.now();
    const index = await this.factory(meta.kind).build(vectors, meta.dim);
    const buildMs = performance.now() - t0;
    // Persist first: if saving fails (quota), the previous index stays active and stored.
    const record = await this.store.save(meta, vectors, index.serializeExtra(), embedMs + buildMs);
    this.activate(meta.slot, index, record.key, meta.corpusHash);
    return { ...record, extra: undefined };
  }

  /**
   * Extend the stored index `base` by rows appended at the end of its corpus: only the new rows'
   * `vectors` are given (nothing earlier is re-embedded); the index is rebuilt from the stored
   * vectors plus these, saved atomically under `meta`'s key (replacing the slot) and made active.
   * `meta` must be `base` with `count` grown by the new rows and the corpus hash of the longer
   * corpus (corpusHashAppend), so its key is exactly what a full rebuild would store. Refused
   * (IndexMismatchError) when `base` is not the stored index: the caller then builds in full.
   */
  async append(meta: IndexMeta, base: IndexMeta, vectors: Float32Array): Promise<IndexRecord> {
    const added = meta.count - base.count;
    const same = (['slot', 'embedderId', 'dtype', 'dim', 'kind', 'textMode'] as const).every(
      (f) => meta[f] === base[f],
    );
    if (!same || added <= 0 || vectors.length !== added * meta.dim) {
      throw new Error(`append: expected ${Math.max(added, 0)}×${meta.dim} new values for the same index identity`);
    }
    const got = await this.store.get(indexKey(base));
    if (!got) throw new IndexMismatchError(meta.slot);
    const all = new Float32Array(got.vectors.length + vectors.length);
    all.set(got.vectors, 0);
    all.set(vectors, got.vectors.length);
    return this.build(meta, all, got.record.buildMs);
  }

  /** Secondary slots are named `<primary>#<what>`; anything else becomes the primary slot. */
  private markPrimary(slot: string): void {
    if (!slot.includes('#')) this.primary = slot;
  }

  private activate(slot: string, index: VectorIndex, key: string, corpusHash: string): void {
    const old = this.actives.get(slot);
    if (old && old.index !== index) old.index.dispose?.();
    this.actives.set(slot, { index, key, corpusHash });
    this.markPrimary(slot);
  }

  private get(slot?: string, corpusHash?: string): VectorIndex {
    const name = slot ?? this.primary;
    const a = name != null ? this.actives.get(name) : undefined;
    if (!a) throw new Error(slot ? `no index is loaded for ${slot}` : 'no index is loaded: build or load one first');
    if (corpusHash !== undefined && a.corpusHash !== corpusHash) throw new IndexMismatchError(name!);
    return a.index;
  }

  get ready(): boolean {
    return this.primary != null && this.actives.has(this.primary);
  }

  /**
   * Top-k rows of the active index (the primary slot unless `o.slot`). With `o.corpusHash`, an
   * index built from another corpus is refused (IndexMismatchError) instead of returning rows
   * that point at the wrong examples.
   */
  async search(query: Float32Array, k: number, o: IndexSearchOptions = {}): Promise<{ hits: SearchHit[]; ms: number }> {
    const index = this.get(o.slot, o.corpusHash);
    const t0 = performance.now();
    const ex = o.exclude?.length ? new Set(o.exclude) : null;
    const hits = index.search(query, k, ex ? (i) => ex.has(i) : undefined);
    return { hits, ms: performance.now() - t0 };
  }

  /** Vectors of an active index (used for hard-negative mining and evaluation). */
  vectors(slot?: string): Float32Array | null {
    try {
      return this.get(slot).vectors;
    } catch {
      return null;
    }
  }

  list(): Promise<IndexRecord[]> {
    return this.store.list();
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
    for (const [slot, a] of this.actives) {
      if (a.key !== key) continue;
      a.index.dispose?.();
      this.actives.delete(slot);
      if (this.primary === slot) this.primary = null;
    }
  }
}
