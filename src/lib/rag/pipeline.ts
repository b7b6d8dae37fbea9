/**
 * The RAG flow, host-agnostic: index a corpus, and answer a question
 * (embed → retrieve → prompt → generate → execute). Services are passed in, so the same code
 * drives workers from the UI and direct instances from Node tools and tests.
 */
import type { Corpus, Example, ProgressFn, QueryResult, TableInfo } from '../types.ts';
import type { SearchHit } from '../index/vector-index.ts';
import type { IndexMeta, IndexRecord } from '../index/store.ts';
import type { BuiltPrompt, PromptInput } from '../llm/prompts.ts';
import type { GenerateResult } from '../llm/generator.ts';
import type { PromptFormat } from '../config.ts';
import { extractSql } from '../llm/prompts.ts';
import { docText, type TextMode } from './doc-text.ts';
import { CancelledError, errorMessage, isCancelled } from '../errors.ts';

type MaybePromise<T> = T | Promise<T>;

export interface IndexingServices {
  /** Embed documents (role 'doc'). */
  embedDocs(texts: string[]): Promise<Float32Array>;
  build(meta: IndexMeta, vectors: Float32Array, embedMs: number): Promise<IndexRecord>;
}

export interface IndexCorpusOptions {
  corpus: Corpus;
  meta: IndexMeta;
  textMode: TextMode;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/**
 * Embed every example and hand the vectors to the index. Cancelling stops between batches and
 * throws CancelledError before anything is written, so the previous index stays intact.
 */
export async function indexCorpus(svc: IndexingServices, o: IndexCorpusOptions): Promise<IndexRecord> {
  const texts = o.corpus.examples.map((ex) => docText(ex, o.textMode, o.corpus.schemas));
  const n = texts.length;
  const dim = o.meta.dim;
  const batch = Math.max(1, o.batchSize ?? 32);
  const vectors = new Float32Array(n * dim);
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    if (o.signal?.aborted) throw new CancelledError('indexing');
    const v = await svc.embedDocs(texts.slice(start, start + batch));
    vectors.set(v, start * dim);
    const done = Math.min(n, start + batch);
    const el = performance.now() - t0;
    o.onProgress?.({ phase: 'Embedding corpus', done, total: n, detail: `${Math.round((done * 1000) / el)} docs/s` });
  }
  if (o.signal?.aborted) throw new CancelledError('indexing');
  o.onProgress?.({ phase: 'Saving index', done: n, total: n });
  return svc.build(o.meta, vectors, performance.now() - t0);
}

export interface AskServices {
  embedQuery(text: string): Promise<Float32Array>;
  search(query: Float32Array, k: number): MaybePromise<{ hits: SearchHit[]; ms: number }>;
  /**
   * A retrieval strategy over the question text (src/lib/retrieve/): when given, it replaces
   * embed + search. Hits are corpus rows with the strategy's scores, best first.
   */
  retrieve?(
    question: string,
    k: number,
    tables: TableInfo[],
  ): Promise<{ hits: { row: number; score: number }[]; ms: number }>;
  buildPrompt(input: PromptInput): MaybePromise<BuiltPrompt>;
  generate(prompt: string, onToken: (piece: string) => void, signal?: AbortSignal): Promise<GenerateResult>;
  exec(sql: string): Promise<QueryResult>;
}

export interface RetrievedExample {
  example: Example;
  score: number;
  row: number;
}

export type AskEvent =
  | { type: 'retrieved'; examples: RetrievedExample[]; embedMs: number; searchMs: number }
  | { type: 'prompt'; prompt: BuiltPrompt }
  | { type: 'token'; piece: string }
  | { type: 'sql'; sql: string; generation: GenerateResult }
  | { type: 'result'; result: QueryResult }
  | { type: 'error'; stage: 'retrieve' | 'generate' | 'execute'; message: string };

export interface AskInput {
  question: string;
  k: number;
  corpus: Corpus | null;
  tables: TableInfo[];
  format: PromptFormat;
  signal?: AbortSignal;
}

export interface AskOutcome {
  retrieved: RetrievedExample[];
  prompt?: BuiltPrompt;
  sql?: string;
  generation?: GenerateResult;
  result?: QueryResult;
  error?: { stage: string; message: string };
  ms: { embed: number; search: number; generate: number; execute: number; total: number };
}

/** Answer one question, reporting each stage as it happens. */
export async function ask(
  svc: AskServices,
  input: AskInput,
  on: (e: AskEvent) => void = () => {},
): Promise<AskOutcome> {
  const t0 = performance.now();
  const ms = { embed: 0, search: 0, generate: 0, execute: 0, total: 0 };
  const out: AskOutcome = { retrieved: [], ms };
  const fail = (stage: 'retrieve' | 'generate' | 'execute', e: unknown) => {
    if (isCancelled(e)) throw e;
    out.error = { stage, message: errorMessage(e) };
    on({ type: 'error', stage, message: out.error.message });
    ms.total = performance.now() - t0;
    return out;
  };
  // 1. retrieve
  if (input.k > 0 && input.corpus && input.corpus.examples.length) {
    try {
      if (svc.retrieve) {
        const r = await svc.retrieve(input.question, input.k, input.tables);
        ms.search = r.ms;
        out.retrieved = r.hits.map((h) => ({ example: input.corpus!.examples[h.row], score: h.score, row: h.row }));
      } else {
        const te = performance.now();
        const q = await svc.embedQuery(input.question);
        ms.embed = performance.now() - te;
        const { hits, ms: sms } = await svc.search(q, input.k);
        ms.search = sms;
        out.retrieved = hits.map((h) => ({ example: input.corpus!.examples[h.index], score: h.score, row: h.index }));
      }
      on({ type: 'retrieved', examples: out.retrieved, embedMs: ms.embed, searchMs: ms.search });
    } catch (e) {
      return fail('retrieve', e);
    }
  } else {
    on({ type: 'retrieved', examples: [], embedMs: 0, searchMs: 0 });
  }
  if (input.signal?.aborted) throw new CancelledError('question');
  // 2. prompt + generate
  try {
    const prompt = await svc.buildPrompt({
      tables: input.tables,
      examples: out.retrieved.map((r) => ({ question: r.example.question, sql: r.example.sql })),
      question: input.question,
    });
    out.prompt = prompt;
    on({ type: 'prompt', prompt });
    const tg = performance.now();
    const gen = await svc.generate(prompt.text, (piece) => on({ type: 'token', piece }), input.signal);
    ms.generate = performance.now() - tg;
    if (gen.interrupted) throw new CancelledError('generation');
    out.generation = gen;
    out.sql = extractSql(input.format, gen.text);
    on({ type: 'sql', sql: out.sql, generation: gen });
  } catch (e) {
    return fail('generate', e);
  }
  if (!out.sql) return fail('generate', new Error('the model produced no SQL'));
  // 3. execute
  try {
    const tx = performance.now();
    out.result = await svc.exec(out.sql);
    ms.execute = performance.now() - tx;
    on({ type: 'result', result: out.result });
  } catch (e) {
    return fail('execute', e);
  }
  ms.total = performance.now() - t0;
  return out;
}
