/**
 * Retrieval evaluation of a code & docs collection against questions whose gold answers are
 * symbols (file path + function, class, method or Markdown heading), so the set survives edits
 * that move lines. A retrieved chunk is relevant when it covers a gold symbol (the symbol itself,
 * or a part of it such as a method of a gold class).
 */
import { meanCI, mrrAtK, ndcgAtK, precisionAtK, type MeanCI } from '../eval/retrieval.ts';
import { CONFIDENCE_TOP, type CodeHit, type CodeMethod, type CodeSearch } from './search.ts';
import type { Chunk } from './types.ts';

export interface GoldSymbol {
  path: string;
  symbol: string;
}

export interface CodeQuestion {
  id: string;
  question: string;
  /** The task kind (CodeRAG): a question in words, or code to explain / to match. */
  kind?: 'text-code' | 'code-text' | 'code-code';
  /** Empty for a question the collection cannot answer. */
  gold: GoldSymbol[];
}

export function covers(chunk: Pick<Chunk, 'path' | 'symbols'>, g: GoldSymbol): boolean {
  return chunk.path === g.path && chunk.symbols.some((s) => s === g.symbol || s.startsWith(g.symbol + '.'));
}

export interface QuestionScores {
  precision: number;
  recall: number;
  rr: number;
  ndcg: number;
}

/** Precision@k, recall@k (share of gold symbols covered), reciprocal rank and nDCG@ndcgK. */
export function scoreQuestion(
  chunks: Chunk[],
  hits: CodeHit[],
  gold: GoldSymbol[],
  k: number,
  ndcgK = 10,
): QuestionScores {
  // the chunks that cover a gold symbol, as ids for the shared rank metrics (src/lib/eval/retrieval.ts)
  const relevant = new Set<string>();
  chunks.forEach((c, row) => {
    if (gold.some((g) => covers(c, g))) relevant.add(String(row));
  });
  const found = gold.filter((g) => hits.slice(0, k).some((h) => covers(chunks[h.row], g))).length;
  const recall = gold.length ? found / gold.length : 0;
  // a gold symbol no chunk covers scores 0 (the shared metrics would leave the question out)
  if (!relevant.size) return { precision: 0, recall, rr: 0, ndcg: 0 };
  const ranked = hits.map((h) => String(h.row));
  return {
    precision: precisionAtK(ranked, relevant, k),
    recall,
    rr: mrrAtK(ranked, relevant, ranked.length),
    ndcg: ndcgAtK(ranked, relevant, ndcgK),
  };
}

/** A method of the evaluation: a search method, or hybrid reranked by a cross-encoder (rerank.ts). */
export type EvalMethod = CodeMethod | 'hybrid+cross-encoder';

export interface MethodReport {
  method: EvalMethod;
  k: number;
  n: number;
  precision: MeanCI;
  recall: MeanCI;
  mrr: MeanCI;
  ndcg10: MeanCI;
}

export interface ThresholdPoint {
  threshold: number;
  /** Share of answerable questions answered. */
  answered: number;
  /** Share of unanswerable questions refused ("I don't know"). */
  refused: number;
}

export interface CodeEvalReport {
  questions: { answerable: number; unanswerable: number };
  chunks: number;
  methods: MethodReport[];
  /** The "I don't know" signal on the best similarity of each question's top-k. */
  threshold: ThresholdReport;
  /** The same on the query-vocabulary coverage of the top 3 chunks (CodeIndex.coverage). */
  coverageThreshold: ThresholdReport;
  ms: number;
}

export interface ThresholdReport {
  method: CodeMethod;
  curve: ThresholdPoint[];
  /** The threshold with the best balanced accuracy on the whole set. */
  chosen: ThresholdPoint;
  /** Balanced accuracy with the threshold chosen on one half and applied to the other (2 folds). */
  crossValidated: { answered: number; refused: number };
}

export function thresholdCurve(answerable: number[], unanswerable: number[]): ThresholdPoint[] {
  const cuts = [...new Set([...answerable, ...unanswerable].map((x) => Math.round(x * 100) / 100))].sort(
    (a, b) => a - b,
  );
  return cuts.map((t) => ({
    threshold: t,
    answered: answerable.filter((s) => s >= t).length / Math.max(1, answerable.length),
    refused: unanswerable.filter((s) => s < t).length / Math.max(1, unanswerable.length),
  }));
}

/** The point with the best balanced accuracy (ties: the lower threshold, which answers more). */
export function chooseThreshold(curve: ThresholdPoint[]): ThresholdPoint {
  let best = curve[0] ?? { threshold: 0, answered: 1, refused: 0 };
  for (const p of curve) if (p.answered + p.refused > best.answered + best.refused + 1e-12) best = p;
  return best;
}

function thresholdReport(method: CodeMethod, ans: number[], unans: number[]): ThresholdReport {
  const curve = thresholdCurve(ans, unans);
  return { method, curve, chosen: chooseThreshold(curve), crossValidated: crossValidate(ans, unans) };
}

function crossValidate(ans: number[], unans: number[]): { answered: number; refused: number } {
  const half = <T>(xs: T[], odd: boolean) => xs.filter((_, i) => i % 2 === (odd ? 1 : 0));
  let answered = 0;
  let refused = 0;
  for (const odd of [false, true]) {
    const t = chooseThreshold(thresholdCurve(half(ans, odd), half(unans, odd))).threshold;
    answered += half(ans, !odd).filter((s) => s >= t).length;
    refused += half(unans, !odd).filter((s) => s < t).length;
  }
  return { answered: answered / Math.max(1, ans.length), refused: refused / Math.max(1, unans.length) };
}

export interface CodeEvalOptions {
  k?: number;
  methods?: readonly CodeMethod[];
  /** The method whose similarities set the threshold (default the last of `methods`). */
  thresholdMethod?: CodeMethod;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function evaluateCode(
  search: CodeSearch,
  questions: CodeQuestion[],
  o: CodeEvalOptions = {},
): Promise<CodeEvalReport> {
  const t0 = performance.now();
  const k = o.k ?? 10;
  const methods = o.methods ?? (['dense', 'bm25', 'hybrid', 'hybrid+rerank'] as const);
  const tm = o.thresholdMethod ?? methods[methods.length - 1];
  const chunks = search.index.chunks;
  const per = new Map<CodeMethod, QuestionScores[]>(methods.map((m) => [m, []]));
  const bestAns: number[] = [];
  const bestUnans: number[] = [];
  const covAns: number[] = [];
  const covUnans: number[] = [];
  for (let i = 0; i < questions.length; i++) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('cancelled');
    o.onProgress?.(i, questions.length);
    const q = questions[i];
    const vec = await search.embedQuery(q.question, o.signal);
    for (const m of methods) {
      const hits = await search.searchVector(q.question, vec, Math.max(k, 10), m);
      if (m === tm) {
        const best = hits.slice(0, k).reduce((x, h) => Math.max(x, h.similarity), -1);
        (q.gold.length ? bestAns : bestUnans).push(best);
        const cov = search.index.coverage(
          q.question,
          hits.slice(0, CONFIDENCE_TOP).map((h) => h.row),
        );
        (q.gold.length ? covAns : covUnans).push(cov);
      }
      if (q.gold.length) per.get(m)!.push(scoreQuestion(chunks, hits, q.gold, k));
    }
  }
  o.onProgress?.(questions.length, questions.length);
  const ci = (xs: number[]): MeanCI => meanCI(xs, { seed: 7 });
  const curve = thresholdCurve(bestAns, bestUnans);
  return {
    questions: { answerable: bestAns.length, unanswerable: bestUnans.length },
    chunks: chunks.length,
    methods: methods.map((m) => {
      const s = per.get(m)!;
      return {
        method: m,
        k,
        n: s.length,
        precision: ci(s.map((x) => x.precision)),
        recall: ci(s.map((x) => x.recall)),
        mrr: ci(s.map((x) => x.rr)),
        ndcg10: ci(s.map((x) => x.ndcg)),
      };
    }),
    threshold: { method: tm, curve, chosen: chooseThreshold(curve), crossValidated: crossValidate(bestAns, bestUnans) },
    coverageThreshold: thresholdReport(tm, covAns, covUnans),
    ms: performance.now() - t0,
  };
}
