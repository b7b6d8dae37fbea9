/**
 * Search over a code & docs collection: dense (the app's Embedder over the chunks' header and
 * text; optionally the best of several windows of the embedder's token limit), BM25 with
 * code-aware tokens (camelCase and snake_case split, whole identifiers kept, words lightly
 * stemmed) over symbol, path and text fields with path and shape priors, their reciprocal-rank
 * fusion, and a rerank of the fused list (MMR here; a cross-encoder plugs in as another
 * `ChunkReranker`). Every hit keeps its dense cosine; the "I don't know" signal reads the
 * coverage of the question's words by the top chunks (fused and MMR scores are ranks).
 */
import MiniSearch from 'minisearch';
import type { Embedder } from '../embed/embedder.ts';
import { dot } from '../index/vector-index.ts';
import { mmr, rrf, type Scored } from '../retrieve/rank.ts';
import { estimateTokens } from './chunk.ts';
import type { Chunk } from './types.ts';

// The lexical settings below were chosen on the odd-numbered half of static-data/code-questions.json
// and confirmed on the even half (docs/code-docs.md, 2026-11-26).
/** Weight of a chunk's symbol names against its text in BM25. */
export const NAME_BOOST = 4;
/** Weight of a chunk's path against its text in BM25. */
export const PATH_BOOST = 2;
/** Whether word tokens are stemmed (`stem`). */
export const STEM = true;
/** Multiplier of test files' BM25 scores: tests rarely answer "how does X work". */
export const TEST_PRIOR = 0.5;
/** Share of the rest of a file's BM25 score lifted onto each of its chunks. */
export const FILE_LIFT = 0.1;
/** Multiplier of the BM25 score of chunks that define no behaviour (declarations, interfaces, loose code). */
export const SHAPE_PRIOR = 0.5;
/** Whether runs of question words add their initials as query tokens (`acronymsOf`). */
export const ACRONYMS = true;
/** Weight of the dense list in the hybrid fusion, BM25's being 1: a tie-breaker for a general sentence embedder. */
export const DENSE_WEIGHT = 0.1;
/** λ of the MMR rerank. */
export const MMR_LAMBDA = 0.7;

export type CodeMethod = 'dense' | 'bm25' | 'hybrid' | 'hybrid+rerank';
export const CODE_METHODS: readonly CodeMethod[] = ['dense', 'bm25', 'hybrid', 'hybrid+rerank'];

const STOP = new Set(
  'the a an of for in on to and or is are was be by with what which who how does do did where when why this that it its as at from can i we you there'.split(
    ' ',
  ),
);

/**
 * Code-aware word tokens: each identifier whole and in its camelCase / snake_case / digit parts,
 * lower-cased; English stop words and one-letter parts dropped.
 */
export function codeTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z_$][A-Za-z0-9_$]*|\d+/g)) {
    const word = m[0];
    const lower = word.toLowerCase();
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .split(/[\s_$]+/)
      .map((p) => p.toLowerCase())
      .filter((p) => p.length > 1 && !STOP.has(p));
    if (!STOP.has(lower) && lower.length > 1) out.push(lower);
    if (parts.length > 1 || (parts.length === 1 && parts[0] !== lower)) out.push(...parts);
  }
  return out;
}

/** What an embedding of a chunk sees: where it is, then its text. */
export function chunkEmbedText(c: Chunk): string {
  return `${c.header}\n${c.text}`;
}

/**
 * Model tokens (SentencePiece / WordPiece pieces) per `estimateTokens` token on code and prose:
 * measured 1.17–1.39 on this repository with USE-Lite's tokenizer; the larger is used so a window
 * fits the model.
 */
export const MODEL_TOKENS_PER_ESTIMATE = 1.4;

/**
 * The extra embedding windows of chunks longer than an embedder reads. A chunk's own vector
 * (`chunkEmbedText`, which the model cuts at its limit) is its first window; each further window
 * is the header and the next lines that fit `maxTokens` model tokens. `rows[i]` is the chunk of
 * `texts[i]`. Chunks stay as they are (512 tokens for BM25 and the answer); only the embedding
 * sees windows.
 */
export function chunkWindows(
  chunks: readonly Chunk[],
  maxTokens: number,
  count: (text: string) => number = estimateTokens,
): { rows: number[]; texts: string[] } {
  const rows: number[] = [];
  const texts: string[] = [];
  const budget = Math.max(8, Math.floor(maxTokens / MODEL_TOKENS_PER_ESTIMATE));
  chunks.forEach((c, row) => {
    const head = count(c.header) + 1;
    const lines = c.text.split('\n');
    const room = Math.max(4, budget - head);
    // the first window: the lines the chunk's own vector already sees
    let i = 0;
    for (let used = 0; i < lines.length; i++) {
      used += count(lines[i]) + 1;
      if (used > room && i > 0) break;
    }
    while (i < lines.length) {
      let j = i;
      for (let used = 0; j < lines.length; j++) {
        used += count(lines[j]) + 1;
        if (used > room && j > i) break;
      }
      const body = lines.slice(i, j).join('\n');
      if (/[A-Za-z0-9]/.test(body)) {
        rows.push(row);
        texts.push(`${c.header}\n${body}`);
      }
      i = j;
    }
  });
  return { rows, texts };
}

export interface CodeHit {
  /** Position of the chunk in the collection. */
  row: number;
  /** The method's own score (cosine, BM25, fused or MMR), for ordering only. */
  score: number;
  /** Cosine of the query with the chunk: what the threshold reads. */
  similarity: number;
}

/** Reorders a fused candidate list (best first); may rescore `similarity` (a cross-encoder does). */
export interface ChunkReranker {
  readonly name: string;
  rerank(query: string, candidates: CodeHit[], k: number): Promise<CodeHit[]>;
}

export interface CodeSearchOptions {
  /** Candidates fused before the rerank (default 50). */
  pool?: number;
  /**
   * Weight of the dense list against BM25's (1) in the fusion (default DENSE_WEIGHT). A general
   * sentence embedder is weak on code, so it only breaks ties (chosen on one half of the question
   * set, docs/code-docs.md).
   */
  denseWeight?: number;
  /** The reranker for `hybrid+rerank` (default MMR over chunk vectors, λ = mmrLambda). */
  reranker?: ChunkReranker;
  /** λ of the default MMR rerank (default MMR_LAMBDA): 1 = the fused order as it is. */
  mmrLambda?: number;
}

/** An indexed collection: the chunks, their unit vectors, and a BM25 index. */
/**
 * A light English stemmer for word tokens, so "chunks", "chunking" and "chunked" meet `chunk`,
 * "embedder", "embedding" and "embedded" meet `embed`: it strips a plural, then one -ation/-ion,
 * -ing, -ed, -er or -ly ending (keeping at least four letters) and a final e, and undoubles a
 * final consonant. Identifiers and their parts go through it alike, so code and questions stem the same way.
 */
export function stem(token: string): string {
  let w = token;
  if (w.length <= 3 || !/^[a-z]+$/.test(w)) return w;
  let plural = false;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) {
    w = w.slice(0, -1);
    plural = true;
  }
  for (const suf of ['ation', 'ition', 'ion', 'ing', 'ed', 'er', 'ly']) {
    // a plural is not also past (`embeds` stays `embed`)
    if (plural && (suf === 'ed' || suf === 'ly')) continue;
    if (w.endsWith(suf) && w.length - suf.length >= 4) {
      w = w.slice(0, -suf.length);
      break;
    }
  }
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** `codeTokens`, each stemmed (`stem`). */
export function stemmedTokens(text: string): string[] {
  return codeTokens(text).map(stem);
}

/**
 * Whether a chunk holds behaviour (a function, method or class with code), as opposed to
 * declarations, interfaces, type aliases or loose code between definitions.
 */
export function definesBehaviour(c: Pick<Chunk, 'kind' | 'text'>): boolean {
  if (c.kind === 'function' || c.kind === 'method' || c.kind === 'section') return true;
  if (c.kind === 'class') return !/^\s*(export\s+)?(declare\s+)?(interface|type)\s/m.test(c.text);
  return false;
}

/**
 * The initials of every run of 3–4 consecutive words of a question (stop words left out), as
 * candidate acronyms: "multiple negatives ranking loss" gives `mnr`, `nrl` and `mnrl`. Two-letter
 * initials are left out: they match too much.
 */
export function acronymsOf(text: string): string[] {
  const words = (text.match(/[A-Za-z]+/g) ?? []).map((w) => w.toLowerCase()).filter((w) => !STOP.has(w));
  const out = new Set<string>();
  for (let i = 0; i < words.length; i++)
    for (let n = 3; n <= 4 && i + n <= words.length; n++)
      out.add(
        words
          .slice(i, i + n)
          .map((w) => w[0])
          .join(''),
      );
  return [...out];
}

/** Where a file sits, for the path prior: tests rarely answer "how does X work". */
export type PathRole = 'test' | 'doc' | 'code';

export function pathRole(path: string): PathRole {
  if (/(^|\/)(tests?|__tests__|spec|e2e)\//.test(path) || /\.(test|spec)\.[a-z]+$/.test(path)) return 'test';
  if (/\.(md|mdx|rst|txt)$/i.test(path)) return 'doc';
  return 'code';
}

/** Settings of the lexical side; the defaults are the ones chosen on half the question set (docs/code-docs.md). */
export interface CodeIndexOptions {
  /** BM25 weight of a chunk's symbol names against its text (default NAME_BOOST). */
  nameBoost?: number;
  /** BM25 weight of the path's tokens (default PATH_BOOST). */
  pathBoost?: number;
  /** Stem word tokens (default STEM). */
  stem?: boolean;
  /** BM25 term-frequency saturation k1 and length normalisation b (MiniSearch's BM25+ defaults 1.2 and 0.7). */
  k1?: number;
  b?: number;
  /** Multiplier of the BM25 score of test files (default TEST_PRIOR). */
  testPrior?: number;
  /** Share of the rest of a file's BM25 score added to each of its chunks (default FILE_LIFT). */
  fileLift?: number;
  /**
   * Multiplier of the BM25 score of chunks that define no behaviour: declarations, interfaces and
   * type aliases, and windows of loose code (default SHAPE_PRIOR).
   */
  shapePrior?: number;
  /**
   * Add the initials of runs of 3–4 question words as query tokens, so "reciprocal rank fusion"
   * meets `rrf` (default ACRONYMS).
   */
  acronyms?: boolean;
  /**
   * Extra embedding windows of chunks longer than the embedder reads (`chunkWindows`): a chunk's
   * dense score is then its best window's.
   */
  windows?: { rows: number[]; vectors: Float32Array };
}

/** An indexed collection: the chunks, their unit vectors, and a BM25 index. */
export class CodeIndex {
  private readonly bm25: MiniSearch<{ id: number; name: string; path: string; text: string }>;
  private readonly tokenize: (text: string) => string[];
  private readonly o: Required<Omit<CodeIndexOptions, 'windows'>>;
  private readonly windows?: { rows: number[]; vectors: Float32Array };
  /** The extra windows of each chunk (indexes into `windows`). */
  private readonly windowsOf: number[][] = [];
  /** Multiplier of each chunk's BM25 score (path and shape priors). */
  private readonly prior: number[];

  constructor(
    readonly chunks: Chunk[],
    /** chunks.length × dim, unit rows (from the same embedder that will embed queries). */
    readonly vectors: Float32Array,
    readonly dim: number,
    o: CodeIndexOptions = {},
  ) {
    if (vectors.length !== chunks.length * dim)
      throw new Error(`${vectors.length / dim} vectors for ${chunks.length} chunks`);
    if (o.windows && o.windows.vectors.length !== o.windows.rows.length * dim)
      throw new Error(`${o.windows.vectors.length / dim} window vectors for ${o.windows.rows.length} windows`);
    this.o = {
      nameBoost: o.nameBoost ?? NAME_BOOST,
      pathBoost: o.pathBoost ?? PATH_BOOST,
      stem: o.stem ?? STEM,
      k1: o.k1 ?? 1.2,
      b: o.b ?? 0.7,
      testPrior: o.testPrior ?? TEST_PRIOR,
      fileLift: o.fileLift ?? FILE_LIFT,
      shapePrior: o.shapePrior ?? SHAPE_PRIOR,
      acronyms: o.acronyms ?? ACRONYMS,
    };
    this.prior = chunks.map(
      (c) => (pathRole(c.path) === 'test' ? this.o.testPrior : 1) * (definesBehaviour(c) ? 1 : this.o.shapePrior),
    );
    this.windows = o.windows;
    o.windows?.rows.forEach((r, w) => (this.windowsOf[r] ??= []).push(w));
    this.tokenize = this.o.stem ? stemmedTokens : codeTokens;
    // Fields: the symbols a chunk covers, its path, and its text, each with its own weight.
    this.bm25 = new MiniSearch({
      fields: ['name', 'path', 'text'],
      idField: 'id',
      tokenize: this.tokenize,
      processTerm: (t) => t,
      searchOptions: {
        combineWith: 'OR',
        prefix: false,
        fuzzy: false,
        boost: { name: this.o.nameBoost, path: this.o.pathBoost, text: 1 },
        bm25: { k: this.o.k1, b: this.o.b, d: 0.5 },
      },
    });
    this.bm25.addAll(chunks.map((c, id) => ({ id, name: c.symbols.join(' '), path: c.path, text: c.text })));
    for (let r = 0; r < chunks.length; r++)
      for (const t of new Set(this.tokensOf(r))) this.df.set(t, (this.df.get(t) ?? 0) + 1);
  }

  /**
   * How much of the query's rare vocabulary the given chunks contain: the IDF-weighted share of
   * the query's code tokens found in them (a token the collection never uses weighs the most). A
   * question about something the collection does not have finds few of its words there.
   */
  coverage(query: string, rows: number[]): number {
    const toks = [...new Set(this.tokenize(query))];
    if (!toks.length) return 0;
    const n = this.chunks.length;
    const idf = (t: string) => Math.log(1 + n / (1 + (this.df.get(t) ?? 0)));
    const seen = new Set(rows.flatMap((r) => this.tokensOf(r)));
    let found = 0;
    let all = 0;
    for (const t of toks) {
      all += idf(t);
      if (seen.has(t)) found += idf(t);
    }
    return all ? found / all : 0;
  }

  private readonly df = new Map<string, number>();
  private tokensOf(row: number): string[] {
    const c = this.chunks[row];
    return this.tokenize(`${c.path} ${c.symbols.join(' ')} ${c.text}`);
  }

  /** Cosine of a query vector with chunk `row`: with its best window when the index has windows. */
  similarity(q: Float32Array, row: number): number {
    let s = dot(q, this.vectors, row * this.dim);
    for (const w of this.windowsOf[row] ?? []) s = Math.max(s, dot(q, this.windows!.vectors, w * this.dim));
    return s;
  }

  dense(q: Float32Array, k: number): CodeHit[] {
    const all: CodeHit[] = [];
    for (let r = 0; r < this.chunks.length; r++) {
      const s = this.similarity(q, r);
      all.push({ row: r, score: s, similarity: s });
    }
    return all.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
  }

  lexical(query: string, q: Float32Array, k: number): CodeHit[] {
    const scores = new Map<number, number>();
    const tokens = this.tokenize(query);
    if (this.o.acronyms) tokens.push(...acronymsOf(query).map((a) => (this.o.stem ? stem(a) : a)));
    for (const r of this.bm25.search(tokens.join(' '), { tokenize: (t) => t.split(' ').filter(Boolean) })) {
      const row = r.id as number;
      scores.set(row, r.score * this.prior[row]);
    }
    if (this.o.fileLift > 0) {
      // a file whose several chunks match lifts each of them by a share of the others' scores
      const byFile = new Map<string, number>();
      for (const [row, s] of scores) byFile.set(this.chunks[row].path, (byFile.get(this.chunks[row].path) ?? 0) + s);
      for (const [row, s] of scores) scores.set(row, s + this.o.fileLift * (byFile.get(this.chunks[row].path)! - s));
    }
    return [...scores]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([row, score]) => ({ row, score, similarity: this.similarity(q, row) }));
  }
}

/** MMR over the chunk vectors: relevance from the fused order, diversity from chunk–chunk cosine. */
export function mmrReranker(index: CodeIndex, lambda = MMR_LAMBDA): ChunkReranker {
  return {
    name: 'mmr',
    async rerank(_query, candidates, k) {
      const byRow = new Map(candidates.map((c) => [c.row, c]));
      const sim = (a: number, b: number) =>
        dot(index.vectors.subarray(a * index.dim, (a + 1) * index.dim), index.vectors, b * index.dim);
      const picked = mmr(
        candidates.map((c) => ({ row: c.row, score: c.score })),
        k,
        sim,
        lambda,
      );
      return picked.map((p, i) => ({ ...byRow.get(p.row)!, score: picked.length - i }));
    },
  };
}

export class CodeSearch {
  constructor(
    readonly index: CodeIndex,
    private readonly embedder: Embedder,
    private readonly o: CodeSearchOptions = {},
  ) {}

  async embedQuery(query: string, signal?: AbortSignal): Promise<Float32Array> {
    return (await this.embedder.embed([query], { role: 'query', signal })).subarray(0, this.index.dim);
  }

  /** The top `k` chunks for a query by one method, best first. */
  async search(query: string, k: number, method: CodeMethod, signal?: AbortSignal): Promise<CodeHit[]> {
    const q = await this.embedQuery(query, signal);
    return this.searchVector(query, q, k, method);
  }

  /** As `search`, with the query already embedded (evaluations run every method on one vector). */
  async searchVector(query: string, q: Float32Array, k: number, method: CodeMethod): Promise<CodeHit[]> {
    const pool = Math.max(k, this.o.pool ?? 50);
    if (method === 'dense') return this.index.dense(q, k);
    if (method === 'bm25') return this.index.lexical(query, q, k);
    const fused: Scored[] = rrf([this.index.dense(q, pool), this.index.lexical(query, q, pool)], 60, [
      this.o.denseWeight ?? DENSE_WEIGHT,
      1,
    ]).slice(0, pool);
    const hits = fused.map((f) => ({ row: f.row, score: f.score, similarity: this.index.similarity(q, f.row) }));
    if (method === 'hybrid') return hits.slice(0, k);
    const rr = this.o.reranker ?? mmrReranker(this.index, this.o.mmrLambda ?? MMR_LAMBDA);
    return rr.rerank(query, hits, k);
  }
}

/** The chunks the "I don't know" signal reads: the top 3 hits. */
export const CONFIDENCE_TOP = 3;

/**
 * The default "I don't know" threshold on coverage (CodeIndex.coverage of the top 3 hits),
 * calibrated on this project's question set (docs/code-docs.md): below it, the app says it found
 * nothing relevant instead of generating. Coverage is lexical, so it does not depend on the embedder.
 */
export const DEFAULT_CODE_THRESHOLD = 0.48;

/** Whether the best similarity among the hits reaches the threshold (the embedding-based signal). */
export function isConfident(hits: CodeHit[], threshold: number): boolean {
  return hits.some((h) => h.similarity >= threshold);
}
