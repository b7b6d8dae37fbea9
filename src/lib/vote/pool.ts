/**
 * The candidate pool: `askVoted` is `ask()` (src/lib/rag/pipeline.ts) plus execution-checked
 * candidates. It composes the same seams and nothing else:
 *
 *   1. `ask()` runs as always (retrieve → prompt → greedy generation, streamed → execute): the
 *      greedy candidate. With `greedy: 'instant'` the instant generator's best adaptation is the
 *      greedy candidate instead (no model).
 *   2. More candidates, while the time budget lasts: the SQL of retrieved examples on this very
 *      database (run as is), the instant generator's adaptations of the retrieved examples, and
 *      N−1 sampled generations of the same prompt (temperature / top-p / seed).
 *   3. Every distinct SQL is executed once through the host's `exec` (the SQL worker in the page:
 *      read-only, its timeout and row limit, a hard stop); repeated SQL votes again.
 *   4. Vote (vote.ts). When nothing executed and repair is on, the best failing SQL goes back to
 *      the model once with its error (src/lib/llm/repair.ts); the repaired SQL joins the pool.
 *   5. Confidence and "not sure" (vote.ts `confidence`).
 *
 * Aborting `signal` stops generation, execution and the instant generator at once; askVoted then
 * rejects with CancelledError and emits nothing more, so the host saves nothing for the turn.
 */
import type { GenerateResult, Sampling } from '../llm/generator.ts';
import type { InstantAnswer, InstantRequest } from '../instant/generator.ts';
import type { RepairInput } from '../llm/repair.ts';
import type { Example, QueryResult } from '../types.ts';
import { extractSql } from '../llm/prompts.ts';
import { CancelledError, errorMessage, isCancelled, throwIfAborted } from '../errors.ts';
import { ask, type AskEvent, type AskInput, type AskOutcome, type AskServices } from '../rag/pipeline.ts';
import {
  DEFAULT_NOT_SURE_BELOW,
  confidence,
  prepareVote,
  vote,
  type Candidate,
  type CandidateOutcome,
  type ExecutedCandidate,
  type VoteGroup,
  type VoteOutcome,
} from './vote.ts';

type MaybePromise<T> = T | Promise<T>;

export interface VoteSettings {
  /** Model candidates: the greedy one plus `candidates − 1` samples (1 = no sampling). */
  candidates: number;
  /** One repair round when every candidate fails. */
  repair: boolean;
  /** Time budget in ms for the extra candidates, counted from the start of the question. */
  budgetMs: number;
  /** Below this confidence the answer is "not sure". */
  notSureBelow: number;
  temperature: number;
  topP: number;
  /** Seed of the first sample (the i-th sample uses seed + i). */
  seed: number;
  /** Add the SQL of retrieved examples on the same database. */
  examples: boolean;
  /** Where the greedy candidate comes from (default the model). */
  greedy: 'model' | 'instant';
}

export const DEFAULT_VOTE: VoteSettings = {
  candidates: 5,
  repair: true,
  budgetMs: 30_000,
  notSureBelow: DEFAULT_NOT_SURE_BELOW,
  temperature: 0.7,
  topP: 0.95,
  seed: 1,
  examples: true,
  greedy: 'model',
};

/** Default model candidates per engine: WebGPU decodes ~10× faster than WASM, so it can afford more. */
export const DEFAULT_CANDIDATES: Readonly<Record<'webllm' | 'transformers', number>> = { webllm: 5, transformers: 3 };

export interface VoteServices extends AskServices {
  /** As in AskServices; `sampling` asks for a sampled generation (absent = greedy). */
  generate(
    prompt: string,
    onToken: (piece: string) => void,
    signal?: AbortSignal,
    sampling?: Sampling,
  ): Promise<GenerateResult>;
  /** The instant generator (src/lib/instant/generator.ts), when available. */
  instant?: { answer(req: InstantRequest): Promise<InstantAnswer> } | null;
  /** The repair prompt for a failing SQL; null when the model cannot repair (tiny-sql-lm). */
  repairPrompt?: (input: RepairInput) => MaybePromise<string | null>;
}

export type RepairState = 'not-needed' | 'off' | 'unavailable' | 'repaired' | 'failed';

export interface VotedAnswer {
  /** The chosen SQL and its result; null when no candidate executed. */
  sql: string | null;
  result: QueryResult | null;
  /** Why there is no answer (every candidate failed, and repair too). */
  error?: string;
  candidates: ExecutedCandidate[];
  outcome: VoteOutcome;
  /** Top groups (winner first, at most 3), for the "not sure" view. */
  alternatives: VoteGroup[];
  confidence: number;
  notSure: boolean;
  repair: RepairState;
  /** Problems that did not stop the vote (a sample that failed to generate, the budget running out). */
  notes: string[];
  /** Tokens generated for this question (greedy, samples, repair). */
  tokens: number;
  ms: number;
}

export type VoteEvent =
  AskEvent | { type: 'candidate'; candidate: ExecutedCandidate } | { type: 'vote'; vote: VotedAnswer };

export interface VotedOutcome extends AskOutcome {
  /** The vote; absent when retrieval or prompt building failed (nothing to vote on). */
  vote?: VotedAnswer;
}

function tableSet(names: Iterable<string>): string {
  return [...new Set([...names].map((n) => n.toLowerCase()))].sort().join('\u0000');
}

/** Table names of CREATE TABLE statements. */
function ddlTables(ddl: string): string[] {
  const out: string[] = [];
  for (const m of ddl.matchAll(
    /CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"([^"]+)"|`([^`]+)`|\[([^\]]+)\]|([\w$]+))/gi,
  ))
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

/**
 * Is a retrieved example a solved question on the open database? With a database id (Spider
 * evaluations): the same id. Without one (the page): the example's schema (its CREATE TABLE
 * statements, or the corpus schema of its db_id) has exactly the open database's tables.
 */
export function sameDatabase(ex: Example, input: Pick<AskInput, 'dbId' | 'tables' | 'corpus'>): boolean {
  if (input.dbId) return ex.dbId === input.dbId;
  if (!input.tables.length) return false;
  const open = tableSet(input.tables.map((t) => t.name));
  if (ex.schema) return tableSet(ddlTables(ex.schema)) === open;
  const known = ex.dbId ? input.corpus?.schemas?.[ex.dbId] : undefined;
  return !!known && tableSet(known.map((t) => t.name)) === open;
}

/** Whitespace-collapsed SQL without a trailing semicolon: the key under which a candidate runs once. */
function sqlKey(sql: string): string {
  return sql
    .trim()
    .replace(/;+\s*$/, '')
    .replace(/\s+/g, ' ');
}

/** The instant generator's score (unbounded) squashed into 0..1 for a vote weight. */
function squash(score: number): number {
  return Number.isFinite(score) ? 1 / (1 + Math.exp(-(score - 3) / 2)) : 0.5;
}

/**
 * Answer with a voted pool of candidates. Emits ask()'s events (the greedy candidate streams as
 * before), then one `candidate` per executed candidate and a final `vote`.
 */
export async function askVoted(
  svc: VoteServices,
  input: AskInput,
  settings: Partial<VoteSettings> = {},
  on: (e: VoteEvent) => void = () => {},
): Promise<VotedOutcome> {
  const o = { ...DEFAULT_VOTE, ...settings };
  const t0 = performance.now();
  const { signal } = input;
  const emit = (e: VoteEvent) => {
    if (!signal?.aborted) on(e);
  };
  const stopped = () => new CancelledError('question');
  const cands: ExecutedCandidate[] = [];
  const notes: string[] = [];
  const executed = new Map<string, Promise<CandidateOutcome>>();
  let tokens = 0;
  const overBudget = () => performance.now() - t0 > o.budgetMs;

  const run = (sql: string): Promise<CandidateOutcome> => {
    const key = sqlKey(sql);
    let p = executed.get(key);
    if (!p) {
      p = svc.exec(sql, signal).then(
        (result): CandidateOutcome => ({ ok: true, result }),
        (e): CandidateOutcome => {
          if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : stopped();
          return { ok: false, error: errorMessage(e) };
        },
      );
      executed.set(key, p);
    }
    return p;
  };
  const add = async (c: Candidate, known?: CandidateOutcome) => {
    if (!c.sql.trim()) return;
    const outcome = known ?? (await run(c.sql));
    if (known) executed.set(sqlKey(c.sql), Promise.resolve(known));
    throwIfAborted(signal, 'question');
    const ec: ExecutedCandidate = { ...c, outcome };
    cands.push(ec);
    emit({ type: 'candidate', candidate: ec });
  };

  // 1. the greedy candidate
  let out: AskOutcome & { instantAlternates?: { sql: string; score: number }[] };
  if (o.greedy === 'instant') {
    out = await askInstant(svc, input, emit);
  } else {
    out = await ask(svc, input, emit);
  }
  throwIfAborted(signal, 'question');
  if (out.error && out.error.stage !== 'execute' && out.error.stage !== 'generate') return out;
  if (out.generation) tokens += out.generation.tokens;
  if (out.sql) {
    await add(
      { sql: out.sql, source: 'greedy', tokens: out.generation?.tokens },
      out.result
        ? { ok: true, result: out.result }
        : out.error?.stage === 'execute'
          ? { ok: false, error: out.error.message }
          : undefined,
    );
  }
  const topSimilarity = out.retrieved.reduce((m, r) => Math.max(m, r.score), 0);

  // 2a. same-database examples, run as they are
  if (o.examples) {
    for (const r of out.retrieved) {
      if (overBudget()) break;
      if (!sameDatabase(r.example, input) || !r.example.sql?.trim()) continue;
      await add({ sql: r.example.sql, source: 'example', score: r.score });
    }
  }
  // 2b. the instant generator's adaptations (its best is already the greedy one in instant mode)
  if (svc.instant && o.greedy !== 'instant' && !overBudget()) {
    const ans = await svc.instant.answer({
      question: input.question,
      tables: input.tables,
      examples: out.retrieved.map((r) => ({ question: r.example.question, sql: r.example.sql, score: r.score })),
      signal,
      budgetMs: Math.max(0, Math.min(2000, o.budgetMs - (performance.now() - t0))),
      ...(input.dbId ? { dbKey: input.dbId } : {}),
    });
    throwIfAborted(signal, 'question');
    if (ans.sql) await add({ sql: ans.sql, source: 'instant', score: squash(ans.score) });
  } else if (o.greedy === 'instant' && out.instantAlternates) {
    for (const a of out.instantAlternates) {
      if (overBudget()) break;
      await add({ sql: a.sql, source: 'instant', score: squash(a.score) });
    }
  }
  // 2c. sampled generations of the same prompt
  const prompt = out.prompt;
  if (o.greedy === 'model' && prompt && o.candidates > 1) {
    for (let i = 1; i < o.candidates; i++) {
      if (overBudget()) {
        notes.push(`time budget reached after ${i - 1} of ${o.candidates - 1} samples`);
        break;
      }
      let gen: GenerateResult;
      try {
        gen = await svc.generate(prompt.text, () => {}, signal, {
          temperature: o.temperature,
          topP: o.topP,
          seed: o.seed + i,
        });
      } catch (e) {
        if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : stopped();
        notes.push(`sample ${i} failed: ${errorMessage(e)}`);
        continue;
      }
      if (gen.interrupted || signal?.aborted) throw stopped();
      tokens += gen.tokens;
      const sql = extractSql(input.format, gen.text);
      if (sql) await add({ sql, source: 'sample', tokens: gen.tokens });
    }
  }

  // 3. vote, with one repair round when nothing executed
  await prepareVote(cands);
  throwIfAborted(signal, 'question');
  let outcome = vote(cands);
  let repair: RepairState = outcome.winner ? 'not-needed' : o.repair ? 'unavailable' : 'off';
  if (!outcome.winner && o.repair && o.greedy === 'model') {
    const failing = cands.find((c) => !c.outcome.ok && c.source === 'greedy') ?? cands.find((c) => !c.outcome.ok);
    const text =
      failing && svc.repairPrompt
        ? await svc.repairPrompt({
            question: input.question,
            sql: failing.sql,
            error: (failing.outcome as { ok: false; error: string }).error,
            tables: input.tables,
          })
        : null;
    throwIfAborted(signal, 'question');
    if (text) {
      repair = 'failed';
      try {
        const gen = await svc.generate(text, () => {}, signal);
        if (gen.interrupted || signal?.aborted) throw stopped();
        tokens += gen.tokens;
        const sql = extractSql(input.format, gen.text);
        if (sql) {
          await add({ sql, source: 'repair', tokens: gen.tokens });
          await prepareVote(cands);
          outcome = vote(cands);
          if (outcome.winner) repair = 'repaired';
        }
      } catch (e) {
        if (isCancelled(e) || signal?.aborted) throw isCancelled(e) ? e : stopped();
        notes.push(`repair failed: ${errorMessage(e)}`);
      }
    }
    // no candidate SQL at all (the generator gave none): nothing to repair, the generate error stands
  }
  throwIfAborted(signal, 'question');

  const w = outcome.winner;
  const conf = w ? confidence({ agreement: outcome.share, similarity: topSimilarity, empty: w.empty }) : 0;
  const firstError = cands.find((c) => !c.outcome.ok)?.outcome as { ok: false; error: string } | undefined;
  const answer: VotedAnswer = {
    sql: w?.sql ?? null,
    result: w?.result ?? null,
    ...(w
      ? {}
      : {
          error: cands.length
            ? `none of ${cands.length} candidates ran${repair === 'failed' ? ', and the repaired SQL failed too' : ''}: ${firstError?.error ?? 'no result'}`
            : (out.error?.message ?? 'no candidate SQL was produced'),
        }),
    candidates: cands,
    outcome,
    alternatives: outcome.groups.slice(0, 3),
    confidence: conf,
    notSure: !w || conf < o.notSureBelow,
    repair,
    notes,
    tokens,
    ms: performance.now() - t0,
  };
  emit({ type: 'vote', vote: answer });
  return { ...out, vote: answer };
}

/**
 * The instant generator as the greedy source: retrieval as in ask(), then its best adaptation is
 * the greedy SQL (executed), its alternates kept for the pool.
 */
async function askInstant(
  svc: VoteServices,
  input: AskInput,
  emit: (e: VoteEvent) => void,
): Promise<AskOutcome & { instantAlternates?: { sql: string; score: number }[] }> {
  // ask() with a "generator" that is the instant generator over the retrieved examples.
  let examples: { question: string; sql: string }[] = [];
  let alternates: { sql: string; score: number }[] = [];
  let scores: number[] = [];
  const instant = svc.instant;
  const out = await ask(
    {
      retriever: svc.retriever,
      buildPrompt: (p) => {
        examples = p.examples;
        return { text: '', format: 'plain', examplesUsed: p.examples.length };
      },
      generate: async (_p, _onToken, signal) => {
        const t0 = performance.now();
        if (!instant) throw new Error('the instant generator is not available');
        const ans = await instant.answer({
          question: input.question,
          tables: input.tables,
          examples: examples.map((e, i) => ({ ...e, score: scores[i] ?? 0 })),
          signal,
          ...(input.dbId ? { dbKey: input.dbId } : {}),
        });
        alternates = ans.alternates;
        if (!ans.sql) throw new Error(ans.reason ?? 'the instant generator abstained');
        return { text: ans.sql, tokens: 0, ms: performance.now() - t0, tokensPerSecond: 0, interrupted: false };
      },
      exec: svc.exec,
    },
    { ...input, format: 'plain' },
    (e) => {
      if (e.type === 'retrieved') scores = e.examples.map((r) => r.score);
      emit(e);
    },
  );
  return { ...out, instantAlternates: alternates };
}
