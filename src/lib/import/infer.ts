/**
 * Column types for imported data: INTEGER, REAL, TEXT, and DATE (stored as ISO-8601 TEXT).
 * A type is guessed from a sample, then every value of the whole file is checked against it and
 * the type widened where a later value does not fit (INTEGER → REAL → TEXT, DATE → TEXT), with
 * the row where that happened. At build time each value is converted with `convertValue`; a value
 * that does not fit a type the user chose makes its row a bad row (listed, skipped).
 */

export type ColumnType = 'INTEGER' | 'REAL' | 'TEXT' | 'DATE';
export const COLUMN_TYPES: readonly ColumnType[] = ['INTEGER', 'REAL', 'TEXT', 'DATE'];

/** What one value looks like: null (blank), or the narrowest type that holds it. */
export type ValueKind = null | ColumnType;

const INT_RE = /^[+-]?\d+$/;
const REAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** yyyy-mm-dd (or / or .), optionally a time (T or space) with seconds, fraction and zone. */
const DATE_RE =
  /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/;

function pad2(n: string | number): string {
  return String(n).padStart(2, '0');
}

/** A date-like text as ISO (`2024-03-07` or `2024-03-07T09:05:00`), or null when it is no valid date. */
export function isoDate(text: string): string | null {
  const m = DATE_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return null;
  const daysIn = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > daysIn) return null;
  let out = `${y}-${pad2(mo)}-${pad2(d)}`;
  if (hh !== undefined) {
    if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 59) return null;
    out += `T${pad2(hh)}:${mi}:${ss ?? '00'}${frac ?? ''}${zone ?? ''}`;
  }
  return out;
}

/** A JS Date as ISO text: the date alone at midnight UTC, else date and time (UTC, no zone letter). */
export function isoFromDate(d: Date): string | null {
  if (Number.isNaN(d.getTime())) return null;
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19);
}

/** Text that keeps its exact spelling: a number with leading zeros (zip codes, ids like 007). */
function keepsLeadingZero(t: string): boolean {
  return /^[+-]?0\d/.test(t);
}

/** The narrowest kind of one raw value (string from CSV, or a typed value from JSON/Excel/Parquet). */
export function kindOf(v: unknown): ValueKind {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return null;
    if (INT_RE.test(t)) {
      if (keepsLeadingZero(t)) return 'TEXT';
      return Number.isSafeInteger(Number(t)) ? 'INTEGER' : 'TEXT';
    }
    if (REAL_RE.test(t)) return keepsLeadingZero(t) && !/^[+-]?0\./.test(t) ? 'TEXT' : 'REAL';
    if (isoDate(t) !== null) return 'DATE';
    return 'TEXT';
  }
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isSafeInteger(v) ? 'INTEGER' : 'REAL') : 'TEXT';
  if (typeof v === 'bigint')
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? 'INTEGER' : 'TEXT';
  if (typeof v === 'boolean') return 'INTEGER';
  if (v instanceof Date) return isoFromDate(v) === null ? null : 'DATE';
  return 'TEXT';
}

/** The narrowest type that holds values of both types (null = no value seen yet). */
export function widen(a: ValueKind, b: ValueKind): ValueKind {
  if (a === null) return b;
  if (b === null || a === b) return a;
  if ((a === 'INTEGER' && b === 'REAL') || (a === 'REAL' && b === 'INTEGER')) return 'REAL';
  return 'TEXT';
}

/** Type of a column whose values were all blank: TEXT. */
export function finalType(k: ValueKind): ColumnType {
  return k ?? 'TEXT';
}

/** The SQL type a column is declared with (DATE is ISO text). */
export function declaredType(t: ColumnType): 'INTEGER' | 'REAL' | 'TEXT' {
  return t === 'DATE' ? 'TEXT' : t;
}

export type SqlCell = string | number | null;

/** Convert a raw value to the column's type; `undefined` when it does not fit (a bad row). */
export function convertValue(v: unknown, type: ColumnType): SqlCell | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && v.trim() === '') return null;
  switch (type) {
    case 'TEXT':
      if (typeof v === 'string') return v;
      if (v instanceof Date) return isoFromDate(v);
      if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
      if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    case 'INTEGER': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return kindOf(v) === 'INTEGER' ? Number(v) : undefined;
      if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
      if (typeof v === 'string') {
        const t = v.trim();
        if (!INT_RE.test(t)) return undefined;
        const n = Number(t);
        return Number.isSafeInteger(n) ? n : undefined;
      }
      return undefined;
    }
    case 'REAL': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
      if (typeof v === 'string') {
        const t = v.trim();
        return REAL_RE.test(t) ? Number(t) : undefined;
      }
      return undefined;
    }
    case 'DATE':
      if (v instanceof Date) return isoFromDate(v) ?? undefined;
      if (typeof v === 'string') return isoDate(v.trim()) ?? undefined;
      return undefined;
  }
}

/** Per-column type tracking over a stream of rows: a guess from the sample, then checked on every row. */
export class TypeTracker {
  /** Kind seen so far per column. */
  private kinds: ValueKind[] = [];
  /** The guess at the end of the sample (null until then). */
  private sampled: ValueKind[] | null = null;
  /** 1-based source row where a column's type had to be widened past the sample's guess. */
  readonly widenedAt: (number | undefined)[] = [];
  private seen = 0;

  constructor(readonly sampleSize = 1000) {}

  /** Add one row (values in column order; shorter rows leave the rest unseen). */
  add(values: readonly unknown[], row: number): void {
    for (let i = 0; i < values.length; i++) {
      const before = this.kinds[i] ?? null;
      const after = widen(before, kindOf(values[i]));
      if (after !== before) {
        this.kinds[i] = after;
        if (this.sampled && before !== null && this.widenedAt[i] === undefined) this.widenedAt[i] = row;
      }
    }
    if (++this.seen === this.sampleSize) this.sampled = [...this.kinds];
  }

  /** The guess from the sample alone (the whole file when it was shorter than the sample). */
  sampleTypes(columns: number): ColumnType[] {
    const k = this.sampled ?? this.kinds;
    return Array.from({ length: columns }, (_, i) => finalType(k[i] ?? null));
  }

  /** The type after every row was checked. */
  types(columns: number): ColumnType[] {
    return Array.from({ length: columns }, (_, i) => finalType(this.kinds[i] ?? null));
  }
}
