/**
 * The benchmark's result file and its printed table (see docs/benchmarks.md for the schema).
 * Pure functions, no DOM and no Node APIs, so they can be unit-tested.
 */
import { percentile } from '../lib/eval/stats.ts';

export const RESULT_SCHEMA = 'coderag-bench/1';

export type Group =
  'embed' | 'index' | 'query' | 'generate' | 'train' | 'coldstart' | 'render' | 'spider' | 'shell' | 'codeindex';

export interface Metric {
  /** Stable id, e.g. `embed.q8.b32.browser-wasm-1t`; ratios refer to metrics by id. */
  id: string;
  group: Group;
  /** What is measured, e.g. `sentences/s q8 batch 32`. */
  name: string;
  /** Where it ran: `browser-wasm-1t`, `browser-webgpu`, `node-native`, `build`… */
  host: string;
  unit: string;
  better: 'higher' | 'lower' | 'none';
  /** One value per repeat (for latency metrics: the p50 or p95 of that repeat's queries). */
  runs: number[];
  median: number | null;
  min: number | null;
  max: number | null;
  /** Settings behind the number (batch size, vectors, queries, …). */
  params?: Record<string, unknown>;
  note?: string;
  /** Set when the measurement failed; runs is then empty. */
  error?: string;
  /** Set when the measurement was not attempted, with the reason. */
  skipped?: string;
}

export interface Ratio {
  id: string;
  name: string;
  /** median(numerator) / median(denominator). */
  value: number | null;
  numerator: string;
  denominator: string;
  /** How to read it, e.g. "> 1: browser faster". */
  reading: string;
}

export interface BenchFile {
  schema: typeof RESULT_SCHEMA;
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  metrics: Metric[];
  ratios: Ratio[];
  /** Anything odd worth a human look (fallbacks, mismatches, crashes). */
  notes: string[];
}

const finite = (v: number) => typeof v === 'number' && Number.isFinite(v);

export function metric(m: Omit<Metric, 'median' | 'min' | 'max'>): Metric {
  const runs = m.runs.filter(finite);
  return {
    ...m,
    runs,
    median: runs.length ? percentile(runs, 50) : null,
    min: runs.length ? Math.min(...runs) : null,
    max: runs.length ? Math.max(...runs) : null,
  };
}

export function ratio(
  metrics: Metric[],
  id: string,
  name: string,
  numerator: string,
  denominator: string,
  reading: string,
): Ratio {
  const a = metrics.find((m) => m.id === numerator)?.median;
  const b = metrics.find((m) => m.id === denominator)?.median;
  const value = a != null && b != null && b !== 0 ? a / b : null;
  return { id, name, value, numerator, denominator, reading };
}

export function fmt(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(2);
}

function pad(s: string, w: number, right = false): string {
  if (s.length >= w) return s;
  return right ? ' '.repeat(w - s.length) + s : s + ' '.repeat(w - s.length);
}

/** Fixed-width text table: one line per metric, grouped; then the ratios. */
export function formatTable(file: Pick<BenchFile, 'metrics' | 'ratios'>): string {
  const head = ['metric', 'host', 'median', 'min', 'max', 'unit', 'n'];
  const rows: string[][] = [];
  let group = '';
  for (const m of file.metrics) {
    if (m.group !== group) {
      group = m.group;
      rows.push([`[${group}]`, '', '', '', '', '', '']);
    }
    if (m.error || m.skipped) {
      rows.push([m.name, m.host, m.skipped ? 'skipped' : 'ERROR', '', '', m.unit, '0']);
      rows.push([`  ↳ ${(m.skipped ?? m.error ?? '').slice(0, 110)}`, '', '', '', '', '', '']);
      continue;
    }
    rows.push([m.name, m.host, fmt(m.median), fmt(m.min), fmt(m.max), m.unit, String(m.runs.length)]);
  }
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.filter((r) => !r[0].startsWith('  ↳') && !r[0].startsWith('[')).map((r) => r[i].length)),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => pad(c, widths[i], (i >= 2 && i <= 4) || i === 6))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) out.push(r[0].startsWith('[') || r[0].startsWith('  ↳') ? r[0] : line(r));
  if (file.ratios.length) {
    out.push('', 'ratios (median / median, same run)');
    const w = Math.max(...file.ratios.map((r) => r.name.length));
    for (const r of file.ratios)
      out.push(`  ${pad(r.name, w)}  ${pad(r.value == null ? '–' : r.value.toFixed(2) + '×', 8, true)}  ${r.reading}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// App shell size: which built files index.html reaches

export interface ShellFile {
  name: string;
  bytes: number;
  gzip: number;
}

/**
 * Files reachable from `entry` by name: a file references another when its text contains that
 * file's base name (hashed asset names are unique, so this catches imports, `new URL(...)` and
 * `?url` assets alike). Binary files are leaves.
 */
export function reachable(entry: string, names: string[], textOf: (name: string) => string | null): string[] {
  const base = (n: string) => n.split('/').pop()!;
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length) {
    const cur = queue.shift()!;
    const text = textOf(cur);
    if (text == null) continue;
    for (const n of names) {
      if (seen.has(n)) continue;
      if (text.includes(base(n))) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return [...seen];
}
