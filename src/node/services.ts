/**
 * The Node services factory: the same seams as the browser's (src/lib/services.ts), built from
 * in-process implementations. The CLIs and tests use this; the page uses createBrowserServices.
 *
 *   embedder   transformers.js on the CPU (local ../shared/models, or the Hub)
 *   index      IndexService over an IndexedDB store (fake-indexeddb in memory unless one is given)
 *   generator  transformers.js CPU generator behind LocalGenerator (prompts cut with its tokenizer),
 *              or the instant generator ('instant': no model, answers in the SQL thread)
 *   sql        sql.js in a worker thread behind SqlClient (hard timeout: the thread is terminated)
 */
import { findEmbedder, INSTANT_GENERATOR, type Dtype } from '../lib/config.ts';
import { createInstantGenerator } from '../lib/instant/engine.ts';
import type { Embedder } from '../lib/embed/embedder.ts';
import { IndexService } from '../lib/index/service.ts';
import { IndexStore } from '../lib/index/store.ts';
import { flatFactory } from '../lib/index/flat.ts';
import { int8Factory } from '../lib/index/int8.ts';
import { ivfFactory } from '../lib/index/ivf.ts';
import { voyFactory } from '../lib/index/voy.ts';
import { LocalLexicalSource } from '../lib/retrieve/lexical-search.ts';
import { LocalGenerator } from '../lib/llm/local-generator.ts';
import type { Services } from '../lib/services.ts';
import type { SqlClient } from '../lib/sql/client.ts';
import { defaultTestEmbedderId, loadCpuGenerator, loadEmbedder, voyReady } from './host.ts';
import { nodeSqlClient } from './sql-thread.ts';

export interface NodeServicesOptions {
  /**
   * Embedder registry id (default: USE-Lite when ../shared/models has it, else all-MiniLM-L6-v2);
   * null = no embedder (a run without retrieval), then `embedder` is null.
   */
  embedderId?: string | null;
  embedderDtype?: Dtype;
  /** A CPU generator registry id (e.g. 'tiny-sql-lm'), or 'instant'; none = no generator. */
  generatorId?: string;
  generatorDtype?: Dtype;
  /** A store to keep indexes in; default: a fresh in-memory IndexedDB (fake-indexeddb). */
  indexStore?: IndexStore;
  /** SQL hard timeout in ms (default 5,000). */
  sqlTimeoutMs?: number;
  /** An already loaded embedder to reuse (tests share one). */
  embedder?: Embedder;
}

export interface NodeServices extends Omit<Services, 'embedder'> {
  embedder: Embedder | null;
  index: IndexService;
  generator: LocalGenerator | null;
  sql: SqlClient;
}

let storeSeq = 0;

async function memoryStore(): Promise<IndexStore> {
  if (!(globalThis as { indexedDB?: unknown }).indexedDB) {
    // Installs indexedDB and the IDB* classes as globals (what idb expects); a side-effect module.
    const auto: string = 'fake-indexeddb/auto';
    await import(/* @vite-ignore */ auto);
  }
  return IndexStore.open(`coderag-node-${process.pid}-${++storeSeq}`);
}

export async function createNodeServices(o: NodeServicesOptions = {}): Promise<NodeServices> {
  const embedderId = o.embedderId === undefined ? defaultTestEmbedderId() : o.embedderId;
  if (!o.embedder && embedderId !== null && !findEmbedder(embedderId))
    throw new Error(`unknown embedder "${embedderId}"`);
  const [embedder, engine, store] = await Promise.all([
    o.embedder ?? (embedderId === null ? null : loadEmbedder(embedderId, o.embedderDtype)),
    o.generatorId && o.generatorId !== INSTANT_GENERATOR.id ? loadCpuGenerator(o.generatorId, o.generatorDtype) : null,
    o.indexStore ?? memoryStore(),
    voyReady(),
  ]);
  const index = new IndexService(store, { flat: flatFactory, voy: voyFactory, int8: int8Factory, ivf: ivfFactory });
  const sql = nodeSqlClient(o.sqlTimeoutMs);
  const generator = engine
    ? new LocalGenerator(engine)
    : o.generatorId === INSTANT_GENERATOR.id
      ? createInstantGenerator(sql)
      : null;
  return {
    embedder,
    index,
    generator,
    sql,
    lexical: new LocalLexicalSource(),
    async dispose() {
      sql.dispose();
      await generator?.dispose();
      if (!o.embedder) await embedder?.dispose?.();
      if (!o.indexStore) store.close();
    },
  };
}
