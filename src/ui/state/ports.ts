/**
 * What the UI state classes need from the outside world, as types only: the services (seams),
 * the key-value store and the page. The page passes the real ones (src/ui/browser-app.ts); unit
 * tests pass fakes, so no state class opens a worker or IndexedDB on import.
 */
import type { GpuCaps } from '../../lib/llm/webgpu.ts';
import type { WebLlmChoice } from '../../lib/llm/webllm-generator.ts';
import type { BrowserModelConfig } from '../../browser/runtime.ts';
import type { EmbedderInfo, GeneratorInfo } from '../../browser/clients.ts';
import type { Dtype } from '../../lib/config.ts';
import type { AnswerGenerator, Embedder, IndexServiceApi } from '../../lib/services.ts';
import type { SqlClient } from '../../lib/sql/client.ts';
import type { ProgressFn } from '../../lib/types.ts';
import type { LexicalSource } from '../../lib/retrieve/lexical-search.ts';
import type { LightQueryPort } from '../../lib/embed/light-query.ts';
import type { Importer } from '../../lib/import/client.ts';
import type { PackReader } from '../../lib/pack/read.ts';
import type { CorpusFileOpener } from '../../lib/corpus/open.ts';

export type { EmbedderInfo, GeneratorInfo };

/** The `Embedder` seam plus loading a model into it (WorkerEmbedder in the page). */
export interface LoadableEmbedder extends Embedder {
  load(
    cfg: BrowserModelConfig,
    id: string,
    dtype: Dtype,
    device: 'webgpu' | 'wasm',
    onProgress?: ProgressFn,
    /** The questions' dtype, when another than the documents' `dtype` (issue 17 "compact"). */
    queryDtype?: Dtype,
  ): Promise<EmbedderInfo>;
}

/** The `AnswerGenerator` seam plus loading a model into it (WorkerGenerator in the page). */
export interface LoadableGenerator extends AnswerGenerator {
  loadWebLlm(family: string, onProgress?: ProgressFn): Promise<GeneratorInfo>;
  loadCpu(cfg: BrowserModelConfig, id: string, dtype: Dtype, onProgress?: ProgressFn): Promise<GeneratorInfo>;
  cancelLoad(): Promise<void>;
}

/** Worker calls that are no stage's seam: the WebGPU probe and WebLLM plans (before any download). */
export interface GpuPort {
  probe(): Promise<GpuCaps>;
  planWebLlm(family: string): Promise<WebLlmChoice>;
}

/**
 * The services the UI state classes are built with: the seams of src/lib/services.ts (the page
 * passes createBrowserServices()'s worker clients; tests pass in-process implementations).
 */
export interface UiServices {
  embedder: LoadableEmbedder;
  index: IndexServiceApi;
  generator: LoadableGenerator;
  /** The instant generator (no download): answers in the SQL worker next to the database. */
  instant?: AnswerGenerator;
  gpu: GpuPort;
  /** The Ask page's database. */
  sql: SqlClient;
  /** A separate SQL engine (the Evaluate page opens many databases). */
  newSql(timeoutMs: number): SqlClient;
  /** BM25 indexes per corpus (the lexical worker in the page). */
  lexical: LexicalSource;
  /** The fast query encoder: distillation, timing, the query-side decorator (issue 17). */
  light: LightQueryPort;
  /** Files → a new SQLite database (the import worker in the page). */
  importer: Importer;
  /** Checks and decodes corpus packs (the index worker in the page); in process when absent. */
  readPack?: PackReader;
  /** Parses and hashes corpus files (a corpus worker in the page); in process when absent. */
  openCorpus?: CorpusFileOpener;
}

/** The key-value store, typed by key (src/lib/index/store.ts). */
export type { KvStore } from '../../lib/index/store.ts';
import type { KvStore } from '../../lib/index/store.ts';

/** The store is opened on first use, not on import. */
export type OpenKv = () => Promise<KvStore>;

/** Open once, share the promise (a failed open is retried on the next use). */
export function lazyKv(open: () => Promise<KvStore>): OpenKv {
  let p: Promise<KvStore> | null = null;
  return () => {
    p ??= open().catch((e) => {
      p = null;
      throw e;
    });
    return p;
  };
}

/** The page around the app: its address and fetch. */
export interface PageEnv {
  /** location.href */
  href(): string;
  fetch: typeof fetch;
  /** navigator.onLine: false when the browser knows it is offline (absent = assume online). */
  online?: () => boolean;
}
