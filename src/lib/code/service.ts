/**
 * The code & docs collections as a service: prepare sources (ingest + chunk, the heavy parsing
 * part) and search opened collections. `LocalCodeCollections` runs in process (Node, tests, and
 * inside the code worker); the page talks to the worker through the same interface, so callers
 * never know where it runs. Embedding is not here: it goes through the Embedder seam, wherever
 * the embedder lives.
 */
import { fnv1a32Hex } from '../embed/light-file.ts';
import { findReranker, type CoreConfig, type RerankerSpec } from '../config.ts';
import { CancelledError, errorMessage } from '../errors.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { ProgressFn } from '../types.ts';
import { chunkFiles } from './chunk-files.ts';
import { evaluateCode, type CodeEvalReport, type CodeQuestion } from './eval.ts';
import { ingest, zipEntries, type FileEntry, type IngestLimits } from './ingest.ts';
import type { CodeParsers } from './parsers.ts';
import { missingGold, type MissingGold } from './questions.ts';
import { crossEncoderReranker, withFallback, type PairScorer } from './rerank.ts';
import { CodeIndex, CodeSearch, mmrReranker, type ChunkReranker, type CodeHit, type CodeMethod } from './search.ts';
import type { Chunk, SkippedFile } from './types.ts';
import { nextTask } from '../tasks.ts';

/** A file handed over for a collection: a path and its bytes (a Blob in the page). */
export interface CodeInput {
  path: string;
  data: Blob | Uint8Array;
}

export interface PrepareOptions {
  /** Largest chunk in tokens (the embedder's limit, at most 512). */
  maxTokens?: number;
  overlapTokens?: number;
  limits?: Partial<IngestLimits>;
}

export interface PreparedSources {
  /** Paths and a content fingerprint per file (FNV-1a 32 of its UTF-8), recorded with the collection. */
  files: { path: string; print: string; lines: number }[];
  chunks: Chunk[];
  skipped: SkippedFile[];
  bytes: number;
}

export interface CollectionEvalOptions {
  k?: number;
  exclude?: string[];
}

/** evaluateCode's report on a collection, with the gold symbols it does not have (scored as misses). */
export interface CollectionEvalReport extends CodeEvalReport {
  missingGold: MissingGold[];
}

/** Where models come from (the page's model config; the same loader as the embedder's). */
export type ModelSource = Pick<CoreConfig, 'localModelBase' | 'allowRemoteModels' | 'numThreads'>;

/** Loads a registry cross-encoder (in the code worker: transformers.js in the worker; in Node: the host's). */
export type RerankerLoader = (
  spec: RerankerSpec,
  source: ModelSource | null,
  onProgress?: ProgressFn,
) => Promise<PairScorer>;

/** Which reranker `hybrid+rerank` uses, and why not the one asked for when it fell back to MMR. */
export interface RerankerStatus {
  /** `mmr`, or the cross-encoder's model id. */
  active: string;
  /** Set when a cross-encoder was asked for and MMR reranks instead (load failure, or the last question failed). */
  fallbackReason?: string;
}

export interface CodeCollectionsApi {
  /** Ingest and chunk; a `.zip` among the inputs is opened (with its expansion capped). */
  prepare(inputs: CodeInput[], o?: PrepareOptions, onProgress?: ProgressFn): Promise<PreparedSources>;
  /** Stop a `prepare` in flight (it rejects with CancelledError). */
  cancelPrepare(): void;
  /** Make a collection searchable (chunks and their unit vectors, n × dim). */
  open(id: string, chunks: Chunk[], vectors: Float32Array, dim: number): Promise<void>;
  search(id: string, query: string, q: Float32Array, k: number, method: CodeMethod): Promise<CodeHit[]>;
  /** How much of the query's rare vocabulary these chunks hold (CodeIndex.coverage): the "I don't know" signal. */
  coverage(id: string, query: string, rows: number[]): Promise<number>;
  close(id: string): Promise<void>;
  /**
   * Score a question set on an open collection (evaluateCode: every method, intervals, the
   * "I don't know" curves), the questions embedded by the caller (`queries`, n × dim, in order).
   * `exclude`: files left out of the collection for this evaluation (the questions file itself,
   * when it is part of the collection, as `npm run eval -- --code` leaves it out of its walk).
   */
  evaluate(
    id: string,
    questions: CodeQuestion[],
    queries: Float32Array,
    o?: CollectionEvalOptions,
    onProgress?: ProgressFn,
  ): Promise<CollectionEvalReport>;
  /** Stop an `evaluate` in flight (it rejects with CancelledError). */
  cancelEvaluate(): void;
  /**
   * Rerank `hybrid+rerank` with a registry cross-encoder (null: MMR, the default). A model that
   * cannot be loaded leaves MMR in place and the status says why; nothing throws.
   */
  useReranker(id: string | null, source: ModelSource | null, onProgress?: ProgressFn): Promise<RerankerStatus>;
  rerankerStatus(): Promise<RerankerStatus>;
}

const utf8 = new TextEncoder();

async function bytesOf(d: Blob | Uint8Array): Promise<Uint8Array> {
  return d instanceof Uint8Array ? d : new Uint8Array(await d.arrayBuffer());
}

export class LocalCodeCollections implements CodeCollectionsApi {
  private readonly open_ = new Map<string, CodeIndex>();
  private abort: AbortController | null = null;
  private scorer: { spec: RerankerSpec; scorer: PairScorer } | null = null;
  private status: RerankerStatus = { active: 'mmr' };

  constructor(
    private readonly parsers: CodeParsers | null,
    /** How a cross-encoder is loaded; without one, asking for it falls back to MMR with the reason. */
    private readonly loadReranker: RerankerLoader | null = null,
  ) {}

  async prepare(inputs: CodeInput[], o: PrepareOptions = {}, onProgress?: ProgressFn): Promise<PreparedSources> {
    this.abort?.abort();
    const ac = new AbortController();
    this.abort = ac;
    try {
      const entries: FileEntry[] = [];
      const skipped: SkippedFile[] = [];
      for (const inp of inputs) {
        if (/\.zip$/i.test(inp.path)) {
          onProgress?.({ phase: 'Opening zip', done: 0, total: 1, detail: inp.path });
          try {
            const z = zipEntries(await bytesOf(inp.data), o.limits);
            entries.push(...z.entries);
            skipped.push(...z.skipped);
          } catch (e) {
            skipped.push({ path: inp.path, reason: (e as Error).message });
          }
        } else {
          const size = inp.data instanceof Uint8Array ? inp.data.length : inp.data.size;
          entries.push({ path: inp.path, size, read: () => bytesOf(inp.data) });
        }
      }
      const ing = await ingest(entries, {
        limits: o.limits,
        signal: ac.signal,
        onProgress: (done, total) => onProgress?.({ phase: 'Reading files', done, total }),
      });
      if (ac.signal.aborted) throw new CancelledError('reading files');
      const chunks = await chunkFiles(ing.files, this.parsers, {
        maxTokens: o.maxTokens,
        overlapTokens: o.overlapTokens,
        signal: ac.signal,
        onProgress,
      });
      return {
        files: ing.files.map((f) => ({
          path: f.path,
          print: fnv1a32Hex(utf8.encode(f.text)),
          lines: f.text.split('\n').length,
        })),
        chunks,
        skipped: [...skipped, ...ing.skipped],
        bytes: ing.bytes,
      };
    } catch (e) {
      if (ac.signal.aborted) throw new CancelledError('preparing the collection');
      throw e;
    } finally {
      if (this.abort === ac) this.abort = null;
    }
  }

  cancelPrepare(): void {
    this.abort?.abort();
  }

  async open(id: string, chunks: Chunk[], vectors: Float32Array, dim: number): Promise<void> {
    this.open_.set(id, new CodeIndex(chunks, vectors, dim));
  }

  async search(id: string, query: string, q: Float32Array, k: number, method: CodeMethod): Promise<CodeHit[]> {
    const index = this.open_.get(id);
    if (!index) throw new Error(`collection ${id} is not open`);
    const reranker = this.reranker(index);
    if (this.scorer && method === 'hybrid+rerank') this.status = { active: this.scorer.spec.id };
    // the search needs only stored vectors here: queries arrive embedded
    const search = new CodeSearch(
      index,
      { id: 'precomputed', dim: index.dim, dtype: '', device: '', embed: noEmbed },
      { reranker },
    );
    return search.searchVector(query, q, k, method);
  }

  /** The loaded cross-encoder over an index, falling back to MMR (with the reason) when it fails; none: MMR. */
  private reranker(index: CodeIndex): ChunkReranker | undefined {
    const loaded = this.scorer;
    if (!loaded) return undefined;
    return withFallback(
      crossEncoderReranker((row) => index.chunks[row], loaded.scorer, { maxTokens: loaded.spec.maxTokens }),
      mmrReranker(index),
      (reason) => (this.status = { active: 'mmr', fallbackReason: reason }),
    );
  }

  async coverage(id: string, query: string, rows: number[]): Promise<number> {
    const index = this.open_.get(id);
    if (!index) throw new Error(`collection ${id} is not open`);
    return index.coverage(query, rows);
  }

  async useReranker(id: string | null, source: ModelSource | null, onProgress?: ProgressFn): Promise<RerankerStatus> {
    if (this.scorer && this.scorer.spec.id === id) return this.status;
    const old = this.scorer;
    this.scorer = null;
    await old?.scorer.dispose?.().catch(() => {});
    if (!id) return (this.status = { active: 'mmr' });
    const spec = findReranker(id);
    if (!spec) return (this.status = { active: 'mmr', fallbackReason: `unknown reranker "${id}"; MMR reranks` });
    if (!this.loadReranker)
      return (this.status = { active: 'mmr', fallbackReason: 'no cross-encoder can be loaded here; MMR reranks' });
    try {
      this.scorer = { spec, scorer: await this.loadReranker(spec, source, onProgress) };
      return (this.status = { active: spec.id });
    } catch (e) {
      return (this.status = { active: 'mmr', fallbackReason: `${errorMessage(e)}; MMR reranks instead` });
    }
  }

  async rerankerStatus(): Promise<RerankerStatus> {
    return this.status;
  }

  async close(id: string): Promise<void> {
    this.open_.delete(id);
  }

  async evaluate(
    id: string,
    questions: CodeQuestion[],
    queries: Float32Array,
    o: CollectionEvalOptions = {},
    onProgress?: ProgressFn,
  ): Promise<CollectionEvalReport> {
    const open = this.open_.get(id);
    if (!open) throw new Error(`collection ${id} is not open`);
    const dim = open.dim;
    const index = o.exclude?.length ? without(open, new Set(o.exclude)) : open;
    if (queries.length !== questions.length * dim)
      throw new Error(`${queries.length / dim} query vectors for ${questions.length} questions`);
    this.evalAbort?.abort();
    const ac = new AbortController();
    this.evalAbort = ac;
    try {
      // hybrid+rerank as the page's questions get it: the opted-in cross-encoder, else MMR
      const search = new CodeSearch(index, precomputed(questions, queries, dim), { reranker: this.reranker(index) });
      const report = await evaluateCode(search, questions, {
        k: o.k,
        signal: ac.signal,
        onProgress: (done, total) => onProgress?.({ phase: 'Scoring questions', done, total }),
      });
      return { ...report, missingGold: missingGold(index.chunks, questions) };
    } catch (e) {
      if (ac.signal.aborted) throw new CancelledError('the evaluation');
      throw e;
    } finally {
      if (this.evalAbort === ac) this.evalAbort = null;
    }
  }

  cancelEvaluate(): void {
    this.evalAbort?.abort();
  }

  private evalAbort: AbortController | null = null;
}

/** The index without the chunks of some files (a new index: BM25 statistics as if they were never read). */
function without(index: CodeIndex, paths: Set<string>): CodeIndex {
  const rows = index.chunks.flatMap((c, r) => (paths.has(c.path) ? [] : [r]));
  if (rows.length === index.chunks.length) return index;
  const vectors = new Float32Array(rows.length * index.dim);
  rows.forEach((r, i) => vectors.set(index.vectors.subarray(r * index.dim, (r + 1) * index.dim), i * index.dim));
  return new CodeIndex(
    rows.map((r) => index.chunks[r]),
    vectors,
    index.dim,
  );
}

/**
 * The questions' vectors, embedded by the caller, as an Embedder for evaluateCode. Each lookup
 * first yields to the event loop, so a cancel sent to the worker is seen between questions.
 */
function precomputed(questions: CodeQuestion[], queries: Float32Array, dim: number): Embedder {
  const byText = new Map(questions.map((q, i) => [q.question, queries.subarray(i * dim, (i + 1) * dim)]));
  return {
    id: 'precomputed',
    dim,
    dtype: '',
    device: '',
    async embed(texts, o) {
      await nextTask();
      if (o?.signal?.aborted) throw new CancelledError('the evaluation');
      const v = byText.get(texts[0]);
      if (!v || texts.length !== 1) throw new Error('only the given questions can be embedded here');
      return v;
    },
  };
}

async function noEmbed(): Promise<Float32Array> {
  throw new Error('queries are embedded by the caller');
}
