import { describe, expect, test } from 'vitest';
import {
  bootstrapMean,
  mean,
  median,
  mulberry32,
  percentile,
  sampleIndices,
  seededShuffle,
  wilson,
} from '../../src/lib/eval/stats.ts';
import { aggregate, hitAtK, meanCI, mrrAtK, ndcgAtK, precisionAtK, recallAtK } from '../../src/lib/eval/retrieval.ts';

describe('mulberry32', () => {
  test('deterministic for a seed, different across seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
  });

  test('values lie in [0, 1) and look uniform', () => {
    const r = mulberry32(7);
    const n = 20000;
    let sum = 0;
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 50);
  });

  test('seed 0 and negative/large seeds work', () => {
    expect(Number.isFinite(mulberry32(0)())).toBe(true);
    expect(mulberry32(-1)()).toBe(mulberry32(0xffffffff)());
  });
});

describe('seededShuffle', () => {
  test('is a permutation, reproducible, and does not touch the input', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const copy = items.slice();
    const s1 = seededShuffle(items, 3);
    expect(items).toEqual(copy);
    expect(s1.slice().sort((a, b) => a - b)).toEqual(items);
    expect(seededShuffle(items, 3)).toEqual(s1);
    expect(seededShuffle(items, 4)).not.toEqual(s1);
    expect(s1).not.toEqual(items);
  });

  test('edge sizes', () => {
    expect(seededShuffle([], 1)).toEqual([]);
    expect(seededShuffle(['a'], 1)).toEqual(['a']);
  });
});

describe('sampleIndices', () => {
  test('k distinct sorted indices in range, reproducible', () => {
    const s = sampleIndices(100, 10, 5);
    expect(s).toHaveLength(10);
    expect(new Set(s).size).toBe(10);
    expect(s).toEqual(s.slice().sort((a, b) => a - b));
    for (const i of s) {
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(100);
    }
    expect(sampleIndices(100, 10, 5)).toEqual(s);
    expect(sampleIndices(100, 10, 6)).not.toEqual(s);
  });

  test('k >= n returns everything; k <= 0 returns nothing', () => {
    expect(sampleIndices(5, 9, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(5, 0, 1)).toEqual([]);
    expect(sampleIndices(0, 3, 1)).toEqual([]);
    expect(sampleIndices(5, -2, 1)).toEqual([]);
  });

  test('roughly uniform coverage', () => {
    const counts = new Array(20).fill(0);
    for (let seed = 0; seed < 2000; seed++) for (const i of sampleIndices(20, 5, seed)) counts[i]++;
    // expected 500 each
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(100);
  });
});

describe('wilson', () => {
  test('known value: 8 of 10 at 95%', () => {
    const { lo, hi } = wilson(8, 10);
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
  });

  test('bounds and extremes', () => {
    expect(wilson(0, 10).lo).toBe(0);
    expect(wilson(10, 10).hi).toBe(1);
    expect(wilson(0, 10).hi).toBeGreaterThan(0);
    expect(wilson(10, 10).lo).toBeLessThan(1);
    expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 });
  });

  test('narrows with n and widens with z', () => {
    const small = wilson(5, 10);
    const big = wilson(500, 1000);
    expect(big.hi - big.lo).toBeLessThan(small.hi - small.lo);
    const z99 = wilson(5, 10, 2.576);
    expect(z99.hi - z99.lo).toBeGreaterThan(small.hi - small.lo);
    expect(small.lo).toBeLessThan(0.5);
    expect(small.hi).toBeGreaterThan(0.5);
  });
});

describe('bootstrapMean', () => {
  const values = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // mean 0.25

  test('interval contains the mean and is reproducible', () => {
    const ci = bootstrapMean(values);
    expect(ci.lo).toBeLessThan(0.25);
    expect(ci.hi).toBeGreaterThan(0.25);
    expect(ci.hi - ci.lo).toBeLessThan(0.2);
    expect(bootstrapMean(values)).toEqual(ci);
    expect(bootstrapMean(values, { seed: 2 })).not.toEqual(ci);
  });

  test('roughly agrees with the Wilson interval for a proportion', () => {
    const ci = bootstrapMean(values, { iters: 4000 });
    const w = wilson(50, 200);
    expect(Math.abs(ci.lo - w.lo)).toBeLessThan(0.03);
    expect(Math.abs(ci.hi - w.hi)).toBeLessThan(0.03);
  });

  test('wider at smaller alpha', () => {
    const a = bootstrapMean(values, { alpha: 0.1 });
    const b = bootstrapMean(values, { alpha: 0.01 });
    expect(b.hi - b.lo).toBeGreaterThan(a.hi - a.lo);
  });

  test('degenerate inputs', () => {
    expect(bootstrapMean([3])).toEqual({ lo: 3, hi: 3 });
    expect(bootstrapMean([2, 2, 2])).toEqual({ lo: 2, hi: 2 });
    const e = bootstrapMean([]);
    expect(Number.isNaN(e.lo) && Number.isNaN(e.hi)).toBe(true);
  });
});

describe('median / percentile / mean', () => {
  test('median of odd and even counts, unsorted input left alone', () => {
    const v = [5, 1, 3];
    expect(median(v)).toBe(3);
    expect(v).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  test('percentile interpolates like numpy', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(10);
    expect(percentile(v, 50)).toBe(5.5);
    expect(percentile(v, 90)).toBeCloseTo(9.1, 10);
    expect(percentile(v, 25)).toBeCloseTo(3.25, 10);
    expect(percentile(v, 150)).toBe(10);
    expect(percentile(v, -5)).toBe(1);
    expect(percentile([7], 33)).toBe(7);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  test('mean', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(Number.isNaN(mean([]))).toBe(true);
  });
});

describe('retrieval metrics', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e'];

  test('recall@k', () => {
    expect(recallAtK(ranked, ['b', 'e', 'z'], 1)).toBe(0);
    expect(recallAtK(ranked, ['b', 'e', 'z'], 2)).toBeCloseTo(1 / 3);
    expect(recallAtK(ranked, ['b', 'e', 'z'], 5)).toBeCloseTo(2 / 3);
    expect(recallAtK(ranked, new Set(['a']), 10)).toBe(1);
  });

  test('mrr@k', () => {
    expect(mrrAtK(ranked, ['c'], 5)).toBeCloseTo(1 / 3);
    expect(mrrAtK(ranked, ['c', 'a'], 5)).toBe(1);
    expect(mrrAtK(ranked, ['c'], 2)).toBe(0);
    expect(mrrAtK(ranked, ['z'], 5)).toBe(0);
  });

  test('ndcg@k', () => {
    // perfect ranking
    expect(ndcgAtK(ranked, ['a', 'b'], 5)).toBeCloseTo(1);
    // single relevant at rank 2: 1/log2(3)
    expect(ndcgAtK(ranked, ['b'], 5)).toBeCloseTo(1 / Math.log2(3));
    // relevant at ranks 1 and 3 of two relevant: (1 + 1/2) / (1 + 1/log2(3))
    expect(ndcgAtK(ranked, ['a', 'c'], 5)).toBeCloseTo((1 + 0.5) / (1 + 1 / Math.log2(3)));
    // ideal DCG uses min(|rel|, k): 3 relevant, k = 1, first is relevant -> 1
    expect(ndcgAtK(ranked, ['a', 'b', 'c'], 1)).toBe(1);
    expect(ndcgAtK(ranked, ['z'], 5)).toBe(0);
  });

  test('hit@k and precision@k', () => {
    expect(hitAtK(ranked, ['d'], 3)).toBe(0);
    expect(hitAtK(ranked, ['d'], 4)).toBe(1);
    expect(precisionAtK(ranked, ['a', 'd'], 4)).toBe(0.5);
    expect(precisionAtK(['a'], ['a'], 4)).toBe(0.25);
  });

  test('duplicates in the ranking count once', () => {
    expect(recallAtK(['a', 'a', 'b'], ['a', 'b'], 2)).toBe(0.5);
    expect(ndcgAtK(['a', 'a'], ['a'], 2)).toBe(1);
    expect(precisionAtK(['a', 'a'], ['a'], 2)).toBe(0.5);
  });

  test('k <= 0 and short rankings', () => {
    expect(recallAtK(ranked, ['a'], 0)).toBe(0);
    expect(ndcgAtK(ranked, ['a'], 0)).toBe(0);
    expect(mrrAtK([], ['a'], 5)).toBe(0);
    expect(recallAtK(['a'], ['a', 'b'], 10)).toBe(0.5);
  });

  test('no relevant ids: NaN (undefined metric)', () => {
    for (const f of [recallAtK, mrrAtK, ndcgAtK, hitAtK, precisionAtK])
      expect(Number.isNaN(f(ranked, [], 5))).toBe(true);
  });
});

describe('aggregate / meanCI', () => {
  test('meanCI skips NaN and reports counts', () => {
    const m = meanCI([1, 0, NaN, 1, 1]);
    expect(m.mean).toBe(0.75);
    expect(m.n).toBe(4);
    expect(m.skipped).toBe(1);
    expect(m.lo).toBeLessThanOrEqual(0.75);
    expect(m.hi).toBeGreaterThanOrEqual(0.75);
  });

  test('summaries at several k', () => {
    const queries = [
      { ranked: ['a', 'b', 'c'], relevant: ['a'] },
      { ranked: ['x', 'y', 'z'], relevant: ['z'] },
      { ranked: ['p', 'q'], relevant: new Set<string>() }, // undefined, skipped
      { ranked: ['m', 'n', 'o'], relevant: ['q'] },
    ];
    const [at1, at3] = aggregate(queries, [1, 3], { iters: 200, seed: 9 });
    expect(at1.k).toBe(1);
    expect(at1.recall.mean).toBeCloseTo(1 / 3);
    expect(at1.recall.n).toBe(3);
    expect(at1.recall.skipped).toBe(1);
    expect(at3.recall.mean).toBeCloseTo(2 / 3);
    expect(at3.mrr.mean).toBeCloseTo((1 + 1 / 3 + 0) / 3);
    expect(at3.hit.mean).toBeCloseTo(2 / 3);
    expect(at3.ndcg.mean).toBeCloseTo((1 + 1 / Math.log2(4)) / 3);
    expect(at3.precision.mean).toBeCloseTo(2 / 9);
    for (const m of [at3.recall, at3.mrr, at3.ndcg, at3.hit]) {
      expect(m.lo).toBeLessThanOrEqual(m.mean);
      expect(m.hi).toBeGreaterThanOrEqual(m.mean);
    }
    expect(aggregate(queries, [1, 3], { iters: 200, seed: 9 })).toEqual([at1, at3]);
  });

  test('no queries', () => {
    const [s] = aggregate([], [5]);
    expect(s.recall.n).toBe(0);
    expect(Number.isNaN(s.recall.mean)).toBe(true);
  });
});
