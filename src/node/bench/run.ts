/**
 * One `npm run bench` run: its settings, the private build folder, and what it records (metrics,
 * same-run ratios, notes), passed to every section.
 */
import { metric, type Metric, type Ratio } from '../../bench/report.ts';
import type { BenchSettings } from './args.ts';

/** USE-Lite's dimension: the real vectors and the random index datasets. */
export const DIM = 512;
/** Seed of the random datasets and the training data. */
export const SEED = 20261122;

export interface BenchRun {
  S: BenchSettings;
  /** The build that is served. */
  dist: string;
  metrics: Metric[];
  ratios: Ratio[];
  notes: string[];
  /** A progress line with the seconds since the start. */
  log(msg: string): void;
  /** Record a metric. */
  add(m: Parameters<typeof metric>[0]): Metric;
  /** Record a metric that failed (or was skipped) with its reason. */
  failed(
    group: Metric['group'],
    id: string,
    name: string,
    host: string,
    unit: string,
    error: string,
    skipped?: boolean,
  ): void;
}

export function newBenchRun(S: BenchSettings, dist: string, print: (line: string) => void): BenchRun {
  const t0 = Date.now();
  const metrics: Metric[] = [];
  const add = (m: Parameters<typeof metric>[0]): Metric => {
    const x = metric(m);
    metrics.push(x);
    return x;
  };
  return {
    S,
    dist,
    metrics,
    ratios: [],
    notes: [],
    log(msg) {
      const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
      print(`[bench ${s}s] ${msg}`);
    },
    add,
    failed(group, id, name, host, unit, error, skipped = false) {
      add({ id, group, name, host, unit, better: 'none', runs: [], ...(skipped ? { skipped: error } : { error }) });
    },
  };
}

/** The first line of an error's message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
}
