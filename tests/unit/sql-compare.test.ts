import { describe, expect, test } from 'vitest';
import type { QueryResult } from '../../src/lib/types.ts';
import { EX_RULES, compareResults, valueKey } from '../../src/lib/sql/compare.ts';

const res = (columns: string[], rows: unknown[][], extra: Partial<QueryResult> = {}): QueryResult => ({
  columns,
  rows,
  ms: 1,
  ...extra,
});

describe('compareResults: shape', () => {
  test('identical results match', () => {
    const r = res(
      ['a', 'b'],
      [
        [1, 'x'],
        [2, 'y'],
      ],
    );
    expect(compareResults(r, r, true)).toEqual({ match: true });
    expect(compareResults(r, r, false)).toEqual({ match: true });
  });

  test('column names are ignored', () => {
    expect(compareResults(res(['count(*)'], [[3]]), res(['n'], [[3]]), false).match).toBe(true);
  });

  test('column count must agree', () => {
    expect(compareResults(res(['a', 'b'], [[1, 2]]), res(['a'], [[1]]), false)).toEqual({
      match: false,
      reason: 'column count 2 vs 1',
    });
  });

  test('row count must agree', () => {
    expect(compareResults(res(['a'], [[1], [2], [3]]), res(['a'], [[1], [2], [3], [4], [5]]), false)).toEqual({
      match: false,
      reason: 'row count 3 vs 5',
    });
  });

  test('empty results', () => {
    expect(compareResults(res(['a'], []), res(['b'], []), false).match).toBe(true);
    expect(compareResults(res(['a'], []), res(['a', 'b'], []), false)).toEqual({
      match: false,
      reason: 'column count 1 vs 2',
    });
    // column list unknown (e.g. an engine that reports no columns for an empty result)
    expect(compareResults(res([], []), res(['a', 'b'], []), false).match).toBe(true);
    expect(compareResults(res([], []), res(['a'], [[1]]), false).reason).toBe('row count 0 vs 1');
  });

  test('width falls back to the first row when no column names are given', () => {
    expect(compareResults(res([], [[1, 2]]), res(['a'], [[1]]), false).reason).toBe('column count 2 vs 1');
  });

  test('column order matters', () => {
    expect(compareResults(res(['a', 'b'], [[1, 'x']]), res(['b', 'a'], [['x', 1]]), false)).toEqual({
      match: false,
      reason: 'different values',
    });
  });
});

describe('compareResults: order', () => {
  const gold = res(['a'], [[1], [2], [3]]);
  const shuffled = res(['a'], [[3], [1], [2]]);

  test('unordered comparison ignores row order', () => {
    expect(compareResults(gold, shuffled, false).match).toBe(true);
  });

  test('ordered comparison requires the same sequence', () => {
    expect(compareResults(gold, shuffled, true)).toEqual({ match: false, reason: 'different values' });
  });

  test('multisets: duplicates are counted', () => {
    expect(compareResults(res(['a'], [[1], [1], [2]]), res(['a'], [[1], [2], [2]]), false).match).toBe(false);
    expect(compareResults(res(['a'], [[1], [1], [2]]), res(['a'], [[2], [1], [1]]), false).match).toBe(true);
  });

  test('different values', () => {
    expect(compareResults(res(['a'], [['France']]), res(['a'], [['france']]), false).reason).toBe('different values');
  });
});

describe('compareResults: values', () => {
  const one = (v: unknown, w: unknown) => compareResults(res(['a'], [[v]]), res(['a'], [[w]]), true).match;

  test('1 equals 1.0 (same JS number) and BigInt 1n', () => {
    expect(one(1, 1.0)).toBe(true);
    expect(one(1, 1n)).toBe(true);
    expect(one(12345678901234567890n, 12345678901234567890n)).toBe(true);
  });

  test('floats within ~1e-9 relative are equal', () => {
    expect(one(0.1 + 0.2, 0.3)).toBe(true);
    expect(one(2 / 3, 0.6666666667)).toBe(true);
    expect(one(1234.5678901234, 1234.56789012345)).toBe(true);
    expect(one(2.0000000000001, 2)).toBe(true);
    expect(one(0.3, 0.31)).toBe(false);
    expect(one(1.5, 1.5000001)).toBe(false);
  });

  test('large integers are compared exactly', () => {
    expect(one(12345678901234, 12345678901235)).toBe(false);
  });

  test('-0 equals 0', () => {
    expect(one(-0, 0)).toBe(true);
    // the tolerance is relative, so a tiny non-zero value is not rounded to 0
    expect(one(-0.0000000000001, 0)).toBe(false);
  });

  test('numbers and numeric strings differ', () => {
    expect(one(1, '1')).toBe(false);
    expect(one('1.0', '1')).toBe(false);
  });

  test('null equals null, not 0 or empty string', () => {
    expect(one(null, null)).toBe(true);
    expect(one(null, undefined)).toBe(true);
    expect(one(null, 0)).toBe(false);
    expect(one(null, '')).toBe(false);
    expect(one(null, 'null')).toBe(false);
  });

  test('blobs compare by bytes', () => {
    expect(one(new Uint8Array([1, 2, 255]), new Uint8Array([1, 2, 255]))).toBe(true);
    expect(one(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(one(new Uint8Array([]), '')).toBe(false);
    expect(one(new Uint8Array([1]).buffer, new Uint8Array([1]))).toBe(true);
  });

  test('strings are compared exactly', () => {
    expect(one('a ', 'a')).toBe(false);
    expect(one('Ünïcode', 'Ünïcode')).toBe(true);
  });

  test('a string cannot collide with another type via the key', () => {
    expect(one('n:1', 1)).toBe(false);
    expect(one('N', null)).toBe(false);
  });

  test('valueKey is stable for equal values', () => {
    expect(valueKey(1)).toBe(valueKey(1.0));
    expect(valueKey(0.1 + 0.2)).toBe(valueKey(0.3));
    expect(valueKey(NaN)).toBe(valueKey(NaN));
    expect(valueKey(Infinity)).not.toBe(valueKey(-Infinity));
  });
});

describe('EX_RULES', () => {
  test('is a markdown bullet list covering the rules', () => {
    const lines = EX_RULES.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const l of lines) expect(l.startsWith('- ')).toBe(true);
    expect(EX_RULES).toMatch(/column names/i);
    expect(EX_RULES).toMatch(/NULL/);
    expect(EX_RULES).toMatch(/ORDER BY/);
    expect(EX_RULES).toMatch(/multiset/i);
  });
});
