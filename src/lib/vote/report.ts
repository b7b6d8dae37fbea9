/**
 * Greedy vs voted, on the same questions: the per-question record an evaluation keeps
 * (`VoteExample`) and the run summary (`summarizeVote`): EX of both, the paired difference with an
 * exact McNemar p-value, the "not sure" share at the run's threshold, EX of confident vs not-sure
 * answers, the calibration curve (share answered vs EX of the answered, per threshold) and the
 * cost per question. Pure: shared by `npm run eval` and the Evaluate page.
 */
import { mcnemarExact, wilson, type Interval } from '../eval/stats.ts';
import type { CandidateSource } from './vote.ts';
import type { RepairState } from './pool.ts';

/** The vote's side of one evaluated question (the example's own fields are the greedy answer). */
export interface VoteExample {
  predicted: string | null;
  ex: boolean;
  ex_reason?: string;
  confidence: number;
  not_sure: boolean;
  /** "agree of total candidates agree". */
  agree: number;
  total: number;
  sources: Partial<Record<CandidateSource, number>>;
  repair: RepairState;
  /** Tokens for the whole pool (greedy included) and wall time of the whole question. */
  tokens: number;
  ms: number;
  /** Wall time of the greedy answer alone (ask()). */
  greedy_ms: number;
}

export interface CurvePoint {
  /** Answers with confidence >= threshold are shown as sure. */
  threshold: number;
  /** Share of questions answered as sure. */
  answered: number;
  /** EX among those (null when none). */
  ex_answered: number | null;
}

export interface VoteSummary {
  n: number;
  greedy_ex: number;
  voted_ex: number;
  intervals: { greedy_ex: Interval; voted_ex: Interval };
  /** voted − greedy, in points of EX share. */
  diff: number;
  /** Questions only greedy got right / only the vote got right. */
  greedy_only: number;
  voted_only: number;
  mcnemar_p: number;
  /** Threshold used for `not_sure`. */
  not_sure_below: number;
  not_sure_share: number;
  ex_confident: number | null;
  ex_not_sure: number | null;
  curve: CurvePoint[];
  cost: {
    greedy_ms_mean: number;
    voted_ms_mean: number;
    greedy_tokens_mean: number;
    voted_tokens_mean: number;
    candidates_mean: number;
  };
  repair: Partial<Record<RepairState, number>>;
}

const THRESHOLDS = Array.from({ length: 21 }, (_, i) => i / 20);

function avg(xs: number[]): number {
  return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : 0;
}

/** The summary of the examples of one run that carry a vote (null when none does). */
export function summarizeVote(
  examples: readonly { ex: boolean; tokens?: number; vote?: VoteExample }[],
  notSureBelow: number,
): VoteSummary | null {
  const rows = examples.filter((e): e is { ex: boolean; tokens?: number; vote: VoteExample } => !!e.vote);
  const n = rows.length;
  if (!n) return null;
  let g = 0,
    v = 0,
    gOnly = 0,
    vOnly = 0;
  for (const e of rows) {
    if (e.ex) g++;
    if (e.vote.ex) v++;
    if (e.ex && !e.vote.ex) gOnly++;
    if (!e.ex && e.vote.ex) vOnly++;
  }
  const sure = rows.filter((e) => !e.vote.not_sure);
  const unsure = rows.filter((e) => e.vote.not_sure);
  const exOf = (xs: typeof rows) => (xs.length ? xs.filter((e) => e.vote.ex).length / xs.length : null);
  const repair: Partial<Record<RepairState, number>> = {};
  for (const e of rows) repair[e.vote.repair] = (repair[e.vote.repair] ?? 0) + 1;
  return {
    n,
    greedy_ex: g / n,
    voted_ex: v / n,
    intervals: { greedy_ex: wilson(g, n), voted_ex: wilson(v, n) },
    diff: (v - g) / n,
    greedy_only: gOnly,
    voted_only: vOnly,
    mcnemar_p: mcnemarExact(gOnly, vOnly),
    not_sure_below: notSureBelow,
    not_sure_share: unsure.length / n,
    ex_confident: exOf(sure),
    ex_not_sure: exOf(unsure),
    curve: THRESHOLDS.map((t) => {
      const answered = rows.filter((e) => e.vote.predicted !== null && e.vote.confidence >= t);
      return { threshold: t, answered: answered.length / n, ex_answered: exOf(answered) };
    }),
    cost: {
      greedy_ms_mean: avg(rows.map((e) => e.vote.greedy_ms)),
      voted_ms_mean: avg(rows.map((e) => e.vote.ms)),
      greedy_tokens_mean: avg(rows.map((e) => e.tokens ?? 0)),
      voted_tokens_mean: avg(rows.map((e) => e.vote.tokens)),
      candidates_mean: avg(rows.map((e) => e.vote.total)),
    },
    repair,
  };
}

/** A few lines of text for the CLI. */
export function formatVoteSummary(s: VoteSummary): string {
  const p = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
  const pv = s.mcnemar_p < 1e-4 ? s.mcnemar_p.toExponential(1) : s.mcnemar_p.toFixed(4);
  return [
    `greedy EX ${p(s.greedy_ex)}  voted EX ${p(s.voted_ex)}  diff ${(s.diff * 100).toFixed(1)} points (n ${s.n}; only greedy right ${s.greedy_only}, only voted right ${s.voted_only}; exact McNemar p ${pv})`,
    `not sure (confidence < ${s.not_sure_below}): ${p(s.not_sure_share)} of questions; EX confident ${p(s.ex_confident)}, EX not sure ${p(s.ex_not_sure)}`,
    `cost per question: greedy ${s.cost.greedy_ms_mean.toFixed(0)} ms / ${s.cost.greedy_tokens_mean} tokens, voted ${s.cost.voted_ms_mean.toFixed(0)} ms / ${s.cost.voted_tokens_mean} tokens, ${s.cost.candidates_mean} candidates`,
  ].join('\n');
}
