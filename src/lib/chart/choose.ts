/**
 * Pick a chart for a query result from its column types, and reduce the data to what a chart
 * can draw quickly. Pure functions: no DOM and no charting library here.
 *
 * Column types come from the values (a sample of up to 1,000 rows, spread over the result):
 * - number: every non-null value is a number (or bigint);
 * - date: every non-null value is a string like 2024, 2024-05, 2024-05-17 or 2024-05-17 10:30[:00];
 * - category: other strings (or a mix);
 * - other: blobs; empty: only NULLs.
 * A number column is "ordered" when its values never decrease over the whole result.
 *
 * Rules, first match wins:
 * 1. a date column + a number column → line (x = the date);
 * 2. a category column + a number column → bar (x = the category);
 * 3. two number columns, the first ordered → line (x = the ordered one);
 * 4. two number columns → scatter.
 * Key-like number columns (`id`, `…_id`) are never plotted as values. Up to three value columns
 * become series (bar, line); a scatter plots one pair.
 */

import { cellReader, knownOrdered, nonDecreasing } from '../sql/columnar.ts';

export type ColumnType = 'number' | 'date' | 'category' | 'other' | 'empty';
export type ChartKind = 'bar' | 'line' | 'scatter';

export interface ResultLike {
  columns: string[];
  rows: readonly (readonly unknown[])[];
}

export interface ColumnProfile {
  index: number;
  name: string;
  type: ColumnType;
  /** Number columns only: values never decrease from row to row (NULLs ignored). */
  ordered: boolean;
}

export interface ChartChoice {
  kind: ChartKind;
  /** Column index of the x axis. */
  x: number;
  /** Column indexes of the plotted values. */
  y: number[];
  /** Why this chart, in words. */
  reason: string;
}

export const SAMPLE_ROWS = 1_000;
export const MAX_POINTS = 2_000;
export const MAX_BARS = 200;
export const MAX_SERIES = 3;

const DATE_RE = /^\d{4}(?:-\d{2}(?:-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

function isNum(v: unknown): boolean {
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint';
}

/** Row indexes of an even sample of at most `max` rows (all rows when there are fewer). */
export function sampleIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = n / max;
  return Array.from({ length: max }, (_, i) => Math.floor(i * step));
}

export function profileColumns(r: ResultLike): ColumnProfile[] {
  const idx = sampleIndexes(r.rows.length, SAMPLE_ROWS);
  // cells straight from the columns of a big (lazy) result: the order check reads every row
  const at = cellReader(r);
  const n = r.rows.length;
  return r.columns.map((name, c) => {
    let nums = 0,
      dates = 0,
      strs = 0,
      other = 0;
    for (const i of idx) {
      const v = at(i, c);
      if (v === null || v === undefined) continue;
      if (isNum(v)) nums++;
      else if (typeof v === 'string') {
        if (DATE_RE.test(v.trim())) dates++;
        else strs++;
      } else other++;
    }
    const total = nums + dates + strs + other;
    let type: ColumnType;
    if (!total) type = 'empty';
    else if (other) type = 'other';
    else if (nums === total) type = 'number';
    else if (dates === total) type = 'date';
    else type = 'category';
    // a big result's order is known from the SQL worker (it had the column at hand); else every row is read
    const ordered = type === 'number' && (knownOrdered(r, c) ?? nonDecreasing(n, (i) => at(i, c)));
    return { index: c, name, type, ordered };
  });
}

const isKey = (p: ColumnProfile) => /^(?:id|.*_id|rowid)$/i.test(p.name);

export function chooseChart(r: ResultLike): ChartChoice | null {
  if (r.rows.length === 0 || r.columns.length < 2) return null;
  const cols = profileColumns(r);
  const nums = cols.filter((c) => c.type === 'number');
  const values = (except: number) =>
    nums
      .filter((c) => c.index !== except && !isKey(c))
      .slice(0, MAX_SERIES)
      .map((c) => c.index);
  const date = cols.find((c) => c.type === 'date');
  if (date) {
    const y = values(date.index);
    if (y.length)
      return {
        kind: 'line',
        x: date.index,
        y,
        reason: `${date.name} holds dates and ${cols[y[0]].name} numbers: a line over time`,
      };
  }
  const cat = cols.find((c) => c.type === 'category');
  if (cat) {
    const y = values(cat.index);
    if (y.length)
      return {
        kind: 'bar',
        x: cat.index,
        y,
        reason: `${cat.name} is a category and ${cols[y[0]].name} a number: a bar per category`,
      };
  }
  if (nums.length >= 2) {
    const ordered = nums.find((c) => c.ordered);
    if (ordered && r.rows.length >= 3) {
      const y = values(ordered.index);
      if (y.length)
        return {
          kind: 'line',
          x: ordered.index,
          y,
          reason: `${ordered.name} is ordered and ${cols[y[0]].name} a number: a line along ${ordered.name}`,
        };
    }
    const pair = nums.filter((c) => !isKey(c));
    const [a, b] = pair.length >= 2 ? pair : nums;
    return {
      kind: 'scatter',
      x: a.index,
      y: [b.index],
      reason: `${a.name} and ${b.name} are both numbers: a scatter plot`,
    };
  }
  return null;
}

export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

export interface ChartData {
  kind: ChartKind;
  xLabel: string;
  /** Category or date labels (bar, and line over dates); absent for numeric x. */
  labels?: string[];
  /** Numeric x values (scatter, and line over an ordered number). */
  xs?: number[];
  series: ChartSeries[];
  /** Rows in the result. */
  rows: number;
  /** Points drawn per series. */
  points: number;
  /** What was done to fit the chart (sampled, aggregated, cut), if anything. */
  note?: string;
}

function toNum(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}

/**
 * For a line with many points: split the rows into buckets and keep, per bucket, the rows with
 * the smallest and the largest first-series value (in row order), so peaks stay visible.
 */
export function minMaxDownsample(ys: readonly (number | null)[], maxPoints: number): number[] {
  const n = ys.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = n / buckets;
  const keep: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    let iMin = -1,
      iMax = -1;
    for (let i = lo; i < hi; i++) {
      const v = ys[i];
      if (v === null) continue;
      if (iMin < 0 || v < (ys[iMin] as number)) iMin = i;
      if (iMax < 0 || v > (ys[iMax] as number)) iMax = i;
    }
    if (iMin < 0) {
      keep.push(lo);
      continue;
    }
    if (iMin === iMax) keep.push(iMin);
    else keep.push(Math.min(iMin, iMax), Math.max(iMin, iMax));
  }
  return keep;
}

/** The data to draw for a choice, reduced to at most `maxPoints` points per series. */
export function chartData(r: ResultLike, choice: ChartChoice, maxPoints = MAX_POINTS, maxBars = MAX_BARS): ChartData {
  const n = r.rows.length;
  const at = cellReader(r);
  const xName = r.columns[choice.x];
  const yNames = choice.y.map((c) => r.columns[c]);
  if (choice.kind === 'bar') {
    // one bar per category; repeated categories are summed
    const order: string[] = [];
    const sums = new Map<string, (number | null)[]>();
    let repeated = false;
    let cut = false;
    for (let i = 0; i < n; i++) {
      const xv = at(i, choice.x);
      const key = xv === null || xv === undefined ? 'NULL' : String(xv);
      let acc = sums.get(key);
      if (acc) repeated = true;
      else if (order.length >= maxBars) {
        cut = true;
        continue;
      } else {
        acc = choice.y.map(() => null);
        sums.set(key, acc);
        order.push(key);
      }
      for (let s = 0; s < choice.y.length; s++) {
        const v = toNum(at(i, choice.y[s]));
        if (v !== null) acc[s] = (acc[s] ?? 0) + v;
      }
    }
    const notes: string[] = [];
    if (repeated) notes.push(`categories that repeat are summed`);
    if (cut) notes.push(`only the first ${maxBars} categories are drawn`);
    return {
      kind: 'bar',
      xLabel: xName,
      labels: order,
      series: yNames.map((name, s) => ({
        name: repeated ? `sum of ${name}` : name,
        values: order.map((k) => sums.get(k)![s]),
      })),
      rows: n,
      points: order.length,
      note: notes.length ? notes.join('; ') : undefined,
    };
  }
  if (choice.kind === 'scatter') {
    const step = Math.max(1, Math.ceil(n / maxPoints));
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    for (let i = 0; i < n; i += step) {
      const x = toNum(at(i, choice.x));
      const y = toNum(at(i, choice.y[0]));
      if (x === null || y === null) continue;
      xs.push(x);
      ys.push(y);
    }
    return {
      kind: 'scatter',
      xLabel: xName,
      xs,
      series: [{ name: yNames[0], values: ys }],
      rows: n,
      points: xs.length,
      note:
        step > 1
          ? `every ${step.toLocaleString('en-US')}th row is drawn (${xs.length.toLocaleString('en-US')} of ${n.toLocaleString('en-US')})`
          : undefined,
    };
  }
  // line: over dates (labels, sorted) or over an ordered number (xs)
  let isDate = false;
  for (let i = 0; i < n && !isDate; i++) isDate = typeof at(i, choice.x) === 'string';
  let rowIdx = Array.from({ length: n }, (_, i) => i);
  if (isDate) {
    const key = (i: number) => String(at(i, choice.x) ?? '');
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) if (key(i) < key(i - 1)) sorted = false;
    if (!sorted) rowIdx.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
  }
  const first = rowIdx.map((i) => toNum(at(i, choice.y[0])));
  const keep = minMaxDownsample(first, maxPoints);
  if (keep.length < rowIdx.length) rowIdx = keep.map((k) => rowIdx[k]);
  const series = choice.y.map((c, s) => ({ name: yNames[s], values: rowIdx.map((i) => toNum(at(i, c))) }));
  const sampled = rowIdx.length < n;
  const out: ChartData = {
    kind: 'line',
    xLabel: xName,
    series,
    rows: n,
    points: rowIdx.length,
    note: sampled
      ? `${rowIdx.length.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows drawn (the lowest and highest value of each stretch of rows)`
      : undefined,
  };
  if (isDate) out.labels = rowIdx.map((i) => String(at(i, choice.x) ?? ''));
  else out.xs = rowIdx.map((i) => toNum(at(i, choice.x)) ?? 0);
  return out;
}
