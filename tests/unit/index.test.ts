import 'fake-indexeddb/auto';
import { describe, expect, test, beforeAll } from 'vitest';
import { voyFactory } from '../../src/lib/index/voy.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { TopK } from '../../src/lib/index/vector-index.ts';
import { IndexStore, indexKey, type IndexMeta } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { randomUnit } from './helpers.ts';
import { voyReady } from '../../src/node/host.ts';

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

// Search itself (top-k vs an exact scan, exclude, k, serialization, width errors) is checked for
// every implementation by the contract suite in vector-index.contract.test.ts.

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
