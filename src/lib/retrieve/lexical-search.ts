/**
 * The lexical seam: BM25 search over one corpus's plain questions and masked questions.
 *
 * Building the two MiniSearch indexes (and masking every corpus question first) takes seconds on
 * a large corpus, so the page must not do it on its main thread when the first question comes.
 * `LexicalSource.forCorpus(corpus)` starts building both as soon as the corpus is known; the
 * searches wait for them. Two implementations: `LocalLexicalSource` (in process: Node, tests, and
 * the lexical worker itself) and the worker client (src/browser/clients.ts) over
 * workers/lexical.worker.ts, which serves `lexicalWorkerApi()`.
 */
import type { Corpus } from '../types.ts';
import { docText, type TextMode } from '../rag/doc-text.ts';
import { sqlSkeleton } from '../sql/normalize.ts';
import { LexicalIndex, type LexicalHit } from './lexical.ts';

export type { LexicalHit };

export interface LexicalSearchOptions {
  /** Search the masked questions (schema mentions and values replaced) instead of the questions. */
  masked?: boolean;
  /** Rows that must not be returned. */
  exclude?: number[];
}

/**
 * BM25 over one corpus: at most k rows, best first. Also the per-row texts derived from the corpus
 * that the lexical side computes anyway (masking every question takes seconds on Spider, the SQL
 * skeletons most of a second), so that the page gets them from the lexical worker instead of
 * computing them on its main thread: the document texts to embed, and the skeletons the
 * reranking strategies compare.
 */
export interface LexicalSearch {
  search(query: string, k: number, o?: LexicalSearchOptions): Promise<LexicalHit[]>;
  /** Every row's document text in `mode` (docText), in row order. */
  docTexts(mode: TextMode): Promise<string[]>;
  /** Every row's SQL skeleton (sqlSkeleton), in row order. */
  skeletons(): Promise<string[]>;
}

/** Lexical search per corpus; `forCorpus` starts building the indexes at once (ahead of the first question). */
export interface LexicalSource {
  forCorpus(corpus: Corpus): LexicalSearch;
}

/** Masked question of every corpus example, each masked with its own database's schema. */
export function maskedQuestions(corpus: Corpus): string[] {
  return corpus.examples.map((ex) => docText(ex, 'masked-question', corpus.schemas));
}

/** Both lexical indexes of one corpus, in this thread (each built on first use, or by `prepare`). */
export class LocalLexicalSearch implements LexicalSearch {
  private plain: LexicalIndex | null = null;
  private masked: LexicalIndex | null = null;
  private maskedTexts: string[] | null = null;
  private skels: string[] | null = null;

  constructor(readonly corpus: Corpus) {}

  index(masked: boolean): LexicalIndex {
    if (masked) return (this.masked ??= new LexicalIndex(this.docTextsNow('masked-question')));
    return (this.plain ??= new LexicalIndex(this.corpus.examples.map((e) => e.question)));
  }

  /** Build both indexes and the skeletons now. */
  prepare(): void {
    this.index(false);
    this.index(true);
    this.skeletonsNow();
  }

  docTextsNow(mode: TextMode): string[] {
    if (mode === 'masked-question') return (this.maskedTexts ??= maskedQuestions(this.corpus));
    return this.corpus.examples.map((ex) => docText(ex, mode, this.corpus.schemas));
  }

  skeletonsNow(): string[] {
    return (this.skels ??= this.corpus.examples.map((e) => sqlSkeleton(e.sql)));
  }

  async docTexts(mode: TextMode): Promise<string[]> {
    return this.docTextsNow(mode);
  }

  async skeletons(): Promise<string[]> {
    return this.skeletonsNow();
  }

  searchNow(query: string, k: number, o: LexicalSearchOptions = {}): LexicalHit[] {
    return this.index(o.masked ?? false).search(query, k, new Set(o.exclude ?? []));
  }

  async search(query: string, k: number, o: LexicalSearchOptions = {}): Promise<LexicalHit[]> {
    return this.searchNow(query, k, o);
  }
}

/** In process: one `LocalLexicalSearch` per corpus hash (the latest few kept), built lazily. */
export class LocalLexicalSource implements LexicalSource {
  private readonly byHash = new Map<string, LocalLexicalSearch>();

  forCorpus(corpus: Corpus): LocalLexicalSearch {
    let s = this.byHash.get(corpus.hash);
    if (!s || s.corpus !== corpus) {
      s = new LocalLexicalSearch(corpus);
      this.byHash.set(corpus.hash, s);
      // keep the two most recent corpora (the current one and the one before)
      while (this.byHash.size > 2) this.byHash.delete(this.byHash.keys().next().value!);
    }
    return s;
  }
}

/**
 * What the lexical worker serves: `load` builds both indexes and the skeletons of a corpus (off
 * the page's main thread); `search`, `docTexts` and `skeletons` answer for a loaded corpus hash.
 */
export function lexicalWorkerApi() {
  const loaded = new Map<string, LocalLexicalSearch>();
  /** Corpora being received in parts (`begin`, `append`…, `finish`), by hash. */
  const receiving = new Map<string, { corpus: Corpus; total: number }>();
  const get = (hash: string) => {
    const s = loaded.get(hash);
    if (!s) throw new Error(`the lexical index of corpus ${hash} is not loaded`);
    return s;
  };
  const build = (corpus: Corpus): number => {
    const t0 = performance.now();
    const s = new LocalLexicalSearch(corpus);
    s.prepare();
    loaded.set(corpus.hash, s);
    while (loaded.size > 2) loaded.delete(loaded.keys().next().value!);
    return performance.now() - t0;
  };
  const receivingOf = (hash: string) => {
    const r = receiving.get(hash);
    if (!r) throw new Error(`corpus ${hash} was not begun (begin before append and finish)`);
    return r;
  };
  return {
    /** Build both indexes and the skeletons of `corpus`; returns the build time in ms. */
    async load(corpus: Corpus): Promise<number> {
      return build(corpus);
    },
    /**
     * A large corpus comes in parts (CORPUS_PART_ROWS rows each, corpus/saved.ts): `begin` with everything but the
     * examples and their count, `append` each part in order, then `finish` builds as `load` does.
     */
    async begin(head: Omit<Corpus, 'examples'>, total: number): Promise<void> {
      receiving.set(head.hash, { corpus: { ...head, examples: [] }, total });
    },
    async append(hash: string, examples: Corpus['examples']): Promise<number> {
      const r = receivingOf(hash);
      for (const e of examples) r.corpus.examples.push(e);
      if (r.corpus.examples.length > r.total)
        throw new Error(`corpus ${hash}: ${r.corpus.examples.length} rows received, ${r.total} announced`);
      return r.corpus.examples.length;
    },
    async finish(hash: string): Promise<number> {
      const r = receivingOf(hash);
      receiving.delete(hash);
      if (r.corpus.examples.length !== r.total)
        throw new Error(`corpus ${hash}: ${r.corpus.examples.length} rows received, ${r.total} announced`);
      return build(r.corpus);
    },
    async search(hash: string, query: string, k: number, o: LexicalSearchOptions = {}): Promise<LexicalHit[]> {
      return get(hash).searchNow(query, k, o);
    },
    async docTexts(hash: string, mode: TextMode): Promise<string[]> {
      return get(hash).docTextsNow(mode);
    },
    async skeletons(hash: string): Promise<string[]> {
      return get(hash).skeletonsNow();
    },
  };
}

export type LexicalApi = ReturnType<typeof lexicalWorkerApi>;
