/**
 * Execution Accuracy (EX): do two query results hold the same rows?
 *
 * The rules are spelled out in `EX_RULES` (shown in the docs); the code below
 * follows them one for one.
 */

import type { QueryResult } from '../types.ts';

/** Markdown bullet list describing how execution results are compared. */
export const EX_RULES = [
  '- Only row **values** are compared; column names and aliases are ignored.',
  '- Both results must have the same number of columns, and columns are compared by position (a different column order is a mismatch).',
  '- Numbers compare by value: `1` equals `1.0`, integers (and BigInts) exactly, non-integers after rounding to 10 significant digits (about 1e-9 relative).',
  "- Types are not coerced: the number `1` does not equal the text `'1'`.",
  '- `NULL` equals `NULL`.',
  '- Blobs (`Uint8Array`) are equal when their bytes are equal.',
  '- When the gold query has `ORDER BY` in its outermost query, rows are compared as sequences (order matters); otherwise as multisets (order ignored, duplicates counted).',
  '- Truncated results (cut at the row limit) are compared as returned.',
  '- Two empty results match (when their column counts are known and equal, or unknown).',
].join('\n');

export interface CompareOutcome {
  match: boolean;
  /** Why the results differ: "column count 2 vs 1", "row count 3 vs 5" or "different values" (gold first). */
  reason?: string;
}

/** Significant digits kept for non-integer numbers. */
const FLOAT_DIGITS = 10;

/** A string key that is equal for two values exactly when EX treats them as equal. */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'N';
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) || !Number.isFinite(v)) return `n:${v}`;
      // Number(...) turns the rounded text back into the shortest form, so that
      // 0.1 + 0.2 and 0.3 both become "0.3"; -0 becomes 0.
      return `n:${Number(v.toPrecision(FLOAT_DIGITS)) + 0}`;
    case 'bigint':
      return `n:${v.toString()}`;
    case 'string':
      return `s:${v}`;
    case 'boolean':
      return `n:${v ? 1 : 0}`;
    default:
      break;
  }
  if (v instanceof Uint8Array) {
    let hex = '';
    for (const b of v) hex += b.toString(16).padStart(2, '0');
    return `b:${hex}`;
  }
  if (v instanceof ArrayBuffer) return valueKey(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return valueKey(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  try {
    return `o:${JSON.stringify(v)}`;
  } catch {
    return `o:${String(v)}`;
  }
}

function rowKey(row: readonly unknown[]): string {
  return JSON.stringify(row.map(valueKey));
}

/** Column count of a result: its column list, else the width of its first row (0 = unknown). */
function width(r: QueryResult): number {
  return r.columns.length || (r.rows[0]?.length ?? 0);
}

/**
 * Compares a predicted result with the gold result by the rules in `EX_RULES`.
 * `ordered` should be true when the gold query's outermost query has ORDER BY
 * (see `hasOrderBy` in normalize.ts).
 */
export function compareResults(gold: QueryResult, pred: QueryResult, ordered: boolean): CompareOutcome {
  const gw = width(gold);
  const pw = width(pred);
  if (gw > 0 && pw > 0 && gw !== pw) return { match: false, reason: `column count ${gw} vs ${pw}` };
  if (gold.rows.length !== pred.rows.length) {
    return { match: false, reason: `row count ${gold.rows.length} vs ${pred.rows.length}` };
  }
  const gk = gold.rows.map(rowKey);
  const pk = pred.rows.map(rowKey);
  if (ordered) {
    for (let i = 0; i < gk.length; i++) if (gk[i] !== pk[i]) return { match: false, reason: 'different values' };
    return { match: true };
  }
  const counts = new Map<string, number>();
  for (const k of gk) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const k of pk) {
    const c = counts.get(k);
    if (!c) return { match: false, reason: 'different values' };
    counts.set(k, c - 1);
  }
  return { match: true };
}
