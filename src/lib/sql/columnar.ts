/**
 * Big query results cross from the SQL worker to the page column-wise, in transferable buffers,
 * and become rows only when they are read.
 *
 * A 100k-row result sent as `rows: unknown[][]` costs the page one structured-clone
 * deserialisation of 100k arrays (and as much again in garbage collection): hundreds of ms on the
 * main thread, for a table that shows 100 rows a page. So the worker (`toWire`) turns a result of
 * at least `COLUMNAR_MIN_ROWS` rows into columns: numbers in a Float64Array, text as UTF-8 bytes
 * with offsets, anything else (blobs, mixed columns) as a plain array, with a null mask; the
 * buffers are moved, not copied. The client (`fromWire`) gives callers the same `QueryResult`
 * whose `rows` is a lazy array: a row is built from the columns when it is first read (then kept),
 * so showing a page builds 100 rows. It behaves as an array for reading (index, length, iteration,
 * slice, map…); code that scans every row of a big result can read the cells straight from the
 * columns with `cellReader`.
 */
import type { QueryResult } from '../types.ts';

/** Results with fewer rows cross as plain rows (cheap enough, and nothing lazy to reason about). */
export const COLUMNAR_MIN_ROWS = 2_000;

export type WireColumn =
  /**
   * Every value a number or null. `ordered`: the values never decrease from row to row (nulls
   * ignored), found here in the worker so that the page need not read every row to know it (the
   * chart's choice asks; on the page that scan was a long task at 100k rows).
   */
  | { kind: 'num'; values: Float64Array; nulls: Uint8Array | null; ordered?: boolean }
  /** Every value a string or null: UTF-8 bytes, row i is bytes[offsets[i] .. offsets[i+1]). */
  | { kind: 'text'; bytes: Uint8Array; offsets: Uint32Array; nulls: Uint8Array | null }
  /** Anything else (blobs, bigints, mixed types), cloned as values. */
  | { kind: 'any'; values: unknown[] };

/** A result as it crosses the worker boundary when it is big. */
export interface ColumnarResult {
  columnar: true;
  columns: string[];
  rowCount: number;
  data: WireColumn[];
  ms: number;
  truncated?: boolean;
}

export function isColumnar(r: QueryResult | ColumnarResult): r is ColumnarResult {
  return (r as ColumnarResult).columnar === true;
}

function column(rows: readonly (readonly unknown[])[], c: number): WireColumn {
  const n = rows.length;
  let nums = true,
    texts = true,
    anyNull = false,
    textBytes = 0;
  for (let i = 0; i < n && (nums || texts); i++) {
    const v = rows[i][c];
    if (v === null || v === undefined) anyNull = true;
    else if (typeof v === 'number') texts = false;
    else if (typeof v === 'string') {
      nums = false;
      // an upper bound of its UTF-8 length
      textBytes += v.length * 3;
    } else nums = texts = false;
  }
  const nulls = anyNull ? new Uint8Array(n) : null;
  if (nulls) for (let i = 0; i < n; i++) if (rows[i][c] === null || rows[i][c] === undefined) nulls[i] = 1;
  if (nums) {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) if (!nulls?.[i]) values[i] = rows[i][c] as number;
    return { kind: 'num', values, nulls, ordered: nonDecreasing(n, (i) => (nulls?.[i] ? null : values[i])) };
  }
  if (texts) {
    const enc = new TextEncoder();
    let bytes = new Uint8Array(Math.max(16, textBytes));
    const offsets = new Uint32Array(n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const v = rows[i][c];
      if (typeof v === 'string' && v.length) {
        if (at + v.length * 3 > bytes.length) {
          const more = new Uint8Array(Math.max(bytes.length * 2, at + v.length * 3));
          more.set(bytes.subarray(0, at));
          bytes = more;
        }
        at += enc.encodeInto(v, bytes.subarray(at)).written;
      }
      offsets[i + 1] = at;
    }
    return { kind: 'text', bytes: bytes.slice(0, at), offsets, nulls };
  }
  return { kind: 'any', values: rows.map((r) => r[c]) };
}

/** In the worker: a big result as columns (small ones unchanged). */
export function toWire(r: QueryResult, minRows = COLUMNAR_MIN_ROWS): QueryResult | ColumnarResult {
  if (r.rows.length < minRows || !r.columns.length) return r;
  const out: ColumnarResult = {
    columnar: true,
    columns: r.columns,
    rowCount: r.rows.length,
    data: r.columns.map((_, c) => column(r.rows, c)),
    ms: r.ms,
  };
  if (r.truncated !== undefined) out.truncated = r.truncated;
  return out;
}

/** The buffers of a columnar result, to move them with postMessage. */
export function wireBuffers(r: QueryResult | ColumnarResult): ArrayBuffer[] {
  if (!isColumnar(r)) return [];
  const out: ArrayBuffer[] = [];
  for (const d of r.data) {
    if (d.kind === 'any') continue;
    out.push((d.kind === 'num' ? d.values : d.bytes).buffer as ArrayBuffer);
    if (d.kind === 'text') out.push(d.offsets.buffer as ArrayBuffer);
    if (d.nulls) out.push(d.nulls.buffer as ArrayBuffer);
  }
  return out;
}

/** Reads cells of a columnar result. */
class Cells {
  private readonly dec = new TextDecoder();
  constructor(readonly data: WireColumn[]) {}

  get(i: number, c: number): unknown {
    const d = this.data[c];
    if (d.kind === 'any') return d.values[i];
    if (d.nulls?.[i]) return null;
    if (d.kind === 'num') return d.values[i];
    return this.dec.decode(d.bytes.subarray(d.offsets[i], d.offsets[i + 1]));
  }

  row(i: number): unknown[] {
    const out = new Array<unknown>(this.data.length);
    for (let c = 0; c < this.data.length; c++) out[c] = this.get(i, c);
    return out;
  }
}

const CELLS = Symbol('columnar cells');

function isIndex(p: string | symbol, n: number): p is string {
  if (typeof p !== 'string' || p === '' || p.length > 10) return false;
  const i = Number(p);
  return Number.isInteger(i) && i >= 0 && i < n && String(i) === p;
}

/**
 * An array of `n` rows built on first read from `cells` (and kept). Reading works as on an array
 * (it is a Proxy over one, so Array.isArray holds and the array methods see every row).
 */
function lazyRows(cells: Cells, n: number): unknown[][] {
  const target: unknown[][] = new Array(n);
  return new Proxy(target, {
    get(t, p, receiver) {
      if (p === CELLS) return cells;
      if (isIndex(p, n)) {
        const i = Number(p);
        return (t[i] ??= cells.row(i));
      }
      return Reflect.get(t, p, receiver);
    },
    has(t, p) {
      return isIndex(p, n) || Reflect.has(t, p);
    },
    getOwnPropertyDescriptor(t, p) {
      if (isIndex(p, n)) {
        const i = Number(p);
        return { value: (t[i] ??= cells.row(i)), writable: true, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(t, p);
    },
    ownKeys(t) {
      const keys: (string | symbol)[] = [];
      for (let i = 0; i < n; i++) keys.push(String(i));
      return [...keys, ...Reflect.ownKeys(t).filter((k) => !isIndex(k, n))];
    },
  });
}

/** In the page: the `QueryResult` of a wire result (lazy rows when columnar). */
export function fromWire(r: QueryResult | ColumnarResult): QueryResult {
  if (!isColumnar(r)) return r;
  const out: QueryResult = { columns: r.columns, rows: lazyRows(new Cells(r.data), r.rowCount), ms: r.ms };
  if (r.truncated !== undefined) out.truncated = r.truncated;
  return out;
}

/**
 * Whether the values `at(0) … at(n - 1)` never decrease as numbers (NULLs skipped; a NaN breaks the
 * order): the one definition the SQL worker (`WireColumn.ordered`) and the chart's choice share.
 */
export function nonDecreasing(n: number, at: (i: number) => unknown): boolean {
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (v === null || v === undefined) continue;
    const x = Number(v);
    if (!(x >= prev)) return false;
    prev = x;
  }
  return true;
}

/**
 * Whether column `c` of a big (lazy) result never decreases from row to row, as the worker found
 * when it sent the result; `undefined` when not known (a small result, a column not all numbers):
 * the caller scans the rows.
 */
export function knownOrdered(r: { rows: readonly (readonly unknown[])[] }, c: number): boolean | undefined {
  const d = (r.rows as unknown as Record<symbol, Cells | undefined>)[CELLS]?.data[c];
  return d?.kind === 'num' ? d.ordered : undefined;
}

/**
 * `(row, column) → value` for a result: straight from the columns when its rows are lazy (no row is
 * built), else from the rows. For code that scans every row of a possibly big result.
 */
export function cellReader(r: { rows: readonly (readonly unknown[])[] }): (i: number, c: number) => unknown {
  const cells = (r.rows as unknown as Record<symbol, Cells | undefined>)[CELLS];
  if (cells) return (i, c) => cells.get(i, c);
  return (i, c) => r.rows[i][c];
}
