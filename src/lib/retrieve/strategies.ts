/**
 * Example-selection strategies (issue: "retrieve examples that teach the right SQL shape").
 *
 *  dense          embedding similarity of the question (the original CodeRAG retrieval)
 *  bm25           lexical BM25 on the question (MiniSearch)
 *  hybrid         dense + BM25, reciprocal-rank fusion
 *  masked-*       the same three over masked questions (schema mentions and values replaced)
 *  draft-rerank   DAIL-SQL style: a pool of 50 from masked-hybrid (masked BM25 without an embedder), reranked by the similarity
 *                 of each candidate's SQL skeleton to a draft SQL's skeleton, plus question score. The draft is
 *                 the instant generator's answer over the question's database (`RetrieverDeps.draft`, from the
 *                 vote ranking's top examples) when one is available, else the pool's top-1 example
 *  vote           the same pool, ranked by skeleton consensus: each skeleton is weighted by the
 *                 ranks of the pool members that have it, and the best example of each of the
 *                 top-k skeletons is returned
 *  +mmr           any strategy with maximal marginal relevance over the final k (diversity of
 *                 skeletons), e.g. `vote+mmr`
 *
 * The names, and whether each needs the masked index, are data (RETRIEVER_INFO). A `Retrieval`
 * holds the per-corpus state (lexical indexes, skeletons) shared by all strategies;
 * `retrieval.retriever(name)` is the `Retriever` seam (src/lib/services.ts) for one strategy.
 */
import type { Corpus, TableInfo } from '../types.ts';
import type { Embedder } from '../embed/embedder.ts';
import { cutForEmbedding } from '../embed/embedder.ts';
import type { RetrieveContext, RetrieveResult, Retriever, VectorSearch } from '../services.ts';
import { throwIfAborted } from '../errors.ts';
import { sqlSkeleton } from '../sql/normalize.ts';
import { LocalLexicalSearch, type LexicalSearch } from './lexical-search.ts';
import { maskQuestion } from './mask.ts';
import { minmax, mmr, rrf, skeletonSimilarity, type Scored } from './rank.ts';

/** The strategies as data: what each needs and does (hosts list them from here). */
export const RETRIEVER_INFO = {
  dense: {
    masked: false,
    lexical: 'bm25',
    description: 'embedding similarity of the question (the original CodeRAG retrieval)',
  },
  bm25: { masked: false, lexical: 'bm25', description: 'lexical BM25 on the question' },
  hybrid: { masked: false, lexical: 'bm25', description: 'dense and BM25, reciprocal-rank fusion' },
  'masked-dense': {
    masked: true,
    lexical: 'masked-bm25',
    description: 'dense over masked questions (schema mentions and values replaced)',
  },
  'masked-bm25': { masked: true, lexical: 'masked-bm25', description: 'BM25 over masked questions' },
  'masked-hybrid': {
    masked: true,
    lexical: 'masked-bm25',
    description: 'dense and BM25 over masked questions, fused',
  },
  'draft-rerank': {
    masked: true,
    // its pool is masked BM25 when there is no dense side
    lexical: 'draft-rerank',
    description:
      "a masked-hybrid pool reranked by similarity to a draft SQL's skeleton (the instant generator's, else the pool's top-1)",
  },
  vote: {
    masked: true,
    // its pool is masked BM25 when there is no dense side
    lexical: 'vote',
    description: 'a masked-hybrid pool ranked by SQL skeleton consensus',
  },
} as const satisfies Record<string, { masked: boolean; lexical: string; description: string }>;

export type BaseRetriever = keyof typeof RETRIEVER_INFO;
export type RetrieverName = BaseRetriever | `${BaseRetriever}+mmr`;
export const RETRIEVERS = Object.keys(RETRIEVER_INFO) as BaseRetriever[];

/** Strategies that search a second dense index over masked corpus questions. */
export function needsMaskedIndex(name: string): boolean {
  return RETRIEVER_INFO[parseRetriever(name).base].masked;
}

/**
 * The strategy that stands in for `name` while no dense index can be searched (the embedder or the
 * index is still loading): its lexical side (RETRIEVER_INFO[…].lexical), keeping `+mmr`.
 */
export function lexicalFallback(name: RetrieverName): RetrieverName {
  const { base, mmr: diversify } = parseRetriever(name);
  const lex = RETRIEVER_INFO[base].lexical;
  return diversify ? `${lex}+mmr` : lex;
}

export function parseRetriever(name: string): { base: BaseRetriever; mmr: boolean } {
  const [base, extra] = name.split('+');
  if (!Object.hasOwn(RETRIEVER_INFO, base) || (extra !== undefined && extra !== 'mmr')) {
    throw new Error(`unknown retriever "${name}"; choose one of ${RETRIEVERS.join(', ')} (optionally with +mmr)`);
  }
  return { base: base as BaseRetriever, mmr: extra === 'mmr' };
}

/** A dense index and the embedder of its queries (query role; decorate it with an adapter if any). */
export interface DenseSide {
  embedder: Pick<Embedder, 'embed'>;
  index: VectorSearch;
  /** The index slot (default: the primary one). */
  slot?: string;
}

export interface RetrieverDeps {
  corpus: Corpus;
  /** Dense search over the corpus as indexed (question text). */
  dense?: DenseSide;
  /** Dense search over MASKED corpus questions (a second index); masked-dense falls back to dense. */
  maskedDense?: DenseSide;
  /**
   * BM25 over this corpus (plain and masked questions). The page passes the lexical worker's
   * (src/browser/clients.ts), built off the main thread; by default it is built here on first use.
   */
  lexical?: LexicalSearch;
  /**
   * Writes a draft SQL for draft-rerank: the instant generator over the question's database
   * (src/lib/instant/), given the question, its tables and the best examples. Resolves null when
   * it cannot (no database, an abstention); draft-rerank then falls back to the pool's top-1.
   */
  draft?: Drafter;
}

/** A draft SQL for a question from examples (draft-rerank); null when none can be written. */
export type Drafter = (
  req: { question: string; tables: TableInfo[]; examples: { question: string; sql: string; score: number }[] },
  o: { dbId?: string; signal?: AbortSignal },
) => Promise<string | null>;

/** Examples the drafter gets (from the vote ranking). */
const DRAFT_EXAMPLES = 10;

/** Knobs of the reranking strategies (defaults are the tuned values). */
export interface RetrieverTuning {
  /** Candidate pool for reranking strategies (default 50). */
  pool?: number;
  /** vote: put a near-duplicate question first (default true). */
  nearDuplicate?: boolean;
  /** vote: rank offset of the weights 1 / (voteC + rank); smaller trusts the top ranks more (default 5). */
  voteC?: number;
}

export interface RetrieveOptions extends RetrieverTuning {
  /** Corpus rows that must not be returned (the question itself). */
  exclude?: number[];
  /** Tables of the question's own database (for masking, and for drafts). */
  tables?: TableInfo[];
  /** The question's database id (for drafts), when known. */
  dbId?: string;
  signal?: AbortSignal;
  /** Filled in by `retrieve`: time spent embedding. */
  timing?: { embedMs: number };
}

export interface StrategyResult extends RetrieveResult {
  hits: Scored[];
}

const POOL = 50;
/** Cosine of the plain question above which a corpus question counts as a near-duplicate. */
const NEAR_DUP = 0.95;
/** Default rank offset of the vote weights. */
export const DEFAULT_VOTE_C = 5;

export class Retrieval {
  private readonly lexical: LexicalSearch;
  /** Every row's SQL skeleton, from the lexical side (the lexical worker in the page), once loaded. */
  private skeletons: string[] | null = null;
  private skeletonsLoading: Promise<void> | null = null;

  constructor(private readonly deps: RetrieverDeps) {
    this.lexical = deps.lexical ?? new LocalLexicalSearch(deps.corpus);
  }

  get corpus(): Corpus {
    return this.deps.corpus;
  }

  /** Whether a dense index is searched (without one, only the lexical strategies answer: see lexicalFallback). */
  get hasDense(): boolean {
    return !!this.deps.dense;
  }

  /** Masked question of every corpus example, each masked with its own database's schema. */
  maskedCorpus(): Promise<string[]> {
    return this.lexical.docTexts('masked-question');
  }

  /** Load the corpus skeletons (computed where the lexical indexes live: off the page's main thread). */
  private loadSkeletons(): Promise<void> {
    if (this.skeletons) return Promise.resolve();
    this.skeletonsLoading ??= this.lexical.skeletons().then(
      (s) => {
        if (s.length !== this.deps.corpus.examples.length)
          throw new Error(`the lexical side has ${s.length} skeletons for ${this.deps.corpus.examples.length} rows`);
        this.skeletons = s;
      },
      (e) => {
        // a failed load is tried again by the next retrieval
        this.skeletonsLoading = null;
        throw e;
      },
    );
    return this.skeletonsLoading;
  }

  /** A row's SQL skeleton; `loadSkeletons` has resolved. */
  private skel(row: number): string {
    if (!this.skeletons) throw new Error('the corpus skeletons are not loaded');
    return this.skeletons[row];
  }

  private async dense(side: DenseSide | undefined, text: string, k: number, o: RetrieveOptions): Promise<Scored[]> {
    if (!side) throw new Error('dense retrieval needs an embedder and an index');
    const t0 = performance.now();
    const v = await side.embedder.embed([cutForEmbedding(text)], { role: 'query' });
    if (o.timing) o.timing.embedMs += performance.now() - t0;
    throwIfAborted(o.signal, 'retrieval');
    const { hits } = await side.index.search(v, k, {
      exclude: o.exclude ?? [],
      slot: side.slot,
      corpusHash: this.deps.corpus.hash,
    });
    return hits.map((h) => ({ row: h.row, score: h.score }));
  }

  /** Near-duplicate questions (plain-question cosine ≥ NEAR_DUP), best first. */
  private async nearDuplicates(question: string, o: RetrieveOptions): Promise<Scored[]> {
    if (!this.deps.dense) return [];
    return (await this.dense(this.deps.dense, question, 1, o)).filter((h) => h.score >= NEAR_DUP);
  }

  private async base(
    name: 'dense' | 'bm25' | 'hybrid',
    masked: boolean,
    question: string,
    k: number,
    o: RetrieveOptions,
  ): Promise<Scored[]> {
    const exclude = o.exclude ?? [];
    const text = masked ? maskQuestion(question, o.tables) : question;
    const denseSide = masked ? (this.deps.maskedDense ?? this.deps.dense) : this.deps.dense;
    const denseText = masked && this.deps.maskedDense ? text : question;
    if (name === 'dense') return this.dense(denseSide, denseText, k, o);
    const lex = () => this.lexical.search(text, name === 'hybrid' ? Math.max(k, POOL) : k, { masked, exclude });
    if (name === 'bm25') return lex();
    const [d, l] = await Promise.all([this.dense(denseSide, denseText, Math.max(k, POOL), o), lex()]);
    return rrf([d, l]).slice(0, k);
  }

  /** Candidates for reranking: masked hybrid, or masked BM25 when no embedder is available. */
  private pool(question: string, o: RetrieveOptions): Promise<Scored[]> {
    return this.base(this.deps.dense ? 'hybrid' : 'bm25', true, question, o.pool ?? POOL, o);
  }

  /** One strategy as a `Retriever` (the seam hosts pass to `ask()` and the eval runner). */
  retriever(name: RetrieverName, tuning: RetrieverTuning = {}): Retriever {
    parseRetriever(name);
    return {
      name,
      retrieve: (question: string, k: number, ctx: RetrieveContext = {}) =>
        this.retrieve(name, question, k, {
          ...tuning,
          exclude: ctx.exclude,
          tables: ctx.tables,
          dbId: ctx.dbId,
          signal: ctx.signal,
        }),
    };
  }

  async retrieve(name: RetrieverName, question: string, k: number, o: RetrieveOptions = {}): Promise<StrategyResult> {
    const t0 = performance.now();
    o = { ...o, timing: { embedMs: 0 } };
    throwIfAborted(o.signal, 'retrieval');
    const { base, mmr: diversify } = parseRetriever(name);
    const want = diversify ? Math.max(k * 4, 12) : k;
    // The strategies that compare skeletons fetch them while the pool is searched.
    const skeletons = diversify || base === 'draft-rerank' || base === 'vote' ? this.loadSkeletons() : null;
    // (a rejection is observed by the await below, not reported as unhandled meanwhile)
    skeletons?.catch(() => {});
    let hits: Scored[];
    switch (base) {
      case 'dense':
      case 'bm25':
      case 'hybrid':
        hits = await this.base(base, false, question, want, o);
        break;
      case 'masked-dense':
      case 'masked-bm25':
      case 'masked-hybrid':
        hits = await this.base(base.slice(7) as 'dense' | 'bm25' | 'hybrid', true, question, want, o);
        break;
      case 'draft-rerank': {
        const pool = await this.pool(question, o);
        await skeletons;
        const target = (await this.draftSkeleton(question, pool, o)) ?? (pool[0] ? this.skel(pool[0].row) : '');
        const q = minmax(pool);
        hits = pool
          .map((h) => ({
            row: h.row,
            score: 0.6 * skeletonSimilarity(target, this.skel(h.row)) + 0.4 * (q.get(h.row) ?? 0),
          }))
          .sort((a, b) => b.score - a.score)
          .slice(0, want);
        break;
      }
      case 'vote': {
        const pool = await this.pool(question, o);
        await skeletons;
        hits = (await this.vote(question, pool, o)).slice(0, want);
        break;
      }
    }
    if (diversify) {
      await skeletons;
      hits = mmr(hits, k, (a, b) => skeletonSimilarity(this.skel(a), this.skel(b)), 0.7);
    }
    throwIfAborted(o.signal, 'retrieval');
    return { hits: hits.slice(0, k), ms: performance.now() - t0, embedMs: o.timing!.embedMs };
  }

  /** The skeleton of the drafter's SQL for the question (from the vote ranking of `pool`), or null. */
  private async draftSkeleton(question: string, pool: Scored[], o: RetrieveOptions): Promise<string | null> {
    if (!this.deps.draft || !o.tables?.length || !pool.length) return null;
    const ranked = (await this.vote(question, pool, o)).slice(0, DRAFT_EXAMPLES);
    const examples = ranked.map((h) => {
      const ex = this.deps.corpus.examples[h.row];
      return { question: ex.question, sql: ex.sql, score: h.score };
    });
    // a drafter that fails is no draft
    const sql = await this.deps
      .draft({ question, tables: o.tables, examples }, { dbId: o.dbId, signal: o.signal })
      .catch(() => null);
    throwIfAborted(o.signal, 'retrieval');
    return sql ? sqlSkeleton(sql) : null;
  }

  /**
   * Skeleton consensus over a pool: weight each skeleton by the ranks of the pool members that
   * have it, then the best-scoring example of each skeleton, best skeleton first (distinct
   * skeletons, so k examples cover k likely shapes).
   */
  private async vote(question: string, pool: Scored[], o: RetrieveOptions): Promise<Scored[]> {
    const voteC = o.voteC ?? DEFAULT_VOTE_C;
    const weight = new Map<string, number>();
    const rep = new Map<string, Scored>();
    pool.forEach((h, i) => {
      const s = this.skel(h.row);
      weight.set(s, (weight.get(s) ?? 0) + 1 / (voteC + i));
      if (!rep.has(s)) rep.set(s, h);
    });
    // Score = the skeleton's share of the pool's vote, in (0, 1].
    const total = [...weight.values()].reduce((a, b) => a + b, 0) || 1;
    let hits: Scored[] = [...weight]
      .sort((a, b) => b[1] - a[1])
      .map(([s, w]) => ({ row: rep.get(s)!.row, score: w / total }));
    // A near-duplicate of the question (same database, same wording) is the best teacher
    // there is: it goes first, with its cosine as score; its skeleton is not repeated.
    const dup = o.nearDuplicate === false ? [] : await this.nearDuplicates(question, o);
    if (dup.length) {
      const ds = this.skel(dup[0].row);
      hits = [dup[0], ...hits.filter((h) => h.row !== dup[0].row && this.skel(h.row) !== ds)];
    }
    return hits;
  }
}
