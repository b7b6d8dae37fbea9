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
import type { ProgressFn } from '../types.ts';
import { chunkFiles } from './chunk-files.ts';
import { ingest, zipEntries, type FileEntry, type IngestLimits } from './ingest.ts';
import type { CodeParsers } from './parsers.ts';
import { crossEncoderReranker, withFallback, type PairScorer } from './rerank.ts';
import { CodeIndex, CodeSearch, mmrReranker, type CodeHit, type CodeMethod } from './search.ts';
import type { Chunk, SkippedFile } from './types.ts';

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
    const loaded = this.scorer;
    const reranker = loaded
      ? withFallback(
          crossEncoderReranker((row) => index.chunks[row], loaded.scorer, { maxTokens: loaded.spec.maxTokens }),
          mmrReranker(index),
          (reason) => (this.status = { active: 'mmr', fallbackReason: reason }),
        )
      : undefined;
    if (loaded && method === 'hybrid+rerank') this.status = { active: loaded.spec.id };
    // the search needs only stored vectors here: queries arrive embedded
    const search = new CodeSearch(
      index,
      { id: 'precomputed', dim: index.dim, dtype: '', device: '', embed: noEmbed },
      { reranker },
    );
    return search.searchVector(query, q, k, method);
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
}

async function noEmbed(): Promise<Float32Array> {
  throw new Error('queries are embedded by the caller');
}
