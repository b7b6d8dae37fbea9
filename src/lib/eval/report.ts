/**
 * Result shapes of an evaluation run, their summaries (rates with 95 % Wilson intervals) and a
 * plain-text table. Pure: shared by the Node CLI (`npm run eval`) and the browser Evaluate page.
 *
 * Rates are numbers in 0..1. A run with no questions reports rates of 0 with the uninformative
 * interval {lo: 0, hi: 1}.
 */
import { mean, percentile, wilson, type Interval } from './stats.ts';
import type { MeanCI } from './retrieval.ts';
import { summarizeVote, type VoteExample, type VoteSummary } from '../vote/report.ts';
import { DEFAULT_NOT_SURE_BELOW } from '../vote/vote.ts';

/** One retrieved example, judged by whether its SQL has the gold query's skeleton. */
export interface RetrievedJudged {
  id: string;
  score: number;
  skeleton_match: boolean;
}

export interface StageLatency {
  embed: number;
  search: number;
  generate: number;
  execute: number;
}

/** One evaluated question at one k. */
export interface EvalExample {
  id: string;
  db_id: string;
  question: string;
  gold: string;
  /** Predicted SQL, null when none was produced. */
  predicted: string | null;
  em: boolean;
  ex: boolean;
  /** Prediction vs gold skeleton. */
  skeleton_match: boolean;
  /** The prediction ran without error or timeout. */
  executes: boolean;
  /** `stage: message` when a stage failed (retrieve, generate, execute, gold). */
  error?: string;
  /** Why EX is false. */
  ex_reason?: string;
  /** Retrieved examples, best first (empty for k = 0). */
  retrieved: RetrievedJudged[];
  /** Examples that made it into the prompt (some may be dropped to fit the context). */
  examples_used?: number;
  /** Set when the schema had to be cut to fit the context. */
  prompt_cut?: string;
  /** Tables schema pruning left out (the least linked to the question), when any. */
  pruned_tables?: string[];
  /** Linked values shown to the model as hints. */
  hints?: number;
  /** Why schema linking gave nothing for this question (the prompt was built without links). */
  link_error?: string;
  /** Generated tokens. */
  tokens?: number;
  latency_ms: StageLatency;
  /** The voted answer for the same question (runs with `--candidates`); the fields above are greedy's. */
  vote?: VoteExample;
}

export interface LatencyStats {
  mean: number;
  p50: number;
  p95: number;
}

/** The summary of one k: rates, their intervals, latency, and every example. */
export interface EvalRun {
  k: number;
  /** Text mode used to index the corpus (retrieval only matters when k > 0). */
  text_mode?: string;
  /** Retrieval strategy (`dense` = embed the question, nearest examples), for k > 0. */
  retriever?: string;
  n: number;
  ex: number;
  em: number;
  /** Share of predictions with the gold skeleton. */
  skeleton_match: number;
  /** Share of predictions that executed. */
  executes: number;
  /** Share of questions whose top-1 retrieved example has the gold skeleton; null when k = 0. */
  skeleton_top1: number | null;
  /** Share of questions where any of the top k has the gold skeleton; null when k = 0. */
  skeleton_topk: number | null;
  intervals: {
    ex: Interval;
    em: Interval;
    skeleton_match: Interval;
    executes: Interval;
    skeleton_top1: Interval | null;
    skeleton_topk: Interval | null;
  };
  latency_ms: Record<keyof StageLatency, LatencyStats>;
  /** Greedy vs voted on the same questions (runs with `--candidates`). */
  vote?: VoteSummary;
  examples: EvalExample[];
}

/** One retrieval-only question: what came back for it. */
export interface RetrievalExample {
  id: string;
  db_id: string;
  question: string;
  gold: string;
  retrieved: RetrievedJudged[];
  /** Corpus examples that share the gold skeleton (the relevant set for Recall/MRR/nDCG). */
  relevant: number;
  latency_ms: { embed: number; search: number };
}

/** Retrieval-only summary for one text mode. */
export interface RetrievalRun {
  k: number;
  text_mode: string;
  retriever?: string;
  n: number;
  skeleton_top1: number;
  skeleton_topk: number;
  /** Share of questions whose gold skeleton occurs anywhere in the corpus (the ceiling of skeleton_topk). */
  skeleton_in_corpus: number;
  intervals: { skeleton_top1: Interval; skeleton_topk: Interval; skeleton_in_corpus: Interval };
  /**
   * Ranking metrics at k with relevance = "has the gold skeleton", bootstrap 95 % intervals,
   * over the questions that have at least one relevant corpus example (`n` in each).
   */
  mrr: MeanCI;
  ndcg: MeanCI;
  recall: MeanCI;
  latency_ms: { embed: LatencyStats; search: LatencyStats };
  /** Seconds spent embedding the corpus for this text mode (0 when it came from a cache). */
  index_s?: number;
  examples: RetrievalExample[];
}

function rate(hits: number, n: number): number {
  return n > 0 ? hits / n : 0;
}

export function latencyStats(values: number[]): LatencyStats {
  if (!values.length) return { mean: 0, p50: 0, p95: 0 };
  const r = (x: number) => Math.round(x * 100) / 100;
  return { mean: r(mean(values)), p50: r(percentile(values, 50)), p95: r(percentile(values, 95)) };
}

/** Summarise the examples of one k. The examples are kept in the order given. */
export function summarizeRun(
  k: number,
  examples: EvalExample[],
  textMode?: string,
  notSureBelow = DEFAULT_NOT_SURE_BELOW,
): EvalRun {
  const n = examples.length;
  const count = (f: (e: EvalExample) => boolean) => examples.reduce((s, e) => s + (f(e) ? 1 : 0), 0);
  const ex = count((e) => e.ex);
  const em = count((e) => e.em);
  const sk = count((e) => e.skeleton_match);
  const exe = count((e) => e.executes);
  const top1 = count((e) => e.retrieved[0]?.skeleton_match === true);
  const topk = count((e) => e.retrieved.some((r) => r.skeleton_match));
  const retrieval = k > 0;
  const stage = (s: keyof StageLatency) => latencyStats(examples.map((e) => e.latency_ms[s]));
  const voted = summarizeVote(examples, notSureBelow);
  return {
    k,
    ...(textMode !== undefined ? { text_mode: textMode } : {}),
    n,
    ex: rate(ex, n),
    em: rate(em, n),
    skeleton_match: rate(sk, n),
    executes: rate(exe, n),
    skeleton_top1: retrieval ? rate(top1, n) : null,
    skeleton_topk: retrieval ? rate(topk, n) : null,
    intervals: {
      ex: wilson(ex, n),
      em: wilson(em, n),
      skeleton_match: wilson(sk, n),
      executes: wilson(exe, n),
      skeleton_top1: retrieval ? wilson(top1, n) : null,
      skeleton_topk: retrieval ? wilson(topk, n) : null,
    },
    latency_ms: {
      embed: stage('embed'),
      search: stage('search'),
      generate: stage('generate'),
      execute: stage('execute'),
    },
    ...(voted ? { vote: voted } : {}),
    examples,
  };
}

// ---------------------------------------------------------------------------------------------
// Text tables

/** `2.1% [1.2–3.5]` */
export function formatRate(r: number | null, ci?: Interval | null): string {
  if (r === null) return '–';
  const p = (x: number) => `${(x * 100).toFixed(1)}`;
  return ci ? `${p(r)}% [${p(ci.lo)}–${p(ci.hi)}]` : `${p(r)}%`;
}

function formatMean(m: MeanCI): string {
  if (!m.n || !Number.isFinite(m.mean)) return '–';
  return `${m.mean.toFixed(3)} [${m.lo.toFixed(3)}–${m.hi.toFixed(3)}]`;
}

/** Left-aligned columns separated by two spaces, with a dashed rule under the header. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatEvalTable(runs: EvalRun[]): string {
  return textTable(
    ['k', 'n', 'EX', 'EM', 'skeleton (pred)', 'executes', 'skel top-1', 'skel top-k', 'gen p50 ms'],
    runs.map((r) => [
      String(r.k),
      String(r.n),
      formatRate(r.ex, r.intervals.ex),
      formatRate(r.em, r.intervals.em),
      formatRate(r.skeleton_match, r.intervals.skeleton_match),
      formatRate(r.executes, r.intervals.executes),
      formatRate(r.skeleton_top1, r.intervals.skeleton_top1),
      formatRate(r.skeleton_topk, r.intervals.skeleton_topk),
      r.latency_ms.generate.p50.toFixed(0),
    ]),
  );
}

export function formatRetrievalTable(runs: RetrievalRun[]): string {
  return textTable(
    ['text mode', 'n', 'skel top-1', 'skel top-k', 'in corpus', 'MRR@k', 'nDCG@k', 'Recall@k', 'k'],
    runs.map((r) => [
      r.text_mode,
      String(r.n),
      formatRate(r.skeleton_top1, r.intervals.skeleton_top1),
      formatRate(r.skeleton_topk, r.intervals.skeleton_topk),
      formatRate(r.skeleton_in_corpus, r.intervals.skeleton_in_corpus),
      formatMean(r.mrr),
      formatMean(r.ndcg),
      formatMean(r.recall),
      String(r.k),
    ]),
  );
}
