/**
 * The Evaluate page's code retrieval section: a question set (a file in the format of
 * static-data/code-questions.json, or the bundled one for this project's own checkout) scored on
 * a collection indexed on the Code & docs page, with the same evaluateCode as
 * `npm run eval -- --code`. One job: the questions are embedded by the embedder (its worker),
 * then scored in the code worker; Cancel stops both and keeps the previous report.
 */
import { CODE_METHODS } from '../../lib/code/search.ts';
import type { CodeQuestion, ThresholdPoint } from '../../lib/code/eval.ts';
import { goldFileShare, parseCodeQuestions } from '../../lib/code/questions.ts';
import type { CodeCollectionsApi, CollectionEvalReport } from '../../lib/code/service.ts';
import { fnv1a32Hex } from '../../lib/embed/light-file.ts';
import { CancelledError, errorMessage, isCancelled } from '../../lib/errors.ts';
import type { Embedder } from '../../lib/services.ts';
import type { CodeSpaceState } from './code.svelte.ts';
import type { EmbedderInfo } from './embedder.svelte.ts';
import type { Jobs } from './jobs.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';

/** Largest questions file read (the bundled one is about 20 kB). */
export const MAX_QUESTIONS_BYTES = 5_000_000;
/** The bundled set is offered as the default when the collection holds this share of its gold files. */
export const BUNDLED_MATCH = 0.9;
export const BUNDLED_NAME = "code-questions.json (this project's own code and docs)";
const JOB = 'code-eval';

export interface CodeQuestionSet {
  name: string;
  questions: CodeQuestion[];
  answerable: number;
  bundled: boolean;
  /** Fingerprint of the file's text, to find the file itself among a collection's files. */
  print: string;
}

/** A finished evaluation with what it ran on (the JSON download). */
export interface CodeEvalResult {
  report: CollectionEvalReport;
  config: {
    collection: string;
    files: number;
    questions: string;
    embedder: string;
    k: number;
    methods: readonly string[];
    appThreshold: number;
    /** Files of the collection left out of this evaluation: the questions file itself. */
    excluded: string[];
    startedAt: string;
  };
  wallMs: number;
}

export class CodeEvalState {
  #set = $state.raw<CodeQuestionSet | null>(null);
  #setError = $state<string | null>(null);
  #collection = $state<string | null>(null);
  /** The set was offered by default (not chosen): another collection may replace it. */
  #suggested = false;
  #running = $state(false);
  #error = $state<string | null>(null);
  #result = $state.raw<CodeEvalResult | null>(null);
  /** Cut-off for precision@k and recall@k (bound in the panel). */
  k = $state(10);
  #ac: AbortController | null = null;

  constructor(
    private readonly deps: {
      code: CodeSpaceState;
      api: CodeCollectionsApi;
      embedder: Embedder;
      embedderInfo: () => EmbedderInfo | null;
      jobs: Jobs;
      settings: SettingsState;
      /** The text of the bundled question set (static-data/code-questions.json). */
      bundled: () => Promise<string>;
    },
  ) {}

  get questionSet(): CodeQuestionSet | null {
    return this.#set;
  }
  get setError(): string | null {
    return this.#setError;
  }
  get running(): boolean {
    return this.#running;
  }
  get error(): string | null {
    return this.#error;
  }
  get result(): CodeEvalResult | null {
    return this.#result;
  }
  /** The collection to evaluate: the one chosen here, else the Code & docs page's active one. */
  get collection(): string | null {
    const all = this.deps.code.collections;
    if (this.#collection && all.some((c) => c.id === this.#collection)) return this.#collection;
    return this.deps.code.active?.id ?? null;
  }

  /** Choose the collection; the bundled questions become the default when it is this project's checkout. */
  async selectCollection(id: string): Promise<void> {
    this.#collection = id;
    await this.suggestBundled();
  }

  /** Load the stored collections (the Code & docs page's list) and offer the default question set. */
  async init(): Promise<void> {
    await this.deps.code.refreshList();
    await this.suggestBundled();
  }

  /** With no question file chosen yet, the bundled set when the collection holds its gold files. */
  async suggestBundled(): Promise<void> {
    const id = this.collection;
    // a set the user chose stays (also when it was chosen while this one was being read)
    const mayReplace = () => !this.#set || this.#suggested;
    if (!id || !mayReplace()) return;
    let offer: CodeQuestionSet | null = null;
    try {
      const text = await this.deps.bundled();
      const bundled = parseCodeQuestions(text, BUNDLED_NAME);
      const files = await this.deps.code.storedFiles(id);
      const share = goldFileShare(
        bundled,
        files.map((f) => f.path),
      );
      if (share >= BUNDLED_MATCH) offer = questionSet(BUNDLED_NAME, text, bundled, true);
    } catch {
      // no bundled set in this build: a file has to be chosen
    }
    if (!mayReplace() || this.collection !== id) return;
    this.#set = offer;
    this.#suggested = !!offer;
  }

  /** The bundled question set, whatever the collection (its gold files may be missing: they are reported). */
  async useBundled(): Promise<void> {
    this.#setError = null;
    try {
      const text = await this.deps.bundled();
      this.#set = questionSet(BUNDLED_NAME, text, parseCodeQuestions(text, BUNDLED_NAME), true);
      this.#suggested = false;
    } catch (e) {
      this.#setError = errorMessage(e);
    }
  }

  /** A questions file chosen by the user; a bad one is refused with the reason and the current set kept. */
  async loadFile(file: Blob & { name: string }): Promise<void> {
    this.#setError = null;
    try {
      if (file.size > MAX_QUESTIONS_BYTES)
        throw new Error(
          `${file.name} is ${(file.size / 1e6).toFixed(1)} MB; a question set is read up to ${MAX_QUESTIONS_BYTES / 1e6} MB`,
        );
      const text = await file.text();
      this.#set = questionSet(file.name, text, parseCodeQuestions(text, file.name), false);
      this.#suggested = false;
    } catch (e) {
      this.#setError = errorMessage(e);
    }
  }

  /** Why the evaluation cannot run now, or null when it can. */
  get blocked(): string | null {
    if (this.#running) return 'an evaluation is running';
    const id = this.collection;
    const col = this.deps.code.collections.find((c) => c.id === id);
    if (!col) return 'index a folder, files or a zip on the Code & docs page first';
    if (!this.#set) return 'choose a questions file';
    const info = this.deps.embedderInfo();
    if (!info) return 'the embedding model is not loaded yet';
    if (info.id !== col.embedderId)
      return `${col.name} was indexed with ${col.embedderId}, and ${info.id} is loaded now: re-index it on the Code & docs page`;
    return null;
  }

  /**
   * Score the question set on the collection as one job: embed the questions (embedder worker),
   * then every method in the code worker. Cancel keeps the previous report.
   */
  async run(): Promise<void> {
    const why = this.blocked;
    if (why) {
      this.#error = why;
      return;
    }
    const { code, api, embedder, jobs, settings } = this.deps;
    const col = code.collections.find((c) => c.id === this.collection)!;
    const set = this.#set!;
    const info = this.deps.embedderInfo()!;
    const k = Math.max(1, Math.min(100, Math.round(this.k) || 10));
    const ac = new AbortController();
    this.#ac = ac;
    this.#running = true;
    this.#error = null;
    const onP = jobs.start(JOB, `Evaluating retrieval on ${col.name}`, () => this.cancel());
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    try {
      await code.ensureOpen(col.id);
      // the questions file, when the collection holds it, is not searched (it contains every question)
      const excluded = (await code.storedFiles(col.id)).filter((f) => f.print === set.print).map((f) => f.path);
      const texts = set.questions.map((q) => q.question);
      onP({ phase: 'Embedding questions', done: 0, total: texts.length });
      const queries = await embedder.embed(texts, {
        role: 'query',
        signal: ac.signal,
        onProgress: (p) => onP({ phase: 'Embedding questions', done: p.done, total: p.total }),
      });
      if (ac.signal.aborted) throw new CancelledError('the evaluation');
      const report = await api.evaluate(
        col.id,
        set.questions,
        queries.subarray(0, texts.length * info.dim),
        { k, exclude: excluded },
        (p) => onP({ phase: p.phase, done: p.done, total: p.total }),
      );
      if (ac.signal.aborted) throw new CancelledError('the evaluation');
      this.#result = {
        report,
        config: {
          collection: col.name,
          files: col.files,
          questions: set.name,
          embedder: info.id,
          k,
          methods: CODE_METHODS,
          appThreshold: settings.value.codeThreshold,
          excluded,
          startedAt,
        },
        wallMs: performance.now() - t0,
      };
    } catch (e) {
      this.#error =
        isCancelled(e) || ac.signal.aborted ? 'evaluation cancelled; the previous results are kept' : errorMessage(e);
    } finally {
      jobs.end(JOB);
      if (this.#ac === ac) this.#ac = null;
      this.#running = false;
    }
  }

  cancel(): void {
    if (!this.#ac) return;
    this.#ac.abort();
    this.deps.api.cancelEvaluate();
  }

  /**
   * The "I don't know" rates at the app's threshold (Models & device), read off the coverage curve:
   * no score lies between two cuts, so a threshold scores as the first cut at or above it (the
   * cuts are rounded to 0.01, hence "about").
   */
  atThreshold(t: number): ThresholdPoint | null {
    const curve = this.#result?.report.coverageThreshold.curve;
    if (!curve?.length) return null;
    return curve.find((p) => p.threshold >= t - 1e-9) ?? { threshold: t, answered: 0, refused: 1 };
  }

  /** The report and what it ran on, as `npm run eval -- --code` writes it (summaries only). */
  exportJson(): string {
    const r = this.#result;
    if (!r) return '{}';
    return JSON.stringify(
      { ...r.report, config: { ...r.config, wall_ms: Math.round(r.wallMs), host: 'browser' } },
      null,
      2,
    );
  }
}

const utf8 = new TextEncoder();

function questionSet(name: string, text: string, questions: CodeQuestion[], bundled: boolean): CodeQuestionSet {
  const answerable = questions.filter((q) => q.gold.length).length;
  return { name, questions, answerable, bundled, print: fnv1a32Hex(utf8.encode(text)) };
}
