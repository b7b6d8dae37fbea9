/**
 * The instant generator: answers a question with no model download by adapting the retrieved
 * examples' SQL to the question's own database.
 *
 * For each example with a new skeleton (several examples of one shape add nothing): parse its SQL
 * into a template (template.ts), fill the slots from the schema links (fill.ts), and score each
 * filling with the example's retrieval rank. The best fillings over all examples (a cap and a
 * time budget) are executed; a filling that fails is dropped, an empty or all-NULL result loses
 * points. The best is returned with its alternates and a score, or the generator abstains with a
 * reason. Pure and DOM-free: the database is an injected `SqlExec`; nothing here throws.
 */
import type { TableInfo } from '../types.ts';
import type { SqlExec } from '../link/exec.ts';
import { foreignKeys as readForeignKeys, type ForeignKey } from '../link/foreign-keys.ts'; // declared, else inferred
import { linkSchema, type SchemaLinks } from '../link/link.ts';
import { ValueIndex } from '../link/values.ts';
import { quoteIdentifier, sqlSkeleton } from '../sql/normalize.ts';
import { fillTemplate } from './fill.ts';
import { parseTemplate, render } from './template.ts';
import { shapeScore } from './cues.ts';
import { simpleEdits } from './edits.ts';

export interface InstantExample {
  question: string;
  sql: string;
  /** Retrieval score (higher is better); the list order is the rank. */
  score?: number;
}

export interface InstantRequest {
  question: string;
  tables: TableInfo[];
  /** Foreign keys, when the caller has them; else read (PRAGMA) or inferred. */
  foreignKeys?: ForeignKey[];
  examples: InstantExample[];
  signal?: AbortSignal;
  /** Time budget for the whole answer (default 1,000 ms); candidates past it are not executed. */
  budgetMs?: number;
  /** Identifies the database for the caches (value index, keys); default: its table names. */
  dbKey?: string;
}

export interface InstantCandidate {
  sql: string;
  score: number;
  /** The parts of the score before execution: filling, example rank prior, shape cues. */
  parts: { fill: number; prior: number; shape: number; retrieval: number };
  /** Every feature behind the score (filling, shape cues, prior, retrieval), for a learned scorer. */
  features: Record<string, number>;
  /** Rank of the example it came from. */
  example: number;
  rows?: number;
}

export interface InstantAnswer {
  sql: string | null;
  score: number;
  alternates: { sql: string; score: number }[];
  abstained: boolean;
  reason?: string;
  ms: number;
  /** The schema links used (for hints and the prompt view). */
  links?: SchemaLinks;
  /** How many candidates were executed. */
  executed: number;
  /** Every ranked candidate, when `keepCandidates` is set. */
  candidates?: InstantCandidate[];
}

export interface InstantOptions {
  sql: SqlExec;
  /** Candidates executed at most (default 30). */
  maxExecuted?: number;
  /** Timeout of each candidate query (default 1,000 ms). */
  timeoutMs?: number;
  /** Rows fetched per candidate (default 1,000). */
  maxRows?: number;
  /** Rank the fillings without executing any (offline checks where no database exists). */
  dryRun?: boolean;
  /** Weights of the score parts (defaults in `DEFAULT_WEIGHTS`). */
  weights?: Partial<InstantWeights>;
  /** A linear scorer over the candidates' features, replacing the weighted parts when given. */
  featureWeights?: Record<string, number>;
  /** Return every ranked candidate in the answer (for measurement). */
  keepCandidates?: boolean;
  /** Also try simple edits (DISTINCT toggled, one selected column fewer) of the top examples (default 3; 0 = none). */
  editTop?: number;
}

export interface InstantWeights {
  fill: number;
  prior: number;
  shape: number;
  /** Weight of the example's retrieval score. */
  retrieval: number;
  /** Penalty for an empty or all-NULL result. */
  empty: number;
}

/** Hand-set weights (chosen on Spider train questions filled from other databases, never on dev). */
export const DEFAULT_WEIGHTS: InstantWeights = { fill: 1, prior: 1.6, shape: 2, retrieval: 5, empty: 0.5 };

/** Weight of the example's rank in a candidate's score: 1 / (1 + RANK_DECAY * rank). */
const RANK_DECAY = 0.35;
/** Candidates executed even past the time budget (when there are that many). */
const MIN_EXECUTED = 3;
/** An edited example counts this much of the example itself (prior and retrieval score). */
const EDIT_FACTOR = 0.5;

export class InstantGenerator {
  readonly id = 'instant';
  private cache = new Map<string, { values: ValueIndex; keys: Promise<ForeignKey[]> }>();

  constructor(private readonly opts: InstantOptions) {}

  private dbState(key: string, tables: TableInfo[]) {
    let s = this.cache.get(key);
    if (!s) {
      s = {
        values: new ValueIndex(this.opts.sql, tables, { timeoutMs: this.opts.timeoutMs ?? 1000 }),
        keys: readForeignKeys(this.opts.sql, tables, this.opts.timeoutMs ?? 1000),
      };
      if (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, s);
    }
    return s;
  }

  async answer(req: InstantRequest): Promise<InstantAnswer> {
    const t0 = performance.now();
    const abstain = (reason: string, links?: SchemaLinks): InstantAnswer => ({
      sql: null,
      score: 0,
      alternates: [],
      abstained: true,
      reason,
      ms: performance.now() - t0,
      links,
      executed: 0,
    });
    try {
      const question = typeof req?.question === 'string' ? req.question.trim() : '';
      const tables = (Array.isArray(req?.tables) ? req.tables : []).filter(
        (t) => t && typeof t.name === 'string' && Array.isArray(t.columns) && t.columns.length,
      );
      if (!question) return abstain('the question is empty');
      if (!tables.length) return abstain('the database has no tables');
      const budget = req.budgetMs ?? 1000;
      const w = { ...DEFAULT_WEIGHTS, ...this.opts.weights };
      const key = req.dbKey ?? tables.map((t) => `${t.name}(${t.columns.join(',')})`).join(';');
      const state = this.dbState(key, tables);
      const fks = req.foreignKeys ?? (await state.keys);
      const links = await linkSchema(question, tables, this.opts.sql, { foreignKeys: fks, values: state.values });
      if (req.signal?.aborted) return abstain('cancelled', links);
      if (!links.tables.some((t) => t.score > 0) && !links.values.length)
        return abstain(
          'no example could be adapted to this database: the question mentions none of its tables, columns or values',
          links,
        );

      // Distinct skeletons, in rank order.
      const seen = new Set<string>();
      const cands: InstantCandidate[] = [];
      let parsed = 0;
      const consider = (sql: string, rank: number, retrievalScore: number, factor: number) => {
        const skel = sqlSkeleton(sql);
        if (seen.has(skel)) return;
        seen.add(skel);
        const tpl = parseTemplate(sql);
        if (!tpl) return;
        parsed++;
        const prior = factor / (1 + RANK_DECAY * rank);
        const shapeRes = shapeScore(sql, links.words, question);
        const shape = shapeRes.score;
        const retrieval = factor * retrievalScore;
        for (const f of fillTemplate(tpl, tables, links, fks)) {
          const parts = { fill: f.score, prior, shape, retrieval };
          const features: Record<string, number> = { prior, retrieval, ...f.features };
          for (const [k, v] of Object.entries(shapeRes.f)) features[`shape_${k}`] = v;
          let score = w.fill * f.score + w.prior * prior + w.shape * shape + w.retrieval * retrieval;
          if (this.opts.featureWeights) {
            score = 0;
            for (const [k, v] of Object.entries(this.opts.featureWeights)) score += v * (features[k] ?? 0);
          }
          cands.push({ sql: render(tpl, f, quoteIdentifier), score, parts, features, example: rank });
        }
      };
      const examples = (Array.isArray(req.examples) ? req.examples : []).filter(
        (ex) => ex && typeof ex.sql === 'string',
      );
      const scoreOf = (ex: InstantExample) =>
        typeof ex.score === 'number' && Number.isFinite(ex.score) ? ex.score : 0;
      examples.forEach((ex, rank) => consider(ex.sql, rank, scoreOf(ex), 1));
      const editTop = this.opts.editTop ?? 3;
      examples.slice(0, editTop).forEach((ex, rank) => {
        for (const sql of simpleEdits(ex.sql)) consider(sql, rank, scoreOf(ex), EDIT_FACTOR);
      });
      if (!parsed)
        return abstain('no example could be adapted to this database: no example SQL could be parsed', links);
      if (!cands.length)
        return abstain('no example could be adapted to this database: no filling fits its tables and joins', links);

      cands.sort((a, b) => b.score - a.score);
      const unique: InstantCandidate[] = [];
      const sqlSeen = new Set<string>();
      for (const c of cands) if (!sqlSeen.has(c.sql) && sqlSeen.add(c.sql)) unique.push(c);

      if (this.opts.dryRun)
        return {
          sql: unique[0].sql,
          score: unique[0].score,
          alternates: unique.slice(1, 6).map((c) => ({ sql: c.sql, score: c.score })),
          abstained: false,
          ms: performance.now() - t0,
          links,
          executed: 0,
          ...(this.opts.keepCandidates ? { candidates: unique } : {}),
        };
      const maxExec = this.opts.maxExecuted ?? 30;
      const ran: InstantCandidate[] = [];
      let executed = 0;
      for (const c of unique) {
        // The budget never stops the first few: a first question also builds the value index.
        const overBudget = executed >= MIN_EXECUTED && performance.now() - t0 > budget;
        if (executed >= maxExec || overBudget || req.signal?.aborted) break;
        executed++;
        let res;
        try {
          res = await this.opts.sql.exec(c.sql, {
            timeoutMs: this.opts.timeoutMs ?? 1000,
            maxRows: this.opts.maxRows ?? 1000,
          });
        } catch {
          continue;
        }
        let score = c.score;
        if (!res.rows.length) score -= w.empty;
        else if (res.rows.every((r) => r.every((v) => v === null))) score -= w.empty;
        ran.push({ ...c, score, rows: res.rows.length });
        // Once a clear winner has run, stop early.
        if (ran.length >= 3 && unique[executed] && unique[executed].score < ran[0].score - 1.5) break;
      }
      if (!ran.length)
        return {
          ...abstain(`no example could be adapted to this database: none of ${executed} fillings executes`, links),
          executed,
        };
      ran.sort((a, b) => b.score - a.score);
      return {
        sql: ran[0].sql,
        score: ran[0].score,
        alternates: ran.slice(1, 6).map((c) => ({ sql: c.sql, score: c.score })),
        abstained: false,
        ms: performance.now() - t0,
        links,
        executed,
        ...(this.opts.keepCandidates ? { candidates: ran } : {}),
      };
    } catch (e) {
      return abstain(`the instant generator failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
