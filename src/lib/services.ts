/**
 * The seams: one interface per stage, and nothing else crosses between stages.
 *
 *   Embedder      texts → unit vectors          TransformersEmbedder (in process), WorkerEmbedder (page → worker)
 *   IndexServiceApi vectors ↔ a stored index     IndexService (in process), WorkerIndexService
 *   Retriever     question → corpus rows         every strategy of src/lib/retrieve/ (dense is one of them)
 *   AnswerGenerator prompt → streamed text       LocalGenerator over a Generator engine, WorkerGenerator
 *   SqlEngine     SQL → rows, read-only          LocalSqlEngine (sql.js here), SqlClient (sql.js in a worker)
 *   LexicalSource corpus → BM25 search           LocalLexicalSource (in process), WorkerLexicalSource
 *
 * Prompt building belongs to the generator side: a prompt is cut to the model's context with
 * the model's own tokenizer, which lives where the model lives (a worker in the browser). So
 * `AnswerGenerator` builds prompts as well as generating, and both cross a worker boundary as one.
 *
 * Hosts build a `Services` object once (createNodeServices in src/node/services.ts,
 * createBrowserServices in src/browser/services.ts); the UI, the CLIs and the tests use only it.
 */
import type { Embedder, EmbedOptions } from './embed/embedder.ts';
import type { IndexMeta, IndexRecord } from './index/store.ts';
import type { RestoreResult } from './index/service.ts';
import type { SearchHit } from './index/vector-index.ts';
import type { GenerateOptions, GenerateResult } from './llm/generator.ts';
import type { BuiltPrompt, ExplainInput, FollowUpInput, PromptInput } from './llm/prompts.ts';
import type { GeneratorEngine, PromptFormat } from './config.ts';
import type { DbInfo, DbSource, ExecOptions } from './sql/engine.ts';
import type { SqlErrorSpot } from './sql/locate-error.ts';
import type { QueryResult, TableInfo } from './types.ts';
import type { RetrieverName } from './retrieve/strategies.ts';
import type { LexicalSource } from './retrieve/lexical-search.ts';

export type { Embedder, EmbedOptions, GenerateOptions, GenerateResult, RestoreResult, RetrieverName };

/** A corpus row and its score, best first: the one shape of a hit everywhere. */
export type Hit = SearchHit;

// ------------------------------------------------------------------------------------ index

export interface IndexSearchOptions {
  /** Rows that must not be returned (e.g. the question itself). */
  exclude?: number[];
  /** Which active index: a secondary slot such as `<corpus>#masked`; the primary by default. */
  slot?: string;
  /**
   * The corpus hash the caller's rows refer to. When given, the search is refused (IndexMismatchError)
   * if the active index of that slot was built from another corpus, so rows never point at the
   * wrong examples.
   */
  corpusHash?: string;
}

/** Vector search over an active index (what a dense retriever needs). */
export interface VectorSearch {
  search(query: Float32Array, k: number, o?: IndexSearchOptions): Promise<{ hits: Hit[]; ms: number }>;
}

/** The index service: restore or build a stored index, search it, list and delete stored ones. */
export interface IndexServiceApi extends VectorSearch {
  restore(meta: IndexMeta): Promise<RestoreResult>;
  build(meta: IndexMeta, vectors: Float32Array, embedMs: number): Promise<IndexRecord>;
  /** Extend the stored index `base` by appended rows (their vectors only); see IndexService.append. */
  append(meta: IndexMeta, base: IndexMeta, vectors: Float32Array): Promise<IndexRecord>;
  list(): Promise<IndexRecord[]>;
  delete(key: string): Promise<void>;
}

// ------------------------------------------------------------------------------------ retrieval

export interface RetrieveContext {
  /** Tables of the question's database (strategies that mask schema mentions use them). */
  tables?: TableInfo[];
  /** Corpus rows that must not be returned (the question itself, in evaluations). */
  exclude?: number[];
  /** The question's database id, when known. */
  dbId?: string;
  /** Stops the retrieval; it then rejects with CancelledError. */
  signal?: AbortSignal;
}

export interface RetrieveResult {
  /** At most k corpus rows, best first. */
  hits: Hit[];
  /** Wall time of the whole retrieval. */
  ms: number;
  /** Part of `ms` spent embedding the question (0 for lexical strategies). */
  embedMs?: number;
}

/** Picks the k corpus examples to show the model for a question. */
export interface Retriever {
  readonly name: RetrieverName;
  retrieve(question: string, k: number, context?: RetrieveContext): Promise<RetrieveResult>;
}

// ------------------------------------------------------------------------------------ generation

/**
 * A loaded generator as callers see it: prompt building with the model's tokenizer, streaming
 * generation, interruption. `generate` honours `opts.signal` wherever the model runs.
 */
export interface AnswerGenerator {
  readonly id: string;
  readonly engine: GeneratorEngine;
  readonly format: PromptFormat;
  /** Prompt token budget (context minus reserved answer tokens). */
  readonly contextTokens: number;
  /** The answer prompt, cut to the context minus `reserve` answer tokens. */
  buildPrompt(input: PromptInput, reserve?: number): Promise<BuiltPrompt>;
  buildFollowUpPrompt(input: FollowUpInput, reserve?: number): Promise<BuiltPrompt>;
  /** null when the format cannot explain (the host uses the rule-based explainer). */
  buildExplainPrompt(input: ExplainInput, reserve?: number): Promise<BuiltPrompt | null>;
  generate(prompt: string, opts?: GenerateOptions): Promise<GenerateResult>;
  /** Stop the generation in flight, if any. */
  interrupt(): void | Promise<void>;
  dispose?(): Promise<void>;
}

// ------------------------------------------------------------------------------------ SQL

export interface SqlExecOptions extends ExecOptions {
  /** Stops the query (a worker-backed engine terminates its worker); rejects with CancelledError. */
  signal?: AbortSignal;
}

/** A read-only SQL engine over one open database at a time. */
export interface SqlEngine {
  readonly current: DbInfo | null;
  /** Open a database, replacing the current one. */
  open(src: DbSource): Promise<DbInfo>;
  exec(sql: string, opts?: SqlExecOptions): Promise<QueryResult>;
  /** Where an SQL error message points in the SQL; null when it names no token. */
  locateError(sql: string, message: string): Promise<SqlErrorSpot | null>;
  /** The open database as a SQLite file (`.sqlite` export). */
  export?(): Promise<Uint8Array>;
  dispose?(): void;
}

// ------------------------------------------------------------------------------------ bundle

/** What every host builds once and hands to the UI, the CLIs and the tests. */
export interface Services {
  embedder: Embedder;
  index: IndexServiceApi;
  generator: AnswerGenerator | null;
  sql: SqlEngine;
  /** BM25 indexes per corpus (built ahead of the first question; off the main thread in the page). */
  lexical: LexicalSource;
  /** Release workers and models. */
  dispose(): Promise<void>;
}
