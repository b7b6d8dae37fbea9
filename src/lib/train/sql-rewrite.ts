/**
 * Rule-based SQL rewrites for synthetic training pairs, all on the token stream of
 * sql/tokenize.ts so string literals, quoted names and comments are never mangled.
 *
 * Equivalent rewrites (same result, for code2code pairs):
 *   - renameTableAliases: `FROM singer AS T1 ... T1.name` -> `FROM singer AS a ... a.name`
 *   - reformatSql: keyword case and layout (one line, or one clause per line)
 *   - reorderAndConditions: the outermost WHERE's AND-ed conditions in another order
 *   - addComment / stripComments
 * Edits (different result, for hybrid "change this query so that ..." pairs):
 *   - addLimit, addDistinct, addOrderBy, flipOrder, removeLimit
 * Every function returns null when its rule does not apply (or would not be safe), so a caller
 * can try several.
 */
import {
  JOIN_WORDS,
  SET_OPERATORS,
  gluesParen,
  isKw,
  isKwIn,
  isName,
  isPunct,
  nameOf,
  parenDepths,
  splitClauses,
  splitStatements,
  type Clause,
} from '../sql/syntax.ts';
import { significantTokens, tokenize, type Token } from '../sql/tokenize.ts';

/** Replace token ranges of `sql` (non-overlapping, any order). */
function splice(sql: string, edits: { start: number; end: number; text: string }[]): string {
  const sorted = edits.slice().sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += sql.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + sql.slice(at);
}

/**
 * Significant (comment-free) tokens with their parenthesis depth, and the top-level clauses of
 * every statement, in order.
 */
function analyse(sql: string): { toks: Token[]; depth: number[]; clauses: Clause[] } {
  const toks = significantTokens(sql);
  const clauses = splitStatements(toks).flatMap(([lo, hi]) => splitClauses(toks, lo, hi));
  return { toks, depth: parenDepths(toks), clauses };
}

/** SQL text without comments and without a trailing `;`, whitespace trimmed. */
export function stripComments(sql: string): string {
  const all = tokenize(sql);
  const edits = all
    .filter((t) => t.kind === 'comment')
    .map((t) => ({ start: t.start, end: t.end, text: t.text.startsWith('--') ? '\n' : ' ' }));
  let out = splice(sql, edits);
  out = out
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
  while (out.endsWith(';')) out = out.slice(0, -1).trimEnd();
  return out;
}

/** True when the text is exactly one statement (a trailing `;` allowed). */
export function isSingleStatement(sql: string): boolean {
  const toks = significantTokens(sql);
  while (toks.length && isPunct(toks[toks.length - 1], ';')) toks.pop();
  return toks.length > 0 && !toks.some((t) => isPunct(t, ';'));
}

/** True when the text starts (after comments) with SELECT, WITH or VALUES. */
export function looksLikeQuery(text: string): boolean {
  const first = tokenize(text).find((t) => t.kind !== 'comment');
  return isKw(first, 'SELECT', 'WITH', 'VALUES');
}

/** `-- text` on a line before the SQL (line breaks in `text` become spaces). */
export function addComment(sql: string, text: string): string {
  return `-- ${text.replace(/\s+/g, ' ').trim()}\n${sql}`;
}

// ---------------------------------------------------------------------------------------------
// Equivalent rewrites

const ALIAS_NAMES = 'a b c d e f g h k m n p r s u v w x y z'.split(' ');

/**
 * Rename table aliases (`FROM t AS T1`, `JOIN t T2`) to short fresh names (a, b, c, ...) at the
 * definition and wherever they qualify a column (`T1.col`). Names already used anywhere in the
 * query are never chosen; aliases that equal a table name, and quoted aliases, are left alone.
 * Null when there is nothing to rename.
 */
export function renameTableAliases(sql: string): string | null {
  const toks = significantTokens(sql);
  const used = new Set<string>();
  for (const t of toks) if (isName(t)) used.add(nameOf(t).toUpperCase());
  const tables = new Set<string>();
  const aliases: string[] = [];
  const defs = new Set<number>();
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (!isName(t) || !isKw(toks[i - 1], 'FROM', 'JOIN')) continue;
    tables.add(nameOf(t).toUpperCase());
    if (isPunct(toks[i + 1], '.') || isPunct(toks[i + 1], '(')) continue; // schema.table, table-valued function
    let a = i + 1;
    if (isKw(toks[a], 'AS')) a++;
    const al = toks[a];
    if (al?.kind !== 'ident' || isPunct(toks[a + 1], '.') || isPunct(toks[a + 1], '(')) continue;
    defs.add(a);
    const U = al.text.toUpperCase();
    if (!aliases.includes(U)) aliases.push(U);
  }
  const renamable = aliases.filter((a) => !tables.has(a));
  if (!renamable.length) return null;
  const map = new Map<string, string>();
  let next = 0;
  for (const a of renamable) {
    while (next < ALIAS_NAMES.length && used.has(ALIAS_NAMES[next].toUpperCase())) next++;
    if (next >= ALIAS_NAMES.length) return null;
    map.set(a, ALIAS_NAMES[next++]);
  }
  const edits: { start: number; end: number; text: string }[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== 'ident') continue;
    const to = map.get(t.text.toUpperCase());
    if (to === undefined) continue;
    // Qualified use `T1.col` (not `x.T1`), or a definition site.
    if (defs.has(i) || (isPunct(toks[i + 1], '.') && !isPunct(toks[i - 1], '.')))
      edits.push({ start: t.start, end: t.end, text: to });
  }
  return edits.length ? splice(sql, edits) : null;
}

export interface FormatStyle {
  keywordCase: 'upper' | 'lower';
  /** 'line': everything on one line; 'clauses': each top-level clause on its own line. */
  layout: 'line' | 'clauses';
}

/** The clause keywords (syntax.ts CLAUSE_KEYWORDS) that the 'clauses' layout puts on a new line. */
const LINE_BREAK_BEFORE = new Set([
  'FROM',
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'UNION',
  'INTERSECT',
  'EXCEPT',
]);

/**
 * Re-lay the query: keywords in the chosen case, single spaces (none inside parentheses, before
 * commas or around dots, none between a function name and its `(`), and optionally a line break
 * before each top-level clause and join. Identifiers, literals and comments are kept as written.
 */
export function reformatSql(sql: string, style: FormatStyle): string {
  const toks = tokenize(sql);
  const depth = parenDepths(toks);
  let out = '';
  let prev: Token | undefined;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    let text = t.text;
    if (t.kind === 'keyword') text = style.keywordCase === 'upper' ? t.text.toUpperCase() : t.text.toLowerCase();
    let sep = ' ';
    if (!prev) sep = '';
    else if (prev.kind === 'comment' && prev.text.startsWith('--')) sep = '\n';
    else if (isPunct(t, ')') || isPunct(t, ',') || isPunct(t, '.') || isPunct(t, ';')) sep = '';
    else if (isPunct(prev, '(') || isPunct(prev, '.')) sep = '';
    else if (isPunct(t, '(') && gluesParen(prev)) sep = '';
    if (style.layout === 'clauses' && depth[i] === 0 && prev && t.kind === 'keyword' && sep === ' ') {
      const U = t.value;
      const afterJoinWord = isKwIn(prev, JOIN_WORDS);
      if (LINE_BREAK_BEFORE.has(U) || (JOIN_WORDS.has(U) && !afterJoinWord)) sep = '\n';
      // `UNION ALL` / `EXCEPT` etc. start a new line; the SELECT after them too.
      if (U === 'SELECT' && isKw(prev, 'UNION', 'ALL', 'INTERSECT', 'EXCEPT')) sep = '\n';
    }
    out += sep + text;
    prev = t;
  }
  return out;
}

/**
 * Put the AND-ed conditions of the outermost WHERE in another order (reversed, or rotated by
 * `shift`). Only when that WHERE is a plain conjunction: no top-level OR, and ANDs inside BETWEEN
 * or CASE are not split. Null when there are fewer than two conditions.
 */
export function reorderAndConditions(sql: string, shift = -1): string | null {
  const { toks, depth, clauses } = analyse(sql);
  const where = clauses.find((c) => c.kind === 'WHERE');
  if (!where) return null;
  const { lo: w, hi: end } = where;
  const parts: [number, number][] = [];
  let from = w + 1;
  let caseDepth = 0;
  let pendingBetween = 0;
  for (let i = w + 1; i < end; i++) {
    const t = toks[i];
    if (depth[i] !== 0) continue;
    if (isKw(t, 'CASE')) caseDepth++;
    else if (isKw(t, 'END') && caseDepth > 0) caseDepth--;
    else if (caseDepth === 0 && isKw(t, 'OR')) return null;
    else if (caseDepth === 0 && isKw(t, 'BETWEEN')) pendingBetween++;
    else if (caseDepth === 0 && isKw(t, 'AND')) {
      if (pendingBetween > 0) {
        pendingBetween--;
        continue;
      }
      parts.push([from, i - 1]);
      from = i + 1;
    }
  }
  parts.push([from, end - 1]);
  if (parts.length < 2 || parts.some(([a, b]) => b < a)) return null;
  const texts = parts.map(([a, b]) => sql.slice(toks[a].start, toks[b].end));
  const k = parts.length;
  const order = shift < 0 ? texts.slice().reverse() : texts.map((_, i) => texts[(i + shift) % k]);
  if (order.every((t, i) => t === texts[i])) return null;
  return splice(sql, [{ start: toks[parts[0][0]].start, end: toks[parts[k - 1][1]].end, text: order.join(' AND ') }]);
}

// ---------------------------------------------------------------------------------------------
// Edits (hybrid tasks)

/** Facts about the outermost query (comment-free tokens). */
function outer(sql: string) {
  const { toks, depth, clauses } = analyse(sql);
  const first = (kind: Clause['kind']) => clauses.find((c) => c.kind === kind)?.lo ?? -1;
  const compound = clauses.some((c) => c.kind === 'UNION ALL' || SET_OPERATORS.has(c.kind));
  const select = first('SELECT');
  const orderBy = first('ORDER BY');
  const limit = first('LIMIT');
  return { toks, depth, compound, select, orderBy, limit };
}

export interface SqlEdit {
  sql: string;
  /** The request, phrased for "Change this query so that <instruction>: <sql>". */
  instruction: string;
  /** A one-line explanation for the `-- ...` comment under the edited SQL. */
  explanation: string;
}

/** `... LIMIT n` when the outermost query has no LIMIT. */
export function addLimit(sql: string, n: number): SqlEdit | null {
  const base = stripComments(sql);
  const o = outer(base);
  if (o.select < 0 || o.limit >= 0) return null;
  return {
    sql: `${base} LIMIT ${n}`,
    instruction: `it returns at most ${n} row${n === 1 ? '' : 's'}`,
    explanation: `LIMIT ${n} keeps only the first ${n} row${n === 1 ? '' : 's'} of the result.`,
  };
}

/** `SELECT DISTINCT ...` when the outermost SELECT is neither DISTINCT nor part of a compound. */
export function addDistinct(sql: string): SqlEdit | null {
  const base = stripComments(sql);
  const o = outer(base);
  if (o.select < 0 || o.compound || isKw(o.toks[o.select + 1], 'DISTINCT', 'ALL')) return null;
  const s = o.toks[o.select];
  return {
    sql: base.slice(0, s.end) + ' DISTINCT' + base.slice(s.end),
    instruction: 'each distinct row appears only once',
    explanation: 'DISTINCT removes duplicate rows from the result.',
  };
}

/** `... ORDER BY 1 [DESC]` (the first result column) when there is no ORDER BY or LIMIT. */
export function addOrderBy(sql: string, desc: boolean): SqlEdit | null {
  const base = stripComments(sql);
  const o = outer(base);
  if (o.select < 0 || o.orderBy >= 0 || o.limit >= 0) return null;
  return {
    sql: `${base} ORDER BY 1${desc ? ' DESC' : ''}`,
    instruction: `the rows are sorted by the first column, ${desc ? 'largest' : 'smallest'} first`,
    explanation: `ORDER BY 1${desc ? ' DESC' : ''} sorts by the first column of the result${desc ? ', in descending order' : ''}.`,
  };
}

/** Reverse a single-key outermost ORDER BY (ASC <-> DESC). */
export function flipOrder(sql: string): SqlEdit | null {
  const base = stripComments(sql);
  const o = outer(base);
  if (o.orderBy < 0) return null;
  const { toks, depth } = o;
  let end = toks.length;
  for (let i = o.orderBy + 2; i < toks.length; i++) {
    if (depth[i] === 0 && (isKw(toks[i], 'LIMIT') || isPunct(toks[i], ';'))) {
      end = i;
      break;
    }
    if (depth[i] === 0 && isPunct(toks[i], ',')) return null; // several keys: ambiguous request
  }
  const last = toks[end - 1];
  if (!last || end - 1 <= o.orderBy + 1) return null;
  if (isKw(last, 'NULLS') || isKw(last, 'FIRST', 'LAST')) return null;
  let out: string;
  let nowDesc: boolean;
  if (isKw(last, 'DESC')) {
    out = base.slice(0, last.start) + 'ASC' + base.slice(last.end);
    nowDesc = false;
  } else if (isKw(last, 'ASC')) {
    out = base.slice(0, last.start) + 'DESC' + base.slice(last.end);
    nowDesc = true;
  } else {
    out = base.slice(0, last.end) + ' DESC' + base.slice(last.end);
    nowDesc = true;
  }
  return {
    sql: out,
    instruction: `the sort order is reversed (${nowDesc ? 'largest' : 'smallest'} first)`,
    explanation: `Switched the ORDER BY to ${nowDesc ? 'DESC' : 'ASC'}.`,
  };
}

/** Drop the outermost `LIMIT n` (and its OFFSET) when it ends the query. */
export function removeLimit(sql: string): SqlEdit | null {
  const base = stripComments(sql);
  const o = outer(base);
  if (o.limit < 0) return null;
  const t = o.toks[o.limit];
  return {
    sql: base.slice(0, t.start).trimEnd(),
    instruction: 'it returns all matching rows instead of only the first few',
    explanation: 'Removed the LIMIT so every row is returned.',
  };
}
