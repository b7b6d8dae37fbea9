/**
 * The code worker behind the `CodeCollectionsApi` interface: progress callbacks cross as Comlink
 * proxies, and a cancel reaches the worker at once (it stops between files).
 */
import * as Comlink from 'comlink';
import type { CodeApi } from '../../workers/code.worker.ts';
import type { CodeQuestion } from '../lib/code/eval.ts';
import type {
  CodeCollectionsApi,
  CodeInput,
  CollectionEvalOptions,
  CollectionEvalReport,
  ModelSource,
  PrepareOptions,
  PreparedSources,
  RerankerStatus,
} from '../lib/code/service.ts';
import type { CodeHit, CodeMethod } from '../lib/code/search.ts';
import type { Chunk } from '../lib/code/types.ts';
import type { ProgressFn } from '../lib/types.ts';

export class WorkerCodeCollections implements CodeCollectionsApi {
  constructor(private readonly api: Comlink.Remote<CodeApi>) {}

  prepare(inputs: CodeInput[], o?: PrepareOptions, onProgress?: ProgressFn): Promise<PreparedSources> {
    return this.api.prepare(inputs, o, onProgress ? Comlink.proxy(onProgress) : undefined);
  }
  cancelPrepare(): void {
    void this.api.cancelPrepare();
  }
  open(id: string, chunks: Chunk[], vectors: Float32Array, dim: number): Promise<void> {
    return this.api.open(id, chunks, vectors, dim);
  }
  search(id: string, query: string, q: Float32Array, k: number, method: CodeMethod): Promise<CodeHit[]> {
    return this.api.search(id, query, q, k, method);
  }
  coverage(id: string, query: string, rows: number[]): Promise<number> {
    return this.api.coverage(id, query, rows);
  }
  close(id: string): Promise<void> {
    return this.api.close(id);
  }
  evaluate(
    id: string,
    questions: CodeQuestion[],
    queries: Float32Array,
    o?: CollectionEvalOptions,
    onProgress?: ProgressFn,
  ): Promise<CollectionEvalReport> {
    return this.api.evaluate(id, questions, queries, o, onProgress ? Comlink.proxy(onProgress) : undefined);
  }
  cancelEvaluate(): void {
    void this.api.cancelEvaluate();
  }
  useReranker(id: string | null, source: ModelSource | null, onProgress?: ProgressFn): Promise<RerankerStatus> {
    return this.api.useReranker(id, source, onProgress ? Comlink.proxy(onProgress) : undefined);
  }
  rerankerStatus(): Promise<RerankerStatus> {
    return this.api.rerankerStatus();
  }
}
