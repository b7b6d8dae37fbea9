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
 * score with the int8 kernel (WASM SIMD from int8.ts when available, else the same loop in JS). From
 * TWO_LEVEL_FROM lists the trainer is two-level (trainTwoLevel). Queries rank the lists by int8
 * centroid codes (CentroidRanker), as the sharded client does.
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
  /**
   * 'flat': one k-means into nlist lists; 'two-level': k-means into √nlist cells, then each cell
   * into its share of the lists (much faster for thousands of lists); 'auto' (default): two-level
   * from TWO_LEVEL_FROM lists.
   */
  trainer?: 'auto' | 'flat' | 'two-level';
  /** Top-level cells of the two-level trainer (default `topCells(nlist)`). */
  cells?: number;
  /** The two-level trainer's last step, recheckStrays (default true; false only to measure it). */
  recheckStrays?: boolean;
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

/** What the trainers work with: the row codes and scratch space in the kernel's memory. */
interface TrainCtx {
  vectors: Float32Array;
  dim: number;
  stride: number;
  k: I8Kernel;
  mem: Int8Array;
  /** The n row codes, in row order (byte offset), and their scales. */
  codesOff: number;
  scales: Float32Array;
  /** Scratch: the training sample's codes (at most sampCap rows). */
  sampOff: number;
  sampCap: number;
  /** Scratch: i32 scores, at least max(n, nlist, sampCap) of them. */
  outOff: number;
  out: Int32Array;
  rand: () => number;
  iterations: number;
  trainPerList: number;
  recheckStrays: boolean;
}

export function trainSampleSize(n: number, nlist: number, trainPerList = IVF_DEFAULTS.trainPerList): number {
  return Math.min(n, Math.max(nlist, trainPerList * nlist));
}

/** Lists from which `trainer: 'auto'` trains two-level (a flat k-means costs sample × nlist per round). */
export const TWO_LEVEL_FROM = 4096;

/** Rounds over all rows after the two-level start, and how many nearest cells' leaves each row tries. */
const REFINE_ROUNDS = 3;
const REFINE_CELLS = 4;
/** Nearest leaves each leaf keeps for the later refinement rounds. */
const GRAPH_NEIGHBOURS = 24;

/**
 * Keep the best `scores.length` of a stream, best first: `id` with score `v` goes in at its place in
 * `scores` and `ids[at…]` (the worst falls out), or nowhere when it is no better than the last.
 */
function pushTop(scores: Float64Array, ids: Uint32Array, at: number, v: number, id: number): void {
  const m = scores.length;
  if (v <= scores[m - 1]) return;
  let i = m - 1;
  while (i > 0 && scores[i - 1] < v) {
    scores[i] = scores[i - 1];
    ids[at + i] = ids[at + i - 1];
    i--;
  }
  scores[i] = v;
  ids[at + i] = id;
}

/** For each of `count` centroids (codes at `centOff`), its `m` nearest others, best first. */
function leafGraph(t: TrainCtx, centOff: number, count: number, cScales: Float32Array, m: number): Uint32Array {
  const g = new Uint32Array(count * m);
  const sc = new Float64Array(m);
  const out = t.out;
  for (let l = 0; l < count; l++) {
    t.k.i8dot(centOff + l * t.stride, centOff, count, t.stride, t.outOff);
    sc.fill(-Infinity);
    for (let c = 0; c < count; c++) {
      if (c === l) continue;
      pushTop(sc, g, l * m, out[c] * cScales[c], c);
    }
  }
  return g;
}

/**
 * Top-level cells of the two-level trainer: about √nlist. (At 1M × 10,000 lists, 313 cells gave
 * recall@10 0.85–0.87 against 0.90 for 100, so more cells is not the fix for what 100 miss.)
 */
export function topCells(nlist: number): number {
  return Math.max(1, Math.min(nlist, Math.round(Math.sqrt(nlist))));
}

/** Training rows the two-level trainer copies at most (per k-means run). */
function twoLevelSampleCap(n: number, nlist: number, trainPerList: number, k1: number): number {
  return Math.min(n, trainPerList * Math.max(k1, 4 * Math.ceil(nlist / k1)));
}

/** The best centroid (and its score up to the row's scale) of the row codes at `q`. */
function nearestOf(t: TrainCtx, q: number, centOff: number, count: number, cScales: Float32Array): [number, number] {
  t.k.i8dot(q, centOff, count, t.stride, t.outOff);
  const out = t.out;
  let bc = 0;
  let bs = -Infinity;
  for (let c = 0; c < count; c++) {
    const v = out[c] * cScales[c];
    if (v > bs) {
      bs = v;
      bc = c;
    }
  }
  return [bc, bs];
}

/**
 * Seeded spherical k-means (k-means++ start, then Lloyd rounds) of a sample of at most `maxSample`
 * of the rows `ids` into `kc` unit centroids. Their codes are left at `centOff` (kc×stride bytes).
 */
function kmeansOf(
  t: TrainCtx,
  ids: Uint32Array,
  kc: number,
  centOff: number,
  maxSample: number,
): { centroids: Float32Array; cScales: Float32Array } {
  const { vectors, dim, stride, mem, rand, out } = t;
  const sampleSize = Math.max(kc, Math.min(ids.length, maxSample, t.sampCap));
  // a seeded subset of the rows (all when few), its codes made contiguous
  const pool = ids.slice();
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    const x = pool[i];
    pool[i] = pool[j];
    pool[j] = x;
  }
  const sample = pool.subarray(0, sampleSize);
  const sScales = new Float32Array(sampleSize);
  for (let s = 0; s < sampleSize; s++) {
    const r = sample[s];
    mem.copyWithin(t.sampOff + s * stride, t.codesOff + r * stride, t.codesOff + (r + 1) * stride);
    sScales[s] = t.scales[r];
  }
  const centroids = new Float32Array(kc * dim);
  const cScales = new Float32Array(kc);
  const setCentroid = (c: number) => {
    cScales[c] = quantizeRow(centroids, c * dim, dim, mem, centOff + c * stride);
  };
  // k-means++: each next centroid is a sample row drawn with probability ∝ its squared distance
  // (2 − 2·cos, unit vectors) to the nearest centroid so far
  const best = new Float64Array(sampleSize).fill(-Infinity);
  const w = new Float64Array(sampleSize);
  let pick = Math.floor(rand() * sampleSize);
  for (let c = 0; c < kc; c++) {
    const r0 = sample[pick];
    centroids.set(vectors.subarray(r0 * dim, (r0 + 1) * dim), c * dim);
    setCentroid(c);
    if (c + 1 === kc) break;
    t.k.i8dot(centOff + c * stride, t.sampOff, sampleSize, stride, t.outOff);
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
  // Lloyd rounds on the sample
  const member = new Uint32Array(sampleSize);
  const bestCos = new Float32Array(sampleSize);
  const counts = new Uint32Array(kc);
  for (let it = 0; it < t.iterations; it++) {
    for (let s = 0; s < sampleSize; s++) {
      const [c, v] = nearestOf(t, t.sampOff + s * stride, centOff, kc, cScales);
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
    for (let c = 0; c < kc; c++) {
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
  return { centroids, cScales };
}

/** One k-means over all rows into `nlist` lists; every row to its nearest centroid. */
function trainFlat(t: TrainCtx, nlist: number, centOff: number): IvfLayout {
  const n = t.vectors.length / t.dim;
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const { centroids, cScales } = kmeansOf(t, all, nlist, centOff, trainSampleSize(n, nlist, t.trainPerList));
  const assign = new Uint32Array(n);
  for (let r = 0; r < n; r++) assign[r] = nearestOf(t, t.codesOff + r * t.stride, centOff, nlist, cScales)[0];
  return { nlist, centroids, assign };
}

/** Leaves per cell, proportional to the cells' sizes, summing to `nlist` where the sizes allow. */
export function leafQuota(sizes: ArrayLike<number>, nlist: number, cap: number): Uint32Array {
  const n = Array.from(sizes).reduce((s, x) => s + x, 0);
  const k1 = sizes.length;
  const l = new Uint32Array(k1);
  const most = (c: number) => Math.min(sizes[c], cap);
  const frac: number[] = [];
  for (let c = 0; c < k1; c++) {
    const want = n ? (nlist * sizes[c]) / n : 0;
    l[c] = sizes[c] ? Math.max(1, Math.min(most(c), Math.floor(want))) : 0;
    frac.push(want - l[c]);
  }
  let left = nlist - l.reduce((s, x) => s + x, 0);
  // by largest shortfall first: add where room is left, take where more than one
  const byNeed = Array.from({ length: k1 }, (_, c) => c).sort((a, b) => frac[b] - frac[a] || a - b);
  while (left > 0) {
    let moved = false;
    for (const c of byNeed)
      if (left > 0 && l[c] < most(c)) {
        l[c]++;
        left--;
        moved = true;
      }
    if (!moved) break;
  }
  while (left < 0) {
    let moved = false;
    for (const c of byNeed.slice().reverse())
      if (left < 0 && l[c] > 1) {
        l[c]--;
        left++;
        moved = true;
      }
    if (!moved) break;
  }
  return l;
}

/**
 * Two-level training: k-means into about √nlist cells, then each cell's rows into its share of the
 * leaves (proportional to its size); a row then goes to the nearest leaf of its two nearest cells, and
 * each leaf's centroid becomes the mean of its rows. Cost per round ~ sample × √nlist instead of
 * sample × nlist. Leaves are numbered cell by cell, so lists near each other in space are mostly
 * neighbours in the shards file too.
 */
function trainTwoLevel(t: TrainCtx, nlist: number, centOff: number, topOff: number, k1: number): IvfLayout {
  const { dim, stride, vectors } = t;
  const n = vectors.length / dim;
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const top = kmeansOf(t, all, k1, topOff, t.sampCap);
  // each row's T nearest cells, best first
  const T = Math.min(k1, REFINE_CELLS);
  const cells = new Uint32Array(n * T);
  const cellScore = new Float64Array(T);
  const out = t.out;
  for (let r = 0; r < n; r++) {
    t.k.i8dot(t.codesOff + r * stride, topOff, k1, stride, t.outOff);
    cellScore.fill(-Infinity);
    for (let c = 0; c < k1; c++) {
      pushTop(cellScore, cells, r * T, out[c] * top.cScales[c], c);
    }
  }
  const cell1 = Uint32Array.from({ length: n }, (_, r) => cells[r * T]);
  const byCell = listOrder(cell1, k1);
  const sizes = Array.from({ length: k1 }, (_, c) => byCell.listStart[c + 1] - byCell.listStart[c]);
  const leaves = leafQuota(sizes, nlist, t.sampCap);
  const leafStart = new Uint32Array(k1 + 1);
  for (let c = 0; c < k1; c++) leafStart[c + 1] = leafStart[c] + leaves[c];
  const total = leafStart[k1];
  const centroids = new Float32Array(total * dim);
  const cScales = new Float32Array(total);
  for (let c = 0; c < k1; c++) {
    if (!leaves[c]) continue;
    const ids = byCell.order.subarray(byCell.listStart[c], byCell.listStart[c + 1]);
    const sub = kmeansOf(t, ids, leaves[c], centOff + leafStart[c] * stride, t.trainPerList * leaves[c]);
    centroids.set(sub.centroids, leafStart[c] * dim);
    cScales.set(sub.cScales, leafStart[c]);
  }
  // Lloyd rounds over all rows, each row against the leaves of its T nearest cells (a cluster that
  // the cells split finds its way to one leaf), centroids = normalised means of their rows (a leaf
  // left empty keeps its centroid)
  const assign = new Uint32Array(n);
  const sums = new Float32Array(total * dim);
  const counts = new Uint32Array(total);
  const M = Math.min(total - 1, GRAPH_NEIGHBOURS);
  for (let round = 0; round < REFINE_ROUNDS; round++) {
    if (round === 0 || M <= 0) {
      for (let r = 0; r < n; r++) {
        let bl = 0;
        let bs = -Infinity;
        for (let i = 0; i < T; i++) {
          const c = cells[r * T + i];
          if (!leaves[c]) continue;
          const [l, v] = nearestOf(
            t,
            t.codesOff + r * stride,
            centOff + leafStart[c] * stride,
            leaves[c],
            cScales.subarray(leafStart[c]),
          );
          if (v > bs) {
            bs = v;
            bl = leafStart[c] + l;
          }
        }
        assign[r] = bl;
      }
    } else {
      // later rounds: the row's leaf and that leaf's M nearest leaves (wherever their cells)
      const graph = leafGraph(t, centOff, total, cScales, M);
      const out = t.out;
      for (let r = 0; r < n; r++) {
        const cur = assign[r];
        const q = t.codesOff + r * stride;
        t.k.i8dot(q, centOff + cur * stride, 1, stride, t.outOff);
        let bs = out[0] * cScales[cur];
        let bl = cur;
        for (let i = 0; i < M; i++) {
          const l = graph[cur * M + i];
          t.k.i8dot(q, centOff + l * stride, 1, stride, t.outOff);
          const v = out[0] * cScales[l];
          if (v > bs) {
            bs = v;
            bl = l;
          }
        }
        assign[r] = bl;
      }
    }
    updateCentroids();
  }
  // Rows that no round could bring to their nearest leaf (it lies outside the row's cells and the
  // leaf graph) are checked against every leaf.
  if (t.recheckStrays && recheckStrays(t, assign, total, centOff, cScales) > 0) {
    updateCentroids();
    // the means moved: the rows go to the best leaf for the centroids as they are now (queries rank
    // the lists by these centroids)
    recheckStrays(t, assign, total, centOff, cScales);
  }
  return { nlist: total, centroids, assign };

  /** Centroids = normalised means of their rows (a leaf left empty keeps its centroid). */
  function updateCentroids(): void {
    sums.fill(0);
    counts.fill(0);
    for (let r = 0; r < n; r++) {
      const l = assign[r];
      counts[l]++;
      for (let j = 0; j < dim; j++) sums[l * dim + j] += vectors[r * dim + j];
    }
    for (let l = 0; l < total; l++) {
      if (!counts[l]) continue;
      normalizeRow(sums, l * dim, dim);
      centroids.set(sums.subarray(l * dim, (l + 1) * dim), l * dim);
      cScales[l] = quantizeRow(centroids, l * dim, dim, t.mem, centOff + l * stride);
    }
  }
}

/** A row is a stray candidate when its score with its leaf is under this share of its leaf's median. */
export const STRAY_RATIO = 0.75;
/** At most this share of the rows (the lowest ratios first) is checked against every leaf. */
export const STRAY_MAX_SHARE = 0.1;

/**
 * The two-level trainer's last step. Its rounds try, for each row, the leaves of the row's nearest
 * cells and then its leaf's nearest leaves; a row whose nearest leaf is in neither stays in a far
 * one. At 1M × 384 with 20,000 lists (the synthetic data of docs/packs.md) that was 2.4 % of the
 * rows, each scoring about 0.49 less with its leaf than with its nearest one, and those rows were
 * the true neighbours that no nprobe found (recall@10 stuck at 0.98). Such a row scores far below
 * its leaf's other rows, so the rows under STRAY_RATIO × their leaf's median score (at most
 * STRAY_MAX_SHARE of all, lowest first) are scored against every leaf and moved to the best.
 * Returns the number of rows moved.
 */
function recheckStrays(
  t: TrainCtx,
  assign: Uint32Array,
  nlist: number,
  centOff: number,
  cScales: Float32Array,
): number {
  const { stride, scales } = t;
  const n = assign.length;
  if (nlist < 2 || n === 0) return 0;
  const out = t.out;
  const score = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const l = assign[r];
    t.k.i8dot(t.codesOff + r * stride, centOff + l * stride, 1, stride, t.outOff);
    score[r] = out[0] * cScales[l] * scales[r];
  }
  const { order, listStart } = listOrder(assign, nlist);
  const ratio = new Float32Array(n);
  for (let l = 0; l < nlist; l++) {
    const rows = order.subarray(listStart[l], listStart[l + 1]);
    if (rows.length === 0) continue;
    const s = Float32Array.from(rows, (r) => score[r]).sort();
    const med = s[s.length >> 1];
    for (const r of rows) ratio[r] = med > 0 ? score[r] / med : 1;
  }
  const strays = Uint32Array.from({ length: n }, (_, r) => r)
    .filter((r) => ratio[r] < STRAY_RATIO)
    .sort((a, b) => ratio[a] - ratio[b] || a - b);
  const check = strays.subarray(0, Math.min(strays.length, Math.ceil(STRAY_MAX_SHARE * n)));
  let moved = 0;
  for (const r of check) {
    const [best] = nearestOf(t, t.codesOff + r * stride, centOff, nlist, cScales);
    if (best !== assign[r]) {
      assign[r] = best;
      moved++;
    }
  }
  return moved;
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

/**
 * Ranks lists by their int8 centroid codes (one scale each) against a query, with the int8 kernel:
 * the coarse quantiser of the in-memory index and of the sharded one (ivf-shards.ts).
 */
export class CentroidRanker {
  readonly nlist: number;
  private readonly k: I8Kernel | null;
  private readonly stride: number;
  private readonly centOff: number;
  private readonly scores: Float32Array;

  constructor(
    codes: Int8Array,
    readonly scales: Float32Array,
    readonly dim: number,
    wasm = true,
  ) {
    const nlist = (this.nlist = scales.length);
    if (codes.length !== nlist * dim) throw new Error(`${codes.length} centroid codes for ${nlist}×${dim}`);
    const stride = (this.stride = align(dim, 32));
    const outOff = stride;
    this.centOff = align(outOff + 4 * nlist, 16);
    this.k = nlist ? i8Kernel(this.centOff + nlist * stride, wasm) : null;
    this.scores = new Float32Array(nlist);
    if (this.k) {
      const mem = new Int8Array(this.k.buffer);
      for (let c = 0; c < nlist; c++) mem.set(codes.subarray(c * dim, (c + 1) * dim), this.centOff + c * stride);
    }
  }

  /** From unit float centroids (nlist×dim). */
  static fromCentroids(centroids: Float32Array, dim: number, wasm = true): CentroidRanker {
    const nlist = centroids.length / dim;
    const codes = new Int8Array(nlist * dim);
    const scales = new Float32Array(nlist);
    for (let c = 0; c < nlist; c++) scales[c] = quantizeRow(centroids, c * dim, dim, codes, c * dim);
    return new CentroidRanker(codes, scales, dim, wasm);
  }

  /** Scores of every list with the query (int8 query · int8 centroid × scales; rank-preserving). */
  score(query: Float32Array): Float32Array {
    const k = this.k;
    if (!k) return this.scores;
    const mem = new Int8Array(k.buffer);
    quantizeRow(query, 0, this.dim, mem, 0);
    k.i8dot(0, this.centOff, this.nlist, this.stride, this.stride);
    const out = new Int32Array(k.buffer, this.stride, this.nlist);
    for (let c = 0; c < this.nlist; c++) this.scores[c] = out[c] * this.scales[c];
    return this.scores;
  }

  /** The `m` best lists, best first (all of them, ranked, when m ≥ nlist). */
  top(query: Float32Array, m: number): Uint32Array {
    const s = this.score(query);
    const nlist = this.nlist;
    if (m * 8 >= nlist) {
      const all = Uint32Array.from({ length: nlist }, (_, c) => c).sort((a, b) => s[b] - s[a] || a - b);
      return m >= nlist ? all : all.slice(0, m);
    }
    const best = new TopK(m);
    for (let c = 0; c < nlist; c++) if (s[c] > best.worst) best.push(c, s[c]);
    return Uint32Array.from(best.hits, (h) => h.row);
  }
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
  /** The trainer that built the lists ('saved' when restored from a layout). */
  readonly trainer: 'flat' | 'two-level' | 'saved';
  private readonly candidates: number;
  private readonly k: I8Kernel | null;
  private readonly scales: Float32Array;
  private readonly out: Int32Array;
  private readonly offs = { q: 0, out: 0, rows: 0 };
  private readonly ranker: CentroidRanker;

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
    const trainPerList = opts.trainPerList ?? IVF_DEFAULTS.trainPerList;
    const trainer = saved
      ? 'saved'
      : (opts.trainer ?? 'auto') === 'auto'
        ? nlist >= TWO_LEVEL_FROM
          ? 'two-level'
          : 'flat'
        : (opts.trainer as 'flat' | 'two-level');
    this.trainer = trainer;
    const k1 = Math.max(1, Math.min(nlist, Math.round(opts.cells ?? topCells(nlist))));
    const stride = this.stride;
    const sampCap =
      saved || n === 0
        ? 0
        : trainer === 'two-level'
          ? twoLevelSampleCap(n, nlist, trainPerList, k1)
          : trainSampleSize(n, nlist, trainPerList);
    const o = this.offs;
    o.out = align(stride, 16);
    const cent = align(o.out + 4 * Math.max(n, nlist, sampCap), 16);
    const top = cent + (saved ? 0 : nlist * stride);
    const samp = top + (trainer === 'two-level' ? k1 * stride : 0);
    o.rows = samp + sampCap * stride;
    const k = (this.k = n === 0 ? null : i8Kernel(o.rows + n * stride, opts.wasm !== false));
    this.engine = k?.engine ?? (opts.wasm !== false && wasmSimdAvailable() ? 'wasm-simd' : 'js');
    const mem = k ? new Int8Array(k.buffer) : new Int8Array(0);
    const scales = new Float32Array(n);
    for (let r = 0; r < n; r++) scales[r] = quantizeRow(vectors, r * dim, dim, mem, o.rows + r * stride);
    let layout = saved;
    if (!layout) {
      if (k) {
        const t: TrainCtx = {
          vectors,
          dim,
          stride,
          k,
          mem,
          codesOff: o.rows,
          scales,
          sampOff: samp,
          sampCap,
          outOff: o.out,
          out: new Int32Array(k.buffer, o.out, Math.max(n, nlist, sampCap)),
          rand: mulberry32(opts.seed ?? IVF_DEFAULTS.seed),
          iterations: opts.iterations ?? IVF_DEFAULTS.iterations,
          trainPerList,
          recheckStrays: opts.recheckStrays !== false,
        };
        layout = trainer === 'two-level' ? trainTwoLevel(t, nlist, cent, top, k1) : trainFlat(t, nlist, cent);
      } else layout = { nlist: 0, centroids: new Float32Array(0), assign: new Uint32Array(0) };
    }
    this.layout = layout;
    this.ranker = CentroidRanker.fromCentroids(layout.centroids, dim, opts.wasm !== false);
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
    const nlist = this.layout.nlist;
    let lists = this.ranker.top(query, Math.min(nlist, this.nprobe));
    quantizeRow(query, 0, this.dim, new Int8Array(this.k.buffer), this.offs.q);
    const pool = new TopK(Math.min(n, Math.max(this.candidates, 4 * kk)));
    const st = this.stride;
    for (let i = 0; i < nlist; i++) {
      // nprobe lists, and more while fewer than k rows survived `exclude` (every surviving row
      // enters the pool until it holds at least k)
      if (i >= this.nprobe && pool.hits.length >= kk) break;
      if (i >= lists.length) lists = this.ranker.top(query, nlist);
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
