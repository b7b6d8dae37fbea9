/**
 * Scoring of ONE evaluated question, as in the CodeRAG paper: execution accuracy (EX), exact match
 * (EM) and SQL-skeleton match of the prediction against the gold query. Pure: the caller executes
 * both queries (on the same database) and passes the outcomes in, so the rules can be tested on
 * hand-made results and reused by every host.
 *
 * - EX: `compareResults` (sql/compare.ts, rules in `EX_RULES`), ordered exactly when the gold
 *   query has an outermost ORDER BY (`hasOrderBy`). A prediction that is missing, fails, times out
 *   or hits the row limit is a miss, and the reason is recorded. So is a gold query that fails
 *   (never the case on Spider dev, but possible with user data).
 * - EM: `exactMatch` (normalised text: case, whitespace, quoting, implicit AS).
 * - Skeleton: `skeletonMatch` (names and literals masked, keywords kept).
 */
import type { QueryResult } from '../types.ts';
import { compareResults } from '../sql/compare.ts';
import { exactMatch, hasOrderBy, skeletonMatch } from '../sql/normalize.ts';

/** What happened when one query was run. */
export type ExecOutcome = { ok: true; result: QueryResult } | { ok: false; error: string };

export interface ScoreInput {
  gold: string;
  /** Predicted SQL; null, undefined or blank when no SQL was produced. */
  predicted: string | null | undefined;
  goldExec: ExecOutcome;
  /** Outcome of running the prediction; absent when there was nothing to run. */
  predExec?: ExecOutcome;
  /** Why there is no prediction (for example a generation error), used in the EX reason. */
  predError?: string;
}

export interface ExampleScore {
  ex: boolean;
  em: boolean;
  /** Prediction has the gold query's skeleton. */
  skeleton_match: boolean;
  /** The prediction ran without error, timeout or row-limit stop. */
  executes: boolean;
  /** Why EX is false (absent when EX is true). */
  ex_reason?: string;
}

/** Score one prediction against its gold query. Never throws. */
export function scoreExample(i: ScoreInput): ExampleScore {
  const pred = i.predicted?.trim() ?? '';
  if (!pred) {
    return {
      ex: false,
      em: false,
      skeleton_match: false,
      executes: false,
      ex_reason: `no SQL predicted${i.predError ? `: ${i.predError}` : ''}`,
    };
  }
  const em = exactMatch(i.gold, pred);
  const skeleton_match = skeletonMatch(i.gold, pred);
  const executes = i.predExec?.ok === true;
  const miss = (ex_reason: string): ExampleScore => ({ ex: false, em, skeleton_match, executes, ex_reason });
  if (!i.predExec) return miss('predicted SQL was not executed');
  if (!i.predExec.ok) return miss(`predicted SQL failed: ${i.predExec.error}`);
  if (!i.goldExec.ok) return miss(`gold SQL failed: ${i.goldExec.error}`);
  const cmp = compareResults(i.goldExec.result, i.predExec.result, hasOrderBy(i.gold));
  if (!cmp.match) return miss(`results differ: ${cmp.reason ?? 'different values'}`);
  return { ex: true, em, skeleton_match, executes };
}
