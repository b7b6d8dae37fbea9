/**
 * The browser's services factory: spawns the workers and wraps each remote in its seam
 * (./clients.ts), plus a SQL worker behind SqlClient (hard timeout). The page's counterpart of
 * createNodeServices (src/node/services.ts).
 */
import * as Comlink from 'comlink';
import type { EmbedApi } from '../../workers/embed.worker.ts';
import type { DistillApi } from '../../workers/distill.worker.ts';
import type { IndexApi } from '../../workers/index.worker.ts';
import type { LlmApi } from '../../workers/llm.worker.ts';
import type { SqlApi } from '../../workers/sql.worker.ts';
import type { ImportApi } from '../../workers/import.worker.ts';
import type { CorpusApi } from '../../workers/corpus.worker.ts';
import type { CorpusFileOpener } from '../lib/corpus/open.ts';
import { buildDemoCorpus } from '../lib/corpus/demo.ts';
import { takeRows } from '../lib/corpus/in-parts.ts';
import type { Corpus } from '../lib/types.ts';
import { ImportClient } from '../lib/import/client.ts';
import type { AnswerGenerator, Services } from '../lib/services.ts';
import { createInstantGenerator } from '../lib/instant/engine.ts';
import { SqlClient } from '../lib/sql/client.ts';
import { registerErrorTransfer } from '../lib/errors-transfer.ts';
import { spawnSqlWorker, takeEarlySqlWorker } from './early.ts';
import { spawn, spawnOnUse } from './spawn.ts';
import type { LexicalApi } from '../lib/retrieve/lexical-search.ts';
import type { PackReader } from '../lib/pack/read.ts';
import {
  WorkerEmbedder,
  WorkerGenerator,
  WorkerIndexService,
  WorkerLexicalSource,
  WorkerLightQuery,
} from './clients.ts';

export { WorkerEmbedder, WorkerGenerator, WorkerIndexService, WorkerLexicalSource, WorkerLightQuery };
export type { EmbedderInfo, GeneratorInfo } from './clients.ts';

registerErrorTransfer();

/** A SQL worker behind `SqlClient` (an `SqlEngine` with a hard timeout: the worker is restarted). */
export function newWorkerSql(timeoutMs = 5_000): SqlClient {
  return new SqlClient(() => {
    // the worker the page's entry started (src/browser/early.ts), else a new one (a restart)
    const { api, worker } = spawn<SqlApi>(() => takeEarlySqlWorker() ?? spawnSqlWorker());
    return {
      remote: api,
      terminate: () => {
        api[Comlink.releaseProxy]();
        worker.terminate();
      },
    };
  }, timeoutMs);
}

/** Files → a new SQLite database, in its own worker (terminated to cancel; a fresh one per need). */
export function newWorkerImporter(): ImportClient {
  return new ImportClient(() => {
    const { api, worker } = spawn<ImportApi>(
      () => new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'import' }),
    );
    return {
      remote: api,
      callback: (fn) => Comlink.proxy(fn),
      terminate: () => {
        api[Comlink.releaseProxy]();
        worker.terminate();
      },
    };
  });
}

/** A corpus worker (the one place its URL is written, so the build bundles it once). */
const corpusWorker = () =>
  new Worker(new URL('../../workers/corpus.worker.ts', import.meta.url), { type: 'module', name: 'corpus' });

/**
 * Corpus files are parsed and hashed in a worker of their own (started per file, then ended):
 * the data is moved there, the corpus comes back (a large one's rows in parts).
 */
export const openCorpusInWorker: CorpusFileOpener = async (input) => {
  const { api, worker } = spawn<CorpusApi>(corpusWorker);
  try {
    const moved = typeof input.data === 'string' ? [] : [input.data];
    return await takeRows(await api.open(Comlink.transfer(input, moved)), (start, end) => api.rows(start, end));
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
  }
};

/**
 * The demo corpus built in a corpus worker (started for it, then ended): its parsing and hashing
 * took 50-110 ms of the page's main thread at every load (cold code; docs/instant-start.md).
 * Where the worker cannot run, it is built here as before.
 */
export async function buildDemoCorpusInWorker(
  shopSql: string,
  schemas: Record<string, string>,
  jsonl: string,
): Promise<Corpus> {
  let spawned: { api: Comlink.Remote<CorpusApi>; worker: Worker } | null = null;
  try {
    spawned = spawn<CorpusApi>(corpusWorker);
    return await spawned.api.demo(shopSql, schemas, jsonl);
  } catch {
    return buildDemoCorpus(shopSql, schemas, jsonl);
  } finally {
    if (spawned) {
      spawned.api[Comlink.releaseProxy]();
      spawned.worker.terminate();
    }
  }
}

export interface BrowserServices extends Services {
  embedder: WorkerEmbedder;
  index: WorkerIndexService;
  generator: WorkerGenerator;
  /** The instant generator (no download), answering in the SQL worker next to the database. */
  instant: AnswerGenerator;
  sql: SqlClient;
  /** BM25 indexes per corpus, built in the lexical worker. */
  lexical: WorkerLexicalSource;
  /** The fast query encoder (issue 17): distil in the distill worker, decorate queries in the embed worker. */
  light: WorkerLightQuery;
  /** Checks and decodes a corpus pack in the index worker (the buffer is moved there, then back). */
  readPack: PackReader;
  /** The raw remotes, for worker calls that are not part of a seam (GPU probe, WebLLM plans). */
  remotes: { embed: Comlink.Remote<EmbedApi>; index: Comlink.Remote<IndexApi>; llm: Comlink.Remote<LlmApi> };
}

/**
 * Spawn the workers and wrap each in its seam. Models are loaded later through
 * `embedder.load(...)` and `generator.loadWebLlm(...)` / `generator.loadCpu(...)`.
 */
export function createBrowserServices(o: { sqlTimeoutMs?: number } = {}): BrowserServices {
  // The SQL worker first (SqlClient starts it at once: the database opens at boot); the others
  // at their first call, so nothing here competes with the first paint and the database.
  const sql = newWorkerSql(o.sqlTimeoutMs);
  const embed = spawnOnUse<EmbedApi>(
    () => new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'embed' }),
  );
  const index = spawnOnUse<IndexApi>(
    () => new Worker(new URL('../../workers/index.worker.ts', import.meta.url), { type: 'module', name: 'index' }),
  );
  const llm = spawnOnUse<LlmApi>(
    () => new Worker(new URL('../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'llm' }),
  );
  const lexical = spawnOnUse<LexicalApi>(
    () => new Worker(new URL('../../workers/lexical.worker.ts', import.meta.url), { type: 'module', name: 'lexical' }),
  );
  const embedder = new WorkerEmbedder(embed.api, null, embed.restart);
  let distill: { api: Comlink.Remote<DistillApi>; worker: Worker } | null = null;
  return {
    embedder,
    index: new WorkerIndexService(index.api),
    generator: new WorkerGenerator(llm.api),
    instant: createInstantGenerator(sql),
    sql,
    lexical: new WorkerLexicalSource(lexical.api),
    light: new WorkerLightQuery(embed.api, embedder, () => {
      distill ??= spawn<DistillApi>(
        () =>
          new Worker(new URL('../../workers/distill.worker.ts', import.meta.url), { type: 'module', name: 'distill' }),
      );
      return distill.api;
    }),
    readPack: (buf, opts) => index.api.readPack(Comlink.transfer(buf, [buf]), opts),
    remotes: { embed: embed.api, index: index.api, llm: llm.api },
    async dispose() {
      sql.dispose();
      for (const w of [embed.started(), index.started(), llm.started(), lexical.started(), distill]) {
        if (!w) continue;
        w.api[Comlink.releaseProxy]();
        w.worker.terminate();
      }
    },
  };
}
