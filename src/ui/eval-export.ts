/** The Evaluate page's CSV export: one row per example and k. */
import { toCsv } from '../lib/corpus/csv.ts';
import type { EvalRun } from '../lib/eval/report.ts';

export function evalRunsCsv(runs: EvalRun[]): string {
  const header = [
    'k',
    'id',
    'db_id',
    'question',
    'gold',
    'predicted',
    'em',
    'ex',
    'skeleton_match',
    'executes',
    'error',
    'ex_reason',
    'top1_skeleton',
    'embed_ms',
    'search_ms',
    'generate_ms',
    'execute_ms',
  ];
  const rows = runs.flatMap((r) =>
    r.examples.map((e) => [
      r.k,
      e.id,
      e.db_id,
      e.question,
      e.gold,
      e.predicted ?? '',
      e.em,
      e.ex,
      e.skeleton_match,
      e.executes,
      e.error ?? '',
      e.ex_reason ?? '',
      e.retrieved[0]?.skeleton_match ?? '',
      e.latency_ms.embed,
      e.latency_ms.search,
      e.latency_ms.generate,
      e.latency_ms.execute,
    ]),
  );
  return toCsv(header, rows);
}
