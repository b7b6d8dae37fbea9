/**
 * The VectorIndex contract: one suite, run against every implementation (in the spirit of
 * duckdb-wasm's test suites that take `() => db`). Each implementation only supplies its factory;
 * the expectations are the interface's, checked against an exact float64 scan.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { Int8Index, createInt8Factory, int8Factory } from '../../src/lib/index/int8.ts';
import { spawnNodeScanHelper } from '../../src/node/scan-threads.ts';
import { createIvfFactory } from '../../src/lib/index/ivf.ts';
import { createHnswFactory } from '../../src/lib/index/hnsw.ts';
import type { IndexFactory, SearchHit, VectorIndex } from '../../src/lib/index/vector-index.ts';
import { voyFactory } from '../../src/lib/index/voy.ts';
import { voyReady } from '../../src/node/host.ts';
import { randomUnit } from './helpers.ts';

/** Every row's inner product with `q`, in float64, best first (ties by row). */
function exactScan(vectors: Float32Array, dim: number, q: Float32Array, exclude?: (i: number) => boolean) {
  const n = vectors.length / dim;
  const out: SearchHit[] = [];
  for (let i = 0; i < n; i++) {
    if (exclude?.(i)) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[i * dim + j] * q[j];
    out.push({ row: i, score: s });
  }
  return out.sort((a, b) => b.score - a.score || a.row - b.row);
}

/** The hits are the exact top-k (same rows, same order) with exact scores. */
function expectExactTopK(hits: SearchHit[], exact: SearchHit[], k: number): void {
  const want = exact.slice(0, Math.max(0, k));
  expect(hits.map((h) => h.row)).toEqual(want.map((h) => h.row));
  hits.forEach((h, j) => expect(h.score).toBeCloseTo(want[j].score, 6));
}

const row = (v: Float32Array, dim: number, i: number) => v.slice(i * dim, (i + 1) * dim);

/** int8 on three threads (worker_threads helpers), built only once every helper has joined. */
const threadedInt8: IndexFactory = {
  kind: 'int8',
  async build(vectors, dim) {
    const index = new Int8Index(vectors, dim, { threads: { count: 3, spawn: spawnNodeScanHelper } });
    const t0 = Date.now();
    while (index.size > 0 && index.scanThreads < 3) {
      if (Date.now() - t0 > 20_000) throw new Error(`only ${index.scanThreads} scan threads joined`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return index;
  },
  restore(vectors, dim) {
    return this.build(vectors, dim);
  },
};

/** Runs the contract against the index kind that `factory` builds. */
export function vectorIndexContract(name: string, factory: () => IndexFactory, setup?: () => Promise<void>): void {
  // 48: not a multiple of 32 (int8 pads its rows); 512: the width of the shipped embedders.
  describe.each([48, 512])(`VectorIndex contract: ${name}, %i-d`, (dim) => {
    const n = 400;
    const vectors = randomUnit(n, dim, 11 + dim);
    const queries = Array.from({ length: 8 }, (_, t) => randomUnit(1, dim, 500 + dim + t));
    let index: VectorIndex;

    beforeAll(async () => {
      await setup?.();
      index = await factory().build(vectors, dim);
    });

    test('reports its kind, width and size, and keeps the vectors', () => {
      expect(index.kind).toBe(factory().kind);
      expect(index.dim).toBe(dim);
      expect(index.size).toBe(n);
      expect(index.vectors).toBe(vectors);
    });

    test('top-k rows, order and scores equal an exact float64 scan', () => {
      for (const q of queries) {
        const exact = exactScan(vectors, dim, q);
        for (const k of [1, 5, 10]) expectExactTopK(index.search(q, k), exact, k);
      }
    });

    test('a stored vector finds itself first with score 1', () => {
      for (const i of [0, 123, n - 1]) {
        const hits = index.search(row(vectors, dim, i), 3);
        expect(hits[0].row).toBe(i);
        expect(hits[0].score).toBeCloseTo(1, 5);
      }
    });

    test('exclude drops rows and the rest is still the exact top-k', () => {
      const i = 42;
      const q = row(vectors, dim, i);
      // the query's own row and its three nearest neighbours
      const dropped = new Set(
        exactScan(vectors, dim, q)
          .slice(0, 4)
          .map((h) => h.row),
      );
      expect(dropped.has(i)).toBe(true);
      const exclude = (r: number) => dropped.has(r);
      const hits = index.search(q, 10, exclude);
      for (const h of hits) expect(dropped.has(h.row)).toBe(false);
      expectExactTopK(hits, exactScan(vectors, dim, q, exclude), 10);
      expect(index.search(q, 5, () => true)).toEqual([]);
    });

    test('k larger than the index returns every row once, best first', () => {
      const q = queries[0];
      const hits = index.search(q, n + 50);
      expect(hits).toHaveLength(n);
      expect(new Set(hits.map((h) => h.row)).size).toBe(n);
      expectExactTopK(hits, exactScan(vectors, dim, q), n);
      // with an exclusion, every remaining row
      expect(index.search(q, n + 50, (r) => r % 2 === 0)).toHaveLength(n / 2);
    });

    test('k = 0 (or less) returns no hits', () => {
      expect(index.search(queries[1], 0)).toEqual([]);
      expect(index.search(queries[1], -3)).toEqual([]);
    });

    test('serialize and restore give an index with the same answers', async () => {
      const extra = index.serializeExtra();
      expect(extra === undefined || typeof extra === 'string').toBe(true);
      const again = await factory().restore(vectors, dim, extra);
      expect(again.kind).toBe(index.kind);
      expect(again.size).toBe(n);
      for (const q of queries.slice(0, 3)) expect(again.search(q, 10)).toEqual(index.search(q, 10));
      // restoring without the extra state rebuilds it from the vectors
      const rebuilt = await factory().restore(vectors, dim, undefined);
      expect(rebuilt.search(queries[0], 10)).toEqual(index.search(queries[0], 10));
      again.dispose?.();
      rebuilt.dispose?.();
    });

    test('a query of the wrong width is an error, not an answer', () => {
      expect(() => index.search(new Float32Array(dim - 1), 3)).toThrow(/dims/);
      expect(() => index.search(new Float32Array(dim + 1), 3)).toThrow(/dims/);
    });

    test('a vector buffer that is not a whole number of rows is rejected', async () => {
      await expect(async () => factory().build(new Float32Array(dim * 3 + 1), dim)).rejects.toThrow(/multiple/);
      await expect(async () => factory().restore(new Float32Array(10), 3, undefined)).rejects.toThrow(/multiple/);
    });

    test('an empty index answers every search with no hits', async () => {
      const empty = await factory().build(new Float32Array(0), dim);
      expect(empty.size).toBe(0);
      expect(empty.search(queries[0], 5)).toEqual([]);
      expect(empty.search(queries[0], 0)).toEqual([]);
      empty.dispose?.();
    });
  });
}

vectorIndexContract('flat', () => flatFactory);
vectorIndexContract('voy', () => voyFactory, voyReady);
vectorIndexContract('int8 (WASM SIMD kernel)', () => int8Factory);
vectorIndexContract('int8 (JS kernel)', () => createInt8Factory({ wasm: false }));
vectorIndexContract('int8 (3 scan threads on a shared memory)', () => threadedInt8);
// IVF with every list probed must be exact; its recall at smaller nprobe is in index-ivf.test.ts.
vectorIndexContract('ivf (every list probed)', () => createIvfFactory({ nprobe: Infinity }));
vectorIndexContract('ivf (JS kernel, every list probed)', () => createIvfFactory({ nprobe: Infinity, wasm: false }));
// HNSW with a beam as wide as the index must be exact (random 512-d points are its worst case); its
// recall at the default beam is in index-hnsw.test.ts and scripts/scan-bench.ts.
vectorIndexContract('hnsw (hnswlib-wasm, beam of 400)', () => createHnswFactory({ efSearch: 400 }));
