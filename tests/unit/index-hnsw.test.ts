import { describe, expect, it } from 'vitest';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import { HNSW_HEAP_CAP, HnswIndex, hnswHeapBytes, loadHnswlib } from '../../src/lib/index/hnsw.ts';
import { synthClustered } from '../../src/node/bench/synth.ts';

describe('HnswIndex', () => {
  it('finds the exact top 10 at the default beam on clustered data', async () => {
    const lib = await loadHnswlib();
    const n = 2000;
    const dim = 32;
    const { v, centres } = synthClustered(n, dim, 20, 1, 7);
    const qs = synthClustered(30, dim, 20, 1, 8, centres).v;
    const h = new HnswIndex(lib, v, dim);
    const flat = new FlatIndex(v, dim);
    let found = 0;
    for (let i = 0; i < 30; i++) {
      const q = qs.subarray(i * dim, (i + 1) * dim);
      const truth = new Set(flat.search(q, 10).map((x) => x.row));
      const hits = h.search(q, 10);
      expect(hits).toHaveLength(10);
      found += hits.filter((x) => truth.has(x.row)).length;
    }
    h.dispose();
    expect(found / 300).toBeGreaterThanOrEqual(0.95);
  });

  it('reports its build progress every N points and at the end', async () => {
    const lib = await loadHnswlib();
    const dim = 8;
    const { v } = synthClustered(250, dim, 5, 1, 3);
    const seen: [number, number][] = [];
    const h = new HnswIndex(lib, v, dim, { progressEvery: 100, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([
      [100, 250],
      [200, 250],
      [250, 250],
    ]);
    expect(h.size).toBe(250);
    h.dispose();
  });

  it('estimates its heap from the layout: vectors, links and bookkeeping', () => {
    // the vector copy dominates; links grow with M
    expect(hnswHeapBytes(1000, 512, 16)).toBeGreaterThan(1000 * 512 * 4);
    expect(hnswHeapBytes(1000, 512, 32)).toBeGreaterThan(hnswHeapBytes(1000, 512, 16));
    expect(hnswHeapBytes(2000, 512, 16)).toBeCloseTo(2 * hnswHeapBytes(1000, 512, 16), -3);
    // 1M × 512 cannot fit the library's 2 GiB heap; 1M × 384 at M 16 just does
    expect(hnswHeapBytes(1_000_000, 512, 16)).toBeGreaterThan(HNSW_HEAP_CAP);
    expect(hnswHeapBytes(1_000_000, 384, 16)).toBeLessThan(HNSW_HEAP_CAP);
  });

  it('refuses a graph over its heap limit with a clear message, before building', async () => {
    const lib = await loadHnswlib();
    const dim = 16;
    const v = synthClustered(100, dim, 5, 1, 3).v;
    const limit = hnswHeapBytes(100, dim, 16) - 1;
    expect(() => new HnswIndex(lib, v, dim, { heapLimitBytes: limit })).toThrow(
      /HNSW graph of 100 × 16 .* over its limit .* int8 or IVF/,
    );
    // at the estimate itself it builds
    const ok = new HnswIndex(lib, v, dim, { heapLimitBytes: limit + 1 });
    expect(ok.size).toBe(100);
    ok.dispose();
  });
});
