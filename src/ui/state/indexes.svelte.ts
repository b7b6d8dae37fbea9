/**
 * The vector indexes of the current corpus in the index worker (the question index, plus the
 * masked-question index some strategies need): restored from IndexedDB when they match, else
 * built as cancellable jobs; and the retrieval strategies over them.
 */
import type { Corpus } from '../../lib/types.ts';
import type { TextMode } from '../../lib/rag/doc-text.ts';
import type { IndexMeta, IndexRecord } from '../../lib/index/store.ts';
import { resolveIndexKind } from '../../lib/index/choose.ts';
import { indexCorpus } from '../../lib/rag/pipeline.ts';
import {
  Retrieval,
  needsMaskedIndex,
  parseRetriever,
  type Drafter,
  type RetrieverName,
} from '../../lib/retrieve/strategies.ts';
import { errorMessage, isCancelled } from '../../lib/errors.ts';
import { withQueryAdapter } from '../../lib/train/adapter.ts';
import type { Embedder } from '../../lib/services.ts';
import type { LexicalSource } from '../../lib/retrieve/lexical-search.ts';
import { StageStatus } from './status.svelte.ts';
import { PhasedProgress } from './phased-progress.ts';
import type { AdapterState } from './adapter.svelte.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { EmbedderState } from './embedder.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { UiServices } from './ports.ts';
import type { Pack } from '../../lib/pack/read.ts';
import { packMismatch, restorePackIndexes, type PackTarget } from '../../lib/pack/restore.ts';
import type { ProgressFn } from '../../lib/types.ts';

/** The job that embeds a corpus: its phases share one progress bar, one ETA and one Cancel. */
interface IndexJob {
  progress: PhasedProgress;
  signal: AbortSignal;
}

export const QUESTION_INDEX = 'question index';
export const MASKED_INDEX = 'masked-question index';

export interface ActiveIndex {
  record: IndexRecord;
  origin: 'restored' | 'built' | 'pack';
  loadMs: number;
}

export class IndexesState {
  #index = $state<ActiveIndex | null>(null);
  /** Second index over masked questions, for the masked / vote / draft-rerank strategies. */
  #masked = $state<ActiveIndex | null>(null);
  /** Increments each time the corpus is embedded in this page (the e2e test checks a reload does not). */
  #embedRuns = $state(0);
  readonly stage = new StageStatus();
  readonly maskedStage = new StageStatus();

  #adapterOn = $derived.by(() => this.deps.settings.value.adapterOn);
  /**
   * The retrieval strategies over the current corpus; a new one when the corpus, adapter, question
   * index or masked index changes. Until the question index is ready (the embedder and the index
   * still loading) it has no dense side: the lexical strategies answer meanwhile (lexicalFallback).
   */
  #retrieval = $derived.by(() => {
    const corpus = this.deps.corpus.current;
    return corpus ? this.makeRetrieval(corpus, this.#adapterOn, true, this.stage.status === 'ready') : null;
  });

  constructor(
    private readonly deps: {
      settings: SettingsState;
      corpus: CorpusState;
      embedder: EmbedderState;
      adapter: AdapterState;
      jobs: Jobs;
      /** The embedder seam (document and query embeddings). */
      embed: Embedder;
      index: UiServices['index'];
      /** BM25 indexes per corpus, built ahead of time (off the main thread in the page). */
      lexical: LexicalSource;
      /** Writes draft-rerank's draft SQL (the instant generator over the open database). */
      draft?: Drafter;
      /** Called each time the question index becomes ready. */
      onReady?: () => void;
      /**
       * A pack that holds this corpus's vectors (the demo's, shipped in the build), or null: tried
       * before embedding when no stored index matches. Its failures only mean "embed as usual".
       */
      prebuilt?: (corpus: Corpus) => Promise<Pack | null>;
    },
  ) {}

  get index(): ActiveIndex | null {
    return this.#index;
  }
  get masked(): ActiveIndex | null {
    return this.#masked;
  }
  get status() {
    return this.stage.status;
  }
  get error(): string | null {
    return this.stage.error;
  }
  get note(): string | null {
    return this.stage.note;
  }
  get embedRuns(): number {
    return this.#embedRuns;
  }
  get retrieval(): Retrieval | null {
    return this.#retrieval;
  }

  meta(): IndexMeta | null {
    const corpus = this.deps.corpus.current;
    const emb = this.deps.embedder.info;
    if (!corpus || !emb) return null;
    const s = this.deps.settings.value;
    return {
      slot: corpus.name,
      embedderId: emb.id,
      dtype: emb.dtype,
      dim: emb.dim,
      corpusHash: corpus.hash,
      count: corpus.examples.length,
      kind: resolveIndexKind(s.indexKind, corpus.examples.length),
      textMode: s.textMode,
    };
  }

  private maskedMeta(): IndexMeta | null {
    const m = this.meta();
    return m ? { ...m, slot: `${m.slot}#masked`, textMode: 'masked-question' } : null;
  }

  /** Does the chosen strategy need the masked-question index? */
  needsMasked(): boolean {
    try {
      return needsMaskedIndex(this.deps.settings.value.retriever);
    } catch {
      return false;
    }
  }

  /**
   * Start building the current corpus's lexical (BM25) indexes, once per corpus: in the page this
   * happens in the lexical worker, so the first question neither waits for it nor freezes the page.
   */
  prepareLexical(): void {
    const corpus = this.deps.corpus.current;
    if (corpus) this.deps.lexical.forCorpus(corpus);
  }

  /** Reuse the stored index if it matches; rebuild it when missing or stale. */
  async ensure(): Promise<void> {
    this.prepareLexical();
    const meta = this.meta();
    if (!meta) return;
    this.stage.setError(null);
    this.stage.setNote(null);
    try {
      const r = await this.deps.index.restore(meta);
      if (r.status === 'restored') {
        this.#index = { record: r.record, origin: 'restored', loadMs: r.loadMs };
        this.stage.set('ready');
        await this.ensureMasked();
        this.deps.onReady?.();
        return;
      }
      if (r.status === 'stale') this.stage.setNote(`stored index is stale: ${r.reasons.join(', ')}; rebuilding`);
    } catch (e) {
      this.stage.setNote(`could not read the stored index (${errorMessage(e)}); rebuilding`);
    }
    if (await this.fromPrebuilt()) return;
    await this.build();
  }

  /** What a pack must have been built for to serve the current corpus (null before the embedder is known). */
  packTarget(): PackTarget | null {
    const emb = this.deps.embedder.info;
    if (!emb) return null;
    return { embedder: { id: emb.id, dtype: emb.dtype, dim: emb.dim }, textMode: this.deps.settings.value.textMode };
  }

  /** Restore the current corpus's indexes from its prebuilt pack, when there is one that fits. */
  private async fromPrebuilt(): Promise<boolean> {
    const corpus = this.deps.corpus.current;
    const target = this.packTarget();
    if (!corpus || !target || !this.deps.prebuilt) return false;
    try {
      const pack = await this.deps.prebuilt(corpus);
      if (!pack || pack.header.corpusHash !== corpus.hash || packMismatch(pack.header, target)) return false;
      this.stage.loading();
      await this.job('index', `Opening the ${corpus.name} pack`, corpus, ['pack'], (job) =>
        this.adoptPack(pack, corpus.name, job.signal, job.progress.phase(0)),
      );
      this.stage.setNote(null);
      if (!this.#masked || this.#masked.record.meta.corpusHash !== corpus.hash) await this.ensureMasked();
      return true;
    } catch (e) {
      if (isCancelled(e)) {
        this.stage.set(this.#index ? 'ready' : 'idle');
        return true;
      }
      // A missing or damaged shipped pack: embed the corpus as before.
      return false;
    }
  }

  /**
   * Make a validated pack's indexes the active ones (nothing embedded): the question index, and the
   * masked-question index when the pack has it. `slot` is the corpus name the pack will be shown as.
   */
  async adoptPack(pack: Pack, slot: string, signal?: AbortSignal, onProgress?: ProgressFn): Promise<void> {
    const restored = await restorePackIndexes(this.deps.index, pack, {
      slot,
      kind: resolveIndexKind(this.deps.settings.value.indexKind, pack.corpus.examples.length),
      signal,
      onProgress,
    });
    this.#index = { record: restored.primary, origin: 'pack', loadMs: 0 };
    this.stage.set('ready');
    if (restored.masked) {
      this.#masked = { record: restored.masked, origin: 'pack', loadMs: 0 };
      this.maskedStage.set('ready');
    }
    this.deps.onReady?.();
  }

  async build(): Promise<void> {
    const meta = this.meta();
    const corpus = this.deps.corpus.current;
    if (!meta || !corpus) return;
    this.stage.loading();
    // One job for both indexes when the strategy needs the masked one too: a single bar that goes
    // on into step 2 instead of a second "Embedding corpus 0 / n" that looks like a restart.
    const phases = this.needsMasked() ? [QUESTION_INDEX, MASKED_INDEX] : [QUESTION_INDEX];
    try {
      await this.job('index', `Indexing ${corpus.name}`, corpus, phases, async (job) => {
        const record = await this.embedAs(job, 0, corpus, meta, this.deps.settings.value.textMode);
        this.#index = { record, origin: 'built', loadMs: 0 };
        this.stage.set('ready');
        await this.ensureMasked(job);
        this.deps.onReady?.();
      });
    } catch (e) {
      if (isCancelled(e)) {
        this.stage.setNote('indexing cancelled; the previous index (if any) is unchanged');
        this.stage.set(this.#index ? 'ready' : 'idle');
      } else {
        this.stage.setError(errorMessage(e));
        this.stage.set(this.#index ? 'ready' : 'error');
      }
    }
  }

  /**
   * Restore or build the masked-question index when the strategy needs it: as the next phase of
   * `within` (the question index's job) when given, else as a job of its own.
   */
  async ensureMasked(within?: IndexJob): Promise<void> {
    const meta = this.maskedMeta();
    const corpus = this.deps.corpus.current;
    if (!meta || !corpus || !this.needsMasked()) return;
    try {
      const r = await this.deps.index.restore(meta);
      if (r.status === 'restored') {
        this.#masked = { record: r.record, origin: 'restored', loadMs: r.loadMs };
        this.maskedStage.set('ready');
        return;
      }
    } catch {
      /* rebuild below */
    }
    this.maskedStage.set('loading');
    const buildMasked = async (job: IndexJob, step: number) => {
      const record = await this.embedAs(job, step, corpus, meta, 'masked-question');
      this.#masked = { record, origin: 'built', loadMs: 0 };
      this.maskedStage.set('ready');
    };
    try {
      if (within && within.progress.steps > 1) await buildMasked(within, 1);
      else await this.job('masked', 'Indexing masked questions', corpus, [MASKED_INDEX], (job) => buildMasked(job, 0));
    } catch (e) {
      this.maskedStage.set('error');
      const retriever = this.deps.settings.value.retriever;
      this.stage.setNote(
        isCancelled(e)
          ? `masked index cancelled: the "${retriever}" strategy falls back to the plain question index`
          : `masked index failed (${errorMessage(e)}): the "${retriever}" strategy falls back to the plain question index`,
      );
    }
  }

  /**
   * A cancellable job with progress over `phases`; it stays listed until `run` has finished, so
   * the phases (and the work after them) show as one job with no gap.
   */
  private async job(
    key: string,
    label: string,
    corpus: Corpus,
    phases: string[],
    run: (job: IndexJob) => Promise<void>,
  ): Promise<void> {
    const { jobs } = this.deps;
    const ac = new AbortController();
    const onP = jobs.start(key, label, () => ac.abort());
    try {
      await run({ progress: new PhasedProgress(phases, corpus.examples.length, onP), signal: ac.signal });
    } finally {
      jobs.end(key);
    }
  }

  /** Embed a corpus as `textMode` and build its index, as phase `step` of `job`. */
  private async embedAs(
    job: IndexJob,
    step: number,
    corpus: Corpus,
    meta: IndexMeta,
    textMode: TextMode,
  ): Promise<IndexRecord> {
    const { embed, index } = this.deps;
    this.#embedRuns++;
    const batch = this.deps.embedder.info?.device === 'webgpu' ? 64 : 32;
    return indexCorpus(
      {
        embedDocs: (texts) => embed.embed(texts, { role: 'doc', batchSize: batch }),
        build: (m, v, ms) => index.build(m, v, ms),
      },
      {
        corpus,
        meta,
        textMode,
        batchSize: batch,
        signal: job.signal,
        onProgress: job.progress.phase(step),
        // masking every question takes seconds on a large corpus: the lexical side (a worker in
        // the page) has the texts, computed once for its BM25 index too
        texts: () => this.deps.lexical.forCorpus(corpus).docTexts(textMode),
      },
    );
  }

  /** A Retrieval over the workers' indexes; the adapter (if on) applies to the plain-question index. */
  /**
   * `withDraft`: draft-rerank drafts over the Ask page's open database; the Evaluate page (other
   * databases, its own SQL engine) passes false and gets the pool's top-1 stand-in.
   */
  /** `dense`: false for a lexical-only Retrieval (no dense index to search yet). */
  makeRetrieval(corpus: Corpus, useAdapter: boolean, withDraft = true, dense = true): Retrieval {
    // The seams themselves: the embedder (Retrieval asks it for query embeddings) and the index.
    const { embed: queries, index: search } = this.deps;
    const adapter = useAdapter ? this.deps.adapter.current : null;
    const info = this.deps.embedder.info;
    // the masked index's slot (see maskedMeta), when the embedder is loaded
    const maskedSlot = this.deps.embedder.info ? `${corpus.name}#masked` : undefined;
    return new Retrieval({
      corpus,
      ...(withDraft && this.deps.draft ? { draft: this.deps.draft } : {}),
      // Starts building this corpus's lexical indexes at once (once per corpus), so the first
      // question does not wait for them.
      lexical: this.deps.lexical.forCorpus(corpus),
      // The adapter (when on) decorates the plain-question side only; documents are untouched.
      ...(dense
        ? { dense: { embedder: adapter && info ? withQueryAdapter(queries, adapter) : queries, index: search } }
        : {}),
      ...(dense && this.maskedStage.status === 'ready' && maskedSlot
        ? { maskedDense: { embedder: queries, index: search, slot: maskedSlot } }
        : {}),
    });
  }

  async setRetriever(name: RetrieverName): Promise<void> {
    parseRetriever(name);
    this.deps.settings.update({ retriever: name });
    await this.ensureMasked();
  }

  // ------------------------------------------------------------------ storage

  async list(): Promise<IndexRecord[]> {
    return this.deps.index.list();
  }

  async delete(key: string): Promise<void> {
    await this.deps.index.delete(key);
    if (this.#index?.record.key === key) {
      this.#index = null;
      this.stage.set('idle');
      this.stage.setNote('the index in use was deleted; it will be rebuilt when needed (Rebuild index)');
    }
  }
}
