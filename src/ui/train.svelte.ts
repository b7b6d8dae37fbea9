/**
 * The Fine-tune page: training pairs (team seed set, CSV import, rule-based generation from the
 * loaded corpus), and a query-side linear adapter trained with MNRL in a worker, saved in
 * IndexedDB, exported/imported as a file, and switched on and off for retrieval.
 */
import * as Comlink from 'comlink';
import seedUrl from '../../static-data/synthetic/seed_pairs.csv?url';
import type { AppState } from './app.svelte.ts';
import type { UiServices } from './state/ports.ts';
import { fillPrompt, hybridEdit, hybridQuery } from '../lib/train/pairs.ts';
import { cleanExplanation, extractSql, wrapInstruction } from '../lib/llm/prompts.ts';
import { mulberry32 } from '../lib/eval/stats.ts';
import { promptFormat } from '../lib/llm/formats/index.ts';
import type { TrainApi } from '../../workers/train.worker.ts';
import { parsePairsCsv, pairsToCsv, TASK_KINDS, type Pair, type TaskKind } from '../lib/train/pairs.ts';
import type { AdapterMetrics } from '../lib/train/adapter.ts';
import type { TrainHistoryEntry, TrainProgress } from '../lib/train/trainer.ts';
import { CancelledError, errorMessage, isCancelled } from '../lib/errors.ts';
import type { Corpus, Progress, RowIssue, TableInfo } from '../lib/types.ts';
import { schemaDdl } from '../lib/corpus/spider.ts';

export interface TrainResult {
  metrics: AdapterMetrics;
  ms: number;
  bestEpoch: number;
  train: number;
  val: number;
  test: number;
}

export class TrainState {
  #pairs = $state.raw<Pair[]>([]);
  #source = $state('');
  #stats = $state<string | null>(null);
  #issues = $state.raw<RowIssue[]>([]);
  #error = $state<string | null>(null);
  tasks = $state<TaskKind[]>([...TASK_KINDS]);

  // the form's inputs (bound in TrainPanel)
  epochs = $state(10);
  batchSize = $state(64);
  lr = $state(0.001);
  seed = $state(1);
  heldOut = $state(0.2);

  #running = $state(false);
  #phase = $state<Progress | null>(null);
  /** Per-batch loss and per-epoch validation, for the live chart. */
  #lossCurve = $state.raw<{ step: number; loss: number }[]>([]);
  #history = $state.raw<TrainHistoryEntry[]>([]);
  #result = $state<TrainResult | null>(null);
  private abort: AbortController | null = null;
  private readonly app: AppState;
  private readonly services: UiServices;
  private readonly trainWorker: Comlink.Remote<TrainApi>;

  constructor(deps: { app: AppState; services: UiServices; train: Comlink.Remote<TrainApi> }) {
    this.app = deps.app;
    this.services = deps.services;
    this.trainWorker = deps.train;
  }
  get pairs(): Pair[] {
    return this.#pairs;
  }
  get source(): string {
    return this.#source;
  }
  get stats(): string | null {
    return this.#stats;
  }
  get issues(): RowIssue[] {
    return this.#issues;
  }
  get error(): string | null {
    return this.#error;
  }
  get running(): boolean {
    return this.#running;
  }
  get phase(): Progress | null {
    return this.#phase;
  }
  get lossCurve(): { step: number; loss: number }[] {
    return this.#lossCurve;
  }
  get history(): TrainHistoryEntry[] {
    return this.#history;
  }
  get result(): TrainResult | null {
    return this.#result;
  }

  /** Switch a task kind on or off for pair generation. */
  toggleTask(t: TaskKind): void {
    this.tasks = this.tasks.includes(t) ? this.tasks.filter((x) => x !== t) : [...this.tasks, t];
  }

  async loadSeed(): Promise<void> {
    this.#error = null;
    try {
      const r = await fetch(seedUrl);
      const { pairs, issues } = parsePairsCsv(await r.text());
      this.set(pairs, 'team seed pairs (static-data/synthetic)', issues);
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  async importCsv(file: File): Promise<void> {
    this.#error = null;
    try {
      const { pairs, issues } = parsePairsCsv(await file.text());
      if (!pairs.length) throw new Error(`${file.name}: no usable pairs (${issues.length} rows skipped)`);
      this.set(pairs, file.name, issues);
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }

  exportCsv(): string {
    return pairsToCsv(this.#pairs);
  }

  /**
   * Pairs from the user's confirmed examples on the open database ("My examples", the learning
   * loop): the same rule-based generation, with the open database's schema to check the SQL.
   */
  async generateFromMine(): Promise<void> {
    const mine = this.app.mine.corpus;
    if (!mine.examples.length) return;
    const ddl = schemaDdl($state.snapshot(this.app.database.tables) as TableInfo[]);
    const before = this.#pairs;
    const beforeSource = this.#source;
    await this.generateFromCorpus({ ...mine, examples: mine.examples.map((e) => ({ ...e, schema: ddl })) });
    if (!before.length || this.#error) return;
    // with the pairs already here (the generated ones): My examples' pairs are added, not swapped in
    const seen = new Set(before.map((p) => `${p.task}\u0000${p.query}\u0000${p.pos}`));
    const added = this.#pairs.filter((p) => !seen.has(`${p.task}\u0000${p.query}\u0000${p.pos}`));
    this.set([...before, ...added], `${beforeSource} + ${mine.name}`, this.#issues);
  }

  /** Rule-based pairs from the loaded corpus (or `from`), validated with sql.js and de-duplicated. */
  async generateFromCorpus(from?: Corpus): Promise<void> {
    const corpus = from ?? this.app.corpus.current;
    if (!corpus) return;
    this.#error = null;
    this.#running = true;
    this.#phase = { phase: 'Generating pairs', done: 0, total: corpus.examples.length };
    try {
      const examples = $state
        .snapshot(corpus.examples)
        .map((e) => ({ ...e, schema: e.schema ?? schemaDdlFor(e.dbId, corpus.schemas) }));
      const r = await this.trainWorker.generate(examples, $state.snapshot(this.tasks), this.seed);
      this.set(
        r.pairs,
        `rule-based from ${corpus.name}`,
        r.issues.map((i) => ({ row: i.index + 1, reason: `${i.field}: ${i.reason}` })),
      );
      this.#stats = `${r.generated} generated · ${r.dropped} dropped (SQL did not compile) · ${r.duplicates} duplicates removed · ${r.unchecked} without a schema to check · ${r.pairs.length} kept`;
    } catch (e) {
      this.#error = errorMessage(e);
    } finally {
      this.#running = false;
      this.#phase = null;
    }
  }

  /** Why the loaded model cannot write pairs, or null when it can. */
  llmUnavailable(): string | null {
    const g = this.app.generator.info;
    if (!g || this.app.generator.status !== 'ready') return 'load a generator first';
    if (!promptFormat(g.format).canFollowInstructions)
      return `${g.id} only writes SQL from its text-to-SQL prompt and cannot follow these instructions; choose an instruction model (Qwen2.5-Coder or Mistral) in Models & device`;
    return null;
  }

  /**
   * Pairs written by the loaded model with each task kind's instruction prompt, for up to `limit`
   * corpus examples; SQL answers are validated with sql.js like the rule-based pairs.
   */
  async generateWithModel(limit = 50): Promise<void> {
    const corpus = this.app.corpus.current;
    const g = this.app.generator.info;
    if (!corpus || !g || this.llmUnavailable()) return;
    const format = g.format;
    this.#error = null;
    this.#running = true;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const stop = () => void this.services.generator.interrupt();
    signal.addEventListener('abort', stop);
    const rand = mulberry32(this.seed);
    const examples = $state
      .snapshot(corpus.examples)
      .slice(0, limit)
      .map((e) => ({ ...e, schema: e.schema ?? schemaDdlFor(e.dbId, corpus.schemas) }));
    const tasks = $state.snapshot(this.tasks) as TaskKind[];
    const out: Pair[] = [];
    const total = examples.length * tasks.length;
    try {
      for (const ex of examples) {
        for (const task of tasks) {
          if (signal.aborted) throw new CancelledError('pair generation');
          this.#phase = { phase: `Writing ${task} pairs with ${g.id}`, done: out.length, total };
          const edit = task === 'hybrid' ? hybridEdit(ex.sql, rand) : null;
          if (task === 'hybrid' && !edit) continue;
          const kind = task === 'text2code' ? 'text2code' : task;
          const prompt = wrapInstruction(
            format,
            fillPrompt(kind, {
              schema: ex.schema ?? '',
              sql: ex.sql,
              question: ex.question,
              instruction: edit?.instruction,
            }),
          );
          if (!prompt) return;
          const r = await this.services.generator.generate(prompt, { maxNewTokens: 160 });
          const text = cleanExplanation(r.text);
          if (!text) continue;
          const base = { ...(ex.dbId ? { dbId: ex.dbId } : {}), source: ex.id };
          if (task === 'text2code') out.push({ query: text.split('\n')[0], pos: ex.sql, task, ...base });
          else if (task === 'code2text') out.push({ query: ex.sql, pos: text, task, ...base });
          else if (task === 'code2code') out.push({ query: ex.sql, pos: extractSql(format, text), task, ...base });
          else out.push({ query: hybridQuery(edit!.instruction, ex.sql), pos: text, task, ...base });
        }
      }
      const v = await this.trainWorker.validate(out, examples);
      this.set(
        v.pairs,
        `written by ${g.id} from ${corpus.name}`,
        v.issues.map((i) => ({ row: i.index + 1, reason: `${i.field}: ${i.reason}` })),
      );
      this.#stats = `${out.length} written · ${v.dropped} dropped (SQL did not compile) · ${v.duplicates} duplicates removed · ${v.pairs.length} kept`;
    } catch (e) {
      this.#error =
        isCancelled(e) || signal.aborted
          ? 'pair generation cancelled; the current pairs are unchanged'
          : errorMessage(e);
    } finally {
      signal.removeEventListener('abort', stop);
      this.#running = false;
      this.#phase = null;
      this.abort = null;
    }
  }

  private set(pairs: Pair[], source: string, issues: RowIssue[]): void {
    this.#pairs = pairs;
    this.#source = source;
    this.#issues = issues;
    this.#stats =
      `${pairs.length} pairs · ` +
      TASK_KINDS.map((t) => `${t} ${pairs.filter((p) => p.task === t).length}`).join(' · ');
  }

  removePair(i: number): void {
    this.#pairs = this.#pairs.filter((_, j) => j !== i);
  }

  editPair(i: number, field: 'query' | 'pos' | 'neg', value: string): void {
    this.#pairs = this.#pairs.map((p, j) => (j === i ? { ...p, [field]: value } : p));
  }

  canTrain(): boolean {
    return (
      !this.#running && this.#pairs.length >= 10 && this.app.embedder.status === 'ready' && !!this.app.embedder.info
    );
  }

  async train(): Promise<void> {
    const emb = this.app.embedder.info;
    if (!emb || this.#running) return;
    this.#running = true;
    this.#error = null;
    this.#result = null;
    this.#lossCurve = [];
    this.#history = [];
    this.abort = new AbortController();
    const signal = this.abort.signal;
    try {
      const pairs = $state.snapshot(this.#pairs) as Pair[];
      const { queries, docs } = await this.trainWorker.texts(pairs);
      const embedAll = async (texts: string[], role: 'query' | 'doc', label: string) => {
        const out = new Float32Array(texts.length * emb.dim);
        for (let s = 0; s < texts.length; s += 64) {
          if (signal.aborted) throw new CancelledError('training');
          out.set(await this.services.embedder.embed(texts.slice(s, s + 64), { role, batchSize: 32 }), s * emb.dim);
          this.#phase = { phase: label, done: Math.min(texts.length, s + 64), total: texts.length };
        }
        return out;
      };
      // Base embeddings: the adapter learns on top of the untouched embedder.
      const queryVecs = await embedAll(queries, 'query', 'Embedding queries');
      const docVecs = await embedAll(docs, 'doc', 'Embedding documents');
      const onAbort = () => void this.trainWorker.cancel();
      signal.addEventListener('abort', onAbort);
      const curve: { step: number; loss: number }[] = [];
      let lastPaint = 0;
      const r = await this.trainWorker.fit(
        {
          pairs,
          queryVecs,
          docVecs,
          dim: emb.dim,
          embedderId: emb.id,
          epochs: this.epochs,
          batchSize: this.batchSize,
          lr: this.lr,
          seed: this.seed,
          heldOut: this.heldOut,
        },
        Comlink.proxy((p: TrainProgress) => {
          this.#phase = { phase: `Training, epoch ${p.epoch} of ${p.epochs}`, done: p.done, total: p.total };
          if (p.phase === 'batch') curve.push({ step: p.done, loss: p.loss });
          const now = performance.now();
          if (p.phase === 'epoch' || now - lastPaint > 250) {
            lastPaint = now;
            this.#lossCurve = curve.slice();
          }
        }),
      );
      signal.removeEventListener('abort', onAbort);
      this.#lossCurve = curve.slice();
      this.#history = r.history;
      this.#result = { metrics: r.metrics, ms: r.ms, bestEpoch: r.bestEpoch, train: r.train, val: r.val, test: r.test };
      await this.saveAdapter(r.json);
    } catch (e) {
      this.#error =
        isCancelled(e) || signal.aborted
          ? 'training cancelled; the saved adapter (if any) is unchanged'
          : errorMessage(e);
    } finally {
      this.#running = false;
      this.#phase = null;
      this.abort = null;
    }
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** Validate, store in IndexedDB for this embedder, and load it for queries. */
  async saveAdapter(json: string): Promise<void> {
    await this.app.adapter.save(json);
  }

  async importAdapter(file: File): Promise<void> {
    this.#error = null;
    try {
      await this.saveAdapter(await file.text());
    } catch (e) {
      this.#error = errorMessage(e);
    }
  }
}

function schemaDdlFor(dbId: string | undefined, schemas: Record<string, TableInfo[]> | undefined): string | undefined {
  const t = dbId ? schemas?.[dbId] : undefined;
  return t ? schemaDdl(t) : undefined;
}
