/**
 * The sharded static layout of an IVF index (ivf.ts), for corpora that outgrow a tab: a small JSON
 * header, a centroids file loaded up front, and one shard per list inside one shards file, fetched
 * on demand with HTTP Range requests from any static host and kept in an injected cache (the Cache
 * API in a browser, a Map in tests). Everything goes through an injected `fetch`, so Node and the
 * browser share this code. DOM-free.
 *
 *   ivf.json       IvfShardHeader (embedder, count, dim, nlist, file names, sizes, CRC-32s)
 *   centroids.bin  version 2: nlist×dim int8 centroid codes, nlist float32 LE scales (centroid ≈
 *                  code × scale), then the shard table: nlist × 4 u32 LE (offset low, offset high,
 *                  length, CRC-32) into shards.bin
 *   shards.bin     per list, starting on a 4-byte boundary: u32 count, u32 B, B bytes of row ids
 *                  (ascending, LEB128 varints of the first id then the gaps), zero padding to 4
 *                  bytes, count float32 scales, count×dim int8 codes, zero padding to 4 bytes
 *
 * Version 1 (float32 centroids, u32 row ids) is refused with a message to rebuild. A shard is
 * scored asymmetrically (float query · int8 codes × row scale), so no float vectors travel; the
 * scores are the int8 rows' exact inner products with the query. Lists that are neighbours in the
 * file and both wanted by a query come in one Range request.
 */
import { crc32, crc32Hex } from '../pack/crc32.ts';
import { PackError, checkPackEmbedder, type PackEmbedder } from '../pack/format.ts';
import type { TextMode } from '../rag/doc-text.ts';
import { CentroidRanker, type IvfIndex } from './ivf.ts';
import { quantizeRow } from './int8.ts';
import { TopK, type SearchHit } from './vector-index.ts';

export const IVF_SHARD_VERSION = 2;
export const IVF_HEADER_FILE = 'ivf.json';
const TABLE_WORDS = 4;

export interface IvfShardHeader {
  format: 'coderag-ivf';
  version: number;
  embedder: PackEmbedder;
  textMode?: TextMode;
  corpusHash?: string;
  count: number;
  dim: number;
  nlist: number;
  centroids: { file: string; bytes: number; crc32: string; codec: 'int8' };
  shards: { file: string; bytes: number; codec: 'int8'; ids: 'delta-varint' };
}

export interface IvfShardFiles {
  header: IvfShardHeader;
  /** File name → bytes: ivf.json, centroids.bin, shards.bin. */
  files: Record<string, Uint8Array>;
}

const pad4 = (x: number) => (x + 3) & ~3;

/** LEB128 of the ascending `ids`: the first, then the gaps. */
export function encodeIds(ids: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  let prev = 0;
  for (let i = 0; i < ids.length; i++) {
    let d = i === 0 ? ids[0] : ids[i] - prev;
    if (d < 0) throw new Error('row ids must ascend within a list');
    prev = ids[i];
    while (d >= 0x80) {
      out.push((d & 0x7f) | 0x80);
      d = Math.floor(d / 128);
    }
    out.push(d);
  }
  return Uint8Array.from(out);
}

/** The inverse of encodeIds; null when the bytes do not hold exactly `count` ids. */
export function decodeIds(b: Uint8Array, count: number): Uint32Array | null {
  const ids = new Uint32Array(count);
  let p = 0;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length || mul > 2 ** 28) return null;
      const x = b[p++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    prev = i === 0 ? v : prev + v;
    if (prev >= 2 ** 32) return null;
    ids[i] = prev;
  }
  return p === b.length ? ids : null;
}

/**
 * Lay out a built IVF index as static files. The int8 codes are the index's own (quantizeRow), at
 * `dim` bytes per row (no padding); the centroids are quantized the same way.
 */
export function writeIvfShards(
  index: IvfIndex,
  meta: { embedder: PackEmbedder; textMode?: TextMode; corpusHash?: string },
): IvfShardFiles {
  const { dim, size: n } = index;
  if (meta.embedder.dim !== dim) throw new Error(`embedder is ${meta.embedder.dim}-d, the index ${dim}-d`);
  const { nlist, centroids } = index.layout;
  const codes = index.codesInListOrder();
  const scales = index.scalesInListOrder();
  const idBytes: Uint8Array[] = [];
  let total = 0;
  for (let c = 0; c < nlist; c++) {
    const a = index.listStart[c];
    const cnt = index.listStart[c + 1] - a;
    const ids = encodeIds(index.order.subarray(a, a + cnt));
    idBytes.push(ids);
    total += pad4(8 + ids.length) + pad4(cnt * (4 + dim));
  }
  const shards = new Uint8Array(total);
  const dv = new DataView(shards.buffer);
  const table = new Uint32Array(nlist * TABLE_WORDS);
  let off = 0;
  for (let c = 0; c < nlist; c++) {
    const a = index.listStart[c];
    const cnt = index.listStart[c + 1] - a;
    const start = off;
    const ids = idBytes[c];
    dv.setUint32(off, cnt, true);
    dv.setUint32(off + 4, ids.length, true);
    shards.set(ids, off + 8);
    off = start + pad4(8 + ids.length);
    for (let p = a; p < a + cnt; p++, off += 4) dv.setFloat32(off, scales[p], true);
    shards.set(new Uint8Array(codes.buffer, codes.byteOffset + a * dim, cnt * dim), off);
    off = pad4(off + cnt * dim);
    table[c * TABLE_WORDS] = start % 2 ** 32;
    table[c * TABLE_WORDS + 1] = Math.floor(start / 2 ** 32);
    table[c * TABLE_WORDS + 2] = off - start;
    table[c * TABLE_WORDS + 3] = crc32(shards.subarray(start, off));
  }
  const cOff = nlist * dim;
  const tOff = pad4(cOff) + nlist * 4;
  const cBytes = new Uint8Array(tOff + table.byteLength);
  const cdv = new DataView(cBytes.buffer);
  const cCodes = new Int8Array(cBytes.buffer, 0, nlist * dim);
  for (let c = 0; c < nlist; c++)
    cdv.setFloat32(pad4(cOff) + c * 4, quantizeRow(centroids, c * dim, dim, cCodes, c * dim), true);
  for (let i = 0; i < table.length; i++) cdv.setUint32(tOff + i * 4, table[i], true);
  const header: IvfShardHeader = {
    format: 'coderag-ivf',
    version: IVF_SHARD_VERSION,
    embedder: meta.embedder,
    ...(meta.textMode ? { textMode: meta.textMode } : {}),
    ...(meta.corpusHash ? { corpusHash: meta.corpusHash } : {}),
    count: n,
    dim,
    nlist,
    centroids: { file: 'centroids.bin', bytes: cBytes.byteLength, crc32: crc32Hex(cBytes), codec: 'int8' },
    shards: { file: 'shards.bin', bytes: shards.byteLength, codec: 'int8', ids: 'delta-varint' },
  };
  return {
    header,
    files: {
      [IVF_HEADER_FILE]: new TextEncoder().encode(JSON.stringify(header, null, 1)),
      'centroids.bin': cBytes,
      'shards.bin': shards,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client

/** Where fetched shards are kept between queries (and page loads, with the Cache API). */
export interface ShardCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** In-memory cache (tests, Node, or a browser without the Cache API). */
export class MapShardCache implements ShardCache {
  readonly map = new Map<string, Uint8Array>();
  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.map.get(key));
  }
  put(key: string, bytes: Uint8Array): Promise<void> {
    this.map.set(key, bytes);
    return Promise.resolve();
  }
}

/** What the Cache API offers (a browser's `await caches.open(name)`), structurally. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

/** A ShardCache over the Cache API. Keys are URLs (the shard's range and CRC in the query). */
export function cacheApiShardCache(cache: CacheLike): ShardCache {
  return {
    async get(key) {
      const res = await cache.match(key);
      return res ? new Uint8Array(await res.arrayBuffer()) : undefined;
    },
    async put(key, bytes) {
      await cache.put(
        key,
        new Response(bytes.slice().buffer, { headers: { 'Content-Type': 'application/octet-stream' } }),
      );
    },
  };
}

export type FetchLike = (url: string, init?: { headers?: Record<string, string> }) => Promise<Response>;

export interface ShardedIvfOptions {
  /** Folder URL holding ivf.json (a trailing slash is added). */
  baseUrl: string;
  fetch?: FetchLike;
  cache?: ShardCache;
  /** The caller's embedder: another one is a PackError('embedder'). */
  embedder?: PackEmbedder;
  /** Lists fetched and scanned per query (default 8). */
  nprobe?: number;
  /** Range requests in flight at once (default 6, a browser's connections per host). */
  concurrency?: number;
  /** Non-fatal problems: a host without Range support, a cache that refused a shard (quota). */
  onWarning?: (message: string) => void;
}

export interface ShardSearchStats {
  lists: number;
  rows: number;
  /** Bytes received from the network for this query (a whole-file fallback counts once, in full). */
  bytesFetched: number;
  requests: number;
  cacheHits: number;
  ms: number;
}

interface ShardRef {
  offset: number;
  length: number;
  crc: number;
}

/** `f` over `items` with at most `limit` calls pending; results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const fmtMB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

async function bodyOf(res: Response, url: string): Promise<Uint8Array> {
  if (!res.ok) throw new Error(`HTTP ${res.status} for ${url}`);
  return new Uint8Array(await res.arrayBuffer());
}

function checkShardHeader(h: unknown): IvfShardHeader {
  const o = h as Partial<IvfShardHeader> | null;
  if (!o || o.format !== 'coderag-ivf') throw new PackError('not a sharded CodeRAG index (ivf.json)', 'format');
  if (typeof o.version !== 'number' || o.version > IVF_SHARD_VERSION)
    throw new PackError(
      `this sharded index has format version ${String(o.version)}; this app reads version ${IVF_SHARD_VERSION}: update the app`,
      'version',
    );
  if (o.version < IVF_SHARD_VERSION)
    throw new PackError(
      `this sharded index has format version ${o.version}, which this app no longer reads (it reads version ` +
        `${IVF_SHARD_VERSION}: int8 centroids, compact row ids): rebuild it with \`npm run pack -- … --ivf\``,
      'version',
    );
  const ok =
    Number.isInteger(o.count) &&
    Number.isInteger(o.dim) &&
    Number.isInteger(o.nlist) &&
    o.embedder &&
    typeof o.embedder.id === 'string' &&
    o.centroids &&
    typeof o.centroids.file === 'string' &&
    typeof o.centroids.crc32 === 'string' &&
    o.centroids.codec === 'int8' &&
    o.shards &&
    typeof o.shards.file === 'string' &&
    Number.isInteger(o.shards.bytes) &&
    o.shards.codec === 'int8' &&
    o.shards.ids === 'delta-varint';
  if (!ok) throw new PackError('ivf.json lacks the count, width, lists, embedder, file names or codecs', 'format');
  return o as IvfShardHeader;
}

/** A sharded IVF index on a static host: centroids in memory, lists fetched per query. */
export class ShardedIvf {
  nprobe: number;
  readonly concurrency: number;
  private rangeOk: boolean | null = null;
  /** The whole shards file, when the host ignored Range and we had to download it. */
  private whole: Uint8Array | null = null;
  private wholeLoad: Promise<Uint8Array> | null = null;
  private readonly fetchFn: FetchLike;
  private readonly cache: ShardCache;
  private readonly warn: (m: string) => void;
  private cacheWarned = false;

  private constructor(
    readonly header: IvfShardHeader,
    private readonly ranker: CentroidRanker,
    private readonly table: ShardRef[],
    private readonly baseUrl: string,
    o: ShardedIvfOptions,
  ) {
    this.nprobe = o.nprobe ?? 8;
    this.concurrency = Math.max(1, o.concurrency ?? 6);
    this.fetchFn = o.fetch ?? ((u, i) => fetch(u, i));
    this.cache = o.cache ?? new MapShardCache();
    this.warn = o.onWarning ?? (() => {});
  }

  get dim(): number {
    return this.header.dim;
  }
  get size(): number {
    return this.header.count;
  }
  get nlist(): number {
    return this.header.nlist;
  }

  /** Fetch and check ivf.json and the centroids (one small request each). */
  static async open(o: ShardedIvfOptions): Promise<ShardedIvf> {
    const base = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    const f = o.fetch ?? ((u: string, i?: { headers?: Record<string, string> }) => fetch(u, i));
    const hUrl = base + IVF_HEADER_FILE;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(await bodyOf(await f(hUrl), hUrl)));
    } catch (e) {
      if (e instanceof SyntaxError) throw new PackError(`${hUrl} is not JSON`, 'format');
      throw e;
    }
    const header = checkShardHeader(parsed);
    if (o.embedder) checkPackEmbedder(header.embedder, o.embedder);
    const cUrl = base + header.centroids.file;
    const c = await bodyOf(await f(cUrl), cUrl);
    const { nlist, dim } = header;
    if (c.byteLength < header.centroids.bytes)
      throw new PackError(
        `${header.centroids.file} is truncated: ${c.byteLength} of ${header.centroids.bytes} bytes`,
        'truncated',
      );
    const tOff = pad4(nlist * dim) + nlist * 4;
    if (c.byteLength !== tOff + nlist * TABLE_WORDS * 4 || c.byteLength !== header.centroids.bytes)
      throw new PackError(
        `${header.centroids.file} has ${c.byteLength} bytes, expected ${header.centroids.bytes}`,
        'format',
      );
    if (crc32Hex(c) !== header.centroids.crc32)
      throw new PackError(`${header.centroids.file} fails its checksum: damaged or altered`, 'checksum');
    const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
    const codes = new Int8Array(c.buffer, c.byteOffset, nlist * dim);
    const scales = new Float32Array(nlist);
    for (let l = 0; l < nlist; l++) scales[l] = dv.getFloat32(pad4(nlist * dim) + l * 4, true);
    const table: ShardRef[] = [];
    for (let l = 0; l < nlist; l++) {
      const w = tOff + l * TABLE_WORDS * 4;
      const ref = {
        offset: dv.getUint32(w, true) + dv.getUint32(w + 4, true) * 2 ** 32,
        length: dv.getUint32(w + 8, true),
        crc: dv.getUint32(w + 12, true),
      };
      if (ref.offset + ref.length > header.shards.bytes || ref.offset % 4 || (ref.length && ref.length < 8))
        throw new PackError(`list ${l} lies outside ${header.shards.file}`, 'format');
      table.push(ref);
    }
    return new ShardedIvf(header, new CentroidRanker(codes, scales, dim), table, base, o);
  }

  private cacheKey(l: number): string {
    const r = this.table[l];
    return `${this.baseUrl}${this.header.shards.file}?range=${r.offset}-${r.length}&crc=${r.crc.toString(16)}`;
  }

  private verify(l: number, bytes: Uint8Array): Uint8Array {
    const r = this.table[l];
    if (bytes.byteLength !== r.length)
      throw new PackError(
        `list ${l} of ${this.header.shards.file} is truncated: ${bytes.byteLength} of ${r.length} bytes`,
        'truncated',
      );
    if (crc32(bytes) !== r.crc)
      throw new PackError(`list ${l} of ${this.header.shards.file} fails its checksum: damaged or altered`, 'checksum');
    return bytes;
  }

  private loadWhole(stats: ShardSearchStats, first?: Response): Promise<Uint8Array> {
    this.wholeLoad ??= (async () => {
      const url = this.baseUrl + this.header.shards.file;
      const res = first ?? (await this.fetchFn(url));
      if (!first) stats.requests++;
      const b = await bodyOf(res, url);
      stats.bytesFetched += b.byteLength;
      if (b.byteLength < this.header.shards.bytes)
        throw new PackError(
          `${this.header.shards.file} is truncated: ${b.byteLength} of ${this.header.shards.bytes} bytes`,
          'truncated',
        );
      this.warn(
        `the host ignores HTTP Range requests: downloaded the whole ${this.header.shards.file} (${fmtMB(b.byteLength)}) ` +
          'instead of single lists; serve it from a host that honours Range (docs/packs.md)',
      );
      this.whole = b;
      return b;
    })();
    return this.wholeLoad;
  }

  /** A list's bytes from the cache, if there. */
  private async cached(l: number, stats: ShardSearchStats): Promise<Uint8Array | undefined> {
    const hit = await this.cache.get(this.cacheKey(l));
    // a cached list was checked before it was stored, and its key names its CRC: length check only
    if (hit && hit.byteLength === this.table[l].length) {
      stats.cacheHits++;
      return hit;
    }
    return undefined;
  }

  private async store(l: number, bytes: Uint8Array): Promise<void> {
    try {
      await this.cache.put(this.cacheKey(l), bytes);
    } catch (e) {
      if (!this.cacheWarned)
        this.warn(
          `could not cache a list of the sharded index (${e instanceof Error ? e.message : String(e)}): ` +
            'storage is full or refused; searches still work but fetch again',
        );
      this.cacheWarned = true;
    }
  }

  /**
   * Lists that follow each other in the shards file (`run`, ascending and contiguous), from the
   * network: one Range request (or the whole file when Range is ignored); each checked and cached.
   */
  private async fetchRun(run: number[], stats: ShardSearchStats): Promise<Uint8Array[]> {
    const first = this.table[run[0]];
    const last = this.table[run[run.length - 1]];
    const from = first.offset;
    const to = last.offset + last.length;
    let bytes: Uint8Array;
    if (this.whole || this.rangeOk === false) {
      const w = this.whole ?? (await this.loadWhole(stats));
      bytes = w.slice(from, to);
    } else if (to === from) {
      bytes = new Uint8Array(0);
    } else {
      const url = this.baseUrl + this.header.shards.file;
      const res = await this.fetchFn(url, { headers: { Range: `bytes=${from}-${to - 1}` } });
      stats.requests++;
      if (res.status === 206) {
        this.rangeOk = true;
        bytes = await bodyOf(res, url);
        stats.bytesFetched += bytes.byteLength;
      } else if (res.status === 200) {
        this.rangeOk = false;
        const w = await this.loadWhole(stats, res);
        bytes = w.slice(from, to);
      } else if (res.status === 416) {
        throw new PackError(
          `${this.header.shards.file} is shorter than its index says (HTTP 416 for list ${run[0]}): truncated`,
          'truncated',
        );
      } else {
        bytes = await bodyOf(res, url); // throws with the status
      }
    }
    if (bytes.byteLength < to - from)
      throw new PackError(
        `list ${run[0]} of ${this.header.shards.file} is truncated: ${bytes.byteLength} of ${to - from} bytes`,
        'truncated',
      );
    const out: Uint8Array[] = [];
    for (const l of run) {
      const r = this.table[l];
      const one = bytes.subarray(r.offset - from, r.offset - from + r.length);
      this.verify(l, one);
      await this.store(l, one);
      out.push(one);
    }
    return out;
  }

  /** The lists' bytes (in the order asked): cached ones, then neighbours in the file fetched together. */
  private async lists(ls: readonly number[], stats: ShardSearchStats): Promise<Uint8Array[]> {
    const got = new Map<number, Uint8Array>();
    const missing: number[] = [];
    // cache look-ups together (the Cache API answers each asynchronously)
    const hits = await Promise.all(ls.map((l) => this.cached(l, stats)));
    ls.forEach((l, i) => {
      const hit = hits[i];
      if (hit) got.set(l, hit);
      else missing.push(l);
    });
    missing.sort((a, b) => a - b);
    const runs: number[][] = [];
    for (const l of missing) {
      const run = runs[runs.length - 1];
      const prev = run?.[run.length - 1];
      const t = this.table;
      if (run && prev === l - 1 && t[prev].offset + t[prev].length === t[l].offset) run.push(l);
      else runs.push([l]);
    }
    const fetched = await mapLimit(runs, this.concurrency, (run) => this.fetchRun(run, stats));
    runs.forEach((run, i) => run.forEach((l, j) => got.set(l, fetched[i][j])));
    return ls.map((l) => got.get(l)!);
  }

  /** Top-k rows by int8 inner product over the `nprobe` nearest lists, best first, with stats. */
  async searchWithStats(
    query: Float32Array,
    k: number,
    exclude?: (index: number) => boolean,
  ): Promise<{ hits: SearchHit[]; stats: ShardSearchStats }> {
    const t0 = performance.now();
    const dim = this.dim;
    if (query.length !== dim) throw new Error(`query has ${query.length} dims, index has ${dim}`);
    const stats: ShardSearchStats = { lists: 0, rows: 0, bytesFetched: 0, requests: 0, cacheHits: 0, ms: 0 };
    const kk = Math.min(k, this.size);
    if (kk <= 0 || this.nlist === 0) return { hits: [], stats };
    const probe = Math.max(1, Math.min(this.nprobe, this.nlist));
    let order = this.ranker.top(query, probe);
    const top = new TopK(kk);
    const scan = (l: number, raw: Uint8Array) => {
      // typed views (little-endian, as every browser platform is) need 4-byte alignment: lists start
      // on 4-byte boundaries of the file, and a fetched or cached run is its own buffer; else copy
      const bytes = raw.byteOffset % 4 ? raw.slice() : raw;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const cnt = dv.getUint32(0, true);
      const idLen = dv.getUint32(4, true);
      const sOff = pad4(8 + idLen);
      const ids = sOff + cnt * (4 + dim) <= bytes.byteLength ? decodeIds(bytes.subarray(8, 8 + idLen), cnt) : null;
      // checked by its CRC-32, so only a writer's bug gets here
      if (!ids) throw new PackError(`list ${l} of ${this.header.shards.file} is malformed`, 'format');
      const scales = new Float32Array(bytes.buffer, bytes.byteOffset + sOff, cnt);
      const codes = new Int8Array(bytes.buffer, bytes.byteOffset + sOff + 4 * cnt, cnt * dim);
      stats.rows += cnt;
      for (let i = 0, o = 0; i < cnt; i++, o += dim) {
        const row = ids[i];
        if (exclude?.(row)) continue;
        let s = 0;
        let j = 0;
        for (; j + 3 < dim; j += 4)
          s +=
            query[j] * codes[o + j] +
            query[j + 1] * codes[o + j + 1] +
            query[j + 2] * codes[o + j + 2] +
            query[j + 3] * codes[o + j + 3];
        for (; j < dim; j++) s += query[j] * codes[o + j];
        top.push(row, s * scales[i]);
      }
    };
    // the first list alone while Range support is unknown (a host that ignores it would otherwise
    // send the whole file once per list), then the rest together
    let next = 0;
    if (this.rangeOk === null && !this.whole) {
      scan(order[0], (await this.lists([order[0]], stats))[0]);
      next = 1;
      stats.lists++;
    }
    const want = Array.from(order.subarray(next, probe));
    const got = await this.lists(want, stats);
    want.forEach((l, i) => scan(l, got[i]));
    stats.lists += want.length;
    // more lists while exclusions left fewer than k rows
    for (let i = probe; i < this.nlist && top.hits.length < kk; i++) {
      if (i >= order.length) order = this.ranker.top(query, this.nlist);
      scan(order[i], (await this.lists([order[i]], stats))[0]);
      stats.lists++;
    }
    stats.ms = performance.now() - t0;
    return { hits: top.hits, stats };
  }

  async search(query: Float32Array, k: number, exclude?: (index: number) => boolean): Promise<SearchHit[]> {
    return (await this.searchWithStats(query, k, exclude)).hits;
  }
}
