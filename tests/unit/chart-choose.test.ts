import { describe, expect, test } from 'vitest';
import { MAX_POINTS, chartData, chooseChart, minMaxDownsample, profileColumns } from '../../src/lib/chart/choose.ts';

const res = (columns: string[], rows: unknown[][]) => ({ columns, rows });

describe('chooseChart', () => {
  test('category + number → bar', () => {
    const r = res(
      ['country', 'n'],
      [
        ['UK', 8],
        ['France', 6],
        ['Spain', 3],
      ],
    );
    expect(chooseChart(r)).toMatchObject({ kind: 'bar', x: 0, y: [1] });
  });
  test('date + number → line; ordered number + number → line', () => {
    expect(
      chooseChart(
        res(
          ['month', 'orders'],
          [
            ['2024-01', 3],
            ['2024-02', 5],
          ],
        ),
      ),
    ).toMatchObject({ kind: 'line', x: 0, y: [1] });
    expect(
      chooseChart(
        res(
          ['day', 'total'],
          [
            ['2024-01-05 10:00:00', 3.5],
            ['2024-01-03', 5],
          ],
        ),
      ),
    ).toMatchObject({ kind: 'line', x: 0 });
    expect(
      chooseChart(
        res(
          ['x', 'g'],
          [
            [1, 1],
            [2, 2],
            [3, 3],
            [4, 4],
          ],
        ),
      ),
    ).toMatchObject({ kind: 'line', x: 0, y: [1] });
  });
  test('two unordered numbers → scatter', () => {
    expect(
      chooseChart(
        res(
          ['price', 'rating'],
          [
            [9.5, 4],
            [3, 5],
            [20, 1],
          ],
        ),
      ),
    ).toMatchObject({ kind: 'scatter', x: 0, y: [1] });
  });
  test('no chart for one column, no rows, or text only; key columns are not plotted as values', () => {
    expect(chooseChart(res(['n'], [[1], [2]]))).toBeNull();
    expect(chooseChart(res(['a', 'b'], []))).toBeNull();
    expect(chooseChart(res(['name', 'email'], [['a', 'b']]))).toBeNull();
    expect(
      chooseChart(
        res(
          ['id', 'name'],
          [
            [1, 'a'],
            [2, 'b'],
          ],
        ),
      ),
    ).toBeNull();
    expect(
      chooseChart(
        res(
          ['name', 'id', 'price'],
          [
            ['a', 1, 3],
            ['b', 2, 4],
          ],
        ),
      ),
    ).toMatchObject({ kind: 'bar', x: 0, y: [2] });
  });
  test('column profiles ignore NULLs and mark mixed columns as categories', () => {
    const p = profileColumns(
      res(
        ['a', 'b', 'c', 'd'],
        [
          [1, 'x', null, '2024'],
          [null, 3, null, '2025-02-01'],
        ],
      ),
    );
    expect(p.map((c) => c.type)).toEqual(['number', 'category', 'empty', 'date']);
    expect(p[0].ordered).toBe(true);
  });
});

describe('chartData reduces big results', () => {
  const n = 100_000;
  const rows = Array.from({ length: n }, (_, i) => [i + 1, (i + 1) % 7]);
  test('a 100k-row line keeps at most MAX_POINTS points, extremes included', () => {
    const r = res(['x', 'g'], rows);
    const choice = chooseChart(r)!;
    expect(choice.kind).toBe('line');
    const d = chartData(r, choice);
    expect(d.points).toBeLessThanOrEqual(MAX_POINTS);
    expect(d.xs!.length).toBe(d.points);
    expect(Math.min(...(d.series[0].values as number[]))).toBe(0);
    expect(Math.max(...(d.series[0].values as number[]))).toBe(6);
    for (let i = 1; i < d.xs!.length; i++) expect(d.xs![i]).toBeGreaterThan(d.xs![i - 1]);
    expect(d.note).toMatch(/of 100,000 rows drawn/);
  });
  test('a big scatter is sampled every k-th row', () => {
    const r = res(
      ['a', 'b'],
      rows.map(([x, g]) => [g, x]),
    );
    const d = chartData(r, { kind: 'scatter', x: 0, y: [1], reason: '' });
    expect(d.points).toBeLessThanOrEqual(MAX_POINTS);
    expect(d.note).toMatch(/every 50th row/);
  });
  test('bars: repeated categories are summed, at most maxBars drawn', () => {
    const r = res(
      ['k', 'v'],
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
        ['c', null],
      ],
    );
    const d = chartData(r, { kind: 'bar', x: 0, y: [1], reason: '' });
    expect(d.labels).toEqual(['a', 'b', 'c']);
    expect(d.series[0]).toEqual({ name: 'sum of v', values: [4, 2, null] });
    const many = res(
      ['k', 'v'],
      Array.from({ length: 500 }, (_, i) => [`k${i}`, i]),
    );
    const dm = chartData(many, { kind: 'bar', x: 0, y: [1], reason: '' }, MAX_POINTS, 50);
    expect(dm.labels!.length).toBe(50);
    expect(dm.note).toMatch(/first 50 categories/);
  });
  test('a line over unsorted dates is sorted by date', () => {
    const d = chartData(
      res(
        ['m', 'n'],
        [
          ['2024-03', 3],
          ['2024-01', 1],
          ['2024-02', 2],
        ],
      ),
      { kind: 'line', x: 0, y: [1], reason: '' },
    );
    expect(d.labels).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(d.series[0].values).toEqual([1, 2, 3]);
  });
  test('minMaxDownsample keeps row order', () => {
    const idx = minMaxDownsample([5, 1, 9, 2, 8, 3, 7, 4], 4);
    expect(idx).toEqual([1, 2, 4, 5]);
  });
});
