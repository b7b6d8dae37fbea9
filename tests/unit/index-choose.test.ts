import { describe, expect, test } from 'vitest';
import { INDEX_BY_SIZE, defaultIndexKind, resolveIndexKind, type IndexBySize } from '../../src/lib/index/choose.ts';

describe('the index kind by corpus size', () => {
  const table: IndexBySize[] = [
    { upTo: 10, kind: 'flat', why: 'a' },
    { upTo: 1000, kind: 'int8', why: 'b' },
    { upTo: Infinity, kind: 'ivf', why: 'c' },
  ];

  test('each size gets the first entry whose bound it does not exceed (bounds inclusive)', () => {
    expect(defaultIndexKind(0, table)).toBe('flat');
    expect(defaultIndexKind(10, table)).toBe('flat');
    expect(defaultIndexKind(11, table)).toBe('int8');
    expect(defaultIndexKind(1000, table)).toBe('int8');
    expect(defaultIndexKind(1001, table)).toBe('ivf');
    expect(defaultIndexKind(5e7, table)).toBe('ivf');
  });

  test('a size that is not a count, or a table without an open end, is an error', () => {
    expect(() => defaultIndexKind(-1, table)).toThrow(/not a count/);
    expect(() => defaultIndexKind(NaN, table)).toThrow(/not a count/);
    expect(() => defaultIndexKind(2000, table.slice(0, 2))).toThrow(/Infinity/);
  });

  test('the shipped table ascends, ends open, and names a reason for every entry', () => {
    const bounds = INDEX_BY_SIZE.map((e) => e.upTo);
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
    expect(new Set(bounds).size).toBe(bounds.length);
    expect(bounds[bounds.length - 1]).toBe(Infinity);
    for (const e of INDEX_BY_SIZE) expect(e.why.length).toBeGreaterThan(10);
    // the kinds it may choose are the ones the app can build and restore without rebuilding
    for (const e of INDEX_BY_SIZE) expect(['flat', 'int8', 'ivf']).toContain(e.kind);
  });

  test("'auto' resolves through the table; a named kind is kept", () => {
    for (const n of [0, 6726, 100_000, 1_000_000]) expect(resolveIndexKind('auto', n)).toBe(defaultIndexKind(n));
    expect(resolveIndexKind('flat', 1_000_000)).toBe('flat');
    expect(resolveIndexKind('voy', 10)).toBe('voy');
  });
});
