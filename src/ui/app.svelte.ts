/**
 * Application state and actions (Svelte 5 runes). The UI components read this state and call
 * these methods; all heavy work happens in the workers behind src/ui/services.ts.
 */
import {
  CPU_GENERATORS,
  EMBEDDERS,
  WEBLLM_MODELS,
  chooseDefaults,
  findCpuGenerator,
  findEmbedder,
  type Dtype,
} from '../lib/config.ts';
import type { BrowserModelConfig } from '../browser/runtime.ts';
import type { Corpus, Progress, ProgressFn, QueryResult, RowIssue, TableInfo } from '../lib/types.ts';
import type { TextMode } from '../lib/rag/doc-text.ts';
import type { DbInfo, DbSource } from '../lib/sql/engine.ts';
import type { IndexMeta, IndexRecord } from '../lib/index/store.ts';
import { IndexStore } from '../lib/index/store.ts';
import type { BuiltPrompt, PreviousTurn } from '../lib/llm/prompts.ts';
import type { GpuCaps } from '../lib/llm/webgpu.ts';
import type { WebLlmChoice } from '../lib/llm/webllm-generator.ts';
import type { GenerateResult } from '../lib/llm/generator.ts';
import { ask, indexCorpus, type RetrievedExample } from '../lib/rag/pipeline.ts';
import { loadCorpusFile } from '../lib/corpus/detect.ts';
import { corpusHash } from '../lib/corpus/hash.ts';
import { CancelledError, errorMessage, isCancelled } from '../lib/errors.ts';
import { embedWorker, indexWorker, llmWorker, progressProxy, sql, tokenProxy, transfer } from './services.ts';
import { loadSettings, saveSettings, type Settings } from './settings.ts';
import { DEMO_CORPUS_NAME, DEMO_DB_NAME, demoCorpus, demoDatabaseSql } from './demo.ts';
import { decodeShare, encodeShare, type ShareState } from '../lib/share/codec.ts';
import { quotaWarning } from './storage.ts';
import { loadAdapterJson, withQueryAdapter, type LinearAdapter, type AdapterMeta } from '../lib/train/adapter.ts';
import { WorkerEmbedder, WorkerIndexService } from '../browser/clients.ts';
import { Retrieval, needsMaskedIndex, parseRetriever, type RetrieverName } from '../lib/retrieve/strategies.ts';

export type Status = 'idle' | 'loading' | 'ready' | 'error' | 'needs-confirm';

export interface Job {
  label: string;
  progress: Progress | null;
  cancel?: () => void;
}

/** A follow-up question: the earlier turns it continues, and the question made self-contained (for retrieval). */
export interface FollowUpContext {
  parentId: string;
  previous: PreviousTurn[];
  standalone: string;
}

/** What one question or SQL run produced (for the conversation and the history). */
export interface AnswerEvent {
  kind: 'ask' | 'followup' | 'sql' | 'edit';
  question: string;
  followUp: FollowUpContext | null;
  sql: string;
  result: QueryResult | null;
  error: { stage: string; message: string } | null;
  prompt: { format: string; text: string; examplesUsed: number } | null;
}

/** Hooks the conversation (src/ui/conversation.svelte.ts) sets; ask() and runSql() call them. */
export interface AnswerHooks {
  /** Before a question is asked: stop anything else that is using the model. */
  beforeAsk(): Promise<void>;
  /** The follow-up context for the question about to be asked, or null for a new question. */
  followUp(): FollowUpContext | null;
  /** After a question or an SQL run finished. */
  answered(e: AnswerEvent): void;
}

/** Stored database source: what to reopen after a reload (with its URL when it came from one). */
type SavedDb = { kind: 'demo' } | (DbSource & { url?: string });

class AppState {
  settings = $state<Settings>(loadSettings());
  localModels = $state<string[]>([]);
  booted = $state(false);
  bootError = $state<string | null>(null);

  gpu = $state<GpuCaps | null>(null);
  isolated = $state(false);

  db = $state<DbInfo | null>(null);
  dbError = $state<string | null>(null);
  dbIsDemo = $state(false);

  corpus = $state.raw<Corpus | null>(null);
  corpusIssues = $state.raw<RowIssue[]>([]);
  corpusFormat = $state('');
  corpusError = $state<string | null>(null);

  embedder = $state<{ id: string; dim: number; dtype: string; device: string } | null>(null);
  embedStatus = $state<Status>('idle');
  embedError = $state<string | null>(null);

  index = $state<{ record: IndexRecord; origin: 'restored' | 'built'; loadMs: number } | null>(null);
  /** Second index over masked questions, for the masked / vote / draft-rerank strategies. */
  maskedIndex = $state<{ record: IndexRecord; origin: 'restored' | 'built' } | null>(null);
  maskedStatus = $state<Status>('idle');
  /** The trained query adapter for the current embedder, if any. */
  adapter = $state.raw<(LinearAdapter & { meta: AdapterMeta }) | null>(null);
  adapterJson = $state.raw<string | null>(null);
  private retrieval: Retrieval | null = null;
  private retrievalCorpus: Corpus | null = null;
  indexStatus = $state<Status>('idle');
  indexError = $state<string | null>(null);
  indexNote = $state<string | null>(null);
  /** Increments each time the corpus is embedded in this page (the e2e test checks a reload does not). */
  embedRuns = $state(0);

  generator = $state<{ id: string; engine: string; format: string; device: string } | null>(null);
  genStatus = $state<Status>('idle');
  genError = $state<string | null>(null);
  webllmPlan = $state<WebLlmChoice | null>(null);
  webllmPlanError = $state<string | null>(null);
  pendingDownload = $state<{ label: string; sizeMB: number; go: () => Promise<void> } | null>(null);

  jobs = $state<Record<string, Job>>({});

  /** Where the current database and corpus came from, for share links (null = a local file). */
  dbOrigin = $state<ShareState['db'] | null>(null);
  corpusOrigin = $state<ShareState['corpus'] | null>(null);
  shareErrors = $state<string[]>([]);
  shareUrl = $state('');
  /** A shared question waiting to run once the models are ready. */
  private pendingShareRun = false;

  // the current question
  question = $state('');
  running = $state(false);
  retrieved = $state.raw<RetrievedExample[]>([]);
  retrieveMs = $state<{ embed: number; search: number } | null>(null);
  prompt = $state<BuiltPrompt | null>(null);
  stream = $state('');
  sqlText = $state('');
  generation = $state<GenerateResult | null>(null);
  result = $state.raw<QueryResult | null>(null);
  error = $state<{ stage: string; message: string } | null>(null);
  private askAbort: AbortController | null = null;
  /** Set by the conversation (follow-ups, history, explanations). */
  hooks: AnswerHooks | null = null;

  private store: Promise<IndexStore> = IndexStore.open();

  // ------------------------------------------------------------------ settings and models

  update(patch: Partial<Settings>): void {
    this.settings = { ...this.settings, ...patch };
    saveSettings(this.settings);
  }

  modelConfig(): BrowserModelConfig {
    const s = this.settings;
    const useLocal = s.modelSource === 'local' || (s.modelSource === 'auto' && this.localModels.length > 0);
    return {
      // A same-origin path, not an absolute URL: transformers.js only probes local files for
      // paths (an http(s) localModelPath is skipped when it checks which files exist).
      localModelBase: useLocal ? new URL(s.localBase, location.href).pathname : null,
      allowRemoteModels: s.modelSource !== 'local',
      numThreads: 0,
    };
  }

  /** Models the user can pick: Hub models, plus local-only ones the local base serves. */
  embedderChoices() {
    return EMBEDDERS.filter((e) => !e.localOnly || this.localModels.includes(e.id));
  }
  cpuChoices() {
    return CPU_GENERATORS.filter((g) => !g.localOnly || this.localModels.includes(g.id));
  }
  webllmChoices() {
    return WEBLLM_MODELS;
  }

  effectiveEmbedderId(): string {
    return this.settings.embedderId || chooseDefaults(this.localModels).embedder;
  }
  effectiveCpuModelId(): string {
    return this.settings.cpuModelId || chooseDefaults(this.localModels).cpuGenerator;
  }
  /** The engine actually used: WebLLM needs a real (non-fallback) WebGPU adapter. */
  effectiveEngine(): 'webllm' | 'cpu' {
    const s = this.settings.engine;
    if (s === 'cpu') return 'cpu';
    if (s === 'webllm') return 'webllm';
    return this.gpu?.available && !this.gpu.isFallback ? 'webllm' : 'cpu';
  }

  private startJob(key: string, label: string, cancel?: () => void): (p: Progress) => void {
    this.jobs = { ...this.jobs, [key]: { label, progress: null, cancel } };
    return (p) => {
      if (this.jobs[key]) this.jobs = { ...this.jobs, [key]: { ...this.jobs[key], progress: p } };
    };
  }
  private endJob(key: string): void {
    const { [key]: _, ...rest } = this.jobs;
    this.jobs = rest;
  }

  // ------------------------------------------------------------------ boot

  async boot(): Promise<void> {
    this.isolated = globalThis.crossOriginIsolated === true;
    try {
      const share = decodeShare(location.search);
      this.shareErrors = share.errors;
      if (share.present) this.applyShareSettings(share.state);
      await this.discoverLocalModels();
      this.gpu = await llmWorker.api.probe();
      await Promise.all([
        share.state.db ? this.openShareDb(share.state.db) : this.restoreDatabase(),
        share.state.corpus ? this.openShareCorpus(share.state.corpus) : this.restoreCorpus(),
      ]);
      this.booted = true;
      await Promise.all([this.loadEmbedderAndIndex(), this.loadGenerator()]);
      await this.runPendingShare();
    } catch (e) {
      this.bootError = errorMessage(e);
      this.booted = true;
    }
  }

  private applyShareSettings(st: ShareState): void {
    const patch: Partial<Settings> = {};
    if (st.embedder) patch.embedderId = st.embedder;
    if (st.k != null) patch.k = st.k;
    if (st.generator?.engine === 'cpu') Object.assign(patch, { engine: 'cpu', cpuModelId: st.generator.id });
    if (st.generator?.engine === 'webllm')
      Object.assign(patch, { engine: 'webllm', webllmFamily: st.generator.family });
    if (Object.keys(patch).length) this.update(patch);
    if (st.adapter)
      this.shareErrors = [
        ...this.shareErrors,
        'this link asks for a query adapter, but none is trained in this browser yet; running without it',
      ];
    if (st.question) {
      this.question = st.question;
      this.pendingShareRun = true;
    }
  }

  private async openShareDb(db: NonNullable<ShareState['db']>): Promise<void> {
    if (db.kind === 'demo') return this.openDemoDatabase();
    await this.openDatabaseUrl(db.url);
    if (!this.db) await this.restoreDatabase();
  }

  private async openShareCorpus(c: NonNullable<ShareState['corpus']>): Promise<void> {
    if (c.kind === 'demo') {
      this.corpus = await demoCorpus();
      this.corpusOrigin = { kind: 'demo' };
      return;
    }
    await this.loadCorpusUrl(c.url, c.tables, false);
    if (!this.corpus) await this.restoreCorpus();
  }

  /** Run a shared question once, when everything it needs is ready. */
  async runPendingShare(): Promise<void> {
    if (!this.pendingShareRun) return;
    if (this.genStatus !== 'ready' || (this.settings.k > 0 && this.indexStatus !== 'ready')) return;
    this.pendingShareRun = false;
    await this.ask();
  }

  /** The link that reproduces the current question and configuration. */
  makeShareLink(): { url: string; notes: string[] } {
    const notes: string[] = [];
    const gen =
      this.effectiveEngine() === 'webllm'
        ? { engine: 'webllm' as const, family: this.settings.webllmFamily }
        : { engine: 'cpu' as const, id: this.effectiveCpuModelId() };
    const st: ShareState = {
      question: this.question.trim() || undefined,
      embedder: this.effectiveEmbedderId(),
      generator: gen,
      k: this.settings.k,
      adapter: false,
    };
    if (this.dbOrigin) st.db = $state.snapshot(this.dbOrigin) as ShareState['db'];
    else notes.push('the database is a local file, which a link cannot carry: the link opens the demo database');
    if (this.corpusOrigin) st.corpus = $state.snapshot(this.corpusOrigin) as ShareState['corpus'];
    else notes.push('the corpus is a local file, which a link cannot carry: the link uses the demo examples');
    const url = `${location.origin}${location.pathname}?${encodeShare(st)}`;
    this.shareUrl = url;
    return { url, notes };
  }

  // ------------------------------------------------------------------ storage

  async listIndexes(): Promise<IndexRecord[]> {
    return indexWorker.api.list();
  }

  async deleteIndex(key: string): Promise<void> {
    await indexWorker.api.delete(key);
    if (this.index?.record.key === key) {
      this.index = null;
      this.indexStatus = 'idle';
      this.indexNote = 'the index in use was deleted; it will be rebuilt when needed (Rebuild index)';
    }
  }

  async listSaved(): Promise<{ key: string; label: string }[]> {
    const store = await this.store;
    const keys = await store.kvKeys();
    const labels: Record<string, string> = {
      'corpus:current': 'Loaded corpus (used after a reload)',
      'db:current': 'Opened database (used after a reload)',
    };
    return keys.map((key) => ({
      key,
      label: labels[key] ?? (key.startsWith('history:') ? `Question history of "${key.slice(8)}"` : key),
    }));
  }

  async deleteSaved(key: string): Promise<void> {
    await (await this.store).deleteKv(key);
  }

  async discoverLocalModels(): Promise<void> {
    if (this.settings.modelSource === 'hub') {
      this.localModels = [];
      return;
    }
    try {
      const r = await fetch(new URL('index.json', new URL(this.settings.localBase, location.href)), {
        cache: 'no-store',
      });
      const j = r.ok ? await r.json() : null;
      this.localModels = Array.isArray(j?.models) ? j.models.map(String) : [];
    } catch {
      this.localModels = [];
    }
  }

  // ------------------------------------------------------------------ database

  private async saveDb(src: SavedDb): Promise<void> {
    try {
      await (await this.store).setKv('db:current', src);
    } catch {
      /* quota: the database still works for this session */
    }
  }

  async restoreDatabase(): Promise<void> {
    const saved = await (await this.store).getKv<SavedDb>('db:current');
    if (saved && saved.kind !== 'demo') {
      try {
        await this.openDatabase(saved, false);
        this.dbOrigin = saved.url ? { kind: 'url', url: saved.url } : null;
        return;
      } catch {
        /* fall back to the demo */
      }
    }
    await this.openDemoDatabase();
  }

  async openDemoDatabase(): Promise<void> {
    await this.openDatabase({ kind: 'sql', sql: await demoDatabaseSql(), name: DEMO_DB_NAME }, false);
    this.dbIsDemo = true;
    this.dbOrigin = { kind: 'demo' };
    await this.saveDb({ kind: 'demo' });
  }

  async openDatabase(src: DbSource & { url?: string }, persist = true): Promise<void> {
    this.dbError = null;
    try {
      const { url: _url, ...plain } = src;
      this.db = await sql.open(plain as DbSource);
      this.dbIsDemo = false;
      this.dbOrigin = src.url ? { kind: 'url', url: src.url } : null;
      if (persist) await this.saveDb(src);
    } catch (e) {
      this.dbError = errorMessage(e);
      throw e;
    }
  }

  async openDatabaseFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await this.openDatabase({ kind: 'bytes', bytes, name: file.name }).catch(() => {});
  }

  async openDatabaseUrl(url: string): Promise<void> {
    this.dbError = null;
    try {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      const bytes = new Uint8Array(await r.arrayBuffer());
      await this.openDatabase({ kind: 'bytes', bytes, name: url.split('/').pop()?.split('?')[0] || url, url });
    } catch (e) {
      this.dbError = errorMessage(e);
    }
  }

  async openDatabaseContext(ddl: string): Promise<void> {
    await this.openDatabase({ kind: 'sql', sql: ddl, name: 'Schema context' }).catch(() => {});
  }

  tables(): TableInfo[] {
    return this.db?.tables ?? [];
  }

  // ------------------------------------------------------------------ corpus

  async restoreCorpus(): Promise<void> {
    const saved = await (await this.store).getKv<Corpus & { origin?: ShareState['corpus'] }>('corpus:current');
    if (saved?.examples?.length) {
      const { origin, ...corpus } = saved;
      this.corpus = corpus;
      this.corpusOrigin = origin ?? null;
      return;
    }
    this.corpus = await demoCorpus();
    this.corpusOrigin = { kind: 'demo' };
  }

  async useDemoCorpus(): Promise<void> {
    this.corpusError = null;
    this.corpusIssues = [];
    this.corpusFormat = 'demo';
    await this.setCorpus(await demoCorpus(), { kind: 'demo' });
  }

  /** Load a corpus from files (a questions file, plus tables.json for Spider). */
  async loadCorpusFiles(files: File[]): Promise<void> {
    this.corpusError = null;
    try {
      const tablesFile = files.find((f) => /tables\.json$/i.test(f.name));
      const main = files.filter((f) => f !== tablesFile);
      if (main.length !== 1)
        throw new Error(
          main.length
            ? 'choose one questions file (plus tables.json for Spider)'
            : 'choose a questions file, not only tables.json',
        );
      const tablesJson = tablesFile ? JSON.parse(await tablesFile.text()) : undefined;
      const f = main[0];
      const data = /\.parquet$/i.test(f.name) ? await f.arrayBuffer() : await f.text();
      await this.acceptCorpus(f.name, data, tablesJson, null);
    } catch (e) {
      // A bad file never replaces the current corpus.
      this.corpusError = errorMessage(e);
    }
  }

  async loadCorpusUrl(url: string, tablesUrl?: string, index = true): Promise<void> {
    this.corpusError = null;
    try {
      const r = await fetch(url);
      if (!r.ok) throw new Error(`HTTP ${r.status} fetching ${url}`);
      const data = /\.parquet(\?|$)/i.test(url) ? await r.arrayBuffer() : await r.text();
      let tablesJson: unknown;
      if (tablesUrl) {
        const t = await fetch(tablesUrl);
        if (!t.ok) throw new Error(`HTTP ${t.status} fetching ${tablesUrl}`);
        tablesJson = await t.json();
      }
      await this.acceptCorpus(
        url.split('/').pop()?.split('?')[0] || url,
        data,
        tablesJson,
        { kind: 'url', url, ...(tablesUrl ? { tables: tablesUrl } : {}) },
        index,
      );
    } catch (e) {
      this.corpusError = errorMessage(e);
    }
  }

  private async acceptCorpus(
    name: string,
    data: ArrayBuffer | string,
    tablesJson: unknown,
    origin: ShareState['corpus'] | null,
    index = true,
  ): Promise<void> {
    const res = await loadCorpusFile(name, data, { tablesJson });
    this.corpusIssues = res.issues;
    this.corpusFormat = res.format;
    if (!res.examples.length) throw new Error(`${name}: no usable rows (${res.issues.length} skipped)`);
    const corpus: Corpus = {
      name: `${name} (${res.examples.length.toLocaleString('en-US')})`,
      hash: corpusHash(res.examples),
      examples: res.examples,
      schemas: res.schemas,
    };
    await this.setCorpus(corpus, origin, index);
  }

  private async setCorpus(corpus: Corpus, origin: ShareState['corpus'] | null, index = true): Promise<void> {
    this.corpus = corpus;
    this.corpusOrigin = origin;
    try {
      const store = await this.store;
      if (corpus.name === DEMO_CORPUS_NAME) await store.deleteKv('corpus:current');
      else await store.setKv('corpus:current', { ...corpus, origin: origin ?? undefined });
    } catch (e) {
      this.corpusError = `the corpus is loaded but could not be saved for the next visit: ${errorMessage(e)}`;
    }
    if (index && this.embedder) await this.ensureIndex();
  }

  // ------------------------------------------------------------------ embedding + index

  async loadEmbedderAndIndex(): Promise<void> {
    await this.loadEmbedder();
    await this.restoreAdapter();
    if (this.embedder) await this.ensureIndex();
  }

  async loadEmbedder(): Promise<void> {
    const id = this.effectiveEmbedderId();
    const spec = findEmbedder(id);
    if (!spec) {
      this.embedError = `unknown embedder ${id}`;
      this.embedStatus = 'error';
      return;
    }
    const dtype = (this.settings.embedDtype || spec.defaultDtype) as Dtype;
    const want = this.settings.embedDevice;
    const device = want === 'auto' ? (this.gpu?.available && !this.gpu.isFallback ? 'webgpu' : 'wasm') : want;
    this.embedStatus = 'loading';
    this.embedError = null;
    const onP = this.startJob('embedder', `Loading embedder ${id}`);
    try {
      this.embedder = await embedWorker.api.load(this.modelConfig(), id, dtype, device, progressProxy(onP));
      this.embedStatus = 'ready';
    } catch (first) {
      let e = first;
      if (device === 'webgpu') {
        // WebGPU failed (no adapter features, driver issue): fall back to WASM.
        try {
          this.embedder = await embedWorker.api.load(this.modelConfig(), id, dtype, 'wasm', progressProxy(onP));
          this.embedStatus = 'ready';
          this.embedError = `WebGPU failed (${errorMessage(e)}); using WASM`;
          return;
        } catch (e2) {
          e = e2;
        }
      }
      this.embedder = null;
      this.embedStatus = 'error';
      this.embedError = errorMessage(e);
    } finally {
      this.endJob('embedder');
    }
  }

  indexMeta(): IndexMeta | null {
    if (!this.corpus || !this.embedder) return null;
    return {
      slot: this.corpus.name,
      embedderId: this.embedder.id,
      dtype: this.embedder.dtype,
      dim: this.embedder.dim,
      corpusHash: this.corpus.hash,
      count: this.corpus.examples.length,
      kind: this.settings.indexKind,
      textMode: this.settings.textMode,
    };
  }

  /** Reuse the stored index if it matches; rebuild it when missing or stale. */
  async ensureIndex(): Promise<void> {
    const meta = this.indexMeta();
    if (!meta) return;
    this.indexError = null;
    this.indexNote = null;
    try {
      const r = await indexWorker.api.restore(meta);
      if (r.status === 'restored') {
        this.index = { record: r.record, origin: 'restored', loadMs: r.loadMs };
        this.indexStatus = 'ready';
        await this.ensureMaskedIndex();
        void this.runPendingShare();
        return;
      }
      if (r.status === 'stale') this.indexNote = `stored index is stale: ${r.reasons.join(', ')}; rebuilding`;
    } catch (e) {
      this.indexNote = `could not read the stored index (${errorMessage(e)}); rebuilding`;
    }
    await this.buildIndex();
  }

  setAdapter(adapter: (LinearAdapter & { meta: AdapterMeta }) | null, json: string | null): void {
    this.adapter = adapter;
    this.adapterJson = json;
    this.retrieval = null;
  }

  /** Load the stored adapter of the current embedder (if any). */
  async restoreAdapter(): Promise<void> {
    const emb = this.embedder;
    this.setAdapter(null, null);
    if (!emb) return;
    const json = await (await this.store).getKv<string>(`adapter:${emb.id}`);
    if (!json) return;
    try {
      const a = loadAdapterJson(json);
      if (a.dim === emb.dim) this.setAdapter(a, json);
    } catch (e) {
      this.embedError = `the stored adapter could not be read (${errorMessage(e)}); it is ignored`;
    }
  }

  adapterActive(): boolean {
    return !!this.adapter && this.settings.adapterOn;
  }

  setAdapterOn(on: boolean): void {
    this.update({ adapterOn: on });
    this.retrieval = null;
  }

  /** Does the chosen strategy need the masked-question index (and is it missing)? */
  needsMasked(): boolean {
    try {
      return needsMaskedIndex(this.settings.retriever);
    } catch {
      return false;
    }
  }

  private maskedMeta(): IndexMeta | null {
    const m = this.indexMeta();
    return m ? { ...m, slot: `${m.slot}#masked`, textMode: 'masked-question' } : null;
  }

  /** Restore or build the masked-question index when the strategy needs it. */
  async ensureMaskedIndex(): Promise<void> {
    const meta = this.maskedMeta();
    if (!meta || !this.corpus || !this.needsMasked()) return;
    try {
      const r = await indexWorker.api.restore(meta);
      if (r.status === 'restored') {
        this.maskedIndex = { record: r.record, origin: 'restored' };
        this.maskedStatus = 'ready';
        this.retrieval = null;
        return;
      }
    } catch {
      /* rebuild below */
    }
    this.maskedStatus = 'loading';
    try {
      await this.indexJob(
        'masked',
        'Indexing masked questions',
        this.corpus,
        meta,
        'masked-question',
        async (record) => {
          this.maskedIndex = { record, origin: 'built' };
          this.maskedStatus = 'ready';
          this.retrieval = null;
        },
      );
    } catch (e) {
      this.maskedStatus = 'error';
      this.indexNote = isCancelled(e)
        ? `masked index cancelled: the "${this.settings.retriever}" strategy falls back to the plain question index`
        : `masked index failed (${errorMessage(e)}): the "${this.settings.retriever}" strategy falls back to the plain question index`;
    }
  }

  /**
   * Embed a corpus as `textMode` and build its index, as a cancellable job with progress. The
   * job stays listed until `onBuilt` has run, so follow-up work (the masked index) shows no gap.
   */
  private async indexJob(
    key: string,
    label: string,
    corpus: Corpus,
    meta: IndexMeta,
    textMode: TextMode,
    onBuilt: (r: IndexRecord) => Promise<void>,
  ): Promise<void> {
    const ac = new AbortController();
    const onP = this.startJob(key, label, () => ac.abort());
    this.embedRuns++;
    const batch = this.embedder?.device === 'webgpu' ? 64 : 32;
    try {
      const record = await indexCorpus(
        {
          embedDocs: (texts) => embedWorker.api.embed(texts, 'doc', batch),
          build: (m, v, ms) => indexWorker.api.build(m, transfer(v, [v.buffer]), ms),
        },
        { corpus, meta, textMode, batchSize: batch, signal: ac.signal, onProgress: onP },
      );
      await onBuilt(record);
    } finally {
      this.endJob(key);
    }
  }

  /** The retrieval strategies over the current corpus (built lazily, per corpus). */
  retrievalFor(corpus: Corpus): Retrieval {
    if (this.retrieval && this.retrievalCorpus === corpus) return this.retrieval;
    this.retrieval = this.makeRetrieval(corpus, this.settings.adapterOn);
    this.retrievalCorpus = corpus;
    return this.retrieval;
  }

  /**
   * A Retrieval over the workers' indexes; the adapter (if on) decorates the query embedder of the
   * plain-question index only (documents and the masked index are untouched).
   */
  makeRetrieval(corpus: Corpus, useAdapter: boolean): Retrieval {
    const info = this.embedder ? $state.snapshot(this.embedder) : null;
    const queries = new WorkerEmbedder(embedWorker.api, info);
    const adapter = useAdapter && info ? this.adapter : null;
    const index = new WorkerIndexService(indexWorker.api);
    const maskedSlot = this.maskedMeta()?.slot;
    return new Retrieval({
      corpus,
      dense: { embedder: adapter ? withQueryAdapter(queries, adapter) : queries, index },
      ...(this.maskedStatus === 'ready' && maskedSlot
        ? { maskedDense: { embedder: queries, index, slot: maskedSlot } }
        : {}),
    });
  }

  async setRetriever(name: string): Promise<void> {
    parseRetriever(name);
    this.update({ retriever: name });
    this.retrieval = null;
    await this.ensureMaskedIndex();
    this.retrieval = null;
  }

  async buildIndex(): Promise<void> {
    const meta = this.indexMeta();
    if (!meta || !this.corpus) return;
    this.indexStatus = 'loading';
    this.indexError = null;
    try {
      await this.indexJob(
        'index',
        `Indexing ${this.corpus.name}`,
        this.corpus,
        meta,
        this.settings.textMode,
        async (record) => {
          this.index = { record, origin: 'built', loadMs: 0 };
          this.indexStatus = 'ready';
          await this.ensureMaskedIndex();
          void this.runPendingShare();
        },
      );
    } catch (e) {
      if (isCancelled(e)) {
        this.indexNote = 'indexing cancelled; the previous index (if any) is unchanged';
        this.indexStatus = this.index ? 'ready' : 'idle';
      } else {
        this.indexError = errorMessage(e);
        this.indexStatus = this.index ? 'ready' : 'error';
      }
    }
  }

  // ------------------------------------------------------------------ generation

  async planWebLlm(): Promise<void> {
    this.webllmPlanError = null;
    try {
      this.webllmPlan = await llmWorker.api.planWebLlm(this.settings.webllmFamily);
    } catch (e) {
      this.webllmPlan = null;
      this.webllmPlanError = errorMessage(e);
    }
  }

  /** Load the generator; downloads over the auto-download size wait for the user's go-ahead. */
  async loadGenerator(confirmed = false): Promise<void> {
    this.genError = null;
    this.pendingDownload = null;
    if (this.effectiveEngine() === 'webllm') {
      await this.planWebLlm();
      const plan = this.webllmPlan;
      if (!plan) {
        this.genError = `${this.webllmPlanError}; using the CPU engine`;
        return this.loadCpuGenerator(confirmed);
      }
      if (!confirmed) {
        this.genStatus = 'needs-confirm';
        const warn = await quotaWarning(plan.downloadMB);
        this.pendingDownload = {
          label: `${plan.modelId}: about ${(plan.downloadMB / 1000).toFixed(1)} GB download, ${(plan.vramMB / 1000).toFixed(1)} GB of GPU memory (${plan.why})${warn ? '. ' + warn : ''}`,
          sizeMB: plan.downloadMB,
          go: () => this.loadGenerator(true),
        };
        return;
      }
      const family = this.settings.webllmFamily;
      return this.generatorJob(plan.modelId, (onP) => llmWorker.api.loadWebLlm(family, onP));
    }
    return this.loadCpuGenerator(confirmed);
  }

  async loadCpuGenerator(confirmed = false): Promise<void> {
    const id = this.effectiveCpuModelId();
    const spec = findCpuGenerator(id);
    if (!spec) {
      this.genStatus = 'error';
      this.genError = `unknown CPU model ${id}`;
      return;
    }
    if (!confirmed && !this.localModels.includes(id) && spec.sizeMB > this.settings.autoDownloadMB) {
      this.genStatus = 'needs-confirm';
      const warn = await quotaWarning(spec.sizeMB);
      this.pendingDownload = {
        label: `${spec.label}: about ${spec.sizeMB} MB download${warn ? '. ' + warn : ''}`,
        sizeMB: spec.sizeMB,
        go: () => this.loadCpuGenerator(true),
      };
      return;
    }
    this.pendingDownload = null;
    const dtype = (this.settings.cpuDtype || spec.defaultDtype) as Dtype;
    return this.generatorJob(id, (onP) => llmWorker.api.loadCpu(this.modelConfig(), id, dtype, onP));
  }

  /** Load a generator in the LLM worker as a cancellable job with progress. */
  private async generatorJob(
    label: string,
    load: (onProgress: ProgressFn) => Promise<NonNullable<AppState['generator']>>,
  ): Promise<void> {
    this.genStatus = 'loading';
    const onP = this.startJob('generator', `Loading ${label}`, () => void llmWorker.api.cancelLoad());
    try {
      this.generator = await load(progressProxy(onP));
      this.genStatus = 'ready';
      void this.runPendingShare();
    } catch (e) {
      this.genStatus = 'error';
      this.genError = errorMessage(e);
    } finally {
      this.endJob('generator');
    }
  }

  // ------------------------------------------------------------------ ask

  canAsk(): boolean {
    return (
      !this.running &&
      this.genStatus === 'ready' &&
      !!this.db &&
      this.question.trim().length > 0 &&
      (this.settings.k === 0 || this.indexStatus === 'ready')
    );
  }

  async ask(): Promise<void> {
    if (!this.canAsk() || !this.generator) return;
    const ac = new AbortController();
    this.askAbort = ac;
    this.running = true;
    this.retrieved = [];
    this.retrieveMs = null;
    this.prompt = null;
    this.stream = '';
    this.sqlText = '';
    this.generation = null;
    this.result = null;
    this.error = null;
    const format = this.generator.format as 'tiny-sql';
    const question = this.question;
    let followUp: FollowUpContext | null = null;
    try {
      await this.hooks?.beforeAsk();
      followUp = this.hooks?.followUp() ?? null;
      const fu = followUp;
      await ask(
        {
          retriever: this.corpus
            ? this.retrievalFor(this.corpus).retriever(this.settings.retriever as RetrieverName)
            : null,
          buildPrompt: (input) =>
            fu
              ? llmWorker.api.buildFollowUpPrompt(
                  {
                    tables: input.tables,
                    examples: input.examples,
                    previous: fu.previous,
                    question,
                    standalone: fu.standalone,
                  },
                  this.settings.maxNewTokens,
                )
              : llmWorker.api.buildPrompt(input, this.settings.maxNewTokens),
          generate: async (p, onToken, signal) => {
            const stop = () => void llmWorker.api.interrupt();
            signal?.addEventListener('abort', stop);
            try {
              return await llmWorker.api.generate(p, this.settings.maxNewTokens, tokenProxy(onToken));
            } finally {
              signal?.removeEventListener('abort', stop);
            }
          },
          exec: (s, signal) => sql.exec(s, { timeoutMs: this.settings.timeoutMs, signal }),
        },
        {
          question: fu ? fu.standalone : question,
          k: this.settings.k,
          corpus: this.corpus,
          tables: $state.snapshot(this.tables()) as TableInfo[],
          format,
          signal: ac.signal,
        },
        (ev) => {
          switch (ev.type) {
            case 'retrieved':
              this.retrieved = ev.examples;
              this.retrieveMs = { embed: ev.embedMs, search: ev.searchMs };
              break;
            case 'prompt':
              this.prompt = ev.prompt;
              break;
            case 'token':
              this.stream += ev.piece;
              break;
            case 'sql':
              this.sqlText = ev.sql;
              this.generation = ev.generation;
              break;
            case 'result':
              this.result = ev.result;
              break;
            case 'error':
              this.error = { stage: ev.stage, message: ev.message };
              break;
          }
        },
      );
    } catch (e) {
      this.error = {
        stage: 'question',
        message: e instanceof CancelledError || isCancelled(e) ? 'stopped' : errorMessage(e),
      };
    } finally {
      this.running = false;
      this.askAbort = null;
      this.notify(followUp ? 'followup' : 'ask', question, followUp);
    }
  }

  private notify(kind: AnswerEvent['kind'], question: string, followUp: FollowUpContext | null): void {
    const p = this.prompt;
    try {
      this.hooks?.answered({
        kind,
        question,
        followUp,
        sql: this.sqlText,
        result: this.result,
        error: this.error ? { stage: this.error.stage, message: this.error.message } : null,
        prompt: p ? { format: p.format, text: p.text, examplesUsed: p.examplesUsed } : null,
      });
    } catch (e) {
      console.error('answer hook failed', e);
    }
  }

  stop(): void {
    this.askAbort?.abort();
  }

  /** Run SQL typed by the user against the current database ('edit': the current answer's SQL, edited). */
  async runSql(text: string, kind: 'sql' | 'edit' = 'sql'): Promise<void> {
    this.running = true;
    this.error = null;
    this.result = null;
    this.sqlText = text;
    try {
      this.result = await sql.exec(text, { timeoutMs: this.settings.timeoutMs });
    } catch (e) {
      this.error = { stage: 'execute', message: errorMessage(e) };
    } finally {
      this.running = false;
      this.notify(kind, '', null);
    }
  }
}

export const app = new AppState();
