/** Build the page's UI state over the real workers, IndexedDB and localStorage. */
import type { CodeApi } from '../../workers/code.worker.ts';
import { WorkerCodeCollections } from '../browser/code-client.ts';
import { CodeSpaceState } from './state/code.svelte.ts';
import * as Comlink from 'comlink';
import type { TrainApi } from '../../workers/train.worker.ts';
import { createBrowserServices, newWorkerImporter, newWorkerSql } from '../browser/services.ts';
import { IndexStore } from '../lib/index/store.ts';
import { AppState } from './app.svelte.ts';
import { Conversation } from './conversation.svelte.ts';
import { EvalState } from './evaluate.svelte.ts';
import { TrainState } from './train.svelte.ts';
import { lazyKv, type UiServices } from './state/ports.ts';
import { pageStorage } from './settings.ts';
import { quotaWarning } from './storage.ts';
import { DEMO_CORPUS_NAME, DEMO_DB_NAME, DEMO_PACK_URL, demoCorpus, demoDatabaseSql } from './demo.ts';
import type { Ui } from './context.ts';

/** The training worker (rule-based pair generation and adapter training): the Fine-tune page's own port. */
function trainService(): Comlink.Remote<TrainApi> {
  return Comlink.wrap<TrainApi>(
    new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
  );
}

/** The code worker (ingestion, tree-sitter chunking, code search): the Code & docs page's own port. */
function codeService(): WorkerCodeCollections {
  return new WorkerCodeCollections(
    Comlink.wrap<CodeApi>(
      new Worker(new URL('../../workers/code.worker.ts', import.meta.url), { type: 'module', name: 'code' }),
    ),
  );
}

export function createBrowserUi(): Ui {
  // The workers, each behind its seam; built once for the page.
  const bs = createBrowserServices();
  const services: UiServices = {
    embedder: bs.embedder,
    index: bs.index,
    generator: bs.generator,
    instant: bs.instant,
    gpu: bs.remotes.llm,
    sql: bs.sql,
    newSql: newWorkerSql,
    lexical: bs.lexical,
    light: bs.light,
    importer: newWorkerImporter(),
  };
  const kv = lazyKv(() => IndexStore.open());
  const app = new AppState({
    services,
    kv,
    env: { href: () => location.href, fetch: (input, init) => fetch(input, init), online: () => navigator.onLine },
    settingsStorage: pageStorage(),
    demo: {
      dbName: DEMO_DB_NAME,
      dbSql: demoDatabaseSql,
      corpusName: DEMO_CORPUS_NAME,
      corpus: demoCorpus,
      pack: async () => {
        const r = await fetch(DEMO_PACK_URL);
        return r.ok ? r.arrayBuffer() : null;
      },
    },
    quotaWarning,
  });
  return {
    app,
    conversation: new Conversation({ app, services, kv }),
    evaluation: new EvalState({ app, services, kv }),
    training: new TrainState({ app, services, train: trainService() }),
    code: new CodeSpaceState({
      settings: app.settings,
      jobs: app.jobs,
      kv,
      code: codeService(),
      embedder: services.embedder,
      embedderInfo: () => app.embedder.info,
      generator: services.generator,
      generatorReady: () => app.generator.ready,
      modelSource: () => app.models.modelConfig(),
    }),
  };
}
