/** Build the page's UI state over the real workers, IndexedDB and localStorage. */
import type { CodeApi } from '../../workers/code.worker.ts';
import codeQuestionsUrl from '../../static-data/code-questions.json?url';
import * as Comlink from 'comlink';
import type { TrainApi } from '../../workers/train.worker.ts';
import { createBrowserServices, newWorkerImporter, newWorkerSql, openCorpusInWorker } from '../browser/services.ts';
import { IndexStore } from '../lib/index/store.ts';
import { AppState } from './app.svelte.ts';
import { Conversation } from './conversation.svelte.ts';
import { lazyKv, type UiServices } from './state/ports.ts';
import { pageStorage } from './settings.ts';
import { quotaWarning } from './storage.ts';
import { DEMO_CORPUS_NAME, DEMO_DB_NAME, DEMO_PACK_URL, demoCorpus, demoDatabaseSql } from './demo.ts';
import type { LazyPages, Ui } from './context.ts';

/** The training worker (rule-based pair generation and adapter training): the Fine-tune page's own port. */
function trainService(): Comlink.Remote<TrainApi> {
  return Comlink.wrap<TrainApi>(
    new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
  );
}

/** The code worker (ingestion, tree-sitter chunking, code search): the Code & docs page's own port. */
function codeService(): Comlink.Remote<CodeApi> {
  return Comlink.wrap<CodeApi>(
    new Worker(new URL('../../workers/code.worker.ts', import.meta.url), { type: 'module', name: 'code' }),
  );
}

/** Build a page's state the first time it is asked for; later calls get the same one. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    p ??= make().catch((e) => {
      p = null; // a failed load (e.g. a chunk that could not be fetched) is tried again next time
      throw e;
    });
    return p;
  };
}

export function createBrowserUi(): Ui {
  // The workers, each behind its seam; built once for the page.
  const bs = createBrowserServices();
  // A page left for good (not kept in the back/forward cache) ends its workers at once, as the
  // browser would a little later: the model workers' heaps are then freed while the next page
  // (a reload) starts, not while its first chunks load.
  addEventListener('pagehide', (e: PageTransitionEvent) => {
    if (!e.persisted) void bs.dispose();
  });
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
    readPack: bs.readPack,
    openCorpus: openCorpusInWorker,
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
  // The Code & docs state and its worker, shared by its page, Storage and the Evaluate page's code section.
  const codeParts = once(async () => {
    const [{ CodeSpaceState }, { WorkerCodeCollections }] = await Promise.all([
      import('./state/code.svelte.ts'),
      import('../browser/code-client.ts'),
    ]);
    const api = new WorkerCodeCollections(codeService());
    const code = new CodeSpaceState({
      settings: app.settings,
      jobs: app.jobs,
      kv,
      code: api,
      embedder: services.embedder,
      embedderInfo: () => app.embedder.info,
      generator: services.generator,
      generatorReady: () => app.generator.ready,
      modelSource: () => app.models.modelConfig(),
    });
    return { api, code };
  });
  // Evaluate, Fine-tune and Code & docs: code, state and workers when first opened.
  const pages: LazyPages = {
    evaluation: once(async () => {
      const { EvalState } = await import('./evaluate.svelte.ts');
      return new EvalState({ app, services, kv });
    }),
    training: once(async () => {
      const { TrainState } = await import('./train.svelte.ts');
      return new TrainState({ app, services, train: trainService() });
    }),
    code: () => codeParts().then((p) => p.code),
    codeEval: once(async () => {
      const [{ CodeEvalState }, { code, api }] = await Promise.all([
        import('./state/code-eval.svelte.ts'),
        codeParts(),
      ]);
      return new CodeEvalState({
        code,
        api,
        embedder: services.embedder,
        embedderInfo: () => app.embedder.info,
        jobs: app.jobs,
        settings: app.settings,
        bundled: async () => {
          const r = await fetch(codeQuestionsUrl);
          if (!r.ok) throw new Error(`the bundled questions: HTTP ${r.status}`);
          return r.text();
        },
      });
    }),
  };
  return { app, conversation: new Conversation({ app, services, kv }), pages };
}
