import 'fake-indexeddb/auto';
import { describe, expect, test, beforeAll } from 'vitest';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import { VoyIndex, voyFactory } from '../../src/lib/index/voy.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { TopK } from '../../src/lib/index/vector-index.ts';
import { IndexStore, indexKey, type IndexMeta } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { randomUnit } from './helpers.ts';
import { voyReady } from '../../src/node/host.ts';

function bruteForce(vectors: Float32Array, dim: number, q: Float32Array, k: number): number[] {
  const n = vectors.length / dim;
  const scores = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += vectors[i * dim + j] * q[j];
    return { i, s };
  });
  return scores
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.i);
}

beforeAll(async () => {
  await voyReady();
});

describe('TopK', () => {
  test('keeps the k best in descending order', () => {
    const t = new TopK(3);
    [0.1, 0.9, 0.5, 0.7, 0.2, 0.95].forEach((s, i) => t.push(i, s));
    expect(t.hits.map((h) => h.row)).toEqual([5, 1, 3]);
  });
});

describe('FlatIndex', () => {
  test('matches brute force and excludes rows', () => {
    const dim = 64;
    const v = randomUnit(500, dim, 1);
    const idx = new FlatIndex(v, dim);
    for (let t = 0; t < 5; t++) {
      const q = randomUnit(1, dim, 100 + t);
      expect(idx.search(q, 10).map((h) => h.row)).toEqual(bruteForce(v, dim, q, 10));
    }
    const q = v.slice(7 * dim, 8 * dim);
    expect(idx.search(q, 1)[0].row).toBe(7);
    expect(idx.search(q, 1)[0].score).toBeCloseTo(1, 5);
    expect(idx.search(q, 3, (i) => i === 7).map((h) => h.row)).not.toContain(7);
  });
  test('rejects a query of the wrong width', () => {
    expect(() => new FlatIndex(randomUnit(3, 8, 1), 8).search(new Float32Array(4), 1)).toThrow(/dims/);
  });
});

describe('VoyIndex', () => {
  test('finds each vector itself, with exact scores, and survives serialization', () => {
    const dim = 32;
    const v = randomUnit(300, dim, 2);
    const idx = VoyIndex.build(v, dim);
    for (const i of [0, 17, 299]) {
      const hits = idx.search(v.slice(i * dim, (i + 1) * dim), 3);
      expect(hits[0].row).toBe(i);
      expect(hits[0].score).toBeCloseTo(1, 5);
      expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
    }
    const again = VoyIndex.restore(v, dim, idx.serializeExtra());
    expect(again.search(v.slice(5 * dim, 6 * dim), 1)[0].row).toBe(5);
  });
});

describe('IndexService + IndexStore (IndexedDB)', () => {
  const meta = (over: Partial<IndexMeta> = {}): IndexMeta => ({
    slot: 'test',
    embedderId: 'e',
    dtype: 'q8',
    dim: 16,
    corpusHash: 'h1',
    count: 50,
    kind: 'flat',
    textMode: 'question',
    ...over,
  });

  test('build persists; a new service restores without re-embedding; changes are stale', async () => {
    const store = await IndexStore.open('t-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory, voy: voyFactory });
    const v = randomUnit(50, 16, 3);
    expect((await svc.restore(meta())).status).toBe('missing');
    const rec = await svc.build(meta(), v, 10);
    expect(rec.key).toBe(indexKey(meta()));
    const svc2 = new IndexService(store, { flat: flatFactory });
    const r = await svc2.restore(meta());
    expect(r.status).toBe('restored');
    const q = v.slice(9 * 16, 10 * 16);
    expect((await svc2.search(q, 1)).hits[0].row).toBe(9);
    const stale = await svc2.restore(meta({ embedderId: 'other', corpusHash: 'h2' }));
    expect(stale.status).toBe('stale');
    if (stale.status === 'stale') {
      expect(stale.reasons.join(' ')).toMatch(/embedder changed/);
      expect(stale.reasons.join(' ')).toMatch(/corpus changed/);
    }
  });

  test('a failed build leaves the previous index stored and active', async () => {
    const store = await IndexStore.open('t-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory });
    const v = randomUnit(50, 16, 4);
    await svc.build(meta(), v, 1);
    // wrong vector count: rejected before anything is written
    await expect(svc.build(meta({ corpusHash: 'h2' }), new Float32Array(10), 1)).rejects.toThrow(/expected/);
    expect((await store.list()).map((r) => r.meta.corpusHash)).toEqual(['h1']);
    expect((await svc.search(v.slice(0, 16), 1)).hits[0].row).toBe(0);
  });

  test('a second slot (masked questions) is searched by name; the primary stays the default', async () => {
    const store = await IndexStore.open('t-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory });
    const a = randomUnit(50, 16, 7),
      b = randomUnit(30, 16, 8);
    await svc.build(meta(), a, 1);
    await svc.build(meta({ slot: 'test#masked', count: 30, textMode: 'masked-question' }), b, 1);
    expect((await svc.search(a.slice(4 * 16, 5 * 16), 1)).hits[0].row).toBe(4);
    expect((await svc.search(b.slice(20 * 16, 21 * 16), 1, { slot: 'test#masked' })).hits[0].row).toBe(20);
    await expect(svc.search(a.slice(0, 16), 1, { slot: 'other' })).rejects.toThrow(/no index is loaded for other/);
    expect((await store.list()).length).toBe(2);
  });

  test('a rebuild in the same slot replaces the old index atomically', async () => {
    const store = await IndexStore.open('t-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory, voy: voyFactory });
    await svc.build(meta(), randomUnit(50, 16, 5), 1);
    await svc.build(meta({ kind: 'voy', corpusHash: 'h3' }), randomUnit(50, 16, 6), 1);
    const all = await store.list();
    expect(all).toHaveLength(1);
    expect(all[0].meta.kind).toBe('voy');
    const got = await store.get(all[0].key);
    expect(got?.vectors.length).toBe(50 * 16);
  });
});
