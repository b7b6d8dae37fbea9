/** Build the page's UI state over the real workers, IndexedDB and localStorage. */
import { IndexStore } from '../lib/index/store.ts';
import { AppState } from './app.svelte.ts';
import { Conversation } from './conversation.svelte.ts';
import { EvalState } from './evaluate.svelte.ts';
import { TrainState } from './train.svelte.ts';
import { uiServices, trainService } from './services.ts';
import { lazyKv } from './state/ports.ts';
import { pageStorage } from './settings.ts';
import { quotaWarning } from './storage.ts';
import { DEMO_CORPUS_NAME, DEMO_DB_NAME, demoCorpus, demoDatabaseSql } from './demo.ts';
import type { Ui } from './context.ts';

export function createBrowserUi(): Ui {
  const services = uiServices();
  const kv = lazyKv(() => IndexStore.open());
  const app = new AppState({
    services,
    kv,
    env: { href: () => location.href, fetch: (input, init) => fetch(input, init), online: () => navigator.onLine },
    settingsStorage: pageStorage(),
    demo: { dbName: DEMO_DB_NAME, dbSql: demoDatabaseSql, corpusName: DEMO_CORPUS_NAME, corpus: demoCorpus },
    quotaWarning,
  });
  return {
    app,
    conversation: new Conversation({ app, services, kv }),
    evaluation: new EvalState({ app, services, kv }),
    training: new TrainState({ app, services, train: trainService() }),
  };
}
