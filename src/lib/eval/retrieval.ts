/**
 * Ranking metrics for retrieval, with binary relevance.
 *
 * Conventions shared by all metrics:
 * - `ranked` is best-first; only its first `k` entries count. Repeated ids count
 *   once, at their first position (later repeats are skipped, not re-ranked).
 * - `relevant` is a set (or list) of relevant ids. When it is EMPTY the metric
 *   is undefined and the function returns NaN; the aggregate helpers leave such
 *   queries out and report how many were skipped.
 * - k <= 0 scores 0 (nothing was retrieved).
 */

import { bootstrapMean, mean, type BootstrapOptions } from './stats.ts';

export type Relevant = ReadonlySet<string> | readonly string[];

function toSet(relevant: Relevant): ReadonlySet<string> {
  return relevant instanceof Set ? relevant : new Set(relevant as readonly string[]);
}

/** Positions (0-based) of relevant ids within the first k of `ranked`, deduplicated. */
function relevantPositions(ranked: readonly string[], rel: ReadonlySet<string>, k: number): number[] {
  const seen = new Set<string>();
  const hits: number[] = [];
  const limit = Math.min(ranked.length, Math.max(0, Math.floor(k)));
  for (let i = 0; i < limit; i++) {
    const id = ranked[i];
    if (seen.has(id)) continue;
    seen.add(id);
    if (rel.has(id)) hits.push(i);
  }
  return hits;
}

/** Fraction of the relevant ids found in the top k. NaN when nothing is relevant. */
export function recallAtK(ranked: readonly string[], relevant: Relevant, k: number): number {
  const rel = toSet(relevant);
  if (rel.size === 0) return NaN;
  return relevantPositions(ranked, rel, k).length / rel.size;
}

/** Fraction of the top k that is relevant (divides by k, as is usual). NaN when nothing is relevant. */
export function precisionAtK(ranked: readonly string[], relevant: Relevant, k: number): number {
  const rel = toSet(relevant);
  if (rel.size === 0) return NaN;
  if (k <= 0) return 0;
  return relevantPositions(ranked, rel, k).length / Math.floor(k);
}

/** 1 when any relevant id is in the top k, else 0. NaN when nothing is relevant. */
export function hitAtK(ranked: readonly string[], relevant: Relevant, k: number): number {
  const rel = toSet(relevant);
  if (rel.size === 0) return NaN;
  return relevantPositions(ranked, rel, k).length > 0 ? 1 : 0;
}

/** Reciprocal rank of the first relevant id within the top k (1-based), 0 if none. NaN when nothing is relevant. */
export function mrrAtK(ranked: readonly string[], relevant: Relevant, k: number): number {
  const rel = toSet(relevant);
  if (rel.size === 0) return NaN;
  const hits = relevantPositions(ranked, rel, k);
  return hits.length ? 1 / (hits[0] + 1) : 0;
}

/**
 * Normalised DCG with binary relevance: DCG = sum over relevant hits at
 * 0-based position i of 1 / log2(i + 2); the ideal DCG puts min(|relevant|, k)
 * hits at the top. NaN when nothing is relevant.
 */
export function ndcgAtK(ranked: readonly string[], relevant: Relevant, k: number): number {
  const rel = toSet(relevant);
  if (rel.size === 0) return NaN;
  let dcg = 0;
  for (const i of relevantPositions(ranked, rel, k)) dcg += 1 / Math.log2(i + 2);
  const idealHits = Math.min(rel.size, Math.max(0, Math.floor(k)));
  let idcg = 0;
  for (let i = 0; i < idealHits; i++) idcg += 1 / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** A mean with its bootstrap interval. */
export interface MeanCI {
  mean: number;
  lo: number;
  hi: number;
  /** Values that went into the mean. */
  n: number;
  /** Values left out because they were NaN (undefined metric) or not finite. */
  skipped: number;
}

/** Mean of the finite values with a percentile-bootstrap interval (see `bootstrapMean`). */
export function meanCI(values: readonly number[], opts: BootstrapOptions = {}): MeanCI {
  const finite = values.filter((v) => Number.isFinite(v));
  const { lo, hi } = bootstrapMean(finite, opts);
  return { mean: mean(finite), lo, hi, n: finite.length, skipped: values.length - finite.length };
}

export interface RankedQuery {
  /** Retrieved ids, best first. */
  ranked: readonly string[];
  relevant: Relevant;
}

export interface RetrievalSummary {
  k: number;
  recall: MeanCI;
  mrr: MeanCI;
  ndcg: MeanCI;
  hit: MeanCI;
  precision: MeanCI;
}

/**
 * Summarises a set of queries at each cut-off in `ks`: mean recall, MRR, nDCG,
 * hit rate and precision, each with a bootstrap interval (same options and seed
 * for every metric, so the intervals are reproducible).
 */
export function aggregate(
  queries: readonly RankedQuery[],
  ks: readonly number[],
  opts: BootstrapOptions = {},
): RetrievalSummary[] {
  const sets = queries.map((q) => ({ ranked: q.ranked, rel: toSet(q.relevant) }));
  return ks.map((k) => ({
    k,
    recall: meanCI(
      sets.map((q) => recallAtK(q.ranked, q.rel, k)),
      opts,
    ),
    mrr: meanCI(
      sets.map((q) => mrrAtK(q.ranked, q.rel, k)),
      opts,
    ),
    ndcg: meanCI(
      sets.map((q) => ndcgAtK(q.ranked, q.rel, k)),
      opts,
    ),
    hit: meanCI(
      sets.map((q) => hitAtK(q.ranked, q.rel, k)),
      opts,
    ),
    precision: meanCI(
      sets.map((q) => precisionAtK(q.ranked, q.rel, k)),
      opts,
    ),
  }));
}
