/**
 * A Retriever decorator for the learning loop: the user's confirmed examples on this database
 * ("My examples", a small dense index of their own) are searched together with the loaded
 * corpus, and the hits merged into one list over a combined row space: rows below `baseCount`
 * are the loaded corpus's, row `baseCount + i` is My example i (see `combinedCorpus`).
 *
 * Merge rule: a confirmed example whose question is close to the asked one (cosine ≥ minScore)
 * goes first, best first: it was checked by the user on this very database, which no corpus
 * example was. The loaded corpus's hits (whatever their strategy's score scale) fill the rest.
 */
import { cutForEmbedding, type Embedder } from '../embed/embedder.ts';
import { isCancelled, throwIfAborted } from '../errors.ts';
import type { Hit, RetrieveContext, RetrieveResult, Retriever, VectorSearch } from '../services.ts';
import type { Corpus } from '../types.ts';

/** Cosine of a paraphrase on the small embedders here is well above this; unrelated questions are below. */
export const MINE_MIN_SCORE = 0.6;

export interface MineSide {
  embedder: Embedder;
  index: VectorSearch;
  /** The My examples index slot. */
  slot: string;
  /** The My examples corpus hash (the index must have been built from it). */
  corpusHash: string;
  count: number;
}

/** The loaded corpus with My examples after it: the row space of `withMyExamples`' hits. */
export function combinedCorpus(base: Corpus | null, mine: Corpus): Corpus {
  if (!base) return mine;
  if (!mine.examples.length) return base;
  return { ...base, name: base.name, examples: [...base.examples, ...mine.examples] };
}

export function withMyExamples(
  base: Retriever | null,
  baseCount: number,
  mine: MineSide,
  minScore = MINE_MIN_SCORE,
): Retriever {
  return {
    name: base?.name ?? 'dense',
    async retrieve(question: string, k: number, context: RetrieveContext = {}): Promise<RetrieveResult> {
      const t0 = performance.now();
      const [own, rest] = await Promise.all([
        (async () => {
          if (!mine.count || k <= 0) return { hits: [] as Hit[], embedMs: 0 };
          const e0 = performance.now();
          try {
            const v = await mine.embedder.embed([cutForEmbedding(question)], { role: 'query' });
            throwIfAborted(context.signal, 'retrieval');
            const { hits } = await mine.index.search(v, Math.min(k, mine.count), {
              slot: mine.slot,
              corpusHash: mine.corpusHash,
            });
            return { hits, embedMs: performance.now() - e0 };
          } catch (e) {
            // My examples' index gone (deleted in Storage) or of other rows: answer from the corpus alone
            if (isCancelled(e) || context.signal?.aborted) throw e;
            return { hits: [] as Hit[], embedMs: performance.now() - e0 };
          }
        })(),
        base ? base.retrieve(question, k, context) : Promise.resolve({ hits: [] as Hit[], ms: 0, embedMs: 0 }),
      ]);
      const first = own.hits
        .filter((h) => h.score >= minScore)
        .sort((a, b) => b.score - a.score)
        .map((h) => ({ row: baseCount + h.row, score: h.score }));
      const hits = [...first, ...rest.hits].slice(0, k);
      return { hits, ms: performance.now() - t0, embedMs: own.embedMs + (rest.embedMs ?? 0) };
    },
  };
}
