/**
 * Application state and actions (Svelte 5 runes). The UI components read this state and call
 * these methods; all heavy work happens in the workers behind src/ui/services.ts.
 */
import { CPU_GENERATORS, EMBEDDERS, WEBLLM_MODELS, chooseDefaults, findCpuGenerator, findEmbedder, type Dtype } from '../lib/config.ts';
import type { BrowserModelConfig } from '../browser/runtime.ts';
import type { Corpus, Progress, QueryResult, RowIssue, TableInfo } from '../lib/types.ts';
import type { DbInfo, DbSource } from '../lib/sql/engine.ts';
import type { IndexMeta, IndexRecord } from '../lib/index/store.ts';
import { IndexStore } from '../lib/index/store.ts';
import type { BuiltPrompt } from '../lib/llm/prompts.ts';
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

export type Status = 'idle' | 'loading' | 'ready' | 'error' | 'needs-confirm';

export interface Job {
  label: string;
  progress: Progress | null;
  cancel?: () => void;
}

/** Stored database source: what to reopen after a reload. */
type SavedDb = { kind: 'demo' } | DbSource;

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
      await this.discoverLocalModels();
      this.gpu = await llmWorker.api.probe();
      await Promise.all([this.restoreDatabase(), this.restoreCorpus()]);
      this.booted = true;
      await Promise.all([this.loadEmbedderAndIndex(), this.loadGenerator()]);
    } catch (e) {
      this.bootError = errorMessage(e);
      this.booted = true;
    }
  }

  async discoverLocalModels(): Promise<void> {
    if (this.settings.modelSource === 'hub') {
      this.localModels = [];
      return;
    }
    try {
      const r = await fetch(new URL('index.json', new URL(this.settings.localBase, location.href)), { cache: 'no-store' });
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
    await this.saveDb({ kind: 'demo' });
  }

  async openDatabase(src: DbSource, persist = true): Promise<void> {
    this.dbError = null;
    try {
      this.db = await sql.open(src);
      this.dbIsDemo = false;
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
      await this.openDatabase({ kind: 'bytes', bytes, name: url.split('/').pop() || url });
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
    const saved = await (await this.store).getKv<Corpus>('corpus:current');
    if (saved?.examples?.length) {
      this.corpus = saved;
      return;
    }
    this.corpus = await demoCorpus();
  }

  async useDemoCorpus(): Promise<void> {
    this.corpusError = null;
    this.corpusIssues = [];
    this.corpusFormat = 'demo';
    await this.setCorpus(await demoCorpus());
  }

  /** Load a corpus from files (a questions file, plus tables.json for Spider). */
  async loadCorpusFiles(files: File[]): Promise<void> {
    this.corpusError = null;
    try {
      const tablesFile = files.find((f) => /tables\.json$/i.test(f.name));
      const main = files.filter((f) => f !== tablesFile);
      if (main.length !== 1) throw new Error(main.length ? 'choose one questions file (plus tables.json for Spider)' : 'choose a questions file, not only tables.json');
      const tablesJson = tablesFile ? JSON.parse(await tablesFile.text()) : undefined;
      const f = main[0];
      const data = /\.parquet$/i.test(f.name) ? await f.arrayBuffer() : await f.text();
      await this.acceptCorpus(f.name, data, tablesJson);
    } catch (e) {
      // A bad file never replaces the current corpus.
      this.corpusError = errorMessage(e);
    }
  }

  async loadCorpusUrl(url: string, tablesUrl?: string): Promise<void> {
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
      await this.acceptCorpus(url.split('/').pop()?.split('?')[0] || url, data, tablesJson);
    } catch (e) {
      this.corpusError = errorMessage(e);
    }
  }

  private async acceptCorpus(name: string, data: ArrayBuffer | string, tablesJson: unknown): Promise<void> {
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
    await this.setCorpus(corpus);
  }

  private async setCorpus(corpus: Corpus): Promise<void> {
    this.corpus = corpus;
    try {
      const store = await this.store;
      if (corpus.name === DEMO_CORPUS_NAME) await store.deleteKv('corpus:current');
      else await store.setKv('corpus:current', $state.snapshot(corpus));
    } catch (e) {
      this.corpusError = `the corpus is loaded but could not be saved for the next visit: ${errorMessage(e)}`;
    }
    if (this.embedder) await this.ensureIndex();
  }

  // ------------------------------------------------------------------ embedding + index

  async loadEmbedderAndIndex(): Promise<void> {
    await this.loadEmbedder();
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
    } catch (e) {
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
        return;
      }
      if (r.status === 'stale') this.indexNote = `stored index is stale: ${r.reasons.join(', ')}; rebuilding`;
    } catch (e) {
      this.indexNote = `could not read the stored index (${errorMessage(e)}); rebuilding`;
    }
    await this.buildIndex();
  }

  async buildIndex(): Promise<void> {
    const meta = this.indexMeta();
    if (!meta || !this.corpus) return;
    const ac = new AbortController();
    const onP = this.startJob('index', `Indexing ${this.corpus.name}`, () => ac.abort());
    this.indexStatus = 'loading';
    this.indexError = null;
    this.embedRuns++;
    const batch = this.embedder?.device === 'webgpu' ? 64 : 32;
    try {
      const record = await indexCorpus({
        embedDocs: (texts) => embedWorker.api.embed(texts, 'doc', batch),
        build: (m, v, ms) => indexWorker.api.build(m, transfer(v, [v.buffer]), ms),
      }, { corpus: this.corpus, meta, textMode: this.settings.textMode, batchSize: batch, signal: ac.signal, onProgress: onP });
      this.index = { record, origin: 'built', loadMs: 0 };
      this.indexStatus = 'ready';
    } catch (e) {
      if (isCancelled(e)) {
        this.indexNote = 'indexing cancelled; the previous index (if any) is unchanged';
        this.indexStatus = this.index ? 'ready' : 'idle';
      } else {
        this.indexError = errorMessage(e);
        this.indexStatus = this.index ? 'ready' : 'error';
      }
    } finally {
      this.endJob('index');
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
        this.pendingDownload = {
          label: `${plan.modelId}: about ${(plan.downloadMB / 1000).toFixed(1)} GB download, ${(plan.vramMB / 1000).toFixed(1)} GB of GPU memory (${plan.why})`,
          sizeMB: plan.downloadMB,
          go: () => this.loadGenerator(true),
        };
        return;
      }
      this.genStatus = 'loading';
      const onP = this.startJob('generator', `Loading ${plan.modelId}`, () => void llmWorker.api.cancelLoad());
      try {
        this.generator = await llmWorker.api.loadWebLlm(this.settings.webllmFamily, progressProxy(onP));
        this.genStatus = 'ready';
      } catch (e) {
        this.genStatus = 'error';
        this.genError = errorMessage(e);
      } finally {
        this.endJob('generator');
      }
      return;
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
      this.pendingDownload = { label: `${spec.label}: about ${spec.sizeMB} MB download`, sizeMB: spec.sizeMB, go: () => this.loadCpuGenerator(true) };
      return;
    }
    this.pendingDownload = null;
    this.genStatus = 'loading';
    const onP = this.startJob('generator', `Loading ${id}`, () => void llmWorker.api.cancelLoad());
    try {
      this.generator = await llmWorker.api.loadCpu(this.modelConfig(), id, (this.settings.cpuDtype || spec.defaultDtype) as Dtype, progressProxy(onP));
      this.genStatus = 'ready';
    } catch (e) {
      this.genStatus = 'error';
      this.genError = errorMessage(e);
    } finally {
      this.endJob('generator');
    }
  }

  // ------------------------------------------------------------------ ask

  canAsk(): boolean {
    return !this.running && this.genStatus === 'ready' && !!this.db && this.question.trim().length > 0 &&
      (this.settings.k === 0 || this.indexStatus === 'ready');
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
    try {
      await ask({
        embedQuery: (q) => embedWorker.api.embed([q], 'query'),
        search: (q, k) => indexWorker.api.search(transfer(q, [q.buffer]), k),
        buildPrompt: (input) => llmWorker.api.buildPrompt(input, this.settings.maxNewTokens),
        generate: async (p, onToken, signal) => {
          const stop = () => void llmWorker.api.interrupt();
          signal?.addEventListener('abort', stop);
          try {
            return await llmWorker.api.generate(p, this.settings.maxNewTokens, tokenProxy(onToken));
          } finally {
            signal?.removeEventListener('abort', stop);
          }
        },
        exec: (s) => sql.exec(s, { timeoutMs: this.settings.timeoutMs }),
      }, {
        question: this.question, k: this.settings.k, corpus: this.corpus, tables: $state.snapshot(this.tables()) as TableInfo[], format, signal: ac.signal,
      }, (ev) => {
        switch (ev.type) {
          case 'retrieved': this.retrieved = ev.examples; this.retrieveMs = { embed: ev.embedMs, search: ev.searchMs }; break;
          case 'prompt': this.prompt = ev.prompt; break;
          case 'token': this.stream += ev.piece; break;
          case 'sql': this.sqlText = ev.sql; this.generation = ev.generation; break;
          case 'result': this.result = ev.result; break;
          case 'error': this.error = { stage: ev.stage, message: ev.message }; break;
        }
      });
    } catch (e) {
      this.error = { stage: 'question', message: e instanceof CancelledError || isCancelled(e) ? 'stopped' : errorMessage(e) };
    } finally {
      this.running = false;
      this.askAbort = null;
    }
  }

  stop(): void {
    this.askAbort?.abort();
  }

  /** Run SQL typed by the user against the current database. */
  async runSql(text: string): Promise<void> {
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
    }
  }
}

export const app = new AppState();
