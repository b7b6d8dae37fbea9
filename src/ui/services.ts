/**
 * The page's handles on the workers. Each worker exposes a service from src/lib over comlink;
 * this file adds what cannot cross the boundary (AbortSignal, hard timeouts).
 */
import * as Comlink from 'comlink';
import type { EmbedApi } from '../../workers/embed.worker.ts';
import type { IndexApi } from '../../workers/index.worker.ts';
import type { LlmApi } from '../../workers/llm.worker.ts';
import type { SqlApi } from '../../workers/sql.worker.ts';
import type { TrainApi } from '../../workers/train.worker.ts';
import type { UiServices } from './state/ports.ts';
import { SqlClient } from '../lib/sql/client.ts';
import type { ProgressFn } from '../lib/types.ts';
import { registerErrorTransfer } from '../lib/errors-transfer.ts';
import type { LexicalApi } from '../lib/retrieve/lexical-search.ts';
import { WorkerLexicalSource } from '../browser/clients.ts';

registerErrorTransfer();

function spawn<T>(make: () => Worker): { api: Comlink.Remote<T>; worker: Worker } {
  const worker = make();
  return { api: Comlink.wrap<T>(worker), worker };
}

export const embedWorker = spawn<EmbedApi>(
  () => new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), { type: 'module', name: 'embed' }),
);
export const indexWorker = spawn<IndexApi>(
  () => new Worker(new URL('../../workers/index.worker.ts', import.meta.url), { type: 'module', name: 'index' }),
);
export const llmWorker = spawn<LlmApi>(
  () => new Worker(new URL('../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'llm' }),
);
/** BM25 indexes, built off the main thread as soon as a corpus is loaded. */
const lexicalWorker = spawn<LexicalApi>(
  () => new Worker(new URL('../../workers/lexical.worker.ts', import.meta.url), { type: 'module', name: 'lexical' }),
);
const lexical = new WorkerLexicalSource(lexicalWorker.api);

/** A SQL worker with a hard timeout (terminated and restarted when a query runs too long). */
export function newSqlClient(timeoutMs = 5_000): SqlClient {
  return new SqlClient(() => {
    const { api, worker } = spawn<SqlApi>(
      () => new Worker(new URL('../../workers/sql.worker.ts', import.meta.url), { type: 'module', name: 'sql' }),
    );
    return {
      remote: api,
      terminate: () => {
        api[Comlink.releaseProxy]();
        worker.terminate();
      },
    };
  }, timeoutMs);
}

/** The Ask page's database. */
export const sql = newSqlClient();

/** Wrap a progress callback so it can be called from a worker. */
export function progressProxy(fn: ProgressFn): ProgressFn {
  return Comlink.proxy(fn);
}

export function tokenProxy(fn: (piece: string) => void): (piece: string) => void {
  return Comlink.proxy(fn);
}

export const transfer = Comlink.transfer;

/** The services the UI state classes are built with (src/ui/browser-app.ts). */
export function uiServices(): UiServices {
  return {
    embed: embedWorker.api,
    index: indexWorker.api,
    llm: llmWorker.api,
    sql,
    newSql: newSqlClient,
    progressProxy,
    tokenProxy,
    transfer,
    lexical,
  };
}

/** The training worker (rule-based pair generation and adapter training). */
export function trainService(): Comlink.Remote<TrainApi> {
  return Comlink.wrap<TrainApi>(
    new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
  );
}
