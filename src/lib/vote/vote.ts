/**
 * Voting over executed SQL candidates: group candidates whose results are equal by the EX rule
 * (src/lib/sql/compare.ts: values only, columns by position, numbers by value, NULL = NULL;
 * multiset of rows, or a sequence when the SQL orders), weight each group by its members' sources
 * and scores, pick the heaviest, and say how sure that is. Pure and DOM-free.
 *
 * Grouping. Candidates are first bucketed by their result as a multiset of rows (with the column
 * count); EX never calls two results equal when those differ. Inside a bucket, candidates whose
 * SQL has an outermost ORDER BY are split by their row sequence; a candidate without ORDER BY
 * agrees (by EX) with every ordered one of its bucket, so it belongs to each of those subgroups.
 * A bucket with no ordered candidate is one group.
 *
 * Tie rule (documented in `TIE_RULE`, applied in this order): the larger total weight; then more
 * members; then a non-empty result over an empty one; then the group holding the greedy
 * candidate; then the group whose first member comes first in the pool order.
 */
import type { QueryResult } from '../types.ts';
import { valueKey } from '../sql/compare.ts';
import { hasOrderBy } from '../sql/normalize.ts';
import { nextTask } from '../tasks.ts';

/** Where a candidate came from. */
export type CandidateSource = 'greedy' | 'sample' | 'example' | 'instant' | 'repair';

export interface Candidate {
  sql: string;
  source: CandidateSource;
  /**
   * A score in 0..1 from the source, when it has one: the retrieval similarity of a same-database
   * example, the instant generator's score squashed to 0..1. Absent = 1.
   */
  score?: number;
  /** Tokens spent producing it (model candidates). */
  tokens?: number;
}

export type CandidateOutcome = { ok: true; result: QueryResult } | { ok: false; error: string };

export interface ExecutedCandidate extends Candidate {
  outcome: CandidateOutcome;
}

/** Base weight of a vote per source (a-priori choices, not fitted; see the README's "Voting"). */
export const SOURCE_WEIGHTS: Readonly<Record<CandidateSource, number>> = {
  greedy: 1,
  sample: 0.8,
  // A solved question on this very database: strong when its question is near the user's.
  example: 1,
  instant: 0.6,
  repair: 0.8,
};

/** An empty (or all-NULL) result counts this fraction of its weight: such answers are often wrong. */
export const EMPTY_FACTOR = 0.5;

export const TIE_RULE =
  'larger total weight, then more members, then a non-empty result, then the group with the greedy candidate, then the earliest candidate in pool order';

export interface VoteGroup {
  /** Indices into the candidate list, in pool order. */
  members: number[];
  weight: number;
  /** The result every member returns (up to EX equality): the first member's. */
  result: QueryResult;
  /** The representative SQL: the heaviest member (ties: the first). */
  sql: string;
  empty: boolean;
}

export interface VoteOutcome {
  /** The winner, or null when no candidate executed. */
  winner: VoteGroup | null;
  /** Every group, winner first, then by the tie rule. */
  groups: VoteGroup[];
  /** Candidates in the pool (distinct SQL), executed or failed. */
  total: number;
  /** Candidates that executed. */
  executed: number;
  /** Members of the winning group / `total` ("3 of 5 candidates agree"). */
  agree: number;
  /**
   * Winner weight / the weight of every candidate in the pool, a failed one counted at the weight
   * it would have had (a failure is a vote against being sure); 0 when nothing executed.
   */
  share: number;
}

function isEmpty(r: QueryResult): boolean {
  return r.rows.length === 0 || r.rows.every((row) => row.every((v) => v === null));
}

function rowKey(row: readonly unknown[]): string {
  let k = '';
  for (let j = 0; j < row.length; j++) k += (j ? '\u0002' : '') + valueKey(row[j]);
  return k;
}

function width(r: QueryResult): number {
  return r.columns.length || (r.rows[0]?.length ?? 0);
}

/** Row keys of a result, computed once per result object (repeated SQL shares one result). */
const keyCache = new WeakMap<QueryResult, { rows: string[]; sorted?: string }>();

function rowKeys(r: QueryResult): string[] {
  let c = keyCache.get(r);
  if (!c) {
    c = { rows: r.rows.map(rowKey) };
    keyCache.set(r, c);
  }
  return c.rows;
}

/** Equal exactly when EX calls the two results equal as multisets (column count included when known). */
export function multisetKey(r: QueryResult): string {
  const keys = rowKeys(r);
  const c = keyCache.get(r)!;
  c.sorted ??= `${width(r)}|${keys.slice().sort().join('\u0001')}`;
  return c.sorted;
}

/** Equal exactly when EX calls the two results equal as sequences. */
export function sequenceKey(r: QueryResult): string {
  return `${width(r)}|${rowKeys(r).join('\u0001')}`;
}

/** Results that can only equal each other when they have the same width and row count. */
function shapeKey(r: QueryResult): string {
  return `${width(r)}:${r.rows.length}`;
}

/**
 * Compute, ahead of `vote`, the row keys that grouping will need, a slice of rows at a time with a
 * pause between slices, so that a page voting over large results never blocks its thread for long.
 * Only results that share their shape (width, row count) with another distinct result need keys.
 */
export async function prepareVote(
  cands: readonly ExecutedCandidate[],
  opts: { sliceRows?: number; pause?: () => Promise<void> } = {},
): Promise<void> {
  const slice = opts.sliceRows ?? 1000;
  const pause = opts.pause ?? nextTask;
  const byShape = new Map<string, Set<QueryResult>>();
  for (const c of cands) {
    if (!c.outcome.ok) continue;
    const k = shapeKey(c.outcome.result);
    const set = byShape.get(k) ?? new Set<QueryResult>();
    set.add(c.outcome.result);
    byShape.set(k, set);
  }
  for (const set of byShape.values()) {
    if (set.size < 2) continue;
    for (const r of set) {
      if (keyCache.has(r)) continue;
      const rows: string[] = [];
      for (let i = 0; i < r.rows.length; i += slice) {
        for (let j = i; j < Math.min(r.rows.length, i + slice); j++) rows.push(rowKey(r.rows[j]));
        if (r.rows.length > slice) await pause();
      }
      keyCache.set(r, { rows });
      multisetKey(r);
      if (r.rows.length > slice) await pause();
    }
  }
}

/** The vote weight of one executed candidate. */
export function candidateWeight(c: ExecutedCandidate): number {
  if (!c.outcome.ok) return 0;
  return nominalWeight(c) * (isEmpty(c.outcome.result) ? EMPTY_FACTOR : 1);
}

/** The weight a candidate has before its result is known (source and score). */
function nominalWeight(c: Candidate): number {
  const s = c.score === undefined || !Number.isFinite(c.score) ? 1 : Math.min(1, Math.max(0, c.score));
  return SOURCE_WEIGHTS[c.source] * s;
}

/** Group the executed candidates by EX equality and order the groups by the tie rule. */
export function groupCandidates(cands: readonly ExecutedCandidate[]): VoteGroup[] {
  // Bucket by shape first: keys are computed only where two distinct results share a shape.
  const shapes = new Map<string, number[]>();
  cands.forEach((c, i) => {
    if (!c.outcome.ok) return;
    const k = shapeKey(c.outcome.result);
    const b = shapes.get(k);
    if (b) b.push(i);
    else shapes.set(k, [i]);
  });
  const buckets = new Map<string, number[]>();
  const resultOf = (i: number) => (cands[i].outcome as { ok: true; result: QueryResult }).result;
  for (const [shape, members] of shapes) {
    const distinct = new Set(members.map(resultOf));
    if (distinct.size === 1) {
      buckets.set(`one:${shape}`, members);
      continue;
    }
    for (const i of members) {
      const key = multisetKey(resultOf(i));
      const b = buckets.get(key);
      if (b) b.push(i);
      else buckets.set(key, [i]);
    }
  }
  const groups: VoteGroup[] = [];
  const make = (members: number[]): VoteGroup => {
    let weight = 0;
    let best = members[0];
    let bestW = -1;
    for (const i of members) {
      const w = candidateWeight(cands[i]);
      weight += w;
      if (w > bestW) {
        bestW = w;
        best = i;
      }
    }
    const result = (cands[members[0]].outcome as { ok: true; result: QueryResult }).result;
    return { members, weight, result, sql: cands[best].sql, empty: isEmpty(result) };
  };
  for (const members of buckets.values()) {
    const ordered = members.filter((i) => hasOrderBy(cands[i].sql));
    if (!ordered.length) {
      groups.push(make(members));
      continue;
    }
    const loose = members.filter((i) => !hasOrderBy(cands[i].sql));
    const bySeq = new Map<string, number[]>();
    const oneResult = new Set(ordered.map(resultOf)).size === 1;
    for (const i of ordered) {
      const k = oneResult ? 'same' : sequenceKey(resultOf(i));
      const s = bySeq.get(k);
      if (s) s.push(i);
      else bySeq.set(k, [i]);
    }
    for (const seq of bySeq.values()) {
      const g = make([...seq, ...loose].sort((a, b) => a - b));
      // The representative result is an ordered member's, so the shown order is one a query imposes.
      g.result = (cands[seq[0]].outcome as { ok: true; result: QueryResult }).result;
      groups.push(g);
    }
  }
  const greedyIn = (g: VoteGroup) => g.members.some((i) => cands[i].source === 'greedy');
  groups.sort(
    (a, b) =>
      b.weight - a.weight ||
      b.members.length - a.members.length ||
      Number(a.empty) - Number(b.empty) ||
      Number(greedyIn(b)) - Number(greedyIn(a)) ||
      a.members[0] - b.members[0],
  );
  return groups;
}

/** Vote: the heaviest group by the tie rule, with the agreement numbers. */
export function vote(cands: readonly ExecutedCandidate[]): VoteOutcome {
  const groups = groupCandidates(cands);
  const executed = cands.filter((c) => c.outcome.ok).length;
  const winner = groups[0] ?? null;
  let totalWeight = 0;
  for (const c of cands) totalWeight += c.outcome.ok ? candidateWeight(c) : nominalWeight(c);
  return {
    winner,
    groups,
    total: cands.length,
    executed,
    agree: winner ? winner.members.length : 0,
    share: winner && totalWeight > 0 ? winner.weight / totalWeight : 0,
  };
}

export interface ConfidenceInput {
  /** Members of the winner / candidates in the pool. */
  agreement: number;
  /** Highest retrieval similarity of the examples shown (0..1; 0 when none). */
  similarity: number;
  /** The chosen result is empty or all NULL. */
  empty: boolean;
}

/**
 * Confidence in 0..1: mostly the agreement share, raised by a near retrieved example and lowered
 * by an empty result. The mix is a-priori (not fitted); the "not sure" threshold on it is the
 * setting, and docs/vote-*.json report EX against the share answered for every threshold.
 */
export function confidence(i: ConfidenceInput): number {
  const a = Math.min(1, Math.max(0, i.agreement));
  const s = Math.min(1, Math.max(0, i.similarity));
  const c = 0.65 * a + 0.35 * s - (i.empty ? 0.25 : 0);
  return Math.min(1, Math.max(0, c));
}

/** Default "not sure" threshold on `confidence` (a setting in the page and `--not-sure` in the eval). */
export const DEFAULT_NOT_SURE_BELOW = 0.5;
