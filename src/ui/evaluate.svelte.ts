/**
 * The Evaluate page: EM / EX / skeleton match with and without RAG, in the browser, with the same
 * runner as `npm run eval`. Runs in the workers (a separate SQL worker, so the Ask page keeps its
 * database), reports progress, can be cancelled, and resumes after a reload from IndexedDB.
 */
import { app } from './app.svelte.ts';
import { llmWorker, newSqlClient, tokenProxy } from './services.ts';
import { runEval, type EvalItem } from '../lib/eval/runner.ts';
import type { EvalExample, EvalRun } from '../lib/eval/report.ts';
import { summarizeRun } from '../lib/eval/report.ts';
import { sampleIndices } from '../lib/eval/stats.ts';
import { parseSpiderQuestions } from '../lib/corpus/spider.ts';
import { loadCorpusFile } from '../lib/corpus/detect.ts';
import { toCsv } from '../lib/corpus/csv.ts';
import { IndexStore } from '../lib/index/store.ts';
import { errorMessage, isCancelled } from '../lib/errors.ts';
import type { Progress, RowIssue } from '../lib/types.ts';
import type { RetrieverName } from '../lib/retrieve/strategies.ts';
import type { SqlClient } from '../lib/sql/client.ts';

export interface EvalDataset {
  name: string;
  kind: 'spider' | 'gretel';
  items: EvalItem[];
  /** Spider: database bytes by db_id. */
  dbs: Record<string, Uint8Array>;
  /** gretel: the CREATE/INSERT context of each item, by item id (the item's dbId). */
  contexts: Record<string, string>;
}

export interface EvalConfig {
  ks: number[];
  limit: number;
  seed: number;
  dataset: string;
  generator: string;
  format: string;
  embedder: string;
  corpus: string;
  textMode: string;
  adapter: boolean;
  retriever: string;
  startedAt: string;
}

interface SavedProgress {
  config: EvalConfig;
  items: EvalItem[];
  done: { k: number; examples: EvalExample[] }[];
  finished: boolean;
  wallMs: number;
}

const DATASET_KEY = 'eval:dataset';
const PROGRESS_KEY = 'eval:progress';

class EvalState {
  dataset = $state.raw<EvalDataset | null>(null);
  datasetError = $state<string | null>(null);
  datasetIssues = $state.raw<RowIssue[]>([]);
  ks = $state<number[]>([0, 3]);
  limit = $state(20);
  seed = $state(1);
  running = $state(false);
  progress = $state<Progress | null>(null);
  error = $state<string | null>(null);
  runs = $state.raw<EvalRun[]>([]);
  config = $state.raw<EvalConfig | null>(null);
  resumable = $state<{ done: number; total: number } | null>(null);
  wallMs = $state(0);
  /** Apply the trained query adapter during this evaluation. */
  useAdapter = $state(false);

  private abort: AbortController | null = null;
  private store = IndexStore.open();
  private sql: SqlClient | null = null;

  /** On page load: restore a saved dataset and any unfinished or finished run. */
  private restored = false;

  async restore(): Promise<void> {
    if (this.restored) return;
    this.restored = true;
    const store = await this.store;
    const ds = await store.getKv<EvalDataset>(DATASET_KEY);
    if (ds) this.dataset = ds;
    const p = await store.getKv<SavedProgress>(PROGRESS_KEY);
    if (!p) return;
    this.config = p.config;
    this.ks = p.config.ks;
    this.limit = p.config.limit;
    this.seed = p.config.seed;
    this.wallMs = p.wallMs;
    this.runs = p.done.map((d) =>
      summarizeRun(
        d.k,
        p.items.map((i) => d.examples.find((e) => e.id === i.id)).filter((e): e is EvalExample => !!e),
        p.config.textMode,
      ),
    );
    const done = p.done.reduce((s, d) => s + d.examples.length, 0);
    if (!p.finished) this.resumable = { done, total: p.items.length * p.config.ks.length };
  }

  /** Spider layout: a questions file (dev.json-style), and the .sqlite files of its databases. */
  async loadSpiderFiles(files: File[]): Promise<void> {
    this.datasetError = null;
    try {
      const sqlite = files.filter((f) => /\.(sqlite3?|db)$/i.test(f.name));
      const questions = files.filter((f) => /\.json$/i.test(f.name) && !/tables\.json$/i.test(f.name));
      if (questions.length !== 1)
        throw new Error('choose one questions file (like dev.json) and the .sqlite files of its databases');
      const res = parseSpiderQuestions(JSON.parse(await questions[0].text()), { idPrefix: 'spider-dev' });
      this.datasetIssues = res.issues;
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
        this.datasetIssues = [
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
      this.datasetError = errorMessage(e);
    }
  }

  /** gretel format: each example's sql_context builds its own database. */
  async loadGretelFile(file: File): Promise<void> {
    this.datasetError = null;
    try {
      const data = /\.parquet$/i.test(file.name) ? await file.arrayBuffer() : await file.text();
      const res = await loadCorpusFile(file.name, data);
      this.datasetIssues = res.issues;
      const items: EvalItem[] = [];
      const contexts: Record<string, string> = {};
      for (const e of res.examples) {
        if (!e.schema) continue;
        items.push({ id: e.id, dbId: e.id, question: e.question, gold: e.sql });
        contexts[e.id] = e.schema;
      }
      if (!items.length) throw new Error(`${file.name}: no example has a sql_context to build its database from`);
      await this.setDataset({ name: `${file.name} (${items.length})`, kind: 'gretel', items, dbs: {}, contexts });
    } catch (e) {
      this.datasetError = errorMessage(e);
    }
  }

  private async setDataset(ds: EvalDataset): Promise<void> {
    this.dataset = ds;
    try {
      await (await this.store).setKv(DATASET_KEY, ds);
    } catch (e) {
      this.datasetError = `loaded, but could not be saved for resuming after a reload: ${errorMessage(e)}`;
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
      !this.running &&
      !!this.dataset &&
      this.ks.length > 0 &&
      app.genStatus === 'ready' &&
      !!app.generator &&
      (!this.ks.some((k) => k > 0) || app.indexStatus === 'ready')
    );
  }

  async run(resume = false): Promise<void> {
    const ds = this.dataset;
    if (!ds || !app.generator || this.running) return;
    const store = await this.store;
    let saved = resume ? await store.getKv<SavedProgress>(PROGRESS_KEY) : undefined;
    const config: EvalConfig = saved?.config ?? {
      ks: [...this.ks],
      limit: this.limit,
      seed: this.seed,
      dataset: ds.name,
      generator: app.generator.id,
      format: app.generator.format,
      embedder: app.embedder?.id ?? '',
      corpus: app.corpus?.name ?? '',
      textMode: app.settings.textMode,
      adapter: this.useAdapter && !!app.adapter,
      retriever: app.settings.retriever,
      startedAt: new Date().toISOString(),
    };
    const items = saved?.items ?? this.sample(ds, config.limit, config.seed);
    if (saved && (saved.config.generator !== app.generator.id || saved.config.corpus !== (app.corpus?.name ?? ''))) {
      this.error = `the saved run used ${saved.config.generator} with corpus "${saved.config.corpus}"; load those again to resume, or start a new run`;
      return;
    }
    const done = new Map<number, EvalExample[]>(
      config.ks.map((k) => [k, saved?.done.find((d) => d.k === k)?.examples.slice() ?? []]),
    );
    let wallMs = saved?.wallMs ?? 0;
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

    this.config = config;
    this.running = true;
    this.error = null;
    this.resumable = null;
    this.abort = new AbortController();
    this.sql ??= newSqlClient(app.settings.timeoutMs);
    const sql = this.sql;
    const corpus = app.corpus;
    const retriever = corpus
      ? app.makeRetrieval(corpus, config.adapter).retriever((config.retriever || 'dense') as RetrieverName)
      : null;
    const t0 = performance.now();
    let lastSave = 0;
    try {
      const runs = await runEval(
        {
          retriever,
          buildPrompt: (input) => llmWorker.api.buildPrompt(input, app.settings.maxNewTokens),
          generate: async (p, onToken, signal) => {
            const stop = () => void llmWorker.api.interrupt();
            signal?.addEventListener('abort', stop);
            try {
              return await llmWorker.api.generate(p, app.settings.maxNewTokens, tokenProxy(onToken));
            } finally {
              signal?.removeEventListener('abort', stop);
            }
          },
          openDb: async (dbId) => {
            if (ds.kind === 'spider') {
              const bytes = ds.dbs[dbId];
              if (!bytes) throw new Error(`no .sqlite file for database ${dbId}`);
              return sql.open({ kind: 'bytes', bytes, name: `${dbId}.sqlite` });
            }
            return sql.open({ kind: 'sql', sql: ds.contexts[dbId] ?? '', name: dbId });
          },
          exec: (s) => sql.exec(s, { timeoutMs: app.settings.timeoutMs }),
        },
        {
          items,
          ks: config.ks,
          corpus,
          format: app.generator.format as never,
          textMode: config.textMode,
          done: [...done].map(([k, examples]) => ({ k, examples })),
          signal: this.abort.signal,
          onProgress: (p) => {
            this.progress = p;
          },
          onExample: (k, e) => {
            done.get(k)!.push(e);
            this.runs = config.ks.map((kk) => summarizeRun(kk, done.get(kk)!, config.textMode));
            const now = performance.now();
            if (now - lastSave > 1000) {
              lastSave = now;
              wallMs = progress.wallMs + (now - t0);
              void persist();
            }
          },
        },
      );
      this.runs = runs;
      wallMs += performance.now() - t0;
      this.wallMs = wallMs;
      progress.finished = true;
      await persist();
    } catch (e) {
      wallMs += performance.now() - t0;
      this.wallMs = wallMs;
      await persist();
      const total = items.length * config.ks.length;
      const n = [...done.values()].reduce((s, a) => s + a.length, 0);
      this.resumable = { done: n, total };
      this.error = isCancelled(e) ? `cancelled after ${n} of ${total}; you can resume` : errorMessage(e);
    } finally {
      this.running = false;
      this.abort = null;
    }
  }

  cancel(): void {
    this.abort?.abort();
  }

  async clear(): Promise<void> {
    await (await this.store).deleteKv(PROGRESS_KEY);
    this.runs = [];
    this.config = null;
    this.resumable = null;
  }

  /** `npm run eval`'s JSON shape: { runs: [...], config: {...} }. */
  exportJson(): string {
    return JSON.stringify(
      {
        runs: this.runs,
        config: { ...this.config, wall_ms: Math.round(this.wallMs), host: 'browser', userAgent: navigator.userAgent },
      },
      null,
      2,
    );
  }

  exportCsv(): string {
    const header = [
      'k',
      'id',
      'db_id',
      'question',
      'gold',
      'predicted',
      'em',
      'ex',
      'skeleton_match',
      'executes',
      'error',
      'ex_reason',
      'top1_skeleton',
      'embed_ms',
      'search_ms',
      'generate_ms',
      'execute_ms',
    ];
    const rows = this.runs.flatMap((r) =>
      r.examples.map((e) => [
        r.k,
        e.id,
        e.db_id,
        e.question,
        e.gold,
        e.predicted ?? '',
        e.em,
        e.ex,
        e.skeleton_match,
        e.executes,
        e.error ?? '',
        e.ex_reason ?? '',
        e.retrieved[0]?.skeleton_match ?? '',
        e.latency_ms.embed,
        e.latency_ms.search,
        e.latency_ms.generate,
        e.latency_ms.execute,
      ]),
    );
    return toCsv(header, rows);
  }
}

export const evaluation = new EvalState();

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
