/**
 * The index service: holds the active vector index and persists it in IndexedDB. It is what
 * the index worker exposes, and what Node tools and tests call directly.
 */
import type { IndexFactory, IndexKind, SearchHit, VectorIndex } from './vector-index.ts';
import { IndexStore, indexKey, staleReasons, type IndexMeta, type IndexRecord } from './store.ts';

export type RestoreResult =
  | { status: 'restored'; record: IndexRecord; loadMs: number }
  | { status: 'missing' }
  | { status: 'stale'; reasons: string[]; record: IndexRecord };

export class IndexService {
  private active: VectorIndex | null = null;
  private activeKey: string | null = null;

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
    if (this.activeKey === key && this.active) {
      const rec = (await this.store.inSlot(meta.slot)).find((r) => r.key === key);
      if (rec) return { status: 'restored', record: rec, loadMs: 0 };
    }
    const got = await this.store.get(key);
    if (got) {
      this.activate(await this.factory(meta.kind).restore(got.vectors, meta.dim, got.record.extra), key);
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
    this.activate(index, record.key);
    return { ...record, extra: undefined };
  }

  private activate(index: VectorIndex, key: string): void {
    if (this.active !== index) this.active?.dispose?.();
    this.active = index;
    this.activeKey = key;
  }

  get ready(): boolean {
    return this.active != null;
  }

  search(query: Float32Array, k: number, excludeRows?: number[]): { hits: SearchHit[]; ms: number } {
    if (!this.active) throw new Error('no index is loaded: build or load one first');
    const t0 = performance.now();
    const ex = excludeRows?.length ? new Set(excludeRows) : null;
    const hits = this.active.search(query, k, ex ? (i) => ex.has(i) : undefined);
    return { hits, ms: performance.now() - t0 };
  }

  /** Vectors of the active index (used for hard-negative mining and evaluation). */
  vectors(): Float32Array | null {
    return this.active?.vectors ?? null;
  }

  list(): Promise<IndexRecord[]> {
    return this.store.list();
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
    if (this.activeKey === key) {
      this.active?.dispose?.();
      this.active = null;
      this.activeKey = null;
    }
  }
}
