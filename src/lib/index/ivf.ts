/**
 * IVF (inverted file) index: a coarse quantiser of k-means centroids splits the vectors into
 * `nlist` lists; a query scans only the `nprobe` lists whose centroids are nearest, with int8 codes
 * (int8.ts quantizeRow, one scale per row), and re-scores the best `candidates` exactly against the
 * Float32 vectors. `nprobe` trades recall for time; with every list probed the answer is the int8
 * index's (exact top-k at the default pool). This in-memory form is also what the sharded static
 * layout (./ivf-shards.ts) stores, one list per shard.
 *
 * k-means is spherical (unit centroids, inner product), seeded (k-means++ from `seed`), trained on
 * a seeded sample of at most `trainPerList · nlist` rows for `iterations` rounds; the assignment steps
 * score with the int8 kernel (WASM SIMD from int8.ts when available, else the same loop in JS).
 * Everything is deterministic for a given seed, so restoring without the saved state rebuilds the
 * same index; the saved state (serializeExtra) holds the centroids and each row's list.
 */
import { int8KernelBytes, quantizeRow, selectInto, wasmSimdAvailable } from './int8.ts';
import { TopK, dot, type IndexFactory, type SearchHit, type VectorIndex } from './vector-index.ts';
import { mulberry32 } from '../eval/stats.ts';

export interface IvfOptions {
  /** Number of lists; default `defaultNlist(n)`. Clamped to [1, n]. */
  nlist?: number;
  /** Lists scanned per query; default `defaultNprobe(nlist)`; Infinity = all (exact). */
  nprobe?: number;
  /** Rows re-scored exactly per query (at least 4·k). Default 64. */
  candidates?: number;
  /** k-means seed (default 1). */
  seed?: number;
  /** k-means rounds after k-means++ (default 8). */
  iterations?: number;
  /** Training rows per list (default 48): the sample is at most this many times nlist. */
  trainPerList?: number;
  /** Use the WASM SIMD kernel when available (default true). */
  wasm?: boolean;
}

export const IVF_DEFAULTS = { candidates: 64, seed: 1, iterations: 8, trainPerList: 48 };

/** About 2·√n lists: a few hundred rows each at 100k. */
export function defaultNlist(n: number): number {
  return Math.max(1, Math.min(n, Math.round(2 * Math.sqrt(n))));
}

/**
 * One list in four, at least 4 (all of them for small indexes): the fewest that kept recall@10 ≥ 0.99
 * in scripts/scan-bench.ts (1M synthetic: nlist/8 gave 0.968, nlist/4 0.992; real USE-Lite vectors
 * at 6.5k: about 0.99), the bar for IVF being the default kind for large corpora (choose.ts).
 */
export function defaultNprobe(nlist: number): number {
  return Math.min(nlist, Math.max(4, Math.ceil(nlist / 4)));
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;
const PAGE = 65536;

/** i8dot(q, rows, n, stride, out) over one linear memory: the WASM SIMD kernel, or the same in JS. */
export interface I8Kernel {
  readonly engine: 'wasm-simd' | 'js';
  readonly buffer: ArrayBuffer;
  i8dot(q: number, rows: number, n: number, stride: number, out: number): void;
}

/** A kernel whose memory holds at least `bytes` (JS when `wasm` is false or WASM SIMD is missing). */
export function i8Kernel(bytes: number, wasm = true): I8Kernel {
  if (wasm && wasmSimdAvailable()) {
    try {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(int8KernelBytes()), {});
      const ex = inst.exports as unknown as {
        memory: WebAssembly.Memory;
        i8dot(q: number, rows: number, n: number, stride: number, out: number): void;
      };
      const have = ex.memory.buffer.byteLength;
      if (bytes > have) ex.memory.grow(Math.ceil((bytes - have) / PAGE));
      return { engine: 'wasm-simd', buffer: ex.memory.buffer, i8dot: ex.i8dot };
    } catch {
      // no room for the memory: the JS loop below
    }
  }
  const buffer = new ArrayBuffer(align(Math.max(bytes, 16), 16));
  const b = new Int8Array(buffer);
  const i32 = new Int32Array(buffer);
  return {
    engine: 'js',
    buffer,
    i8dot(q, rows, n, stride, out) {
      for (let r = 0, p = rows; r < n; r++, p += stride) {
        let s = 0;
        for (let j = 0; j < stride; j += 4)
          s =
            (s +
              b[q + j] * b[p + j] +
              b[q + j + 1] * b[p + j + 1] +
              b[q + j + 2] * b[p + j + 2] +
              b[q + j + 3] * b[p + j + 3]) |
            0;
        i32[(out >> 2) + r] = s;
      }
    },
  };
}

/** The coarse quantiser and the lists: what serializeExtra saves and the shard writer lays out. */
export interface IvfLayout {
  nlist: number;
  /** nlist×dim unit centroids. */
  centroids: Float32Array;
  /** List of each row (n). */
  assign: Uint32Array;
}

function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Saved state: JSON with base64 centroids and assignments. */
export function serializeLayout(l: IvfLayout): string {
  const c = new Uint8Array(l.centroids.buffer, l.centroids.byteOffset, l.centroids.byteLength);
  const a = new Uint8Array(l.assign.buffer, l.assign.byteOffset, l.assign.byteLength);
  return JSON.stringify({ v: 1, nlist: l.nlist, centroids: toBase64(c), assign: toBase64(a) });
}

/** The layout from serializeLayout, or null when it does not fit n rows of width dim. */
export function parseLayout(extra: string | undefined, n: number, dim: number): IvfLayout | null {
  if (!extra) return null;
  try {
    const j = JSON.parse(extra) as { v?: number; nlist?: number; centroids?: string; assign?: string };
    if (j.v !== 1 || !Number.isInteger(j.nlist) || typeof j.centroids !== 'string' || typeof j.assign !== 'string')
      return null;
    const nlist = j.nlist!;
    const c = fromBase64(j.centroids);
    const a = fromBase64(j.assign);
    if (c.byteLength !== nlist * dim * 4 || a.byteLength !== n * 4) return null;
    const assign = new Uint32Array(a.buffer, 0, n);
    if (assign.some((x) => x >= nlist)) return null;
    return { nlist, centroids: new Float32Array(c.buffer, 0, nlist * dim), assign };
  } catch {
    return null;
  }
}

function normalizeRow(v: Float32Array, off: number, dim: number): void {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[off + j] * v[off + j];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let j = 0; j < dim; j++) v[off + j] /= norm;
}

/** Where kmeans() may work in the kernel's memory (byte offsets, all 16-aligned). */
interface KmeansMem {
  stride: number;
  /** The n row codes, in row order. */
  codesOff: number;
  /** Per-row scales of those codes. */
  scales: Float32Array;
  /** Scratch: nlist centroid codes. */
  centOff: number;
  /** Scratch: the training sample's codes (sampleSize rows). */
  sampOff: number;
  /** Scratch: max(n, nlist, sampleSize) i32 scores. */
  outOff: number;
}

export function trainSampleSize(n: number, nlist: number, trainPerList = IVF_DEFAULTS.trainPerList): number {
  return Math.min(n, Math.max(nlist, trainPerList * nlist));
}

/**
 * Seeded spherical k-means (k-means++ start) of the rows of `vectors`; returns the layout with every
 * row assigned to its nearest centroid. Scores are int8 dot products through the kernel.
 */
function kmeans(
  vectors: Float32Array,
  dim: number,
  nlist: number,
  o: { seed: number; iterations: number; trainPerList: number },
  k: I8Kernel,
  m: KmeansMem,
): IvfLayout {
  const n = vectors.length / dim;
  const { stride, codesOff, centOff, sampOff, outOff, scales } = m;
  const rand = mulberry32(o.seed);
  const mem = new Int8Array(k.buffer);
  const sampleSize = trainSampleSize(n, nlist, o.trainPerList);
  const out = new Int32Array(k.buffer, outOff, Math.max(n, nlist, sampleSize));
  // training sample: a seeded subset of rows (all rows when small), its codes made contiguous
  const ids = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  const sample = ids.slice(0, sampleSize);
  const sScales = new Float32Array(sampleSize);
  for (let s = 0; s < sampleSize; s++) {
    const r = sample[s];
    mem.copyWithin(sampOff + s * stride, codesOff + r * stride, codesOff + (r + 1) * stride);
    sScales[s] = scales[r];
  }
  const centroids = new Float32Array(nlist * dim);
  const cScales = new Float32Array(nlist);
  const setCentroid = (c: number) => {
    cScales[c] = quantizeRow(centroids, c * dim, dim, mem, centOff + c * stride);
  };
  // k-means++: each next centroid is a sample row drawn with probability ∝ its squared distance
  // (2 − 2·cos, unit vectors) to the nearest centroid so far
  const best = new Float64Array(sampleSize).fill(-Infinity);
  const w = new Float64Array(sampleSize);
  let pick = Math.floor(rand() * sampleSize);
  for (let c = 0; c < nlist; c++) {
    const r0 = sample[pick];
    centroids.set(vectors.subarray(r0 * dim, (r0 + 1) * dim), c * dim);
    setCentroid(c);
    if (c + 1 === nlist) break;
    k.i8dot(centOff + c * stride, sampOff, sampleSize, stride, outOff);
    let total = 0;
    for (let s = 0; s < sampleSize; s++) {
      const cos = out[s] * sScales[s] * cScales[c];
      if (cos > best[s]) best[s] = cos;
      w[s] = Math.max(0, 2 - 2 * best[s]);
      total += w[s];
    }
    let x = rand() * total;
    let s = 0;
    if (total > 0) {
      for (; s < sampleSize - 1; s++) {
        x -= w[s];
        if (x <= 0 && w[s] > 0) break;
      }
    } else s = Math.floor(rand() * sampleSize);
    pick = s;
  }
  // nearest centroid of the row whose codes are at `q` (its own scale does not change the argmax)
  const nearest = (q: number): [number, number] => {
    k.i8dot(q, centOff, nlist, stride, outOff);
    let bc = 0;
    let bs = -Infinity;
    for (let c = 0; c < nlist; c++) {
      const v = out[c] * cScales[c];
      if (v > bs) {
        bs = v;
        bc = c;
      }
    }
    return [bc, bs];
  };
  // Lloyd rounds on the sample
  const member = new Uint32Array(sampleSize);
  const bestCos = new Float32Array(sampleSize);
  const counts = new Uint32Array(nlist);
  for (let it = 0; it < o.iterations; it++) {
    for (let s = 0; s < sampleSize; s++) {
      const [c, v] = nearest(sampOff + s * stride);
      member[s] = c;
      bestCos[s] = v * sScales[s];
    }
    centroids.fill(0);
    counts.fill(0);
    for (let s = 0; s < sampleSize; s++) {
      const c = member[s];
      counts[c]++;
      const r = sample[s];
      for (let j = 0; j < dim; j++) centroids[c * dim + j] += vectors[r * dim + j];
    }
    // an empty list restarts at the sample row farthest from its centroid
    const taken = new Set<number>();
    for (let c = 0; c < nlist; c++) {
      if (counts[c] === 0) {
        let far = -1;
        for (let s = 0; s < sampleSize; s++) if (!taken.has(s) && (far < 0 || bestCos[s] < bestCos[far])) far = s;
        taken.add(far);
        const r = sample[far];
        centroids.set(vectors.subarray(r * dim, (r + 1) * dim), c * dim);
      }
      normalizeRow(centroids, c * dim, dim);
      setCentroid(c);
    }
  }
  const assign = new Uint32Array(n);
  for (let r = 0; r < n; r++) assign[r] = nearest(codesOff + r * stride)[0];
  return { nlist, centroids, assign };
}

/** Rows grouped by list: `order[listStart[c] .. listStart[c+1])` are list c's rows, ascending. */
export function listOrder(assign: Uint32Array, nlist: number): { order: Uint32Array; listStart: Uint32Array } {
  const listStart = new Uint32Array(nlist + 1);
  for (let r = 0; r < assign.length; r++) listStart[assign[r] + 1]++;
  for (let c = 0; c < nlist; c++) listStart[c + 1] += listStart[c];
  const fill = listStart.slice(0, nlist);
  const order = new Uint32Array(assign.length);
  for (let r = 0; r < assign.length; r++) order[fill[assign[r]]++] = r;
  return { order, listStart };
}

/** Lists by centroid score with the query, best first. */
export function rankLists(query: Float32Array, centroids: Float32Array, nlist: number): Uint32Array {
  const dim = query.length;
  const s = new Float32Array(nlist);
  for (let c = 0; c < nlist; c++) s[c] = dot(query, centroids, c * dim);
  return Uint32Array.from({ length: nlist }, (_, c) => c).sort((a, b) => s[b] - s[a] || a - b);
}

export class IvfIndex implements VectorIndex {
  readonly kind = 'ivf' as const;
  readonly size: number;
  /** Bytes per stored code row: dim rounded up to a multiple of 32 (zero padded). */
  readonly stride: number;
  readonly engine: 'wasm-simd' | 'js';
  readonly layout: IvfLayout;
  readonly order: Uint32Array;
  readonly listStart: Uint32Array;
  /** Lists scanned per query (the recall/latency knob; Infinity = all). */
  nprobe: number;
  /** Rows whose int8 score was computed by the last search. */
  lastScanned = 0;
  private readonly candidates: number;
  private readonly k: I8Kernel | null;
  private readonly scales: Float32Array;
  private readonly out: Int32Array;
  private readonly offs = { q: 0, out: 0, rows: 0 };

  constructor(
    readonly vectors: Float32Array,
    readonly dim: number,
    opts: IvfOptions = {},
    saved?: IvfLayout,
  ) {
    if (vectors.length % dim !== 0)
      throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
    const n = (this.size = vectors.length / dim);
    this.stride = align(dim, 32);
    this.candidates = Math.max(1, opts.candidates ?? IVF_DEFAULTS.candidates);
    const nlist = saved?.nlist ?? (n === 0 ? 0 : Math.max(1, Math.min(n, Math.round(opts.nlist ?? defaultNlist(n)))));
    this.nprobe = opts.nprobe ?? defaultNprobe(nlist);
    const stride = this.stride;
    const sampleSize = saved || n === 0 ? 0 : trainSampleSize(n, nlist, opts.trainPerList);
    const o = this.offs;
    o.out = align(stride, 16);
    const cent = align(o.out + 4 * Math.max(n, nlist, sampleSize), 16);
    const samp = cent + nlist * stride;
    o.rows = samp + sampleSize * stride;
    const k = (this.k = n === 0 ? null : i8Kernel(o.rows + n * stride, opts.wasm !== false));
    this.engine = k?.engine ?? (opts.wasm !== false && wasmSimdAvailable() ? 'wasm-simd' : 'js');
    const mem = k ? new Int8Array(k.buffer) : new Int8Array(0);
    const scales = new Float32Array(n);
    for (let r = 0; r < n; r++) scales[r] = quantizeRow(vectors, r * dim, dim, mem, o.rows + r * stride);
    let layout = saved;
    if (!layout) {
      layout = k
        ? kmeans(
            vectors,
            dim,
            nlist,
            {
              seed: opts.seed ?? IVF_DEFAULTS.seed,
              iterations: opts.iterations ?? IVF_DEFAULTS.iterations,
              trainPerList: opts.trainPerList ?? IVF_DEFAULTS.trainPerList,
            },
            k,
            { stride, codesOff: o.rows, scales, centOff: cent, sampOff: samp, outOff: o.out },
          )
        : { nlist: 0, centroids: new Float32Array(0), assign: new Uint32Array(0) };
    }
    this.layout = layout;
    const { order, listStart } = listOrder(layout.assign, layout.nlist);
    this.order = order;
    this.listStart = listStart;
    // codes and scales in list order, so each list is one contiguous run for the kernel
    const rowCodes = mem.slice(o.rows, o.rows + n * stride);
    this.scales = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const r = order[p];
      mem.set(rowCodes.subarray(r * stride, (r + 1) * stride), o.rows + p * stride);
      this.scales[p] = scales[r];
    }
    this.out = k ? new Int32Array(k.buffer, o.out, n) : new Int32Array(0);
  }

  get nlist(): number {
    return this.layout.nlist;
  }

  /** The int8 codes in list order, `dim` bytes per row (what the shard writer stores). */
  codesInListOrder(): Int8Array {
    const n = this.size;
    const out = new Int8Array(n * this.dim);
    if (!this.k) return out;
    const mem = new Int8Array(this.k.buffer);
    for (let p = 0; p < n; p++) {
      const at = this.offs.rows + p * this.stride;
      out.set(mem.subarray(at, at + this.dim), p * this.dim);
    }
    return out;
  }

  /** Per-row scales in list order. */
  scalesInListOrder(): Float32Array {
    return this.scales.slice();
  }

  search(query: Float32Array, k: number, exclude?: (index: number) => boolean): SearchHit[] {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dims, index has ${this.dim}`);
    const n = this.size;
    const kk = Math.min(k, n);
    this.lastScanned = 0;
    if (kk <= 0 || !this.k) return [];
    const { centroids, nlist } = this.layout;
    const lists = rankLists(query, centroids, nlist);
    quantizeRow(query, 0, this.dim, new Int8Array(this.k.buffer), this.offs.q);
    const pool = new TopK(Math.min(n, Math.max(this.candidates, 4 * kk)));
    const st = this.stride;
    for (let i = 0; i < nlist; i++) {
      // nprobe lists, and more while fewer than k rows survived `exclude` (every surviving row
      // enters the pool until it holds at least k)
      if (i >= this.nprobe && pool.hits.length >= kk) break;
      const c = lists[i];
      const a = this.listStart[c];
      const b = this.listStart[c + 1];
      if (b === a) continue;
      this.k.i8dot(this.offs.q, this.offs.rows + a * st, b - a, st, this.offs.out + a * 4);
      this.lastScanned += b - a;
      selectInto(pool, this.out, this.scales, a, b, this.order, exclude);
    }
    const hits = pool.hits.map((h) => ({ row: h.row, score: dot(query, this.vectors, h.row * this.dim) }));
    hits.sort((x, y) => y.score - x.score || x.row - y.row);
    return hits.slice(0, kk);
  }

  serializeExtra(): string | undefined {
    return this.size ? serializeLayout(this.layout) : undefined;
  }
}

/** A factory with custom settings (tests and the benchmark sweep nlist and nprobe). */
export function createIvfFactory(opts: IvfOptions = {}): IndexFactory {
  return {
    kind: 'ivf',
    build: (vectors, dim) => new IvfIndex(vectors, dim, opts),
    restore: (vectors, dim, extra) => {
      if (vectors.length % dim !== 0)
        throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
      return new IvfIndex(vectors, dim, opts, parseLayout(extra, vectors.length / dim, dim) ?? undefined);
    },
  };
}

export const ivfFactory: IndexFactory = createIvfFactory();
