/**
 * Worker clients: each worker's comlink remote wrapped in a class that implements the same seam
 * (src/lib/services.ts) as the in-process implementation, so callers never know where a stage
 * runs. What cannot cross comlink is handled here: AbortSignal (mapped to the worker's interrupt),
 * callbacks (proxied), buffers (transferred). createBrowserServices (./services.ts) builds them.
 */
import * as Comlink from 'comlink';
import type { EmbedApi } from '../../workers/embed.worker.ts';
import type { DistillApi } from '../../workers/distill.worker.ts';
import type { LightBlobs, LightQueryPort, QueryVariantSpec } from '../lib/embed/light-query.ts';
import type { DistillJobRequest, DistillJobResult } from '../lib/embed/distill-job.ts';
import type { IndexApi } from '../../workers/index.worker.ts';
import type { LlmApi } from '../../workers/llm.worker.ts';
import type { BrowserModelConfig } from './runtime.ts';
import type { Dtype, GeneratorEngine, PromptFormat } from '../lib/config.ts';
import type { EmbedOptions, Embedder } from '../lib/embed/embedder.ts';
import type { IndexMeta, IndexRecord } from '../lib/index/store.ts';
import type { RestoreResult } from '../lib/index/service.ts';
import type { GenerateOptions, GenerateResult } from '../lib/llm/generator.ts';
import type { BuiltPrompt, ExplainInput, FollowUpInput, PromptInput } from '../lib/llm/prompts.ts';
import type { AnswerGenerator, Hit, IndexSearchOptions, IndexServiceApi } from '../lib/services.ts';
import type { Corpus, ProgressFn } from '../lib/types.ts';
import type { TextMode } from '../lib/rag/doc-text.ts';
import type {
  LexicalApi,
  LexicalHit,
  LexicalSearch,
  LexicalSearchOptions,
  LexicalSource,
} from '../lib/retrieve/lexical-search.ts';
import { CORPUS_PART_ROWS } from '../lib/corpus/saved.ts';
import { registerErrorTransfer } from '../lib/errors-transfer.ts';
import { RuntimeBuildError, throwIfAborted } from '../lib/errors.ts';

registerErrorTransfer();

export interface EmbedderInfo {
  id: string;
  dim: number;
  /** The documents' dtype (what an index records). */
  dtype: string;
  device: string;
  /** The questions' dtype, when another than the documents' (issue 17 "compact"). */
  queryDtype?: string;
  /** Why the asked question dtype is not used (its model failed to load). */
  queryDtypeError?: string;
}

/** The embed worker as an `Embedder` (id/dim/… are those of the model loaded last). */
export class WorkerEmbedder implements Embedder {
  /**
   * @param restart replaces the worker (its next call starts a new one; calls still running in the
   *   old one end with a CancelledError): a load on a device whose ONNX runtime build differs from
   *   the one the worker started (RuntimeBuildError) needs it.
   */
  constructor(
    private readonly api: Comlink.Remote<EmbedApi>,
    private info: EmbedderInfo | null = null,
    private readonly restart?: () => void,
  ) {}

  get id(): string {
    return this.info?.id ?? '';
  }
  get dim(): number {
    return this.info?.dim ?? 0;
  }
  get dtype(): string {
    return this.info?.dtype ?? '';
  }
  get device(): string {
    return this.info?.device ?? '';
  }
  get loaded(): boolean {
    return this.info !== null;
  }

  async load(
    cfg: BrowserModelConfig,
    id: string,
    dtype: Dtype,
    device: 'webgpu' | 'wasm',
    onProgress?: ProgressFn,
    queryDtype?: Dtype,
  ): Promise<EmbedderInfo> {
    this.info = null;
    const load = () =>
      this.api.load(cfg, id, dtype, device, onProgress ? Comlink.proxy(onProgress) : undefined, queryDtype);
    try {
      this.info = await load();
    } catch (e) {
      if (!(e instanceof RuntimeBuildError) || !this.restart) throw e;
      this.restart();
      this.info = await load();
    }
    return this.info;
  }

  async embed(texts: string[], opts: EmbedOptions = {}): Promise<Float32Array> {
    throwIfAborted(opts.signal, 'embedding');
    return this.api.embed(texts, opts.role ?? 'doc', opts.batchSize);
  }
}

/**
 * The fast query encoder's port in the page: distillation in the distill worker (the teacher stays
 * in the embed worker and is called back for its vectors), timing and the query-side decorator in
 * the embed worker. The distill worker is spawned on first use.
 */
export class WorkerLightQuery implements LightQueryPort {
  private distiller: Comlink.Remote<DistillApi> | null = null;

  constructor(
    private readonly embed: Comlink.Remote<EmbedApi>,
    private readonly embedder: WorkerEmbedder,
    private readonly spawnDistiller: () => Comlink.Remote<DistillApi>,
  ) {}

  async distill(req: DistillJobRequest, onProgress?: ProgressFn): Promise<DistillJobResult> {
    this.distiller ??= this.spawnDistiller();
    const { id, dim, dtype, device } = this.embedder;
    const embed = (texts: string[], role: 'query' | 'doc', batchSize: number) =>
      this.embed.embedTeacher(texts, role, batchSize);
    const cfg = await this.embed.modelConfig();
    if (!cfg) throw new Error('no embedder loaded');
    return this.distiller.distill(
      cfg,
      { id, dim, dtype, device },
      req,
      Comlink.proxy(embed),
      onProgress ? Comlink.proxy(onProgress) : undefined,
    );
  }
  async cancelDistill(): Promise<void> {
    await this.distiller?.cancel();
  }
  timeQueries(texts: string[], variant: QueryVariantSpec): Promise<{ vectors: Float32Array; ms: number[] }> {
    return this.embed.timeQueries(texts, variant);
  }
  releaseProbes(): Promise<void> {
    return this.embed.releaseProbes();
  }
  useQueryEncoder(blobs: LightBlobs | null): Promise<{ light: boolean; fallbackReason?: string }> {
    return this.embed.useQueryEncoder(blobs);
  }
}

/** The index worker as an `IndexServiceApi` (queries and vectors are transferred, not copied). */
export class WorkerIndexService implements IndexServiceApi {
  constructor(private readonly api: Comlink.Remote<IndexApi>) {}

  restore(meta: IndexMeta): Promise<RestoreResult> {
    return this.api.restore(meta);
  }
  build(meta: IndexMeta, vectors: Float32Array, embedMs: number): Promise<IndexRecord> {
    return this.api.build(meta, Comlink.transfer(vectors, [vectors.buffer]), embedMs);
  }
  append(meta: IndexMeta, base: IndexMeta, vectors: Float32Array): Promise<IndexRecord> {
    return this.api.append(meta, base, Comlink.transfer(vectors, [vectors.buffer]));
  }
  search(query: Float32Array, k: number, o: IndexSearchOptions = {}): Promise<{ hits: Hit[]; ms: number }> {
    // The caller's vector stays usable: a copy crosses (a few hundred floats).
    const q = query.slice();
    return this.api.search(Comlink.transfer(q, [q.buffer]), k, o);
  }
  list(): Promise<IndexRecord[]> {
    return this.api.list();
  }
  delete(key: string): Promise<void> {
    return this.api.delete(key);
  }
}

export interface GeneratorInfo {
  id: string;
  engine: GeneratorEngine;
  format: PromptFormat;
  device: string;
  contextTokens?: number;
}

/**
 * The llm worker as an `AnswerGenerator`: prompts are built in the worker with the model's
 * tokenizer; `generate` maps `opts.signal` to the worker's interrupt (both engines honour it).
 */
export class WorkerGenerator implements AnswerGenerator {
  constructor(
    private readonly api: Comlink.Remote<LlmApi>,
    private info: GeneratorInfo | null = null,
  ) {}

  get id(): string {
    return this.info?.id ?? '';
  }
  get engine(): GeneratorEngine {
    return this.info?.engine ?? 'transformers';
  }
  get format(): PromptFormat {
    return this.info?.format ?? 'tiny-sql';
  }
  get contextTokens(): number {
    return this.info?.contextTokens ?? 0;
  }
  get loaded(): boolean {
    return this.info !== null;
  }

  /** Load a WebLLM family (WebGPU) in the worker. */
  async loadWebLlm(family: string, onProgress?: ProgressFn): Promise<GeneratorInfo> {
    this.info = null;
    const r = await this.api.loadWebLlm(family, onProgress ? Comlink.proxy(onProgress) : undefined);
    this.info = { ...r, engine: r.engine, format: r.format };
    return this.info;
  }

  /** Load a transformers.js (CPU, WASM) generator in the worker. */
  async loadCpu(cfg: BrowserModelConfig, id: string, dtype: Dtype, onProgress?: ProgressFn): Promise<GeneratorInfo> {
    this.info = null;
    const r = await this.api.loadCpu(cfg, id, dtype, onProgress ? Comlink.proxy(onProgress) : undefined);
    this.info = { ...r, engine: r.engine, format: r.format };
    return this.info;
  }

  cancelLoad(): Promise<void> {
    return this.api.cancelLoad();
  }

  buildPrompt(input: PromptInput, reserve?: number): Promise<BuiltPrompt> {
    return this.api.buildPrompt(input, reserve);
  }
  buildFollowUpPrompt(input: FollowUpInput, reserve?: number): Promise<BuiltPrompt> {
    return this.api.buildFollowUpPrompt(input, reserve);
  }
  buildExplainPrompt(input: ExplainInput, reserve?: number): Promise<BuiltPrompt | null> {
    return this.api.buildExplainPrompt(input, reserve);
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const { signal, onToken } = opts;
    // Already stopped: nothing is started (an interrupt sent now would reach no generation).
    throwIfAborted(signal, 'generation');
    const stop = () => void this.api.interrupt();
    signal?.addEventListener('abort', stop);
    try {
      const { temperature, topP, seed } = opts;
      return await this.api.generate(
        prompt,
        opts.maxNewTokens ?? 128,
        onToken ? Comlink.proxy(onToken) : undefined,
        temperature ? { temperature, topP, seed } : undefined,
      );
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  interrupt(): Promise<void> {
    return this.api.interrupt();
  }
}

/**
 * The lexical worker as a `LexicalSource`: `forCorpus` sends the corpus to the worker at once (a
 * large one in parts of CORPUS_PART_ROWS, each serialised in a task of its own: the 6,726 Spider
 * rows in one message took 40–60 ms of the page's main thread plus GC; docs/main-thread.md), which
 * builds both BM25 indexes and the skeletons there; searches (and the derived texts) wait for that
 * build. The worker keeps the two corpora loaded last, as this client does.
 */
export class WorkerLexicalSource implements LexicalSource {
  private readonly loads = new Map<string, Promise<number>>();

  constructor(private readonly api: Comlink.Remote<LexicalApi>) {}

  forCorpus(corpus: Corpus): LexicalSearch {
    const hash = corpus.hash;
    let ready = this.loads.get(hash);
    if (!ready) {
      ready = corpus.examples.length <= CORPUS_PART_ROWS ? this.api.load(corpus) : this.sendInParts(corpus);
      this.loads.set(hash, ready);
      while (this.loads.size > 2) this.loads.delete(this.loads.keys().next().value!);
      // a failed build is tried again by the next forCorpus
      ready.catch(() => {
        if (this.loads.get(hash) === ready) this.loads.delete(hash);
      });
    }
    const loaded = ready;
    return {
      search: async (query: string, k: number, o?: LexicalSearchOptions): Promise<LexicalHit[]> => {
        await loaded;
        return this.api.search(hash, query, k, o);
      },
      docTexts: async (mode: TextMode): Promise<string[]> => {
        await loaded;
        return this.api.docTexts(hash, mode);
      },
      skeletons: async (): Promise<string[]> => {
        await loaded;
        return this.api.skeletons(hash);
      },
    };
  }

  /**
   * A large corpus in parts of CORPUS_PART_ROWS, each sent when the previous one has arrived, so
   * that every part is serialised in a task of its own instead of one long task on the page.
   */
  private async sendInParts(corpus: Corpus): Promise<number> {
    const { examples, ...head } = corpus;
    await this.api.begin(head, examples.length);
    for (let i = 0; i < examples.length; i += CORPUS_PART_ROWS)
      await this.api.append(head.hash, examples.slice(i, i + CORPUS_PART_ROWS));
    return this.api.finish(head.hash);
  }
}
