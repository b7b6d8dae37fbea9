/**
 * HNSW (hierarchical navigable small-world graph) through hnswlib-wasm (hnswlib compiled to
 * WebAssembly), as a VectorIndex: a peer of the int8 scan and the IVF index in the index
 * benchmark (scripts/scan-bench.ts), and an index kind of its own.
 *
 * The graph is searched with `efSearch` for `candidates` rows (at least 4·k), which are re-scored
 * exactly against the Float32 vectors, so the scores callers see are exact inner products and only
 * the candidate set can differ from the flat scan. When k is more than a quarter of the rows, the
 * index scans them all instead (the graph could not return every row of a filtered search, and a
 * scan is cheaper there anyway).
 *
 * The graph lives in the library's WebAssembly heap (a second copy of the vectors plus the links;
 * the heap is capped at 2 GiB, so a graph estimated above that is refused with a clear error before
 * anything is built: 1M × 512 does not fit). It is not persisted: serializeExtra() is undefined and restore()
 * rebuilds it from the vectors, which gives the same graph (points are inserted in row order with
 * a fixed seed, on one thread).
 *
 * Loading: the package is built for the web (emscripten ENVIRONMENT=web) and its own loader also
 * opens an IndexedDB file system that is not needed here. So the emscripten factory is imported
 * directly, lazily (about 0.9 MB of JS with the WASM inlined), and in Node, which has neither
 * `window` nor `importScripts`, a throwing `importScripts` is defined while the factory runs (the
 * factory only checks that one of the two exists; a browser worker has `importScripts`).
 */
import type { HierarchicalNSW, HnswlibModule } from 'hnswlib-wasm';
import { FlatIndex } from './flat.ts';
import { dot, type IndexFactory, type SearchHit, type VectorIndex } from './vector-index.ts';

export interface HnswOptions {
  /** Links per node (hnswlib's M; level 0 has 2·M). Default 16. */
  m?: number;
  /** Beam width while inserting. Default 100. */
  efConstruction?: number;
  /** Beam width while searching (raised to the candidate count when smaller). Default 64. */
  efSearch?: number;
  /** Rows re-scored exactly per query (at least 4·k). Default 64. */
  candidates?: number;
  /** Level-generation seed. Default 100. */
  seed?: number;
  /** Refuse to build a graph whose estimated size (hnswHeapBytes) exceeds this. Default 2 GiB, the heap cap. */
  heapLimitBytes?: number;
  /** Called every `progressEvery` points while the graph is built (done, total). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** hnswlib-wasm's heap cap: its emscripten build stops growing the memory at 2 GiB. */
export const HNSW_HEAP_CAP = 2 ** 31;

export const HNSW_DEFAULTS = {
  m: 16,
  efConstruction: 100,
  efSearch: 64,
  candidates: 64,
  seed: 100,
  heapLimitBytes: HNSW_HEAP_CAP,
  onProgress: (): void => {},
  progressEvery: 10_000,
};

/**
 * Estimated bytes of the library's heap that a graph of `n` points of `dim` floats with `m` links
 * takes: per point its vector copy, 2·m level-0 links with their count, its label, and about 64
 * bytes of bookkeeping (level, lock, link-list pointer, label map entry, visited-list slot); plus
 * the upper levels (about n/m points with m links each). An estimate from hnswlib's layout (wasm32:
 * 4-byte labels and pointers), compared with the measured heap growth in docs/scan-bench.md.
 */
export function hnswHeapBytes(n: number, dim: number, m: number): number {
  return n * (4 * dim + 8 * m + 4 + 4 + 64) + Math.ceil(n / m) * (4 * m + 4);
}

let libPromise: Promise<HnswlibModule> | null = null;

/** The hnswlib-wasm module, loaded once per realm. */
export function loadHnswlib(): Promise<HnswlibModule> {
  libPromise ??= (async () => {
    const g = globalThis as { window?: unknown; importScripts?: unknown };
    const shim = typeof g.window !== 'object' && typeof g.importScripts !== 'function';
    if (shim)
      g.importScripts = () => {
        throw new Error('importScripts is not available here');
      };
    try {
      const { default: factory } = await import('hnswlib-wasm/dist/hnswlib-317962d7.js');
      return (await factory()) as HnswlibModule;
    } finally {
      if (shim) delete g.importScripts;
    }
  })();
  libPromise.catch(() => (libPromise = null));
  return libPromise;
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly size: number;
  /** ms spent inserting the points. */
  readonly buildMs: number;
  private graph: HierarchicalNSW | null;
  private readonly o: Required<HnswOptions>;
  private ef = 0;

  constructor(
    lib: HnswlibModule,
    readonly vectors: Float32Array,
    readonly dim: number,
    opts: HnswOptions = {},
  ) {
    if (vectors.length % dim !== 0)
      throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
    const n = (this.size = vectors.length / dim);
    this.o = { ...HNSW_DEFAULTS, ...opts };
    const need = hnswHeapBytes(n, dim, this.o.m);
    if (need > this.o.heapLimitBytes)
      throw new Error(
        `an HNSW graph of ${n} × ${dim} (M ${this.o.m}) needs about ${Math.round(need / 2 ** 20)} MiB of ` +
          `hnswlib-wasm's heap, over its limit of ${Math.round(this.o.heapLimitBytes / 2 ** 20)} MiB: ` +
          'use the int8 or IVF index for a corpus this size',
      );
    const t0 = performance.now();
    if (n === 0) {
      this.graph = null;
    } else {
      const g = new lib.HierarchicalNSW('ip', dim, '');
      try {
        g.initIndex(n, this.o.m, this.o.efConstruction, this.o.seed);
        const every = Math.max(1, this.o.progressEvery);
        for (let r = 0; r < n; r++) {
          g.addPoint(vectors.subarray(r * dim, (r + 1) * dim), r, false);
          if ((r + 1) % every === 0 || r + 1 === n) this.o.onProgress(r + 1, n);
        }
      } catch (e) {
        (g as unknown as { delete(): void }).delete();
        throw e;
      }
      this.graph = g;
    }
    this.buildMs = performance.now() - t0;
  }

  /** Beam width for searches (the recall/latency knob). */
  set efSearch(ef: number) {
    this.o.efSearch = ef;
  }

  search(query: Float32Array, k: number, exclude?: (row: number) => boolean): SearchHit[] {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dims, index has ${this.dim}`);
    const n = this.size;
    const kk = Math.min(k, n);
    if (kk <= 0 || !this.graph) return [];
    if (4 * kk > n) return new FlatIndex(this.vectors, this.dim).search(query, kk, exclude);
    const want = Math.min(n, Math.max(this.o.candidates, 4 * kk));
    const ef = Math.max(this.o.efSearch, want);
    if (ef !== this.ef) this.graph.setEfSearch((this.ef = ef));
    const res = this.graph.searchKnn(query, want, exclude ? (row: number) => !exclude(row) : undefined);
    const hits = res.neighbors.map((row) => ({ row, score: dot(query, this.vectors, row * this.dim) }));
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    return hits.slice(0, kk);
  }

  serializeExtra(): undefined {
    return undefined;
  }

  dispose(): void {
    (this.graph as unknown as { delete(): void } | null)?.delete();
    this.graph = null;
  }
}

/** A factory with custom settings (the benchmark sweeps efSearch). Loads the library on first use. */
export function createHnswFactory(opts: HnswOptions = {}): IndexFactory {
  const make = async (vectors: Float32Array, dim: number) => {
    if (vectors.length % dim !== 0)
      throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
    return new HnswIndex(await loadHnswlib(), vectors, dim, opts);
  };
  return { kind: 'hnsw', build: make, restore: make };
}

export const hnswFactory: IndexFactory = createHnswFactory();
