/**
 * The application state: small state classes (src/ui/state/), each owning its part, wired
 * together here with the services they are given. The page builds one (src/ui/browser-app.ts)
 * and passes it down by Svelte context (src/ui/context.ts); tests build one with fakes.
 */
import type { Corpus } from '../lib/types.ts';
import { errorMessage } from '../lib/errors.ts';
import { Jobs } from './state/jobs.svelte.ts';
import { SettingsState } from './state/settings.svelte.ts';
import { ModelsState, storageMemory } from './state/models.svelte.ts';
import { EmbedderState } from './state/embedder.svelte.ts';
import { GeneratorState } from './state/generator.svelte.ts';
import { DatabaseState } from './state/database.svelte.ts';
import { ImportState } from './state/import.svelte.ts';
import { CorpusState } from './state/corpus.svelte.ts';
import { AdapterState } from './state/adapter.svelte.ts';
import { IndexesState } from './state/indexes.svelte.ts';
import { LightState } from './state/light.svelte.ts';
import { AnswerState } from './state/answer.svelte.ts';
import { MyExamplesState } from './state/my-examples.svelte.ts';
import { WorkspaceState } from './state/workspace.svelte.ts';
import { ShareLinks } from './state/share.svelte.ts';
import { SavedData } from './state/saved.ts';
import { PackState } from './state/packs.svelte.ts';
import { findEmbedder } from '../lib/config.ts';
import { readPackHere, type Pack } from '../lib/pack/read.ts';
import type { PackTarget } from '../lib/pack/restore.ts';
import type { OpenKv, PageEnv, UiServices } from './state/ports.ts';
import type { SettingsStorage } from './settings.ts';

export type { Status } from './state/status.svelte.ts';
export type { Job } from './state/jobs.svelte.ts';
export type { AnswerEvent, AnswerHooks, FollowUpContext } from './state/answer.svelte.ts';

export interface AppDeps {
  services: UiServices;
  kv: OpenKv;
  env: PageEnv;
  settingsStorage: SettingsStorage | null;
  demo: {
    dbName: string;
    dbSql: () => Promise<string>;
    corpusName: string;
    corpus: () => Promise<Corpus>;
    /** The demo corpus's pack (shipped in the build), or null: its vectors spare the first visit the embedding. */
    pack?: () => Promise<ArrayBuffer | null>;
  };
  quotaWarning: (mb: number) => Promise<string | null>;
}

export class AppState {
  readonly settings: SettingsState;
  readonly jobs = new Jobs();
  readonly models: ModelsState;
  readonly embedder: EmbedderState;
  readonly generator: GeneratorState;
  readonly database: DatabaseState;
  readonly imports: ImportState;
  readonly corpus: CorpusState;
  readonly adapter: AdapterState;
  readonly indexes: IndexesState;
  /** The fast query encoder (issue 17). */
  readonly light: LightState;
  readonly answer: AnswerState;
  readonly mine: MyExamplesState;
  readonly workspace: WorkspaceState;
  readonly share: ShareLinks;
  readonly saved: SavedData;
  readonly packs: PackState;

  #booted = $state(false);
  #bootError = $state<string | null>(null);

  constructor(private readonly deps: AppDeps) {
    const { services: sv, kv, env, demo } = deps;
    const { jobs } = this;
    const settings = (this.settings = new SettingsState(deps.settingsStorage));
    const models = (this.models = new ModelsState({
      settings,
      gpu: sv.gpu,
      env,
      memory: storageMemory(deps.settingsStorage),
    }));
    const embedder = (this.embedder = new EmbedderState({
      settings,
      models,
      jobs,
      embedder: sv.embedder,
    }));
    this.generator = new GeneratorState({
      settings,
      models,
      jobs,
      generator: sv.generator,
      gpu: sv.gpu,
      quotaWarning: deps.quotaWarning,
      onReady: () => void this.share.runPending(),
    });
    this.database = new DatabaseState({
      sql: sv.sql,
      kv,
      env,
      demo: { name: demo.dbName, sql: demo.dbSql },
      onOpen: () => void this.mine.load(),
      hints: deps.settingsStorage,
    });
    this.mine = new MyExamplesState({ database: this.database, embedder, embed: sv.embedder, index: sv.index, kv });
    this.imports = new ImportState({ importer: sv.importer, database: this.database, sql: sv.sql, jobs });
    const corpus = (this.corpus = new CorpusState({
      kv,
      env,
      demo: { name: demo.corpusName, corpus: demo.corpus },
      open: sv.openCorpus,
      onChange: () => this.indexes.ensure(),
    }));
    const adapter = (this.adapter = new AdapterState({ settings, embedder, kv }));
    this.indexes = new IndexesState({
      settings,
      corpus,
      embedder,
      adapter,
      jobs,
      embed: sv.embedder,
      index: sv.index,
      lexical: sv.lexical,
      // draft-rerank's draft: the instant generator over the open database (in the SQL worker)
      draft: (req, o) => sv.sql.instant({ ...req, budgetMs: 1000 }, o.signal).then((a) => a.sql),
      onReady: () => void this.share.runPending(),
      prebuilt: (c) => this.demoPack(c),
    });
    this.packs = new PackState({
      jobs,
      corpus,
      indexes: this.indexes,
      env,
      target: () => this.indexes.packTarget() ?? this.expectedPackTarget(),
      read: sv.readPack,
    });
    this.light = new LightState({
      settings,
      embedder,
      corpus,
      indexes: this.indexes,
      index: sv.index,
      jobs,
      kv,
      light: sv.light,
    });
    this.answer = new AnswerState({
      settings,
      database: this.database,
      corpus,
      generator: this.generator,
      indexes: this.indexes,
      adapter,
      llm: sv.generator,
      instant: sv.instant,
      sql: sv.sql,
      mine: this.mine,
    });
    this.share = new ShareLinks({
      settings,
      models,
      database: this.database,
      corpus,
      generator: this.generator,
      indexes: this.indexes,
      answer: this.answer,
      adapter,
      workspace: () => this.workspace,
      base: () => {
        const u = new URL(env.href());
        return `${u.origin}${u.pathname}`;
      },
    });
    this.saved = new SavedData(kv);
    this.workspace = new WorkspaceState({
      database: this.database,
      mine: this.mine,
      adapter,
      embedder,
      fetch: env.fetch,
    });
  }

  #demoPack: Promise<Pack | null> | null = null;

  /** The shipped demo pack, read and checked once; null for any other corpus, or when the build has none. */
  private demoPack(c: Corpus): Promise<Pack | null> {
    const load = this.deps.demo.pack;
    if (c.name !== this.deps.demo.corpusName || !load) return Promise.resolve(null);
    const read = this.deps.services.readPack ?? readPackHere;
    this.#demoPack ??= load().then((b) => (b ? read(b) : null));
    return this.#demoPack.catch(() => null);
  }

  /** The embedder that will load (before it has): what a pack opened early must match. */
  private expectedPackTarget(): PackTarget | null {
    const id = this.models.effectiveEmbedderId();
    const spec = findEmbedder(id);
    if (!spec) return null;
    return {
      embedder: { id, dtype: this.settings.value.embedDtype || spec.defaultDtype, dim: spec.dim },
      textMode: this.settings.value.textMode,
    };
  }

  get services(): UiServices {
    return this.deps.services;
  }
  get kv(): OpenKv {
    return this.deps.kv;
  }
  get booted(): boolean {
    return this.#booted;
  }
  get bootError(): string | null {
    return this.#bootError;
  }

  /** Open what the link (or the last visit) had, then load the models and the index. */
  async boot(search: string, isolated: boolean): Promise<void> {
    try {
      const st = this.share.open(search);
      // The database and the corpus need no model, and open first: the model side (the GPU probe
      // starts the LLM worker) begins once the database is open, so SQL runs before any model
      // work competes with it for the cores; the corpus's lexical indexes start as soon as it is
      // there, so a question can be answered before the models have loaded.
      const db = st.workspace
        ? this.share.openWorkspace(st.workspace)
        : st.db
          ? this.share.openDb(st.db)
          : this.database.restore();
      const corpus = (st.corpus ? this.share.openCorpus(st.corpus) : this.corpus.restore()).then(() =>
        this.indexes.prepareLexical(),
      );
      await Promise.all([db.finally(() => this.models.probe(isolated)), db, corpus]);
      this.#booted = true;
      this.indexes.prepareLexical();
      await Promise.all([this.loadEmbedderAndIndex(), this.generator.load()]);
      await this.share.runPending();
    } catch (e) {
      this.#bootError = errorMessage(e);
      this.#booted = true;
    }
  }

  async loadEmbedderAndIndex(): Promise<void> {
    await this.embedder.load();
    await this.adapter.restore();
    await this.light.restore();
    this.share.checkAdapter();
    if (this.embedder.info) await Promise.all([this.indexes.ensure(), this.mine.ensureIndex()]);
  }
}
