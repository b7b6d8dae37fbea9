import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import { IvfIndex } from '../../src/lib/index/ivf.ts';
import {
  IVF_SHARD_VERSION,
  MapShardCache,
  ShardedIvf,
  cacheApiShardCache,
  decodeIds,
  encodeIds,
  writeIvfShards,
  type CacheLike,
  type IvfShardFiles,
} from '../../src/lib/index/ivf-shards.ts';
import { PackError } from '../../src/lib/pack/format.ts';
import { parseRange, startRangeServer, type RangeServer } from '../range-server.ts';
import { mulberry, randomUnit } from './helpers.ts';

const DIM = 64;
const N = 4000;
const EMB = { id: 'test/emb', dtype: 'q8', dim: DIM };

function clustered(n: number, seed: number): Float32Array {
  const r = mulberry(seed);
  const centers = randomUnit(30, DIM, 77);
  const v = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 30);
    let s = 0;
    for (let j = 0; j < DIM; j++) {
      const x = centers[c * DIM + j] + 0.1 * (r() * 2 - 1);
      v[i * DIM + j] = x;
      s += x * x;
    }
    for (let j = 0; j < DIM; j++) v[i * DIM + j] /= Math.sqrt(s);
  }
  return v;
}

const vectors = clustered(N, 1);
const queries = clustered(20, 2);
const q = (i: number) => queries.subarray(i * DIM, (i + 1) * DIM);
const flat = new FlatIndex(vectors, DIM);
let shards: IvfShardFiles;
let server: RangeServer;

const asMap = (f: Record<string, Uint8Array>, prefix = '') =>
  new Map(Object.entries(f).map(([k, v]) => [prefix + k, v] as const));

beforeAll(async () => {
  const index = new IvfIndex(vectors, DIM, { nlist: 64 });
  shards = writeIvfShards(index, { embedder: EMB, textMode: 'question' });
  server = await startRangeServer({ files: asMap(shards.files, 'idx/') });
});
afterAll(() => server.close());

describe('the Range test server', () => {
  test('parses single ranges and refuses unsatisfiable ones', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual([0, 9]);
    expect(parseRange('bytes=90-', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=-10', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=95-200', 100)).toEqual([95, 99]);
    expect(parseRange('bytes=100-101', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});

describe('sharded IVF over HTTP Range', () => {
  test('opens with two small requests, and a query fetches only its lists by Range', async () => {
    const log0 = server.log.length;
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx`, embedder: EMB, nprobe: 8 });
    expect(idx.nlist).toBe(64);
    expect(idx.size).toBe(N);
    expect(server.log.slice(log0).map((r) => r.path)).toEqual(['idx/ivf.json', 'idx/centroids.bin']);
    const log1 = server.log.length;
    const { hits, stats } = await idx.searchWithStats(q(0), 10);
    expect(hits).toHaveLength(10);
    expect(stats.lists).toBe(8);
    expect(stats.cacheHits).toBe(0);
    const reqs = server.log.slice(log1);
    expect(reqs).toHaveLength(stats.requests);
    for (const r of reqs) {
      expect(r.path).toBe('idx/shards.bin');
      expect(r.status).toBe(206);
      expect(r.range).toMatch(/^bytes=\d+-\d+$/);
    }
    expect(stats.bytesFetched).toBe(reqs.reduce((s, r) => s + r.bytes, 0));
    expect(stats.bytesFetched).toBeLessThan(shards.header.shards.bytes / 4);
  });

  test('recall@10 vs the exact scan ≥ 0.95, scores are the int8 rows’ inner products', async () => {
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 8 });
    let hit = 0;
    for (let i = 0; i < 20; i++) {
      const exact = flat.search(q(i), 10);
      const want = new Set(exact.map((h) => h.row));
      const hits = await idx.search(q(i), 10);
      hit += hits.filter((h) => want.has(h.row)).length;
      for (const h of hits) {
        let s = 0;
        for (let j = 0; j < DIM; j++) s += q(i)[j] * vectors[h.row * DIM + j];
        expect(Math.abs(h.score - s)).toBeLessThan(0.02);
      }
      for (let j = 1; j < hits.length; j++) expect(hits[j].score).toBeLessThanOrEqual(hits[j - 1].score);
    }
    expect(hit / 200).toBeGreaterThanOrEqual(0.95);
  });

  test('a warm cache answers the same query with no request', async () => {
    const cache = new MapShardCache();
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, cache });
    const cold = await idx.searchWithStats(q(3), 10);
    expect(cold.stats.bytesFetched).toBeGreaterThan(0);
    const log0 = server.log.length;
    const warm = await idx.searchWithStats(q(3), 10);
    expect(server.log.length).toBe(log0);
    expect(warm.stats.bytesFetched).toBe(0);
    expect(warm.stats.cacheHits).toBe(warm.stats.lists);
    expect(warm.hits).toEqual(cold.hits);
    // the cache outlives the index object (a page reload with the Cache API)
    const again = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, cache });
    expect((await again.searchWithStats(q(3), 10)).stats.requests).toBe(0);
  });

  test('exclude drops rows; excluded lists make it probe further', async () => {
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 1 });
    const first = await idx.search(q(5), 10);
    const dropped = new Set(first.map((h) => h.row));
    const hits = await idx.search(q(5), 10, (r) => dropped.has(r));
    expect(hits).toHaveLength(10);
    for (const h of hits) expect(dropped.has(h.row)).toBe(false);
    expect(await idx.search(q(5), 5, () => true)).toEqual([]);
  });

  test('at most `concurrency` Range requests are in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const counting = async (u: string, init?: { headers?: Record<string, string> }) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await fetch(u, init);
      } finally {
        inFlight--;
      }
    };
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, fetch: counting, nprobe: 32, concurrency: 3 });
    const { stats } = await idx.searchWithStats(q(7), 10);
    expect(stats.requests).toBeGreaterThan(3);
    expect(stats.requests).toBeLessThanOrEqual(32);
    expect(most).toBe(3);
  });

  test('lists that are neighbours in the file come in one Range request, each checked and cached', async () => {
    const cache = new MapShardCache();
    // every list: all 64 are neighbours, so after the first (alone while Range is unproven) one request
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 64, cache });
    const log0 = server.log.length;
    const { hits, stats } = await idx.searchWithStats(q(2), 10);
    const reqs = server.log.slice(log0);
    expect(stats.lists).toBe(64);
    expect(reqs.length).toBeLessThanOrEqual(3);
    expect(stats.requests).toBe(reqs.length);
    expect(stats.bytesFetched).toBe(shards.header.shards.bytes);
    expect(cache.map.size).toBe(64);
    // the answer is the exact int8 top-10 over all rows
    const all = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 64 });
    idx.nprobe = 64;
    expect(await all.search(q(2), 10)).toEqual(hits);
    const exact = flat.search(q(2), 10).map((h) => h.row);
    expect(hits.filter((h) => exact.includes(h.row)).length).toBeGreaterThanOrEqual(9);
  });

  test('another embedder is refused with both names', async () => {
    await expect(
      ShardedIvf.open({ baseUrl: `${server.url}idx/`, embedder: { id: 'other/model', dtype: 'q8', dim: 64 } }),
    ).rejects.toThrow(/built with test\/emb \(q8, 64-d\), you use other\/model \(q8, 64-d\)/);
  });

  test('the Cache API adapter stores and returns the bytes', async () => {
    const store = new Map<string, Response>();
    const fake: CacheLike = {
      match: (k) => Promise.resolve(store.get(k)?.clone()),
      put: (k, r) => {
        store.set(k, r);
        return Promise.resolve();
      },
    };
    const c = cacheApiShardCache(fake);
    await c.put('http://h/x?range=0-3', new Uint8Array([1, 2, 3]));
    expect(Array.from((await c.get('http://h/x?range=0-3'))!)).toEqual([1, 2, 3]);
    expect(await c.get('http://h/y')).toBeUndefined();
  });
});

describe('format version 2', () => {
  test('row ids round-trip through the delta varints; bad bytes give null', () => {
    const ids = [0, 1, 2, 127, 128, 300, 16_384, 2_000_000, 4_294_967_295];
    const b = encodeIds(ids);
    expect(Array.from(decodeIds(b, ids.length)!)).toEqual(ids);
    expect(b.length).toBeLessThan(ids.length * 4);
    expect(encodeIds([5, 6, 7])).toEqual(Uint8Array.from([5, 1, 1]));
    expect(decodeIds(b, ids.length + 1)).toBeNull();
    expect(decodeIds(b.subarray(0, b.length - 1), ids.length)).toBeNull();
    expect(decodeIds(b, ids.length - 1)).toBeNull();
    expect(() => encodeIds([3, 2])).toThrow(/ascend/);
  });

  test('the files round-trip: every row once, codes and scales as the index has them, int8 centroids', async () => {
    const index = new IvfIndex(vectors, DIM, { nlist: 64 });
    const again = writeIvfShards(index, { embedder: EMB });
    expect(again.header.version).toBe(IVF_SHARD_VERSION);
    expect(again.header.centroids.codec).toBe('int8');
    // centroids.bin: nlist×dim int8 codes, nlist scales, the table
    expect(again.header.centroids.bytes).toBe(64 * DIM + 64 * 4 + 64 * 16);
    const idx = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 64 });
    // all lists: every row comes back exactly once, with its int8 score
    const seen = await idx.search(q(0), N);
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((h) => h.row)).size).toBe(N);
    const codes = index.codesInListOrder();
    const scales = index.scalesInListOrder();
    const pos = new Map(Array.from(index.order, (r, p) => [r, p] as const));
    for (const h of seen.slice(0, 50)) {
      const p = pos.get(h.row)!;
      let s = 0;
      for (let j = 0; j < DIM; j++) s += q(0)[j] * codes[p * DIM + j];
      expect(h.score).toBeCloseTo(s * scales[p], 4);
    }
    // smaller than version 1's layout (u32 ids, float32 centroids)
    const v1 = 64 * DIM * 4 + 64 * 16 + N * (8 + DIM) + 64 * 4;
    expect(again.header.centroids.bytes + again.header.shards.bytes).toBeLessThan(v1);
  });

  test('a version-1 index is refused with a message to rebuild; a newer one asks for an update', async () => {
    const h = JSON.parse(new TextDecoder().decode(shards.files['ivf.json'])) as Record<string, unknown>;
    for (const [version, msg] of [
      [1, /format version 1, which this app no longer reads.*rebuild it with `npm run pack -- … --ivf`/],
      [3, /format version 3; this app reads version 2: update the app/],
    ] as const) {
      const files = { ...shards.files, 'ivf.json': new TextEncoder().encode(JSON.stringify({ ...h, version })) };
      const s = await startRangeServer({ files: asMap(files) });
      try {
        const e = await ShardedIvf.open({ baseUrl: s.url }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(PackError);
        expect((e as PackError).problem).toBe('version');
        expect((e as PackError).message).toMatch(msg);
      } finally {
        await s.close();
      }
    }
  });
});

describe('bad hosts and bad files', () => {
  test('a host that ignores Range: whole-file fallback, one warning, one download, same answers', async () => {
    const plain = await startRangeServer({ files: asMap(shards.files), range: false });
    try {
      const warnings: string[] = [];
      const idx = await ShardedIvf.open({ baseUrl: plain.url, onWarning: (w) => warnings.push(w), nprobe: 8 });
      const ranged = await ShardedIvf.open({ baseUrl: `${server.url}idx/`, nprobe: 8 });
      for (let i = 0; i < 4; i++) expect(await idx.search(q(i), 10)).toEqual(await ranged.search(q(i), 10));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/ignores HTTP Range requests: downloaded the whole shards.bin/);
      expect(plain.log.filter((r) => r.path === 'shards.bin')).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });

  test('a tampered list fails its checksum when fetched; the others still work', async () => {
    const bad = shards.files['shards.bin'].slice();
    bad[bad.length - 5] ^= 0x40; // inside the last list
    const files = { ...shards.files, 'shards.bin': bad };
    const s = await startRangeServer({ files: asMap(files) });
    try {
      const idx = await ShardedIvf.open({ baseUrl: s.url, nprobe: 64 });
      const e = await idx.search(q(0), 10).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PackError);
      expect((e as PackError).problem).toBe('checksum');
      expect((e as PackError).message).toMatch(/list 63 of shards.bin fails its checksum/);
      idx.nprobe = 1;
      const ok = await ShardedIvf.open({ baseUrl: s.url, nprobe: 1 });
      expect(await ok.search(q(0), 3)).toHaveLength(3);
    } finally {
      await s.close();
    }
  });

  test('a truncated shards file or centroids file is reported as truncated', async () => {
    const cut = { ...shards.files, 'shards.bin': shards.files['shards.bin'].slice(0, 1000) };
    const s = await startRangeServer({ files: asMap(cut) });
    const s2 = await startRangeServer({ files: asMap(cut), range: false });
    const cutC = { ...shards.files, 'centroids.bin': shards.files['centroids.bin'].slice(0, 100) };
    const s3 = await startRangeServer({ files: asMap(cutC) });
    try {
      const idx = await ShardedIvf.open({ baseUrl: s.url, nprobe: 64 });
      await expect(idx.search(q(0), 10)).rejects.toThrow(/truncated/);
      const idx2 = await ShardedIvf.open({ baseUrl: s2.url, nprobe: 64 });
      await expect(idx2.search(q(0), 10)).rejects.toThrow(/shards.bin is truncated: 1000 of/);
      await expect(ShardedIvf.open({ baseUrl: s3.url })).rejects.toThrow(/centroids.bin is truncated/);
    } finally {
      await Promise.all([s.close(), s2.close(), s3.close()]);
    }
  });

  test('a cache that refuses writes (quota) warns once and searches go on', async () => {
    const warnings: string[] = [];
    const full = {
      get: () => Promise.resolve(undefined),
      put: () => Promise.reject(new Error('QuotaExceededError: quota exceeded')),
    };
    const idx = await ShardedIvf.open({
      baseUrl: `${server.url}idx/`,
      cache: full,
      onWarning: (w) => warnings.push(w),
    });
    expect(await idx.search(q(1), 10)).toHaveLength(10);
    expect(await idx.search(q(2), 10)).toHaveLength(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not cache.*quota exceeded/);
  });

  test('a missing header is an HTTP error, a wrong file a format error', async () => {
    await expect(ShardedIvf.open({ baseUrl: `${server.url}nowhere/` })).rejects.toThrow(/HTTP 404/);
    const s = await startRangeServer({ files: new Map([['ivf.json', new TextEncoder().encode('{"format":"x"}')]]) });
    try {
      await expect(ShardedIvf.open({ baseUrl: s.url })).rejects.toThrow(/not a sharded CodeRAG index/);
    } finally {
      await s.close();
    }
  });
});
