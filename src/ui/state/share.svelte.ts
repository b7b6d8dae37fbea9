/** Share links: the current question and configuration in a URL, and opening such a link. */
import { decodeShare, encodeShare, type ShareState } from '../../lib/share/codec.ts';
import type { Settings } from '../settings.ts';
import type { AnswerState } from './answer.svelte.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { GeneratorState } from './generator.svelte.ts';
import type { IndexesState } from './indexes.svelte.ts';
import type { ModelsState } from './models.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';

export class ShareLinks {
  #errors = $state<string[]>([]);
  #url = $state('');
  /** A shared question waiting to run once the models are ready. */
  #pendingRun = false;

  constructor(
    private readonly deps: {
      settings: SettingsState;
      models: ModelsState;
      database: DatabaseState;
      corpus: CorpusState;
      generator: GeneratorState;
      indexes: IndexesState;
      answer: AnswerState;
      /** The page's address without the query (origin + path). */
      base: () => string;
    },
  ) {}

  /** What part of an opened link could not be used. */
  get errors(): string[] {
    return this.#errors;
  }
  /** The last link made. */
  get url(): string {
    return this.#url;
  }
  get pendingRun(): boolean {
    return this.#pendingRun;
  }

  dismissErrors(): void {
    this.#errors = [];
  }

  /** Read a link's query string: apply its settings and question; returns what to open. */
  open(search: string): ShareState {
    const share = decodeShare(search);
    this.#errors = share.errors;
    if (share.present) this.applySettings(share.state);
    return share.state;
  }

  private applySettings(st: ShareState): void {
    const patch: Partial<Settings> = {};
    if (st.embedder) patch.embedderId = st.embedder;
    if (st.k != null) patch.k = st.k;
    if (st.generator?.engine === 'cpu') Object.assign(patch, { engine: 'cpu', cpuModelId: st.generator.id });
    if (st.generator?.engine === 'webllm')
      Object.assign(patch, { engine: 'webllm', webllmFamily: st.generator.family });
    if (Object.keys(patch).length) this.deps.settings.update(patch);
    if (st.adapter)
      this.#errors = [
        ...this.#errors,
        'this link asks for a query adapter, but none is trained in this browser yet; running without it',
      ];
    if (st.question) {
      this.deps.answer.question = st.question;
      this.#pendingRun = true;
    }
  }

  async openDb(db: NonNullable<ShareState['db']>): Promise<void> {
    const { database } = this.deps;
    if (db.kind === 'demo') return database.openDemo();
    await database.openUrl(db.url);
    if (!database.info) await database.restore();
  }

  async openCorpus(c: NonNullable<ShareState['corpus']>): Promise<void> {
    const { corpus } = this.deps;
    if (c.kind === 'demo') return corpus.showDemo();
    await corpus.loadUrl(c.url, c.tables, false);
    if (!corpus.current) await corpus.restore();
  }

  /** Run a shared question once, when everything it needs is ready. */
  async runPending(): Promise<void> {
    const { generator, indexes, settings, answer } = this.deps;
    if (!this.#pendingRun) return;
    if (generator.status !== 'ready' || (settings.value.k > 0 && indexes.status !== 'ready')) return;
    this.#pendingRun = false;
    await answer.ask();
  }

  /** The link that reproduces the current question and configuration. */
  make(): { url: string; notes: string[] } {
    const { models, settings, answer, database, corpus } = this.deps;
    const notes: string[] = [];
    const gen =
      models.effectiveEngine() === 'webllm'
        ? { engine: 'webllm' as const, family: settings.value.webllmFamily }
        : { engine: 'cpu' as const, id: models.effectiveCpuModelId() };
    const st: ShareState = {
      question: answer.question.trim() || undefined,
      embedder: models.effectiveEmbedderId(),
      generator: gen,
      k: settings.value.k,
      adapter: false,
    };
    if (database.origin) st.db = $state.snapshot(database.origin) as ShareState['db'];
    else notes.push('the database is a local file, which a link cannot carry: the link opens the demo database');
    if (corpus.origin) st.corpus = $state.snapshot(corpus.origin) as ShareState['corpus'];
    else notes.push('the corpus is a local file, which a link cannot carry: the link uses the demo examples');
    const url = `${this.deps.base()}?${encodeShare(st)}`;
    this.#url = url;
    return { url, notes };
  }
}
