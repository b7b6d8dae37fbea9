/** Share links: the current question and configuration in a URL, and opening such a link. */
import { decodeShare, encodeShare, type ShareState } from '../../lib/share/codec.ts';
import type { Settings } from '../settings.ts';
import type { AdapterState } from './adapter.svelte.ts';
import type { AnswerState } from './answer.svelte.ts';
import type { CorpusState } from './corpus.svelte.ts';
import type { DatabaseState } from './database.svelte.ts';
import type { GeneratorState } from './generator.svelte.ts';
import type { IndexesState } from './indexes.svelte.ts';
import type { ModelsState } from './models.svelte.ts';
import type { SettingsState } from './settings.svelte.ts';
import type { WorkspaceState } from './workspace.svelte.ts';

export class ShareLinks {
  #errors = $state<string[]>([]);
  #url = $state('');
  /** A shared question waiting to run once the models are ready. */
  #pendingRun = false;
  /** The link asked for the query adapter: checked once the stored adapter is known. */
  #wantsAdapter = false;

  constructor(
    private readonly deps: {
      settings: SettingsState;
      models: ModelsState;
      database: DatabaseState;
      corpus: CorpusState;
      generator: GeneratorState;
      indexes: IndexesState;
      answer: AnswerState;
      adapter: AdapterState;
      /** Workspace files (a link may point to one instead of a database). */
      workspace?: () => Pick<WorkspaceState, 'importUrl' | 'error' | 'sharedUrl'>;
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
    // The sender's adapter state: on or off, as they had it (off when the link says adapter=0).
    if (st.adapter != null) patch.adapterOn = st.adapter;
    this.#wantsAdapter = st.adapter === true;
    if (Object.keys(patch).length) this.deps.settings.update(patch);
    if (st.question) {
      this.deps.answer.question = st.question;
      this.#pendingRun = true;
    }
  }

  /** After the stored adapter is restored: say so when the link wants one this browser lacks. */
  checkAdapter(): void {
    if (!this.#wantsAdapter) return;
    this.#wantsAdapter = false;
    if (!this.deps.adapter.current)
      this.#errors = [
        ...this.#errors,
        'this link asks for a query adapter, but none is trained in this browser yet; running without it',
      ];
  }

  /** Part of the link cannot be reproduced: say what differs, and do not run the question. */
  private cannotReproduce(what: string): void {
    const held = this.#pendingRun ? ' The question was not run; press Ask to run it here anyway.' : '';
    this.#pendingRun = false;
    this.#errors = [...this.#errors, `${what}.${held}`];
  }

  /**
   * Open the link's database. When it cannot be opened (unreachable, not a database, empty, a
   * local file of the sender's), the user's own database is opened instead, the difference is
   * named, and the shared question is not run against it.
   */
  async openDb(db: NonNullable<ShareState['db']>): Promise<void> {
    const { database } = this.deps;
    if (db.kind === 'demo') return database.openDemo();
    let failure: string;
    if (db.kind === 'url') {
      await database.openUrl(db.url);
      const opened = database.origin?.kind === 'url' && database.origin.url === db.url && !database.error;
      if (opened) return;
      failure = `the link's database ${db.url} could not be opened (${database.error ?? 'unknown error'})`;
    } else {
      failure = `the sender's database was a local file ("${db.name}"), which a link cannot carry; open that file on the Data tab to see what they saw`;
    }
    if (!database.info) await database.restore();
    const here = database.info ? `; this page shows your database "${database.info.name}" instead` : '';
    this.cannotReproduce(failure + here);
  }

  /** Open the link's workspace file; on failure the user's own database stays, and the difference is named. */
  async openWorkspace(url: string): Promise<void> {
    const ws = this.deps.workspace?.();
    if (ws && (await ws.importUrl(url))) return;
    const { database } = this.deps;
    if (!database.info) await database.restore();
    const here = database.info ? `; this page shows your database "${database.info.name}" instead` : '';
    this.cannotReproduce(`the link's workspace ${url} could not be opened (${ws?.error ?? 'not available'})${here}`);
  }

  /** Open the link's corpus; on failure the user's own corpus stays, and the difference is named. */
  async openCorpus(c: NonNullable<ShareState['corpus']>): Promise<void> {
    const { corpus } = this.deps;
    if (c.kind === 'demo') return corpus.showDemo();
    let failure: string;
    if (c.kind === 'url') {
      await corpus.loadUrl(c.url, c.tables, false);
      const o = corpus.origin;
      if (o?.kind === 'url' && o.url === c.url && !corpus.error) return;
      failure = `the link's example corpus ${c.url} could not be loaded (${corpus.error ?? 'unknown error'})`;
    } else {
      failure = `the sender's example corpus was a local file ("${c.name}"), which a link cannot carry; load that file on the Data tab to see what they saw`;
    }
    if (!corpus.current) await corpus.restore();
    const here = corpus.current ? `; retrieval uses your corpus "${corpus.current.name}" instead` : '';
    this.cannotReproduce(failure + here);
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
    const { models, settings, answer, database, corpus, adapter } = this.deps;
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
      adapter: adapter.active,
    };
    const wsUrl = this.deps.workspace?.().sharedUrl;
    if (wsUrl) st.workspace = wsUrl;
    else if (database.origin) st.db = $state.snapshot(database.origin) as ShareState['db'];
    else if (database.info) {
      st.db = { kind: 'local', name: database.info.name };
      notes.push(
        `the database is a local file ("${database.info.name}"), which a link cannot carry: the recipient is told to open it themselves`,
      );
    }
    if (corpus.origin) st.corpus = $state.snapshot(corpus.origin) as ShareState['corpus'];
    else if (corpus.current) {
      st.corpus = { kind: 'local', name: corpus.current.name };
      notes.push(
        `the corpus is a local file ("${corpus.current.name}"), which a link cannot carry: the recipient is told to load it themselves`,
      );
    }
    if (st.adapter)
      notes.push('the query adapter is on: it was trained in this browser, so the recipient needs their own');
    const url = `${this.deps.base()}?${encodeShare(st)}`;
    this.#url = url;
    return { url, notes };
  }
}
