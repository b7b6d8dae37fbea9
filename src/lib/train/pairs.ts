/**
 * Training pairs for the adapter: CSV import/export, rule-based generators that need no language
 * model, SQL validation against the pair's schema, de-duplication, hard-negative mining, and the
 * instruction prompts an LLM-based generator would use for each task kind.
 *
 * Task kinds (as in static-data/synthetic/seed_pairs.csv):
 *   text2code  question -> SQL that answers it
 *   code2text  SQL -> a question/explanation of it
 *   code2code  SQL -> an equivalent rewrite
 *   hybrid     "Change this query so that ...: <SQL>" -> the edited SQL + `-- explanation`
 */
import type { SqlJsStatic } from 'sql.js';
import { parseCsv, toCsv } from '../corpus/csv.ts';
import { CorpusFormatError, csvColumn } from '../corpus/records.ts';
import { mulberry32 } from '../eval/stats.ts';
import type { VectorIndex } from '../index/vector-index.ts';
import { SqlEngine } from '../sql/engine.ts';
import { isKw, isName, isPunct } from '../sql/syntax.ts';
import { tokenize } from '../sql/tokenize.ts';
import type { Example, RowIssue } from '../types.ts';
import {
  addComment,
  addDistinct,
  addLimit,
  addOrderBy,
  flipOrder,
  isSingleStatement,
  looksLikeQuery,
  reformatSql,
  removeLimit,
  renameTableAliases,
  reorderAndConditions,
  stripComments,
  type SqlEdit,
} from './sql-rewrite.ts';

export type TaskKind = 'text2code' | 'code2text' | 'code2code' | 'hybrid';
export const TASK_KINDS: readonly TaskKind[] = ['text2code', 'code2text', 'code2code', 'hybrid'];

export interface Pair {
  query: string;
  pos: string;
  /** A hard negative: close to `pos` but wrong. */
  neg?: string;
  task: TaskKind;
  /** Database the SQL runs on (for validation and split-by-database). */
  dbId?: string;
  /** Id of the example the pair came from. */
  source?: string;
}

// ---------------------------------------------------------------------------------------------
// CSV

/**
 * Read pairs from CSV with columns query, pos and optionally neg, task, db_id, source (any order,
 * case-insensitive). A missing task column means text2code. Rows with a blank query or pos, or an
 * unknown task, are reported and skipped. Throws CorpusFormatError when query or pos is missing.
 */
export function parsePairsCsv(text: string): { pairs: Pair[]; issues: RowIssue[] } {
  const csv = parseCsv(text);
  const iq = csvColumn(csv.header, ['query']);
  const ip = csvColumn(csv.header, ['pos', 'positive']);
  if (iq < 0 || ip < 0) {
    const found = csv.header.length ? csv.header.map((h) => `"${h}"`).join(', ') : 'none';
    throw new CorpusFormatError(
      `pairs CSV needs the columns query and pos (optional: neg, task, db_id, source); found: ${found}`,
    );
  }
  const ineg = csvColumn(csv.header, ['neg', 'negative']);
  const itask = csvColumn(csv.header, ['task']);
  const idb = csvColumn(csv.header, ['db_id', 'database', 'db']);
  const isrc = csvColumn(csv.header, ['source', 'id']);
  const issues: RowIssue[] = [...csv.issues];
  const pairs: Pair[] = [];
  for (const r of csv.rows) {
    const query = r.cells[iq].trim();
    const pos = r.cells[ip].trim();
    if (!query || !pos) {
      issues.push({ row: r.row, reason: `${!query ? 'query' : 'pos'} is blank; row skipped` });
      continue;
    }
    const taskText = itask >= 0 ? r.cells[itask].trim().toLowerCase() : '';
    const task = (taskText || 'text2code') as TaskKind;
    if (!TASK_KINDS.includes(task)) {
      issues.push({
        row: r.row,
        reason: `unknown task "${r.cells[itask].trim()}" (expected ${TASK_KINDS.join(', ')}); row skipped`,
      });
      continue;
    }
    const p: Pair = { query, pos, task };
    const neg = ineg >= 0 ? r.cells[ineg].trim() : '';
    if (neg) p.neg = neg;
    const db = idb >= 0 ? r.cells[idb].trim() : '';
    if (db) p.dbId = db;
    const src = isrc >= 0 ? r.cells[isrc].trim() : '';
    if (src) p.source = src;
    pairs.push(p);
  }
  issues.sort((a, b) => a.row - b.row);
  return { pairs, issues };
}

/** Pairs as CSV: query,pos,neg,task, plus db_id and source when any pair has them. */
export function pairsToCsv(pairs: readonly Pair[]): string {
  const withDb = pairs.some((p) => p.dbId);
  const withSrc = pairs.some((p) => p.source);
  const header = ['query', 'pos', 'neg', 'task', ...(withDb ? ['db_id'] : []), ...(withSrc ? ['source'] : [])];
  const rows = pairs.map((p) => [
    p.query,
    p.pos,
    p.neg ?? '',
    p.task,
    ...(withDb ? [p.dbId ?? ''] : []),
    ...(withSrc ? [p.source ?? ''] : []),
  ]);
  return toCsv(header, rows);
}

// ---------------------------------------------------------------------------------------------
// Rule-based generators

/**
 * Template paraphrases of a question ("What are X?" -> "Show me X.", "List X." -> "What are X?",
 * "Which X ...?" -> "Show me which X ..."). Returns every paraphrase the rules give (possibly none).
 */
export function paraphraseQuestion(question: string): string[] {
  const q = question.trim().replace(/\s+/g, ' ');
  const body = q.replace(/[?.!]+$/, '').trim();
  const out: string[] = [];
  let m: RegExpMatchArray | null;
  if ((m = body.match(/^what (?:are|were) (.+)$/i))) {
    out.push(`Show me ${m[1]}.`, `List ${m[1]}.`);
  } else if ((m = body.match(/^what (?:is|was) (the .+)$/i))) {
    out.push(`Tell me ${m[1]}.`, `Find ${m[1]}.`);
  } else if ((m = body.match(/^(?:list|show(?: me)?|display|give me|return|find|get) (.+)$/i))) {
    const rest = m[1];
    const determined = /^(all|the|each|every|any|a|an)\b/i.test(rest);
    out.push(
      `What are ${determined ? rest : 'the ' + rest}?`,
      /^show/i.test(body) ? `List ${rest}.` : `Show me ${rest}.`,
    );
  } else if ((m = body.match(/^(which|who|what|how many|how much) (.+)$/i))) {
    out.push(`Tell me: ${m[1].toLowerCase()} ${m[2]}?`, `I would like to know: ${m[1].toLowerCase()} ${m[2]}?`);
    if (/^which$/i.test(m[1])) out.push(`Show me which ${m[2]}.`);
  }
  return out.filter((p) => p.toLowerCase() !== q.toLowerCase()).map((p) => p[0].toUpperCase() + p.slice(1));
}

const REWRITE_COMMENTS = ['same result, written differently', 'equivalent query', 'rewritten for readability'];

/**
 * An equivalent rewrite of `sql`: aliases renamed when there are any, AND-ed conditions
 * reordered when possible, then re-laid out (keyword case and line breaks), and a comment
 * stripped or added. Always differs from the input; null only for empty SQL.
 */
export function equivalentRewrite(sql: string, rand: () => number, comment?: string): string | null {
  let s = sql.trim();
  if (!s) return null;
  const hadComment = tokenize(s).some((t) => t.kind === 'comment');
  if (hadComment) s = stripComments(s);
  if (rand() < 0.8) s = renameTableAliases(s) ?? s;
  if (rand() < 0.6) s = reorderAndConditions(s) ?? s;
  const upper = /\bSELECT\b/.test(sql);
  s = reformatSql(s, {
    keywordCase: rand() < 0.5 ? (upper ? 'lower' : 'upper') : upper ? 'upper' : 'lower',
    layout: rand() < 0.5 ? 'clauses' : 'line',
  });
  if (!hadComment && rand() < 0.3)
    s = addComment(s, comment ?? REWRITE_COMMENTS[Math.floor(rand() * REWRITE_COMMENTS.length)]);
  if (s === sql.trim()) s = reformatSql(s, { keywordCase: upper ? 'lower' : 'upper', layout: 'clauses' });
  return s === sql.trim() ? null : s;
}

/**
 * A simple, valid edit of `sql` for a hybrid pair: one of add LIMIT, add DISTINCT, add ORDER BY,
 * reverse the ORDER BY, drop the LIMIT (the first that applies, in a seeded order).
 */
export function hybridEdit(sql: string, rand: () => number): SqlEdit | null {
  const n = [3, 5, 10][Math.floor(rand() * 3)];
  const edits: (() => SqlEdit | null)[] = [
    () => addLimit(sql, n),
    () => addDistinct(sql),
    () => addOrderBy(sql, rand() < 0.5),
    () => flipOrder(sql),
    () => removeLimit(sql),
  ];
  for (let i = edits.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [edits[i], edits[j]] = [edits[j], edits[i]];
  }
  for (const e of edits) {
    const r = e();
    if (r) return r;
  }
  return null;
}

/** The query text of a hybrid pair. */
export function hybridQuery(instruction: string, sql: string): string {
  return `Change this query so that ${instruction}: ${stripComments(sql)}`;
}

export interface GenerateOptions {
  /** Task kinds to make (default all four). */
  tasks?: readonly TaskKind[];
  /** Also add text2code pairs whose query is a template paraphrase of the question (default true). */
  paraphrases?: boolean;
  seed?: number;
}

/** Rule-based pairs from solved examples; each pair records its example id and database. */
export function generatePairs(examples: readonly Example[], opts: GenerateOptions = {}): Pair[] {
  const tasks = new Set(opts.tasks ?? TASK_KINDS);
  const rand = mulberry32(opts.seed ?? 1);
  const out: Pair[] = [];
  for (const ex of examples) {
    const q = ex.question.trim();
    const sql = ex.sql.trim();
    if (!q || !sql) continue;
    const base = { ...(ex.dbId ? { dbId: ex.dbId } : {}), source: ex.id };
    if (tasks.has('text2code')) {
      out.push({ query: q, pos: sql, task: 'text2code', ...base });
      if (opts.paraphrases ?? true) {
        const ps = paraphraseQuestion(q);
        if (ps.length) out.push({ query: ps[Math.floor(rand() * ps.length)], pos: sql, task: 'text2code', ...base });
      }
    }
    if (tasks.has('code2text')) out.push({ query: sql, pos: q, task: 'code2text', ...base });
    if (tasks.has('code2code')) {
      const rw = equivalentRewrite(sql, rand, q);
      if (rw) out.push({ query: sql, pos: rw, task: 'code2code', ...base });
    }
    if (tasks.has('hybrid')) {
      const e = hybridEdit(sql, rand);
      if (e)
        out.push({
          query: hybridQuery(e.instruction, sql),
          pos: `${e.sql}\n-- ${e.explanation}`,
          task: 'hybrid',
          ...base,
        });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation and de-duplication

/** The SQL held by a pair's fields, by task kind (fields that do not look like SQL are skipped). */
export function sqlFields(p: Pair): { field: 'query' | 'pos' | 'neg'; sql: string }[] {
  const out: { field: 'query' | 'pos' | 'neg'; sql: string }[] = [];
  const add = (field: 'query' | 'pos' | 'neg', text: string | undefined) => {
    if (text && looksLikeQuery(text)) out.push({ field, sql: text });
  };
  switch (p.task) {
    case 'text2code':
      add('pos', p.pos);
      add('neg', p.neg);
      break;
    case 'code2text':
      add('query', p.query);
      break;
    case 'code2code':
      add('query', p.query);
      add('pos', p.pos);
      add('neg', p.neg);
      break;
    case 'hybrid': {
      // The SQL follows the request: from the first SELECT (or a WITH that opens a CTE) on.
      const start = hybridSqlStart(p.query);
      if (start >= 0) add('query', p.query.slice(start));
      add('pos', p.pos);
      add('neg', p.neg);
      break;
    }
  }
  return out;
}

/**
 * Where the SQL starts in a hybrid request ("Change this so that ...: SELECT ..."): the first
 * SELECT keyword, or an earlier WITH that opens a CTE (`WITH name AS (`, `WITH name(`, `WITH
 * RECURSIVE`), so prose such as "customers with more than 3 orders" is not taken for SQL. -1 if none.
 */
export function hybridSqlStart(text: string): number {
  const toks = tokenize(text).filter((t) => t.kind !== 'comment');
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== 'keyword') continue;
    if (t.value === 'SELECT') return t.start;
    if (t.value === 'WITH') {
      const a = toks[i + 1];
      const b = toks[i + 2];
      if (isKw(a, 'RECURSIVE')) return t.start;
      if (isName(a) && (isKw(b, 'AS') || isPunct(b, '('))) return t.start;
    }
  }
  return -1;
}

export interface ValidateOptions {
  SQL: SqlJsStatic;
  /** Schema DDL (CREATE TABLE ...) for a pair; pairs without one are kept unchecked. */
  schemaFor: (p: Pair) => string | undefined;
}

export interface ValidateResult {
  pairs: Pair[];
  /** Pairs dropped because some SQL field does not compile against the schema. */
  dropped: number;
  /** Pairs kept without a check (no schema). */
  unchecked: number;
  /** Why each dropped pair was dropped (index into the input). */
  issues: { index: number; field: string; reason: string }[];
}

/**
 * Keep pairs whose every SQL-bearing field is one statement that SQLite compiles against the
 * pair's schema (an empty database built from the DDL; queries are compiled with EXPLAIN, never
 * run). One engine per distinct schema, closed at the end.
 */
export function validatePairs(pairs: readonly Pair[], opts: ValidateOptions): ValidateResult {
  const engines = new Map<string, SqlEngine | Error>();
  const kept: Pair[] = [];
  const issues: ValidateResult['issues'] = [];
  let unchecked = 0;
  try {
    pairs.forEach((p, index) => {
      const ddl = opts.schemaFor(p);
      if (!ddl) {
        unchecked++;
        kept.push(p);
        return;
      }
      let eng = engines.get(ddl);
      if (!eng) {
        const e = new SqlEngine(opts.SQL);
        try {
          e.open({ kind: 'sql', sql: ddl, name: p.dbId ?? 'schema' });
          eng = e;
        } catch (err) {
          e.close();
          eng = err as Error;
        }
        engines.set(ddl, eng);
      }
      if (eng instanceof Error) {
        issues.push({ index, field: 'schema', reason: eng.message });
        return;
      }
      for (const { field, sql } of sqlFields(p)) {
        if (!isSingleStatement(sql)) {
          issues.push({ index, field, reason: 'not a single SQL statement' });
          return;
        }
        try {
          eng.exec(`EXPLAIN ${stripComments(sql)}`);
        } catch (err) {
          issues.push({ index, field, reason: (err as Error).message });
          return;
        }
      }
      kept.push(p);
    });
  } finally {
    for (const e of engines.values()) if (e instanceof SqlEngine) e.close();
  }
  return { pairs: kept, dropped: pairs.length - kept.length, unchecked, issues };
}

/** Schema lookup for pairs made from examples: the example's DDL by `source`, else by `dbId`. */
export function schemaLookup(
  examples: readonly Example[],
  ddlByDb?: Record<string, string>,
): (p: Pair) => string | undefined {
  const bySource = new Map<string, string>();
  const byDb = new Map<string, string>(Object.entries(ddlByDb ?? {}));
  for (const ex of examples) {
    if (!ex.schema) continue;
    bySource.set(ex.id, ex.schema);
    if (ex.dbId && !byDb.has(ex.dbId)) byDb.set(ex.dbId, ex.schema);
  }
  return (p) => (p.source && bySource.get(p.source)) || (p.dbId ? byDb.get(p.dbId) : undefined);
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Drop repeated pairs (same task, query and pos up to whitespace); the first one is kept. */
export function dedupePairs(pairs: readonly Pair[]): { pairs: Pair[]; removed: number } {
  const seen = new Set<string>();
  const out: Pair[] = [];
  for (const p of pairs) {
    const key = `${p.task}\u0000${squash(p.query)}\u0000${squash(p.pos)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return { pairs: out, removed: pairs.length - out.length };
}

// ---------------------------------------------------------------------------------------------
// Hard negatives

export interface MineOptions {
  /** Candidates looked at per query (default 10). */
  k?: number;
  /** Extra filter: true = this document may not be a negative for this pair (e.g. other database). */
  skip?: (pair: number, doc: number) => boolean;
}

/**
 * For each query vector (row i of `queries`), the nearest document of `index` (base vectors) that
 * is not a positive of pair i by `isPositive`, or -1 when none of the top k qualifies.
 */
export function mineHardNegatives(
  queries: Float32Array,
  index: VectorIndex,
  isPositive: (pair: number, doc: number) => boolean,
  opts: MineOptions = {},
): Int32Array {
  const d = index.dim;
  const n = queries.length / d;
  const k = opts.k ?? 10;
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const q = queries.subarray(i * d, (i + 1) * d);
    const hits = index.search(q, k, opts.skip ? (doc) => opts.skip!(i, doc) : undefined);
    for (const h of hits) {
      if (!isPositive(i, h.row)) {
        out[i] = h.row;
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// LLM prompts (for a generator that uses a language model instead of the rules above)

/**
 * Instruction prompts per task kind. Placeholders: {schema}, {sql}, {question}, {instruction}.
 * Each asks for the answer only, so the output can be used as the pair's other side as is.
 */
export const PAIR_PROMPTS = {
  text2code:
    'You are given a database schema and a SQL query.\nSchema:\n{schema}\n\nSQL:\n{sql}\n\n' +
    'Write the one question, in plain English, that this SQL query answers. Mention the values it filters on. ' +
    'Reply with the question only.',
  code2text:
    'You are given a database schema and a SQL query.\nSchema:\n{schema}\n\nSQL:\n{sql}\n\n' +
    'Explain in one or two sentences what this query returns, in terms a user of this database would use. ' +
    'Reply with the explanation only.',
  code2code:
    'You are given a database schema and a SQLite query.\nSchema:\n{schema}\n\nSQL:\n{sql}\n\n' +
    'Rewrite the query so that it returns exactly the same rows on every database with this schema, but is written ' +
    'differently (for example a join instead of a subquery, other aliases, another clause order). ' +
    'Reply with the SQL only.',
  hybrid:
    'You are given a database schema, a SQLite query and a requested change.\nSchema:\n{schema}\n\nSQL:\n{sql}\n\n' +
    'Change: {instruction}\n\nEdit the query as described. Reply with the edited SQL, then one line starting with ' +
    '"-- " that explains the edit.',
  paraphrase:
    'Rewrite this question so that it asks for exactly the same thing in different words:\n{question}\n\n' +
    'Reply with the new question only.',
} as const;

export type PairPromptKind = keyof typeof PAIR_PROMPTS;

/** Fill a prompt's {placeholders}; unknown placeholders are left as they are. */
export function fillPrompt(
  kind: PairPromptKind,
  vars: Partial<Record<'schema' | 'sql' | 'question' | 'instruction', string>>,
): string {
  return PAIR_PROMPTS[kind].replace(
    /\{(schema|sql|question|instruction)\}/g,
    (m, k: keyof typeof vars) => vars[k] ?? m,
  );
}
