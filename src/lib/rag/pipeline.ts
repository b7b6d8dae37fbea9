/**
 * The RAG flow, host-agnostic: index a corpus, and answer a question
 * (embed → retrieve → prompt → generate → execute). Services are passed in, so the same code
 * drives workers from the UI and direct instances from Node tools and tests.
 */
import type { Corpus, Example, ProgressFn, QueryResult, TableInfo } from '../types.ts';
import type { IndexMeta, IndexRecord } from '../index/store.ts';
import type { BuiltPrompt, PromptInput } from '../llm/prompts.ts';
import type { GenerateResult } from '../llm/generator.ts';
import type { PromptFormat } from '../config.ts';
import type { Retriever } from '../services.ts';
import { extractSql } from '../llm/prompts.ts';
import type { SchemaLinks } from '../link/link.ts';
import type { LinkFn } from './linking.ts';
import { docText, type TextMode } from './doc-text.ts';
import { CancelledError, errorMessage, isCancelled, throwIfAborted } from '../errors.ts';

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
  /**
   * The rows' document texts in `textMode`, computed elsewhere (the page asks the lexical worker,
   * so that masking a large corpus does not block its main thread); by default docText here.
   */
  texts?: () => Promise<string[]>;
}

/**
 * Embed every example and hand the vectors to the index. Cancelling stops between batches and
 * throws CancelledError before anything is written, so the previous index stays intact.
 */
export async function indexCorpus(svc: IndexingServices, o: IndexCorpusOptions): Promise<IndexRecord> {
  const texts = o.texts ? await o.texts() : o.corpus.examples.map((ex) => docText(ex, o.textMode, o.corpus.schemas));
  if (texts.length !== o.corpus.examples.length)
    throw new Error(`${texts.length} document texts for ${o.corpus.examples.length} examples`);
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
  /** Picks the examples (src/lib/retrieve/; dense is one strategy); null = no retrieval. */
  retriever: Retriever | null;
  buildPrompt(input: PromptInput): MaybePromise<BuiltPrompt>;
  /** Generate; must stop (interrupt the model) when `signal` aborts. */
  generate(prompt: string, onToken: (piece: string) => void, signal?: AbortSignal): Promise<GenerateResult>;
  /** Run SQL; should stop the query when `signal` aborts. */
  exec(sql: string, signal?: AbortSignal): Promise<QueryResult>;
  /**
   * Schema linking of the question (rag/linking.ts `promptLinker` over the same SQL engine), passed
   * to `buildPrompt` as `links`. Absent: no links (the whole schema, cut blindly when it does not fit).
   */
  link?: LinkFn;
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
  /** Corpus rows never to retrieve (the question itself, in evaluations). */
  exclude?: number[];
  /** The question's database id, passed to the retriever. */
  dbId?: string;
  /** Stop: every stage ends promptly, ask() rejects with CancelledError and emits nothing more. */
  signal?: AbortSignal;
}

/** `p`, or a CancelledError as soon as `signal` aborts (whichever comes first). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new CancelledError(what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError(what));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export interface AskOutcome {
  retrieved: RetrievedExample[];
  /** Schema linking of the question, when `link` was given and it worked. */
  links?: SchemaLinks;
  /** Why linking gave nothing (the prompt was built without links). */
  linkError?: string;
  prompt?: BuiltPrompt;
  sql?: string;
  generation?: GenerateResult;
  result?: QueryResult;
  error?: { stage: string; message: string };
  ms: { embed: number; search: number; generate: number; execute: number; total: number };
}

/**
 * Answer one question, reporting each stage as it happens. Aborting `input.signal` ends the
 * stage in flight (retrieval is abandoned, the generator interrupted, the query stopped) and
 * rejects with CancelledError; no event is emitted after the abort.
 */
export async function ask(
  svc: AskServices,
  input: AskInput,
  on: (e: AskEvent) => void = () => {},
): Promise<AskOutcome> {
  const t0 = performance.now();
  const { signal } = input;
  const ms = { embed: 0, search: 0, generate: 0, execute: 0, total: 0 };
  const out: AskOutcome = { retrieved: [], ms };
  const emit = (e: AskEvent) => {
    if (!signal?.aborted) on(e);
  };
  const fail = (stage: 'retrieve' | 'generate' | 'execute', e: unknown) => {
    if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : new CancelledError('question');
    out.error = { stage, message: errorMessage(e) };
    emit({ type: 'error', stage, message: out.error.message });
    ms.total = performance.now() - t0;
    return out;
  };
  throwIfAborted(signal, 'question');
  // 1. retrieve
  const corpus = input.corpus;
  if (svc.retriever && input.k > 0 && corpus && corpus.examples.length) {
    try {
      const r = await untilAborted(
        svc.retriever.retrieve(input.question, input.k, {
          tables: input.tables,
          exclude: input.exclude,
          dbId: input.dbId,
          signal,
        }),
        signal,
        'retrieval',
      );
      ms.embed = r.embedMs ?? 0;
      ms.search = r.ms - ms.embed;
      out.retrieved = r.hits.map((h) => ({ example: corpus.examples[h.row], score: h.score, row: h.row }));
      emit({ type: 'retrieved', examples: out.retrieved, embedMs: ms.embed, searchMs: ms.search });
    } catch (e) {
      return fail('retrieve', e);
    }
  } else {
    emit({ type: 'retrieved', examples: [], embedMs: 0, searchMs: 0 });
  }
  throwIfAborted(signal, 'question');
  // 2. link + prompt + generate
  if (svc.link) {
    try {
      const l = await untilAborted(svc.link(input.question, input.tables, signal), signal, 'question');
      if (l.links) out.links = l.links;
      if (l.error) out.linkError = l.error;
    } catch (e) {
      if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : new CancelledError('question');
      out.linkError = errorMessage(e);
    }
  }
  throwIfAborted(signal, 'question');
  try {
    const prompt = await untilAborted(
      Promise.resolve(
        svc.buildPrompt({
          tables: input.tables,
          examples: out.retrieved.map((r) => ({ question: r.example.question, sql: r.example.sql, score: r.score })),
          question: input.question,
          ...(out.links ? { links: out.links } : {}),
          ...(out.linkError ? { linkError: out.linkError } : {}),
        }),
      ),
      signal,
      'question',
    );
    out.prompt = prompt;
    emit({ type: 'prompt', prompt });
    const tg = performance.now();
    const gen = await untilAborted(
      svc.generate(prompt.text, (piece) => emit({ type: 'token', piece }), signal),
      signal,
      'generation',
    );
    ms.generate = performance.now() - tg;
    if (gen.interrupted || signal?.aborted) throw new CancelledError('generation');
    out.generation = gen;
    out.sql = extractSql(input.format, gen.text);
    emit({ type: 'sql', sql: out.sql, generation: gen });
  } catch (e) {
    return fail('generate', e);
  }
  if (!out.sql) return fail('generate', new Error('the model produced no SQL'));
  // 3. execute
  try {
    const tx = performance.now();
    out.result = await untilAborted(svc.exec(out.sql, signal), signal, 'query');
    ms.execute = performance.now() - tx;
    emit({ type: 'result', result: out.result });
  } catch (e) {
    return fail('execute', e);
  }
  ms.total = performance.now() - t0;
  return out;
}
