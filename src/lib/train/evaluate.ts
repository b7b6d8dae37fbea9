/**
 * Retrieval evaluation for adapters: rank every document of a held-out set for every held-out
 * query by inner product (exact, no index) and score the rankings with eval/retrieval.ts.
 */
import { TopK, dot } from '../index/vector-index.ts';
import { hitAtK, meanCI, mrrAtK, ndcgAtK, recallAtK, type MeanCI } from '../eval/retrieval.ts';
import type { BootstrapOptions } from '../eval/stats.ts';
import { throwIfAborted } from '../errors.ts';
import type { LinearAdapter, MetricBlock } from './adapter.ts';

export interface EvalSet {
  dim: number;
  /** nq×d base (not adapted) query vectors. */
  queries: Float32Array;
  /** nd×d document vectors. */
  docs: Float32Array;
  /** Relevant document rows for each query (at least one each). */
  relevant: readonly (readonly number[])[];
}

export interface RetrievalMetrics {
  /** Queries scored. */
  n: number;
  /** Documents each query was ranked against. */
  docs: number;
  recall1: MeanCI;
  recall3: MeanCI;
  recall10: MeanCI;
  /** Hit@10 (any relevant document in the top 10). */
  hit10: MeanCI;
  mrr10: MeanCI;
  ndcg10: MeanCI;
}

export interface EvaluateOptions {
  /** Bootstrap intervals (default true); false gives means only (lo/hi NaN), for fast validation. */
  intervals?: boolean;
  bootstrap?: BootstrapOptions;
  signal?: AbortSignal;
}

/** Mean without an interval. */
function plainMean(values: readonly number[]): MeanCI {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return { mean: n ? s / n : NaN, lo: NaN, hi: NaN, n, skipped: values.length - n };
}

/** Top-`k` document rows for each query (queries already adapted or not, as given). */
export function rankDocs(
  queries: Float32Array,
  docs: Float32Array,
  dim: number,
  k: number,
  signal?: AbortSignal,
): number[][] {
  const nq = queries.length / dim;
  const nd = docs.length / dim;
  const out: number[][] = new Array(nq);
  const q = new Float32Array(dim);
  for (let i = 0; i < nq; i++) {
    if ((i & 63) === 0) throwIfAborted(signal, 'evaluation');
    q.set(queries.subarray(i * dim, (i + 1) * dim));
    const top = new TopK(Math.min(k, nd));
    for (let j = 0, off = 0; j < nd; j++, off += dim) top.push(j, dot(q, docs, off));
    out[i] = top.hits.map((h) => h.row);
  }
  return out;
}

/**
 * Recall@1/3/10, Hit@10, MRR@10 and nDCG@10 of the set, with the adapter applied to the queries
 * (none = the base embedder), each with a bootstrap interval unless `intervals` is false.
 */
export function evaluateRetrieval(
  set: EvalSet,
  adapter?: LinearAdapter | null,
  opts: EvaluateOptions = {},
): RetrievalMetrics {
  const { dim } = set;
  if (set.queries.length % dim || set.docs.length % dim) throw new RangeError('eval set matrices are not n×dim');
  const nq = set.queries.length / dim;
  if (set.relevant.length !== nq)
    throw new RangeError(`eval set has ${nq} queries but ${set.relevant.length} relevance lists`);
  const queries = adapter ? adapter.applyBatch(set.queries) : set.queries;
  const ranked = rankDocs(queries, set.docs, dim, 10, opts.signal).map((r) => r.map(String));
  const rel = set.relevant.map((r) => new Set(r.map(String)));
  const agg = opts.intervals === false ? plainMean : (v: readonly number[]) => meanCI(v, opts.bootstrap);
  const col = (f: (r: readonly string[], s: ReadonlySet<string>, k: number) => number, k: number) =>
    agg(ranked.map((r, i) => f(r, rel[i], k)));
  return {
    n: nq,
    docs: set.docs.length / dim,
    recall1: col(recallAtK, 1),
    recall3: col(recallAtK, 3),
    recall10: col(recallAtK, 10),
    hit10: col(hitAtK, 10),
    mrr10: col(mrrAtK, 10),
    ndcg10: col(ndcgAtK, 10),
  };
}

/**
 * An eval set from held-out pairs: query i's only relevant document is its positive. Positives
 * with the same key (e.g. the same document text) become one document, relevant to all their
 * queries; without keys every positive is its own document. `extraDocs` (m×d, e.g. the rest of a
 * corpus) are appended as distractors.
 */
export function evalSetFromPairs(
  dim: number,
  queries: Float32Array,
  positives: Float32Array,
  keys?: readonly (string | number)[],
  extraDocs?: Float32Array,
): EvalSet {
  const n = queries.length / dim;
  if (positives.length !== queries.length) throw new RangeError('queries and positives differ in size');
  const rows = new Map<string | number, number>();
  const docRows: number[] = [];
  const relevant: number[][] = [];
  for (let i = 0; i < n; i++) {
    const key = keys ? keys[i] : i;
    let r = rows.get(key);
    if (r === undefined) {
      r = docRows.length;
      rows.set(key, r);
      docRows.push(i);
    }
    relevant.push([r]);
  }
  const extra = extraDocs ? extraDocs.length / dim : 0;
  const docs = new Float32Array((docRows.length + extra) * dim);
  docRows.forEach((i, r) => docs.set(positives.subarray(i * dim, (i + 1) * dim), r * dim));
  if (extraDocs) docs.set(extraDocs, docRows.length * dim);
  return { dim, queries, docs, relevant };
}

const pair = (m: MeanCI): [number, number] => [m.lo, m.hi];

/** The metrics as stored in an adapter file (means, with intervals when computed). */
export function metricBlock(m: RetrievalMetrics): MetricBlock {
  const block: MetricBlock = {
    recall3: m.recall3.mean,
    ndcg10: m.ndcg10.mean,
    recall1: m.recall1.mean,
    recall10: m.recall10.mean,
    mrr10: m.mrr10.mean,
    n: m.n,
  };
  if (Number.isFinite(m.recall3.lo)) {
    block.ci = {
      recall1: pair(m.recall1),
      recall3: pair(m.recall3),
      recall10: pair(m.recall10),
      mrr10: pair(m.mrr10),
      ndcg10: pair(m.ndcg10),
    };
  }
  return block;
}

/** "0.412 [0.385, 0.440]" (or just the mean without an interval). */
export function formatCI(m: MeanCI, digits = 3): string {
  const f = (x: number) => x.toFixed(digits);
  return Number.isFinite(m.lo) ? `${f(m.mean)} [${f(m.lo)}, ${f(m.hi)}]` : f(m.mean);
}
