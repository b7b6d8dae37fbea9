/**
 * Code question sets (the format of static-data/code-questions.json): reading one with clear
 * messages, and checking it against a collection before it is scored, so a gold symbol the
 * collection does not have is reported rather than silently counted as a miss. Shared by
 * `npm run eval -- --code` and the Evaluate page.
 */
import { CodeQuestionsError } from '../errors.ts';
import { covers, type CodeQuestion, type GoldSymbol } from './eval.ts';
import type { Chunk } from './types.ts';

/** More questions than this is not a question set (and would only slow the page down). */
export const MAX_CODE_QUESTIONS = 5000;
const KINDS = new Set(['text-code', 'code-text', 'code-code']);

/** `{questions: [{id?, question, kind?, gold: [{path, symbol}]}]}` → questions; throws CodeQuestionsError. */
export function parseCodeQuestions(text: string, where: string): CodeQuestion[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CodeQuestionsError(`${where}: not JSON (${(e as Error).message})`);
  }
  const qs = (doc as { questions?: unknown } | null)?.questions;
  if (!Array.isArray(qs)) throw new CodeQuestionsError(`${where}: expected {"questions": [...]}`);
  if (!qs.length) throw new CodeQuestionsError(`${where}: the question list is empty`);
  if (qs.length > MAX_CODE_QUESTIONS)
    throw new CodeQuestionsError(`${where}: ${qs.length} questions; at most ${MAX_CODE_QUESTIONS} are read`);
  const ids = new Set<string>();
  return qs.map((raw: unknown, i: number) => {
    const q = (raw ?? {}) as Record<string, unknown>;
    const at = `${where}: question ${i + 1}`;
    if (typeof q.question !== 'string' || !q.question.trim() || !Array.isArray(q.gold))
      throw new CodeQuestionsError(`${at} needs "question" (text) and "gold" (a list, empty when unanswerable)`);
    const gold: GoldSymbol[] = q.gold.map((g: unknown, j: number) => {
      const x = (g ?? {}) as Record<string, unknown>;
      if (typeof x.path !== 'string' || typeof x.symbol !== 'string' || !x.path || !x.symbol)
        throw new CodeQuestionsError(`${at}, gold ${j + 1}: needs "path" and "symbol" (text)`);
      return { path: x.path.replace(/^\.?\/+/, ''), symbol: x.symbol };
    });
    const id = typeof q.id === 'string' && q.id ? q.id : String(i + 1);
    if (ids.has(id)) throw new CodeQuestionsError(`${at}: the id "${id}" is used twice`);
    ids.add(id);
    const kind = typeof q.kind === 'string' && KINDS.has(q.kind) ? (q.kind as CodeQuestion['kind']) : undefined;
    return { id, question: q.question, ...(kind ? { kind } : {}), gold };
  });
}

/** A gold symbol that no chunk of the collection covers. */
export interface MissingGold extends GoldSymbol {
  /** The question that names it. */
  id: string;
  /** Whether the file itself is in the collection (so only the symbol is missing). */
  fileIndexed: boolean;
}

/**
 * The gold symbols no chunk covers: a question naming one can never be answered by this
 * collection, so its score says nothing about retrieval (the question set is out of date, or the
 * collection is another source).
 */
export function missingGold(chunks: Pick<Chunk, 'path' | 'symbols'>[], questions: CodeQuestion[]): MissingGold[] {
  const paths = new Set(chunks.map((c) => c.path));
  const out: MissingGold[] = [];
  for (const q of questions)
    for (const g of q.gold)
      if (!chunks.some((c) => covers(c, g))) out.push({ id: q.id, ...g, fileIndexed: paths.has(g.path) });
  return out;
}

/** The share of the questions' gold files that are among `paths` (1 when the set was written for this source). */
export function goldFileShare(questions: CodeQuestion[], paths: Iterable<string>): number {
  const have = new Set(paths);
  const gold = [...new Set(questions.flatMap((q) => q.gold.map((g) => g.path)))];
  return gold.length ? gold.filter((p) => have.has(p)).length / gold.length : 0;
}
