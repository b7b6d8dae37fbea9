/**
 * Search over a code & docs collection: dense (the app's Embedder over the chunks' header and
 * text), BM25 with code-aware tokens (camelCase and snake_case split, whole identifiers kept),
 * their reciprocal-rank fusion, and a rerank of the fused list (MMR here; a cross-encoder plugs in
 * as another `ChunkReranker`). Every hit keeps its dense cosine, which is what the "I don't know"
 * threshold reads: fused and MMR scores are ranks, not similarities.
 */
import MiniSearch from 'minisearch';
import type { Embedder } from '../embed/embedder.ts';
import { dot } from '../index/vector-index.ts';
import { mmr, rrf, type Scored } from '../retrieve/rank.ts';
import type { Chunk } from './types.ts';

/** Weight of a chunk's names (path, symbols) against its text in BM25. */
export const NAME_BOOST = 4;
/** Weight of the dense list in the hybrid fusion, BM25's being 1. */
export const DENSE_WEIGHT = 0.5;

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
   * sentence embedder is weak on code, so it counts half (chosen on one half of the question set,
   * docs/code-docs.md).
   */
  denseWeight?: number;
  /** The reranker for `hybrid+rerank` (default MMR over chunk vectors, λ = 0.7). */
  reranker?: ChunkReranker;
}

/** An indexed collection: the chunks, their unit vectors, and a BM25 index. */
export class CodeIndex {
  private readonly bm25: MiniSearch<{ id: number; name: string; text: string }>;

  constructor(
    readonly chunks: Chunk[],
    /** chunks.length × dim, unit rows (from the same embedder that will embed queries). */
    readonly vectors: Float32Array,
    readonly dim: number,
    nameBoost = NAME_BOOST,
  ) {
    if (vectors.length !== chunks.length * dim)
      throw new Error(`${vectors.length / dim} vectors for ${chunks.length} chunks`);
    // Names (the path and the symbols a chunk covers) count more than the words of its body.
    this.bm25 = new MiniSearch({
      fields: ['name', 'text'],
      idField: 'id',
      tokenize: codeTokens,
      processTerm: (t) => t,
      searchOptions: { combineWith: 'OR', prefix: false, fuzzy: false, boost: { name: nameBoost, text: 1 } },
    });
    this.bm25.addAll(chunks.map((c, id) => ({ id, name: `${c.path} ${c.symbols.join(' ')}`, text: c.text })));
    for (let r = 0; r < chunks.length; r++)
      for (const t of new Set(this.tokensOf(r))) this.df.set(t, (this.df.get(t) ?? 0) + 1);
  }

  /**
   * How much of the query's rare vocabulary the given chunks contain: the IDF-weighted share of
   * the query's code tokens found in them (a token the collection never uses weighs the most). A
   * question about something the collection does not have finds few of its words there.
   */
  coverage(query: string, rows: number[]): number {
    const toks = [...new Set(codeTokens(query))];
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
    return codeTokens(`${c.path} ${c.symbols.join(' ')} ${c.text}`);
  }

  /** Cosine of a query vector with chunk `row`. */
  similarity(q: Float32Array, row: number): number {
    return dot(q, this.vectors, row * this.dim);
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
    return this.bm25
      .search(query)
      .slice(0, k)
      .map((r) => ({ row: r.id as number, score: r.score, similarity: this.similarity(q, r.id as number) }));
  }
}

/** MMR over the chunk vectors: relevance from the fused order, diversity from chunk–chunk cosine. */
export function mmrReranker(index: CodeIndex, lambda = 0.7): ChunkReranker {
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
    const rr = this.o.reranker ?? mmrReranker(this.index);
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
export const DEFAULT_CODE_THRESHOLD = 0.34;

/** Whether the best similarity among the hits reaches the threshold (the embedding-based signal). */
export function isConfident(hits: CodeHit[], threshold: number): boolean {
  return hits.some((h) => h.similarity >= threshold);
}
