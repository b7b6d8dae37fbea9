/**
 * The shared vocabulary of the SQL token walkers (tokenize, normalize, explain, locate-error and
 * train/sql-rewrite): token predicates, keyword sets, parenthesis depth and top-level splitting.
 *
 * Everything here works on the token stream of `tokenize.ts` and never throws. Ranges are token
 * index ranges `[lo, hi)`. Unbalanced input is handled the way SQLite's text would be read by
 * eye: a `)` with no open `(` is ignored for depth (depth never goes below 0), and a `(` that
 * is never closed runs to the end.
 */
import type { Token } from './tokenize.ts';

/** Aggregate functions (upper case); the tokenizer makes them keywords when they are called. */
export const AGGREGATE_FUNCTIONS: ReadonlySet<string> = new Set([
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'TOTAL',
  'GROUP_CONCAT',
]);

/** Keywords that start a top-level clause of a query (GROUP and ORDER only with BY). */
export const CLAUSE_KEYWORDS: ReadonlySet<string> = new Set([
  'WITH',
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'VALUES',
]);

/** Compound-select operators. */
export const SET_OPERATORS: ReadonlySet<string> = new Set(['UNION', 'INTERSECT', 'EXCEPT']);

/** Words of a join operator (`LEFT OUTER JOIN`, `NATURAL JOIN`, `CROSS JOIN`, ...). */
export const JOIN_WORDS: ReadonlySet<string> = new Set([
  'NATURAL',
  'LEFT',
  'RIGHT',
  'FULL',
  'OUTER',
  'INNER',
  'CROSS',
  'JOIN',
]);

/** A keyword token whose (upper-case) value is one of `words`. */
export function isKw(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && t.kind === 'keyword' && words.includes(t.value);
}

/** A keyword token whose value is in `words` (one of the sets above). */
export function isKwIn(t: Token | undefined, words: ReadonlySet<string>): boolean {
  return t !== undefined && t.kind === 'keyword' && words.has(t.value);
}

/** The punctuation token `p` (one of `( ) , ; .` or an unknown character). */
export function isPunct(t: Token | undefined, p: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === p;
}

/** A name: a bare identifier or a quoted one (`"x"`, `` `x` ``, `[x]`). */
export function isName(t: Token | undefined): boolean {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'quoted_ident');
}

/** The name a token spells: a quoted identifier without its quotes, anything else as written. */
export function nameOf(t: Token): string {
  return t.kind === 'quoted_ident' ? t.value : t.text;
}

/**
 * True for a token that can end an operand: a name, literal or parameter, a `)`, or the keywords
 * NULL, END (of CASE) and CURRENT_DATE/TIME/TIMESTAMP. A word after such a token is a binary
 * operator (`a MATCH b`) or an implicit alias (`FROM singer s`).
 */
export function endsOperand(t: Token | undefined): boolean {
  if (!t) return false;
  switch (t.kind) {
    case 'ident':
    case 'quoted_ident':
    case 'string':
    case 'number':
    case 'param':
      return true;
    case 'punct':
      return t.text === ')';
    case 'keyword':
      return t.value === 'NULL' || t.value === 'END' || t.value.startsWith('CURRENT_');
    default:
      return false;
  }
}

/**
 * True when a `(` right after `t` is written without a space: after a name (a function call, or
 * a table's column list) and after an aggregate keyword or CAST (`COUNT(*)`, `CAST(x AS INT)`).
 */
export function gluesParen(t: Token | undefined): boolean {
  return isName(t) || isKwIn(t, AGGREGATE_FUNCTIONS) || isKw(t, 'CAST');
}

/**
 * The parenthesis depth of every token: the number of `(` open around it. A `(` has the depth
 * outside it, and so has its `)`. Depth never goes below 0 (a stray `)` is ignored).
 */
export function parenDepths(toks: readonly Token[]): number[] {
  const depth: number[] = [];
  let d = 0;
  for (const t of toks) {
    if (isPunct(t, ')')) d = Math.max(0, d - 1);
    depth.push(d);
    if (isPunct(t, '(')) d++;
  }
  return depth;
}

/**
 * For each `(` the index of its matching `)`; for a `(` that is never closed, `unclosed`; for
 * every other token -1.
 */
export function matchParens(toks: readonly Token[], unclosed = -1): Int32Array {
  const match = new Int32Array(toks.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (isPunct(toks[i], '(')) open.push(i);
    else if (isPunct(toks[i], ')') && open.length) match[open.pop()!] = i;
  }
  for (const i of open) match[i] = unclosed;
  return match;
}

/**
 * Calls `visit(i)` for each token of `[lo, hi)` outside every parenthesis opened in the range
 * (a `(` itself is visited, its contents and its `)` are not). Stops early when `visit` returns
 * true, and then returns that index; otherwise -1.
 */
export function findTopLevel(
  toks: readonly Token[],
  lo: number,
  hi: number,
  visit: (i: number) => boolean | void,
): number {
  let depth = 0;
  for (let i = lo; i < hi; i++) {
    const t = toks[i];
    if (isPunct(t, ')')) {
      if (depth > 0) {
        depth--;
        continue;
      }
    } else if (depth > 0) {
      if (isPunct(t, '(')) depth++;
      continue;
    }
    if (visit(i) === true) return i;
    if (isPunct(t, '(')) depth++;
  }
  return -1;
}

/** The statements of a token list: the ranges between `;` tokens outside parentheses (empty ones dropped). */
export function splitStatements(toks: readonly Token[]): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  findTopLevel(toks, 0, toks.length, (i) => {
    if (!isPunct(toks[i], ';')) return;
    if (i > start) out.push([start, i]);
    start = i + 1;
  });
  if (toks.length > start) out.push([start, toks.length]);
  return out;
}

/** The parts of `[lo, hi)` between `sep` tokens (default `,`) outside parentheses; empty parts dropped. */
export function splitList(toks: readonly Token[], lo: number, hi: number, sep = ','): [number, number][] {
  const out: [number, number][] = [];
  let start = lo;
  findTopLevel(toks, lo, hi, (i) => {
    if (!isPunct(toks[i], sep)) return;
    if (i > start) out.push([start, i]);
    start = i + 1;
  });
  if (hi > start) out.push([start, hi]);
  return out;
}

/** The kind of a top-level clause: its keyword(s), or OTHER for tokens before the first clause keyword. */
export type ClauseKind =
  | 'WITH'
  | 'WITH RECURSIVE'
  | 'SELECT'
  | 'FROM'
  | 'WHERE'
  | 'GROUP BY'
  | 'HAVING'
  | 'ORDER BY'
  | 'LIMIT'
  | 'WINDOW'
  | 'UNION'
  | 'UNION ALL'
  | 'INTERSECT'
  | 'EXCEPT'
  | 'VALUES'
  | 'OTHER';

export interface Clause {
  kind: ClauseKind;
  /** Token range of the whole clause, keyword(s) included. */
  lo: number;
  hi: number;
  /** First token after the clause keyword(s). */
  body: number;
}

/**
 * Splits a query (the token range of one statement) into its top-level clauses: each starts at
 * a clause keyword outside parentheses (see `CLAUSE_KEYWORDS`) and runs to the next one. GROUP
 * and ORDER start a clause only when BY follows; the FROM of `IS [NOT] DISTINCT FROM` is an
 * operator, not a clause. Tokens before the first clause keyword form an OTHER clause.
 */
export function splitClauses(toks: readonly Token[], lo: number, hi: number): Clause[] {
  const out: Clause[] = [];
  let skip = lo; // the second word of a two-word clause keyword
  const startAt = (kind: ClauseKind, at: number, body: number) => {
    if (out.length) out[out.length - 1].hi = at;
    out.push({ kind, lo: at, hi, body });
    skip = body;
  };
  findTopLevel(toks, lo, hi, (i) => {
    if (i < skip) return;
    const t = toks[i];
    if (t.kind !== 'keyword' || !CLAUSE_KEYWORDS.has(t.value)) {
      if (!out.length && !isPunct(t, '(')) startAt('OTHER', i, i);
      return;
    }
    const v = t.value;
    const next = toks[i + 1];
    if (v === 'FROM' && isKw(toks[i - 1], 'DISTINCT') && isKw(toks[i - 2], 'IS', 'NOT')) return;
    if (v === 'GROUP' || v === 'ORDER') {
      if (isKw(next, 'BY')) startAt(v === 'GROUP' ? 'GROUP BY' : 'ORDER BY', i, i + 2);
    } else if (v === 'UNION' && isKw(next, 'ALL')) startAt('UNION ALL', i, i + 2);
    else if (v === 'WITH' && isKw(next, 'RECURSIVE')) startAt('WITH RECURSIVE', i, i + 2);
    else startAt(v as ClauseKind, i, i + 1);
  });
  return out;
}
