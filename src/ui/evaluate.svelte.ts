/**
 * The Evaluate page: EM / EX / skeleton match with and without RAG, in the browser, with the same
 * runner as `npm run eval`. Runs in the workers (a separate SQL worker, so the Ask page keeps its
 * database), reports progress, can be cancelled, and resumes after a reload from IndexedDB.
 */
import type { AppState } from './app.svelte.ts';
import type { OpenKv, UiServices } from './state/ports.ts';
import { runEval, type EvalItem } from '../lib/eval/runner.ts';
import type { EvalExample, EvalRun } from '../lib/eval/report.ts';
import { summarizeRun } from '../lib/eval/report.ts';
import { sampleIndices } from '../lib/eval/stats.ts';
import { parseSpiderQuestions } from '../lib/corpus/spider.ts';
import { evalRunsCsv } from './eval-export.ts';
import { errorMessage, isCancelled } from '../lib/errors.ts';
import type { Progress, RowIssue } from '../lib/types.ts';
import type { SqlClient } from '../lib/sql/client.ts';
import type {
  EvalConfig,
  StoredEvalDataset as EvalDataset,
  StoredEvalProgress as SavedProgress,
} from '../lib/eval/stored.ts';

export type { EvalConfig, StoredEvalDataset as EvalDataset } from '../lib/eval/stored.ts';

const DATASET_KEY = 'eval:dataset';
const PROGRESS_KEY = 'eval:progress';

export class EvalState {
  #dataset = $state.raw<EvalDataset | null>(null);
  #datasetError = $state<string | null>(null);
  #datasetIssues = $state.raw<RowIssue[]>([]);
  // the form's inputs (bound in EvaluatePanel)
  ks = $state<number[]>([0, 3]);
  limit = $state(20);
  /** Also answer every question with the voted candidate pool (the Ask page's settings), beside greedy. */
  vote = $state(false);
  seed = $state(1);
  #running = $state(false);
  #progress = $state<Progress | null>(null);
  #error = $state<string | null>(null);
  #runs = $state.raw<EvalRun[]>([]);
  #config = $state.raw<EvalConfig | null>(null);
  #resumable = $state<{ done: number; total: number } | null>(null);
  #wallMs = $state(0);
  /** Apply the trained query adapter during this evaluation. */
  useAdapter = $state(false);

  private abort: AbortController | null = null;
  private sql: SqlClient | null = null;
  private readonly app: AppState;
  private readonly services: UiServices;
  private readonly kv: OpenKv;

  constructor(deps: { app: AppState; services: UiServices; kv: OpenKv }) {
    this.app = deps.app;
    this.services = deps.services;
    this.kv = deps.kv;
  }
  get dataset(): EvalDataset | null {
    return this.#dataset;
  }
  get datasetError(): string | null {
    return this.#datasetError;
  }
  get datasetIssues(): RowIssue[] {
    return this.#datasetIssues;
  }
  get running(): boolean {
    return this.#running;
  }
  get progress(): Progress | null {
    return this.#progress;
  }
  get error(): string | null {
    return this.#error;
  }
  get runs(): EvalRun[] {
    return this.#runs;
  }
  get config(): EvalConfig | null {
    return this.#config;
  }
  get resumable(): { done: number; total: number } | null {
    return this.#resumable;
  }
  get wallMs(): number {
    return this.#wallMs;
  }

  /** On page load: restore a saved dataset and any unfinished or finished run. */
  private restored = false;

  async restore(): Promise<void> {
    if (this.restored) return;
    this.restored = true;
    const store = await this.kv();
    const ds = await store.getKv(DATASET_KEY);
    if (ds) this.#dataset = ds;
    const p = await store.getKv(PROGRESS_KEY);
    if (!p) return;
    this.#config = p.config;
    this.ks = p.config.ks;
    this.limit = p.config.limit;
    this.seed = p.config.seed;
    this.#wallMs = p.wallMs;
    this.#runs = p.done.map((d) =>
      summarizeRun(
        d.k,
        p.items.map((i) => d.examples.find((e) => e.id === i.id)).filter((e): e is EvalExample => !!e),
        p.config.textMode,
      ),
    );
    const done = p.done.reduce((s, d) => s + d.examples.length, 0);
    if (!p.finished) this.#resumable = { done, total: p.items.length * p.config.ks.length };
  }

  /** Spider layout: a questions file (dev.json-style), and the .sqlite files of its databases. */
  async loadSpiderFiles(files: File[]): Promise<void> {
    this.#datasetError = null;
    try {
      const sqlite = files.filter((f) => /\.(sqlite3?|db)$/i.test(f.name));
      const questions = files.filter((f) => /\.json$/i.test(f.name) && !/tables\.json$/i.test(f.name));
      if (questions.length !== 1)
        throw new Error('choose one questions file (like dev.json) and the .sqlite files of its databases');
      const res = parseSpiderQuestions(JSON.parse(await questions[0].text()), { idPrefix: 'spider-dev' });
      this.#datasetIssues = res.issues;
      const dbs: Record<string, Uint8Array> = {};
      for (const f of sqlite) dbs[f.name.replace(/\.(sqlite3?|db)$/i, '')] = new Uint8Array(await f.arrayBuffer());
      const items = res.examples.map((e) => ({ id: e.id, dbId: e.dbId ?? '', question: e.question, gold: e.sql }));
      const missing = [...new Set(items.map((i) => i.dbId))].filter((d) => !dbs[d]);
      const usable = items.filter((i) => dbs[i.dbId]);
      if (!usable.length)
        throw new Error(
          `none of the questions' databases were given (${missing.slice(0, 5).join(', ')}…): add their .sqlite files`,
        );
      if (missing.length)
        this.#datasetIssues = [
          ...res.issues,
          { row: 0, reason: `no .sqlite file for ${missing.join(', ')}: their questions are left out` },
        ];
      await this.setDataset({
        name: `${questions[0].name} (${usable.length})`,
        kind: 'spider',
        items: usable,
        dbs,
        contexts: {},
      });
    } catch (e) {
      this.#datasetError = errorMessage(e);
    }
  }

  /** gretel format: each example's sql_context builds its own database. */
  async loadGretelFile(file: File): Promise<void> {
    this.#datasetError = null;
    try {
      const data = await file.arrayBuffer();
      // Parsed in the corpus worker in the page; else here, with the parsers loaded when a file is
      // first chosen, not with the page.
      const open = this.services.openCorpus ?? (await import('../lib/corpus/open.ts')).openCorpusFile;
      const res = await open({ name: file.name, data });
      this.#datasetIssues = res.issues;
      const items: EvalItem[] = [];
      const contexts: Record<string, string> = {};
      for (const e of res.corpus?.examples ?? []) {
        if (!e.schema) continue;
        items.push({ id: e.id, dbId: e.id, question: e.question, gold: e.sql });
        contexts[e.id] = e.schema;
      }
      if (!items.length) throw new Error(`${file.name}: no example has a sql_context to build its database from`);
      await this.setDataset({ name: `${file.name} (${items.length})`, kind: 'gretel', items, dbs: {}, contexts });
    } catch (e) {
      this.#datasetError = errorMessage(e);
    }
  }

  /**
   * The user's confirmed questions on the open database ("My examples") as the dataset, their
   * confirmed SQL as gold: EX of the current setup on the user's own database. Retrieval in the
   * run searches the loaded corpus only, so no question is answered by looking up its own answer.
   */
  async useMyExamples(): Promise<void> {
    this.#datasetError = null;
    this.#datasetIssues = [];
    const { mine, database } = this.app;
    const src = database.source;
    if (!src || !mine.examples.length) {
      this.#datasetError = 'no confirmed examples on the open database yet (mark answers Correct on the Ask page)';
      return;
    }
    const dbId = 'my-database';
    const items: EvalItem[] = mine.examples.map((e) => ({ id: e.id, dbId, question: e.question, gold: e.sql }));
    const name = `${mine.corpus.name} (${items.length})`;
    await this.setDataset(
      src.kind === 'bytes'
        ? { name, kind: 'spider', items, dbs: { [dbId]: src.bytes }, contexts: {} }
        : { name, kind: 'gretel', items, dbs: {}, contexts: { [dbId]: src.sql } },
    );
  }

  private async setDataset(ds: EvalDataset): Promise<void> {
    this.#dataset = ds;
    try {
      await (await this.kv()).setKv(DATASET_KEY, ds);
    } catch (e) {
      this.#datasetError = `loaded, but could not be saved for resuming after a reload: ${errorMessage(e)}`;
    }
  }

  toggleK(k: number): void {
    this.ks = this.ks.includes(k) ? this.ks.filter((x) => x !== k) : [...this.ks, k].sort((a, b) => a - b);
  }

  sample(ds: EvalDataset, limit: number, seed: number): EvalItem[] {
    if (limit <= 0 || limit >= ds.items.length) return ds.items;
    return sampleIndices(ds.items.length, limit, seed).map((i) => ds.items[i]);
  }

  canRun(): boolean {
    return (
      !this.#running &&
      !!this.#dataset &&
      this.ks.length > 0 &&
      this.app.generator.ready &&
      (!this.ks.some((k) => k > 0) || this.app.indexes.status === 'ready')
    );
  }

  async run(resume = false): Promise<void> {
    const ds = this.#dataset;
    const { app } = this;
    const llm = this.services.generator;
    const generator = app.generator.info;
    if (!ds || !generator || this.#running) return;
    const store = await this.kv();
    let saved = resume ? await store.getKv(PROGRESS_KEY) : undefined;
    const config: EvalConfig = saved?.config ?? {
      ks: [...this.ks],
      limit: this.limit,
      seed: this.seed,
      dataset: ds.name,
      generator: generator.id,
      format: generator.format,
      embedder: app.embedder.info?.id ?? '',
      corpus: app.corpus.current?.name ?? '',
      textMode: app.settings.value.textMode,
      adapter: this.useAdapter && !!app.adapter.current,
      retriever: app.settings.value.retriever,
      startedAt: new Date().toISOString(),
      ...(this.vote ? { candidates: app.answer.candidateCount } : {}),
    };
    const items = saved?.items ?? this.sample(ds, config.limit, config.seed);
    if (
      saved &&
      (saved.config.generator !== generator.id || saved.config.corpus !== (app.corpus.current?.name ?? ''))
    ) {
      this.#error = `the saved run used ${saved.config.generator} with corpus "${saved.config.corpus}"; load those again to resume, or start a new run`;
      return;
    }
    const done = new Map<number, EvalExample[]>(
      config.ks.map((k) => [k, saved?.done.find((d) => d.k === k)?.examples.slice() ?? []]),
    );
    // Time of earlier sessions of this run (resume); this session's time is added to it, once.
    const priorMs = saved?.wallMs ?? 0;
    let wallMs = priorMs;
    const progress: SavedProgress = { config, items, done: [], finished: false, wallMs };
    const persist = async () => {
      progress.done = [...done].map(([k, examples]) => ({ k, examples }));
      progress.wallMs = wallMs;
      try {
        await store.setKv(PROGRESS_KEY, progress);
      } catch {
        /* a full quota must not stop the evaluation; resume just starts earlier */
      }
    };
    await persist();
    saved = undefined;

    this.#config = config;
    this.#running = true;
    this.#error = null;
    this.#resumable = null;
    this.abort = new AbortController();
    this.sql ??= this.services.newSql(app.settings.value.timeoutMs);
    const sql = this.sql;
    const corpus = app.corpus.current;
    // Dense is one strategy among the others; the adapter (when the run uses it) decorates the queries.
    const retriever = corpus
      ? app.indexes.makeRetrieval(corpus, config.adapter, false).retriever(config.retriever)
      : null;
    const t0 = performance.now();
    let lastSave = 0;
    try {
      const runs = await runEval(
        {
          retriever,
          buildPrompt: (input) => llm.buildPrompt(input, app.settings.value.maxNewTokens),
          // the generator maps the signal to its interrupt
          generate: (p, onToken, signal, sampling) =>
            llm.generate(p, { maxNewTokens: app.settings.value.maxNewTokens, onToken, signal, ...sampling }),
          openDb: async (dbId) => {
            if (ds.kind === 'spider') {
              const bytes = ds.dbs[dbId];
              if (!bytes) throw new Error(`no .sqlite file for database ${dbId}`);
              return sql.open({ kind: 'bytes', bytes, name: `${dbId}.sqlite` });
            }
            return sql.open({ kind: 'sql', sql: ds.contexts[dbId] ?? '', name: dbId });
          },
          exec: (s) => sql.exec(s, { timeoutMs: app.settings.value.timeoutMs }),
        },
        {
          items,
          ks: config.ks,
          corpus,
          format: generator.format,
          textMode: config.textMode,
          ...(config.candidates
            ? {
                vote: {
                  candidates: config.candidates,
                  repair: app.settings.value.repair,
                  budgetMs: app.settings.value.voteBudgetMs,
                  notSureBelow: app.settings.value.notSureBelow,
                  seed: config.seed,
                },
              }
            : {}),
          done: [...done].map(([k, examples]) => ({ k, examples })),
          signal: this.abort.signal,
          onProgress: (p) => {
            this.#progress = p;
          },
          onExample: (k, e) => {
            done.get(k)!.push(e);
            this.#runs = config.ks.map((kk) => summarizeRun(kk, done.get(kk)!, config.textMode));
            const now = performance.now();
            if (now - lastSave > 1000) {
              lastSave = now;
              wallMs = priorMs + (now - t0);
              void persist();
            }
          },
        },
      );
      this.#runs = runs;
      wallMs = priorMs + (performance.now() - t0);
      this.#wallMs = wallMs;
      progress.finished = true;
      await persist();
    } catch (e) {
      wallMs = priorMs + (performance.now() - t0);
      this.#wallMs = wallMs;
      await persist();
      const total = items.length * config.ks.length;
      const n = [...done.values()].reduce((s, a) => s + a.length, 0);
      this.#resumable = { done: n, total };
      this.#error = isCancelled(e) ? `cancelled after ${n} of ${total}; you can resume` : errorMessage(e);
    } finally {
      this.#running = false;
      this.abort = null;
    }
  }

  cancel(): void {
    this.abort?.abort();
  }

  async clear(): Promise<void> {
    await (await this.kv()).deleteKv(PROGRESS_KEY);
    this.#runs = [];
    this.#config = null;
    this.#resumable = null;
  }

  /** `npm run eval`'s JSON shape: { runs: [...], config: {...} }. */
  exportJson(): string {
    return JSON.stringify(
      {
        runs: this.#runs,
        config: { ...this.#config, wall_ms: Math.round(this.#wallMs), host: 'browser', userAgent: navigator.userAgent },
      },
      null,
      2,
    );
  }

  exportCsv(): string {
    return evalRunsCsv(this.#runs);
  }
}
