/**
 * int8 flat scan with exact re-rank: a faster exact-ish alternative to the Float32 flat scan.
 *
 * Each vector is quantized to int8 with its own scale (max |x| → 127). A query is quantized the
 * same way and scored against every row with integer dot products, in a small WebAssembly SIMD
 * kernel (16 multiply-adds per instruction group) when the host supports WASM SIMD, else in plain
 * JS. The best `candidates` rows by approximate score are then re-scored exactly against the
 * Float32 vectors, and the top k of those are returned, so the scores callers see are exact and
 * only the candidate set can differ from the flat scan (recall@10 ≈ 1 at the default setting; see
 * docs/benchmarks.md).
 *
 * The int8 codes are derived data: they are rebuilt from the Float32 vectors on restore (a few
 * hundred ms at 100k × 512), so the stored form is the same as the flat index's.
 *
 * The WebAssembly module is assembled here from its opcodes (no build step, no external file):
 *   i8dot(q, rows, n, stride, out): out[r] = Σ_j q[j]·rows[r·stride + j] as i32, stride % 32 == 0
 */
import { TopK, dot, type IndexFactory, type SearchHit, type VectorIndex } from './vector-index.ts';
import { ScanThreads, sharedMemoryAvailable, type SpawnScanHelper } from './int8-threads.ts';

// ---------------------------------------------------------------------------------------------
// A tiny WebAssembly assembler: just what the kernel needs.

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
};
/** SIMD instructions: the 0xfd prefix and the LEB128 sub-opcode. */
const simd = (sub: number, ...imm: number[]) => [0xfd, ...uleb(sub), ...imm];
const v128Load = (offset: number) => simd(0x00, 4 /* align 2^4 */, ...uleb(offset));
const v128Const0 = simd(0x0c, ...new Array(16).fill(0));
const i16x8ExtmulLowS = simd(0x9c);
const i16x8ExtmulHighS = simd(0x9d);
const i16x8Add = simd(0x8e);
const i32x4ExtaddPairwiseS = simd(0x7e);
const i32x4Add = simd(0xae);
const i32x4ExtractLane = (lane: number) => simd(0x1b, lane);

const get = (i: number) => [op.localGet, ...uleb(i)];
const set = (i: number) => [op.localSet, ...uleb(i)];
const tee = (i: number) => [op.localTee, ...uleb(i)];
const i32c = (v: number) => [op.i32Const, ...slebI32(v)];

function slebI32(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/**
 * Body of i8dot. Params 0..4: q, p (row pointer), n, stride, out.
 * Locals: 5 j, 6 qa, 7 pa (i32); 8 x0, 9 y0, 10 x1, 11 y1, 12 acc0, 13 acc1 (v128).
 * Inner loop: 32 bytes per step, two accumulators.
 */
function i8dotBody(): number[] {
  const [Q, P, N, STRIDE, OUT, J, QA, PA, X0, Y0, X1, Y1, A0, A1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  // 16 int8 pairs → 2×8 i16 products → 8 i16 sums of two (|sum| ≤ 2·127² fits) → 4 i32 sums, added to acc
  const mac = (x: number, y: number, acc: number) => [
    ...get(x),
    ...get(y),
    ...i16x8ExtmulLowS,
    ...get(x),
    ...get(y),
    ...i16x8ExtmulHighS,
    ...i16x8Add,
    ...i32x4ExtaddPairwiseS,
    ...get(acc),
    ...i32x4Add,
    ...set(acc),
  ];
  const code = [
    op.block,
    0x40,
    op.loop,
    0x40,
    ...get(N),
    op.i32Eqz,
    op.brIf,
    1,
    ...v128Const0,
    ...set(A0),
    ...v128Const0,
    ...set(A1),
    ...i32c(0),
    ...set(J),
    op.loop,
    0x40,
    ...get(Q),
    ...get(J),
    op.i32Add,
    ...set(QA),
    ...get(P),
    ...get(J),
    op.i32Add,
    ...set(PA),
    ...get(QA),
    ...v128Load(0),
    ...set(X0),
    ...get(PA),
    ...v128Load(0),
    ...set(Y0),
    ...get(QA),
    ...v128Load(16),
    ...set(X1),
    ...get(PA),
    ...v128Load(16),
    ...set(Y1),
    ...mac(X0, Y0, A0),
    ...mac(X1, Y1, A1),
    ...get(J),
    ...i32c(32),
    op.i32Add,
    ...tee(J),
    ...get(STRIDE),
    op.i32LtU,
    op.brIf,
    0,
    op.end,
    // out[r] = horizontal sum of acc0 + acc1
    ...get(A0),
    ...get(A1),
    ...i32x4Add,
    ...set(A0),
    ...get(OUT),
    ...get(A0),
    ...i32x4ExtractLane(0),
    ...get(A0),
    ...i32x4ExtractLane(1),
    op.i32Add,
    ...get(A0),
    ...i32x4ExtractLane(2),
    op.i32Add,
    ...get(A0),
    ...i32x4ExtractLane(3),
    op.i32Add,
    op.i32Store,
    2,
    0,
    ...get(OUT),
    ...i32c(4),
    op.i32Add,
    ...set(OUT),
    ...get(P),
    ...get(STRIDE),
    op.i32Add,
    ...set(P),
    ...get(N),
    ...i32c(1),
    op.i32Sub,
    ...set(N),
    op.br,
    0,
    op.end, // row loop
    op.end, // block
    op.end, // function
  ];
  return [
    ...vec([
      [3, I32],
      [6, V128],
    ]),
    ...code,
  ];
}

const i16x8ExtendLowS = simd(0x87);
const i16x8ExtendHighS = simd(0x88);
const i32x4DotI16x8S = simd(0xba);
const i32Mul = 0x6c;

/**
 * Body of the blocked i8dot (same signature and result as i8dotBody). Rows are scored four at a
 * time: each 16-byte chunk of the query is sign-extended to two i16x8 halves once and used for the
 * four rows, whose chunks are sign-extended and multiplied-and-added pairwise into i32 lanes with
 * i32x4.dot_i16x8_s (one instruction on x86 and Arm). Two chunks per inner step; the last n % 4 rows
 * go through the same code one at a time.
 * Params 0..4: q, p, n, stride, out. Locals: 5 j (i32), 6..9 row pointers (i32); 10 ql, 11 qh,
 * 12 y (v128), 13..16 accumulators (v128).
 */
function i8dotBlockedBody(): number[] {
  const [Q, P, N, STRIDE, OUT, J] = [0, 1, 2, 3, 4, 5];
  const RP = [6, 7, 8, 9];
  const [QL, QH, Y] = [10, 11, 12];
  const ACC = [13, 14, 15, 16];
  const hsum = (a: number) => [
    ...get(a),
    ...i32x4ExtractLane(0),
    ...get(a),
    ...i32x4ExtractLane(1),
    op.i32Add,
    ...get(a),
    ...i32x4ExtractLane(2),
    op.i32Add,
    ...get(a),
    ...i32x4ExtractLane(3),
    op.i32Add,
  ];
  const group = (rows: number): number[] => {
    const code: number[] = [];
    for (let r = 0; r < rows; r++) code.push(...v128Const0, ...set(ACC[r]));
    code.push(...get(P), ...set(RP[0]));
    for (let r = 1; r < rows; r++) code.push(...get(RP[r - 1]), ...get(STRIDE), op.i32Add, ...set(RP[r]));
    code.push(...i32c(0), ...set(J), op.loop, 0x40);
    for (const half of [0, 16]) {
      code.push(...get(Q), ...get(J), op.i32Add, ...v128Load(half), ...tee(Y), ...i16x8ExtendLowS, ...set(QL));
      code.push(...get(Y), ...i16x8ExtendHighS, ...set(QH));
      for (let r = 0; r < rows; r++) {
        code.push(...get(RP[r]), ...get(J), op.i32Add, ...v128Load(half), ...tee(Y), ...i16x8ExtendLowS);
        code.push(...get(QL), ...i32x4DotI16x8S, ...get(Y), ...i16x8ExtendHighS, ...get(QH), ...i32x4DotI16x8S);
        code.push(...i32x4Add, ...get(ACC[r]), ...i32x4Add, ...set(ACC[r]));
      }
    }
    code.push(...get(J), ...i32c(32), op.i32Add, ...tee(J), ...get(STRIDE), op.i32LtU, op.brIf, 0, op.end);
    for (let r = 0; r < rows; r++) code.push(...get(OUT), ...hsum(ACC[r]), op.i32Store, 2, ...uleb(4 * r));
    code.push(...get(OUT), ...i32c(4 * rows), op.i32Add, ...set(OUT));
    code.push(...get(P), ...get(STRIDE), ...i32c(rows), i32Mul, op.i32Add, ...set(P));
    code.push(...get(N), ...i32c(rows), op.i32Sub, ...set(N));
    return code;
  };
  // while (n >= 4) group(4); while (n > 0) group(1)
  const code = [
    op.block,
    0x40,
    op.loop,
    0x40,
    ...get(N),
    ...i32c(4),
    op.i32LtU,
    op.brIf,
    1,
    ...group(4),
    op.br,
    0,
    op.end,
    op.end,
    op.block,
    0x40,
    op.loop,
    0x40,
    ...get(N),
    op.i32Eqz,
    op.brIf,
    1,
    ...group(1),
    op.br,
    0,
    op.end,
    op.end,
    op.end, // function
  ];
  return [
    ...vec([
      [5, I32],
      [7, V128],
    ]),
    ...code,
  ];
}

const v128Or = simd(0x50);

/**
 * A memory-bandwidth probe (benchmarks only): `read(p, bytes)` loads every byte of [p, p+bytes) with
 * 16-byte SIMD loads, 64 bytes per step into four independent ORs (no multiply, no dependency
 * chain), and returns lane 0 of the result so the loads cannot be dropped. `bytes` % 64 == 0.
 * Exports `memory` and `read`.
 */
export function readProbeBytes(): Uint8Array<ArrayBuffer> {
  const [P, END, A0, A1, A2, A3] = [0, 1, 2, 3, 4, 5];
  const code = [
    ...get(P),
    ...get(1),
    op.i32Add,
    ...set(END),
    op.block,
    0x40,
    op.loop,
    0x40,
    ...get(P),
    ...get(END),
    op.i32LtU,
    op.i32Eqz,
    op.brIf,
    1,
  ];
  [A0, A1, A2, A3].forEach((a, i) => code.push(...get(a), ...get(P), ...v128Load(16 * i), ...v128Or, ...set(a)));
  code.push(...get(P), ...i32c(64), op.i32Add, ...set(P), op.br, 0, op.end, op.end);
  code.push(...get(A0), ...get(A1), ...v128Or, ...get(A2), ...v128Or, ...get(A3), ...v128Or, ...i32x4ExtractLane(0));
  code.push(op.end);
  const body = [...vec([[4, V128]]), ...code];
  // param 1 (bytes) is reused as the end pointer
  const type = [0x60, ...vec([[I32], [I32]]), ...vec([[I32]])];
  return module(type, 'read', body);
}

/**
 * A one-function module. Its memory is its own (exported as `memory`, growable) unless
 * `sharedPages` is given: then it imports `env.memory`, a shared memory of exactly that many pages
 * (what the scan threads of ./int8-threads.ts all run on).
 */
function module(type: number[], name: string, body: number[], sharedPages?: number): Uint8Array<ArrayBuffer> {
  const own = sharedPages === undefined;
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([type])),
    ...(own
      ? []
      : section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x03, ...uleb(sharedPages), ...uleb(sharedPages)]]))),
    ...section(3, vec([[0]])),
    ...(own ? section(5, vec([[0x00, 1]])) : []), // one memory, min 1 page, no max
    ...section(
      7,
      vec(
        own
          ? [
              [...str('memory'), 0x02, 0],
              [...str(name), 0x00, 0],
            ]
          : [[...str(name), 0x00, 0]],
      ),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

/**
 * Which i8dot body a kernel module carries. 'simple' (the default) streams each row once, front to
 * back; 'blocked' (four rows per step) is faster while the rows sit in cache but about 2× slower
 * than 'simple' when they stream from memory on the benchmark machine (scripts/scan-bench.ts), which
 * is the case that matters for a scan, so it is kept only for that comparison.
 */
export type Int8KernelVariant = 'blocked' | 'simple';

/** The kernel module: exports `memory` (or imports `env.memory`, shared, given `sharedPages`) and `i8dot`. */
export function int8KernelBytes(variant: Int8KernelVariant = 'simple', sharedPages?: number): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00];
  return module(type, 'i8dot', variant === 'blocked' ? i8dotBlockedBody() : i8dotBody(), sharedPages);
}

// ---------------------------------------------------------------------------------------------
// Kernel instances

interface Kernel {
  memory: WebAssembly.Memory;
  i8dot(q: number, rows: number, n: number, stride: number, out: number): void;
}

let simdOk: boolean | null = null;
let kernelModule: WebAssembly.Module | null = null;

/** Whether this host runs WebAssembly SIMD (every current browser and Node ≥ 16 do). */
export function wasmSimdAvailable(): boolean {
  if (simdOk == null) {
    try {
      simdOk = typeof WebAssembly === 'object' && WebAssembly.validate(int8KernelBytes());
    } catch {
      simdOk = false;
    }
  }
  return simdOk;
}

/** A fresh kernel instance with its own memory, or null when WASM SIMD is unavailable. */
function newKernel(): Kernel | null {
  if (!wasmSimdAvailable()) return null;
  // The module is a few hundred bytes, well under the 4 KB limit for synchronous compilation on
  // a browser's main thread.
  kernelModule ??= new WebAssembly.Module(int8KernelBytes());
  return new WebAssembly.Instance(kernelModule, {}).exports as unknown as Kernel;
}

const PAGE = 65536;
const align = (n: number, a: number) => Math.ceil(n / a) * a;

interface SharedKernel extends Kernel {
  module: WebAssembly.Module;
}

/** A kernel on a fixed-size shared memory of at least `bytes`, or null when memory cannot be shared. */
function sharedKernel(bytes: number): SharedKernel | null {
  if (!sharedMemoryAvailable()) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const module = new WebAssembly.Module(int8KernelBytes('simple', pages));
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Pick<Kernel, 'i8dot'>;
    return { memory, module, i8dot: ex.i8dot };
  } catch {
    return null; // no room for a shared memory that size: one thread
  }
}

// ---------------------------------------------------------------------------------------------
// The index

export interface Int8Options {
  /** Rows re-scored exactly per query (at least 4·k). Default DEFAULT_CANDIDATES. */
  candidates?: number;
  /** Use the WASM SIMD kernel when available (default true); false forces the JS loop. */
  wasm?: boolean;
  /**
   * Scan on this many threads (this one and count − 1 helpers started by `spawn`) over a shared
   * memory, when the host can share memory (./int8-threads.ts); else, or with count ≤ 1, one thread.
   */
  threads?: { count: number; spawn: SpawnScanHelper };
}

export const DEFAULT_CANDIDATES = 64;

/** Quantize one vector to int8 with its own scale; returns the scale (x ≈ code · scale). */
export function quantizeRow(src: Float32Array, srcOff: number, dim: number, dst: Int8Array, dstOff: number): number {
  let m = 0;
  for (let j = 0; j < dim; j++) {
    const a = Math.abs(src[srcOff + j]);
    if (a > m) m = a;
  }
  if (!(m > 0) || !Number.isFinite(m)) {
    dst.fill(0, dstOff, dstOff + dim);
    return 0;
  }
  const inv = 127 / m;
  for (let j = 0; j < dim; j++) dst[dstOff + j] = Math.round(src[srcOff + j] * inv);
  return m / 127;
}

/**
 * Pushes positions `from..to` with scores `raw[p]·scales[p]` into `pool`, skipping excluded rows:
 * the same pushes as calling `pool.push` for every row that `exclude` keeps, but the pool's
 * threshold is kept in a local and a row is only looked at further (exclusion, insertion) when it
 * beats it, so once the pool is full the loop is a multiply and a compare per row (the first
 * version called `exclude` and `pool.push` for every row: about as long as the int8 scan itself at
 * 100k rows). `rowOf` maps a position to its row (IVF's list order); null = the identity.
 */
export function selectInto(
  pool: TopK,
  raw: Int32Array,
  scales: Float32Array,
  from: number,
  to: number,
  rowOf: Uint32Array | null,
  exclude?: (row: number) => boolean,
): void {
  let worst = pool.worst;
  for (let p = from; p < to; p++) {
    const s = raw[p] * scales[p];
    if (s <= worst) continue;
    const r = rowOf ? rowOf[p] : p;
    if (exclude?.(r)) continue;
    pool.push(r, s);
    worst = pool.worst;
  }
}

export class Int8Index implements VectorIndex {
  readonly kind = 'int8' as const;
  readonly size: number;
  /** Bytes per stored code row: dim rounded up to a multiple of 32 (zero padded). */
  readonly stride: number;
  /** 'wasm-simd' or 'js': which kernel scores the rows. */
  readonly engine: 'wasm-simd' | 'js';
  private readonly scales: Float32Array;
  private readonly codes: Int8Array;
  private readonly qCodes: Int8Array;
  private readonly scores: Int32Array;
  private kernel: Kernel | null;
  private readonly offs = { q: 0, out: 0, rows: 0 };
  private readonly candidates: number;
  private shared: SharedKernel | null = null;
  private threads: ScanThreads | null = null;

  constructor(
    readonly vectors: Float32Array,
    readonly dim: number,
    opts: Int8Options = {},
  ) {
    if (vectors.length % dim !== 0)
      throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
    this.size = vectors.length / dim;
    this.stride = align(dim, 32);
    this.candidates = Math.max(1, opts.candidates ?? DEFAULT_CANDIDATES);
    const n = this.size;
    this.offs.q = 0;
    this.offs.out = align(this.stride, 16);
    this.offs.rows = align(this.offs.out + 4 * n, 16);
    const need = this.offs.rows + n * this.stride;
    const threaded = opts.wasm !== false && (opts.threads?.count ?? 1) > 1 && n > 0 && wasmSimdAvailable();
    this.shared = threaded ? sharedKernel(need) : null;
    let kernel: Kernel | null = this.shared ?? (opts.wasm === false ? null : newKernel());
    if (kernel && !this.shared) {
      const have = kernel.memory.buffer.byteLength;
      try {
        if (need > have) kernel.memory.grow(Math.ceil((need - have) / PAGE));
      } catch {
        kernel = null; // could not reserve the memory: fall back to the JS loop
      }
    }
    this.kernel = kernel;
    this.engine = kernel ? 'wasm-simd' : 'js';
    if (kernel) {
      const buf = kernel.memory.buffer;
      this.qCodes = new Int8Array(buf, this.offs.q, this.stride);
      this.scores = new Int32Array(buf, this.offs.out, n);
      this.codes = new Int8Array(buf, this.offs.rows, n * this.stride);
    } else {
      this.qCodes = new Int8Array(this.stride);
      this.scores = new Int32Array(n);
      this.codes = new Int8Array(n * this.stride);
    }
    this.scales = new Float32Array(n);
    for (let i = 0; i < n; i++) this.scales[i] = quantizeRow(vectors, i * dim, dim, this.codes, i * this.stride);
    if (this.shared && opts.threads) {
      const { module, memory } = this.shared;
      const at = { q: this.offs.q, rows: this.offs.rows, stride: this.stride, out: this.offs.out, n };
      this.threads = new ScanThreads(
        { module, memory, ...at },
        this.shared.i8dot,
        opts.threads.count,
        opts.threads.spawn,
      );
    }
  }

  /** Scan threads now taking part in a search (1 = this one only). */
  get scanThreads(): number {
    return this.threads ? 1 + this.threads.ready : 1;
  }

  /** Bytes this index holds beyond the Float32 vectors (codes, scales, scratch). */
  get extraBytes(): number {
    return this.codes.byteLength + this.scales.byteLength + this.scores.byteLength + this.qCodes.byteLength;
  }

  private scoreAll(): Int32Array {
    const n = this.size;
    if (this.threads) {
      this.threads.score();
      return this.scores;
    }
    if (this.kernel) {
      this.kernel.i8dot(this.offs.q, this.offs.rows, n, this.stride, this.offs.out);
      return this.scores;
    }
    const q = this.qCodes,
      c = this.codes,
      d = this.dim,
      st = this.stride,
      out = this.scores;
    for (let i = 0, off = 0; i < n; i++, off += st) {
      let s = 0;
      let j = 0;
      for (; j + 3 < d; j += 4)
        s =
          (s + q[j] * c[off + j] + q[j + 1] * c[off + j + 1] + q[j + 2] * c[off + j + 2] + q[j + 3] * c[off + j + 3]) |
          0;
      for (; j < d; j++) s = (s + q[j] * c[off + j]) | 0;
      out[i] = s;
    }
    return out;
  }

  search(query: Float32Array, k: number, exclude?: (row: number) => boolean): SearchHit[] {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dims, index has ${this.dim}`);
    const n = this.size;
    const kk = Math.min(k, n);
    if (kk <= 0) return [];
    quantizeRow(query, 0, this.dim, this.qCodes, 0);
    const raw = this.scoreAll();
    // Approximate scores up to the query's (positive, common) scale: it does not change the order.
    const pool = new TopK(Math.min(n, Math.max(this.candidates, 4 * kk)));
    selectInto(pool, raw, this.scales, 0, n, null, exclude);
    const hits = pool.hits.map((h) => ({ row: h.row, score: dot(query, this.vectors, h.row * this.dim) }));
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    return hits.slice(0, kk);
  }

  serializeExtra(): undefined {
    return undefined;
  }

  dispose(): void {
    this.threads?.dispose();
    this.threads = null;
    this.kernel = null;
  }
}

/** A factory with custom settings (the benchmark sweeps `candidates`). */
export function createInt8Factory(opts: Int8Options = {}): IndexFactory {
  return {
    kind: 'int8',
    build: (vectors, dim) => new Int8Index(vectors, dim, opts),
    restore: (vectors, dim) => new Int8Index(vectors, dim, opts),
  };
}

export const int8Factory: IndexFactory = createInt8Factory();
