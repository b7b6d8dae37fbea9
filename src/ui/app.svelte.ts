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
import { CorpusState } from './state/corpus.svelte.ts';
import { AdapterState } from './state/adapter.svelte.ts';
import { IndexesState } from './state/indexes.svelte.ts';
import { AnswerState } from './state/answer.svelte.ts';
import { ShareLinks } from './state/share.svelte.ts';
import { SavedData } from './state/saved.ts';
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
  demo: { dbName: string; dbSql: () => Promise<string>; corpusName: string; corpus: () => Promise<Corpus> };
  quotaWarning: (mb: number) => Promise<string | null>;
}

export class AppState {
  readonly settings: SettingsState;
  readonly jobs = new Jobs();
  readonly models: ModelsState;
  readonly embedder: EmbedderState;
  readonly generator: GeneratorState;
  readonly database: DatabaseState;
  readonly corpus: CorpusState;
  readonly adapter: AdapterState;
  readonly indexes: IndexesState;
  readonly answer: AnswerState;
  readonly share: ShareLinks;
  readonly saved: SavedData;

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
    this.database = new DatabaseState({ sql: sv.sql, kv, env, demo: { name: demo.dbName, sql: demo.dbSql } });
    const corpus = (this.corpus = new CorpusState({
      kv,
      env,
      demo: { name: demo.corpusName, corpus: demo.corpus },
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
      base: () => {
        const u = new URL(env.href());
        return `${u.origin}${u.pathname}`;
      },
    });
    this.saved = new SavedData(kv);
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
      await this.models.probe(isolated);
      await Promise.all([
        st.db ? this.share.openDb(st.db) : this.database.restore(),
        st.corpus ? this.share.openCorpus(st.corpus) : this.corpus.restore(),
      ]);
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
    this.share.checkAdapter();
    if (this.embedder.info) await this.indexes.ensure();
  }
}
