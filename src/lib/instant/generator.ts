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
}

/** Weight of the example's rank in a candidate's score: 1 / (1 + RANK_DECAY * rank). */
const RANK_DECAY = 0.35;

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
      (Array.isArray(req.examples) ? req.examples : []).forEach((ex, rank) => {
        if (!ex || typeof ex.sql !== 'string') return;
        const skel = sqlSkeleton(ex.sql);
        if (seen.has(skel)) return;
        seen.add(skel);
        const tpl = parseTemplate(ex.sql);
        if (!tpl) return;
        parsed++;
        const prior = 1 / (1 + RANK_DECAY * rank);
        const shape = shapeScore(ex.sql, links.words, question).score;
        for (const f of fillTemplate(tpl, tables, links, fks)) {
          cands.push({ sql: render(tpl, f, quoteIdentifier), score: f.score + 0.8 * prior + shape, example: rank });
        }
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
        };
      const maxExec = this.opts.maxExecuted ?? 30;
      const ran: InstantCandidate[] = [];
      let executed = 0;
      for (const c of unique) {
        if (executed >= maxExec || performance.now() - t0 > budget || req.signal?.aborted) break;
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
        if (!res.rows.length) score -= 0.5;
        else if (res.rows.every((r) => r.every((v) => v === null))) score -= 0.5;
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
      };
    } catch (e) {
      return abstain(`the instant generator failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
