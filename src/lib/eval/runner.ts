/**
 * The evaluation loop, host-agnostic (no DOM, no Node APIs): for every question, open its
 * database, run the gold SQL once, then for each k answer the question through the SAME `ask()`
 * the app uses (embed → retrieve → prompt → generate → execute) and score it (score.ts).
 *
 * Services are passed in, as for `ask()`, with retrieval as a `Retriever` (any strategy of
 * src/lib/retrieve/): the Node CLI wires in-process instances (createNodeServices), the browser's
 * Evaluate page its worker clients. The runner tells the retriever which rows to exclude (the
 * question itself), the question's database and tables. A run can be cancelled (AbortSignal; throws CancelledError between questions or
 * inside generation) and resumed (pass the examples already scored as `done`).
 *
 * Retrieval never returns the question itself: corpus rows with the item's id, or with the same
 * question and the same (normalised) SQL, are excluded from its search. That matters when the
 * corpus is the evaluation set itself.
 */
import type { Corpus, ProgressFn, QueryResult, TableInfo } from '../types.ts';
import type { BuiltPrompt, PromptInput } from '../llm/prompts.ts';
import type { GenerateResult } from '../llm/generator.ts';
import type { PromptFormat } from '../config.ts';
import type { Retriever } from '../services.ts';
import { oneLine } from '../llm/prompts.ts';
import { promptLinker } from '../rag/linking.ts';
import { ask, type AskOutcome, type AskServices } from '../rag/pipeline.ts';
import type { Sampling } from '../llm/generator.ts';
import { repairPrompt } from '../llm/repair.ts';
import { InstantGenerator } from '../instant/generator.ts';
import { askVoted, type VoteSettings, type VotedOutcome } from '../vote/pool.ts';
import type { VoteExample } from '../vote/report.ts';
import { DEFAULT_NOT_SURE_BELOW } from '../vote/vote.ts';
import { normalizeSql, sqlSkeleton } from '../sql/normalize.ts';
import { errorMessage, isCancelled, throwIfAborted } from '../errors.ts';
import { scoreExample, type ExecOutcome } from './score.ts';
import { meanCI, mrrAtK, ndcgAtK, recallAtK } from './retrieval.ts';
import { wilson } from './stats.ts';
import {
  latencyStats,
  summarizeRun,
  type EvalExample,
  type EvalRun,
  type RetrievalExample,
  type RetrievalRun,
  type RetrievedJudged,
} from './report.ts';

type MaybePromise<T> = T | Promise<T>;

/** One question to evaluate. */
export interface EvalItem {
  id: string;
  /** The database it runs on: a Spider db_id, or a per-example database (gretel sql_context). */
  dbId: string;
  question: string;
  gold: string;
}

export interface EvalServices {
  /**
   * Picks the examples (any strategy of src/lib/retrieve/, over the corpus of the run); null =
   * no retrieval. It should honour `exclude`; the runner drops excluded rows from its hits either way.
   */
  retriever: Retriever | null;
  buildPrompt(input: PromptInput): MaybePromise<BuiltPrompt>;
  generate(
    prompt: string,
    onToken: (piece: string) => void,
    signal?: AbortSignal,
    sampling?: Sampling,
  ): Promise<GenerateResult>;
  /** Make `dbId` the current database; returns its tables as the prompt should show them. */
  openDb(dbId: string): Promise<{ tables: TableInfo[] }>;
  /** Run SQL on the current database (the host applies its time and row limits). */
  exec(sql: string): Promise<QueryResult>;
}

export interface RunEvalOptions {
  items: EvalItem[];
  /** Few-shot counts to evaluate, e.g. [0, 3]; 0 = no retrieval. */
  ks: number[];
  /** Retrieval corpus (already indexed by the host's `search`); null = no retrieval. */
  corpus: Corpus | null;
  format: PromptFormat;
  /** Recorded in each run (how the corpus was indexed). */
  textMode?: string;
  /** Examples already scored by an interrupted run, by k: kept as they are, not run again. */
  done?: { k: number; examples: EvalExample[] }[];
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Called after each example is scored (hosts save partial results with it). */
  onExample?: (k: number, example: EvalExample) => void;
  /**
   * Link each question to its database through `exec` and pass the links to the prompt (schema
   * pruning, value hints), as the app does (default true); false: the whole schema, cut blindly.
   */
  link?: boolean;
  /**
   * Also answer every question with the voted candidate pool (src/lib/vote/pool.ts) and record it
   * beside the greedy answer (`vote` of each example, `vote` of each run). `instant` adds the
   * instant generator's adaptation to the pool (or makes it the greedy source with greedy: 'instant').
   */
  vote?: Partial<VoteSettings> & { instant?: boolean };
}

// ---------------------------------------------------------------------------------------------
// Self-exclusion and skeleton caches

function questionKey(question: string, sql: string): string {
  return `${oneLine(question).toLowerCase()}\u0000${normalizeSql(sql)}`;
}

const selfIndexCache = new WeakMap<Corpus, { byId: Map<string, number[]>; byKey: Map<string, number[]> }>();

/**
 * Corpus rows that ARE the given question: the same id, or the same question text (case and
 * whitespace ignored) with the same normalised SQL.
 */
export function selfRows(corpus: Corpus, item: { id: string; question: string; gold: string }): number[] {
  let idx = selfIndexCache.get(corpus);
  if (!idx) {
    idx = { byId: new Map(), byKey: new Map() };
    const push = (m: Map<string, number[]>, key: string, row: number) => {
      const a = m.get(key);
      if (a) a.push(row);
      else m.set(key, [row]);
    };
    corpus.examples.forEach((ex, row) => {
      push(idx!.byId, ex.id, row);
      push(idx!.byKey, questionKey(ex.question, ex.sql), row);
    });
    selfIndexCache.set(corpus, idx);
  }
  const rows = new Set([
    ...(idx.byId.get(item.id) ?? []),
    ...(idx.byKey.get(questionKey(item.question, item.gold)) ?? []),
  ]);
  return [...rows].sort((a, b) => a - b);
}

const skeletonCache = new WeakMap<Corpus, string[]>();

/** `sqlSkeleton` of every corpus example (computed once per corpus object). */
export function corpusSkeletons(corpus: Corpus): string[] {
  let s = skeletonCache.get(corpus);
  if (!s) {
    s = corpus.examples.map((e) => sqlSkeleton(e.sql));
    skeletonCache.set(corpus, s);
  }
  return s;
}

function judge(corpus: Corpus, goldSkeleton: string, hits: { row: number; score: number }[]): RetrievedJudged[] {
  const sk = corpusSkeletons(corpus);
  return hits.map((h) => ({
    id: corpus.examples[h.row].id,
    score: Math.round(h.score * 1e6) / 1e6,
    skeleton_match: sk[h.row] === goldSkeleton,
  }));
}

/** Milliseconds rounded to 0.01, to keep reports readable. */
function ms(x: number): number {
  return Math.round(x * 100) / 100;
}

async function runSql(svc: EvalServices, sql: string): Promise<ExecOutcome> {
  try {
    return { ok: true, result: await svc.exec(sql) };
  } catch (e) {
    if (isCancelled(e)) throw e;
    return { ok: false, error: errorMessage(e) };
  }
}

/** `retriever` that never returns the `exclude` rows (even when a strategy ignores them). */
function excluding(retriever: Retriever, exclude: number[]): Retriever {
  const excluded = new Set(exclude);
  return {
    name: retriever.name,
    async retrieve(question, k, ctx) {
      const r = await retriever.retrieve(question, k, { ...ctx, exclude });
      return { ...r, hits: r.hits.filter((h) => !excluded.has(h.row)).slice(0, k) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Full evaluation (generation + execution)

/**
 * Evaluate every item at every k. Returns one run per k (in the order of `ks`), with examples in
 * the order of `items`. Items are processed one by one (all ks for an item before the next item),
 * so each database is opened once per stretch of items on it and each gold query runs once.
 */
export async function runEval(svc: EvalServices, o: RunEvalOptions): Promise<EvalRun[]> {
  const ks = [...new Set(o.ks)];
  const results = new Map<number, Map<string, EvalExample>>(ks.map((k) => [k, new Map()]));
  const wanted = new Set(o.items.map((i) => i.id));
  for (const d of o.done ?? []) {
    const m = results.get(d.k);
    if (!m) continue;
    for (const e of d.examples) if (wanted.has(e.id)) m.set(e.id, e);
  }
  const total = o.items.length * ks.length;
  let finished = [...results.values()].reduce((s, m) => s + m.size, 0);
  let currentDb: string | null = null;
  let tables: TableInfo[] = [];
  const link =
    o.link === false ? undefined : promptLinker({ exec: (sql) => svc.exec(sql) }, { dbKey: () => currentDb ?? '' });
  const instant = o.vote?.instant ? new InstantGenerator({ sql: { exec: (q) => svc.exec(q) } }) : null;

  for (const item of o.items) {
    throwIfAborted(o.signal, 'evaluation');
    const todo = ks.filter((k) => !results.get(k)!.has(item.id));
    if (!todo.length) continue;
    o.onProgress?.({ phase: 'Evaluating', done: finished, total, detail: `${item.dbId}: ${item.id}` });

    const goldSkeleton = sqlSkeleton(item.gold);
    const record = (k: number, e: EvalExample) => {
      results.get(k)!.set(item.id, e);
      finished++;
      o.onExample?.(k, e);
    };
    const base = { id: item.id, db_id: item.dbId, question: item.question, gold: item.gold };

    // Database and gold result, shared by every k of this item.
    let openError: string | null = null;
    if (currentDb !== item.dbId) {
      try {
        tables = (await svc.openDb(item.dbId)).tables;
        currentDb = item.dbId;
      } catch (e) {
        if (isCancelled(e)) throw e;
        currentDb = null;
        openError = errorMessage(e);
      }
    }
    if (openError !== null) {
      for (const k of todo) {
        const s = scoreExample({
          gold: item.gold,
          predicted: null,
          goldExec: { ok: false, error: openError },
          predError: `database ${item.dbId} could not be opened: ${openError}`,
        });
        record(k, {
          ...base,
          predicted: null,
          ...s,
          error: `open: ${openError}`,
          retrieved: [],
          latency_ms: { embed: 0, search: 0, generate: 0, execute: 0 },
        });
      }
      continue;
    }
    const goldExec = await runSql(svc, item.gold);
    const exclude = o.corpus ? selfRows(o.corpus, item) : [];

    // ask() times execution only when it succeeds; time it here so failures count too.
    let execMs: number;
    const askSvc: AskServices = {
      retriever: svc.retriever ? excluding(svc.retriever, exclude) : null,
      buildPrompt: (input) => svc.buildPrompt(input),
      generate: (p, onToken, signal, sampling?: Sampling) => svc.generate(p, onToken, signal, sampling),
      link,
      exec: async (sql) => {
        const t0 = performance.now();
        try {
          return await svc.exec(sql);
        } finally {
          execMs = performance.now() - t0;
        }
      },
    };
    for (const k of todo) {
      throwIfAborted(o.signal, 'evaluation');
      execMs = 0;
      const askInput = {
        question: item.question,
        k,
        corpus: o.corpus,
        tables,
        format: o.format,
        exclude,
        dbId: item.dbId,
        signal: o.signal,
      };
      let greedyMs = 0;
      let greedyExecMs = 0;
      const tq = performance.now();
      const out: AskOutcome & VotedOutcome = o.vote
        ? await askVoted(
            {
              ...askSvc,
              generate: (p, onToken, signal, sampling) => svc.generate(p, onToken, signal, sampling),
              instant,
              repairPrompt: (i) => repairPrompt(o.format, i),
            },
            askInput,
            o.vote,
            (ev) => {
              // The greedy answer is complete at its result/error or the first candidate event.
              if (!greedyMs && (ev.type === 'candidate' || ev.type === 'vote')) {
                greedyMs = performance.now() - tq;
                greedyExecMs = execMs;
              }
            },
          )
        : await ask(askSvc, askInput);
      if (o.vote && out.vote) execMs = greedyExecMs;
      const predExec: ExecOutcome | undefined = out.result
        ? { ok: true, result: out.result }
        : out.error?.stage === 'execute'
          ? { ok: false, error: out.error.message }
          : undefined;
      const predError =
        out.error && out.error.stage !== 'execute' ? `${out.error.stage}: ${out.error.message}` : undefined;
      const s = scoreExample({ gold: item.gold, predicted: out.sql ?? null, goldExec, predExec, predError });
      const errors: string[] = [];
      if (out.error) errors.push(`${out.error.stage}: ${out.error.message}`);
      if (!goldExec.ok) errors.push(`gold: ${goldExec.error}`);
      const e: EvalExample = {
        ...base,
        predicted: out.sql ?? null,
        ...s,
        ...(errors.length ? { error: errors.join('; ') } : {}),
        retrieved: o.corpus
          ? judge(
              o.corpus,
              goldSkeleton,
              out.retrieved.map((r) => ({ row: r.row, score: r.score })),
            )
          : [],
        ...(out.prompt ? { examples_used: out.prompt.examplesUsed } : {}),
        ...(out.prompt?.cut ? { prompt_cut: out.prompt.cut } : {}),
        ...(out.prompt?.pruned ? { pruned_tables: out.prompt.pruned.left.map((t) => t.table) } : {}),
        ...(out.prompt?.hints?.length ? { hints: out.prompt.hints.length } : {}),
        ...(out.linkError ? { link_error: out.linkError } : {}),
        ...(out.generation ? { tokens: out.generation.tokens } : {}),
        latency_ms: {
          embed: ms(out.ms.embed),
          search: ms(out.ms.search),
          generate: ms(out.ms.generate),
          execute: ms(execMs),
        },
        ...(out.vote ? { vote: voteExample(out.vote, item.gold, goldExec, greedyMs) } : {}),
      };
      record(k, e);
    }
  }
  o.onProgress?.({ phase: 'Evaluating', done: finished, total });
  return ks.map((k) => {
    const m = results.get(k)!;
    const examples = o.items.map((i) => m.get(i.id)).filter((e): e is EvalExample => e !== undefined);
    return summarizeRun(k, examples, o.textMode, o.vote?.notSureBelow ?? DEFAULT_NOT_SURE_BELOW);
  });
}

function voteExample(
  v: NonNullable<VotedOutcome['vote']>,
  gold: string,
  goldExec: ExecOutcome,
  greedyMs: number,
): VoteExample {
  const s = scoreExample({
    gold,
    predicted: v.sql,
    goldExec,
    predExec: v.result ? { ok: true, result: v.result } : undefined,
    predError: v.error,
  });
  const sources: VoteExample['sources'] = {};
  for (const c of v.candidates) sources[c.source] = (sources[c.source] ?? 0) + 1;
  return {
    predicted: v.sql,
    ex: s.ex,
    ...(s.ex_reason ? { ex_reason: s.ex_reason } : {}),
    confidence: Math.round(v.confidence * 1e4) / 1e4,
    not_sure: v.notSure,
    agree: v.outcome.agree,
    total: v.outcome.total,
    sources,
    repair: v.repair,
    tokens: v.tokens,
    ms: ms(v.ms),
    greedy_ms: ms(greedyMs || v.ms),
  };
}

// ---------------------------------------------------------------------------------------------
// Retrieval only

export interface RunRetrievalOptions {
  items: EvalItem[];
  /** The corpus the host's `search` runs over. */
  corpus: Corpus;
  k: number;
  /** How the corpus was indexed (a label in the result). */
  textMode: string;
  /** Questions per progress report and cancellation check (default 64). */
  batchSize?: number;
  /** Tables of a question's database, for strategies that mask schema mentions. */
  tablesFor?: (dbId: string) => TableInfo[] | undefined;
  /** Seed of the bootstrap intervals of MRR / nDCG / Recall (default 1). */
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/**
 * Retrieval without generation: for each question, does the top-1 / any of the top-k retrieved
 * examples have the gold query's skeleton? Also MRR@k, nDCG@k and Recall@k with relevance =
 * "corpus example with the gold skeleton", over the questions that have any.
 */
export async function runRetrievalEval(retriever: Retriever, o: RunRetrievalOptions): Promise<RetrievalRun> {
  const { items, corpus, k } = o;
  const n = items.length;
  const sk = corpusSkeletons(corpus);
  const bySkeleton = new Map<string, number[]>();
  sk.forEach((s, row) => {
    const a = bySkeleton.get(s);
    if (a) a.push(row);
    else bySkeleton.set(s, [row]);
  });
  const batch = Math.max(1, o.batchSize ?? 64);
  const examples: RetrievalExample[] = [];
  const rr: number[] = [],
    nd: number[] = [],
    rc: number[] = [];
  let top1 = 0,
    topk = 0,
    inCorpus = 0;

  for (let start = 0; start < n; start += batch) {
    throwIfAborted(o.signal, 'evaluation');
    const chunk = items.slice(start, start + batch);
    for (const item of chunk) {
      const exclude = selfRows(corpus, item);
      const excluded = new Set(exclude);
      const r = await retriever.retrieve(item.question, k, {
        exclude,
        dbId: item.dbId,
        tables: o.tablesFor?.(item.dbId) ?? [],
        signal: o.signal,
      });
      const rows = r.hits.filter((h) => !excluded.has(h.row)).slice(0, k);
      const embedMs = r.embedMs ?? 0;
      const searchMs = r.ms - embedMs;
      const goldSkeleton = sqlSkeleton(item.gold);
      const retrieved = judge(corpus, goldSkeleton, rows);
      const relevantRows = (bySkeleton.get(goldSkeleton) ?? []).filter((r) => !excluded.has(r));
      if (retrieved[0]?.skeleton_match) top1++;
      if (retrieved.some((r) => r.skeleton_match)) topk++;
      if (relevantRows.length) {
        inCorpus++;
        const ranked = retrieved.map((r) => r.id);
        const relevant = new Set(relevantRows.map((r) => corpus.examples[r].id));
        rr.push(mrrAtK(ranked, relevant, k));
        nd.push(ndcgAtK(ranked, relevant, k));
        rc.push(recallAtK(ranked, relevant, k));
      }
      examples.push({
        id: item.id,
        db_id: item.dbId,
        question: item.question,
        gold: item.gold,
        retrieved,
        relevant: relevantRows.length,
        latency_ms: { embed: ms(embedMs), search: ms(searchMs) },
      });
    }
    o.onProgress?.({ phase: `Retrieval (${o.textMode})`, done: Math.min(n, start + chunk.length), total: n });
  }
  const bs = { seed: o.seed ?? 1 };
  return {
    k,
    text_mode: o.textMode,
    n,
    skeleton_top1: n ? top1 / n : 0,
    skeleton_topk: n ? topk / n : 0,
    skeleton_in_corpus: n ? inCorpus / n : 0,
    intervals: {
      skeleton_top1: wilson(top1, n),
      skeleton_topk: wilson(topk, n),
      skeleton_in_corpus: wilson(inCorpus, n),
    },
    mrr: meanCI(rr, bs),
    ndcg: meanCI(nd, bs),
    recall: meanCI(rc, bs),
    latency_ms: {
      embed: latencyStats(examples.map((e) => e.latency_ms.embed)),
      search: latencyStats(examples.map((e) => e.latency_ms.search)),
    },
    examples,
  };
}
