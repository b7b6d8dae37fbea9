/**
 * Textual SQL normalisation for evaluation and retrieval:
 *
 * - `normalizeSql` / `exactMatch`: a canonical text form for Exact Match (EM).
 * - `sqlSkeleton` / `skeletonMatch`: the query's shape with names and values
 *   masked, for comparing queries across schemas.
 * - `hasOrderBy`: does the outermost query impose a row order (decides whether
 *   execution results are compared as sequences or multisets).
 * - `stripMysqlQuoting`: MySQL backtick identifiers -> SQLite-safe identifiers.
 * - `firstStatement`: pull one SQL statement out of a language model's answer.
 *
 * Everything works on the token stream of `tokenize.ts`, so string literals,
 * quoted identifiers and comments are never mangled, and nothing here throws.
 *
 * Double-quoted tokens
 * --------------------
 * Standard SQL uses "..." for identifiers, but Spider's gold SQL writes most
 * string literals with double quotes (`WHERE Airline = "JetBlue Airways"`), and
 * SQLite accepts that (a "..." that names no column is read as a string). A
 * double-quoted token is therefore treated as a STRING LITERAL when it stands in
 * a value position, i.e. when the token before it is
 *   - a comparison operator: = == != <> < > <= >=
 *   - LIKE, GLOB, REGEXP, MATCH (also after NOT), ESCAPE or BETWEEN,
 *   - the AND that belongs to a BETWEEN (`BETWEEN "a" AND "b"`),
 *   - the `(` or a `,` of a value list opened by `IN (` (not an `IN (SELECT ...)`).
 * Anywhere else "..." is an identifier. Backtick and [bracket] tokens are
 * always identifiers.
 */

import { endsOperand, gluesParen, isKw, isKwIn, isName, isPunct, splitClauses } from './syntax.ts';
import { SQLITE_FUNCTIONS, isSqliteKeyword, significantTokens, tokenize, type Token } from './tokenize.ts';

const COMPARISON_OPS: ReadonlySet<string> = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>=']);
const VALUE_KEYWORDS: ReadonlySet<string> = new Set(['LIKE', 'GLOB', 'REGEXP', 'MATCH', 'BETWEEN', 'ESCAPE']);
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes an identifier so SQLite reads it back as the same name: bare when it is
 * a plain `[A-Za-z_][A-Za-z0-9_]*` name that is not a SQLite keyword, otherwise
 * double-quoted (embedded `"` doubled). Case is kept.
 */
export function quoteIdentifier(name: string): string {
  if (PLAIN_NAME.test(name) && !isSqliteKeyword(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Returns copies of the (comment-free) tokens in which double-quoted tokens in a
 * value position (see the module comment) have kind `string`.
 */
export function markDoubleQuotedStrings(tokens: readonly Token[]): Token[] {
  const out = tokens.map((t) => ({ ...t }));
  const parens: Array<'in' | 'other'> = [];
  const pendingBetween: number[] = []; // paren depths of BETWEENs still waiting for their AND
  const betweenAnds = new Set<number>(); // indices of AND tokens that belong to a BETWEEN

  for (let i = 0; i < out.length; i++) {
    const t = out[i];
    const prev = i > 0 ? out[i - 1] : undefined;
    const next = out[i + 1];
    if (isPunct(t, '(')) {
      const inList = isKw(prev, 'IN') && !isKw(next, 'SELECT', 'WITH', 'VALUES');
      parens.push(inList ? 'in' : 'other');
    } else if (isPunct(t, ')')) {
      parens.pop();
      while (pendingBetween.length && pendingBetween[pendingBetween.length - 1] > parens.length) pendingBetween.pop();
    } else if (isKw(t, 'BETWEEN')) {
      pendingBetween.push(parens.length);
    } else if (isKw(t, 'AND') && pendingBetween.length && pendingBetween[pendingBetween.length - 1] === parens.length) {
      pendingBetween.pop();
      betweenAnds.add(i);
    } else if (t.kind === 'quoted_ident' && t.text.startsWith('"') && prev) {
      const valuePosition =
        (prev.kind === 'op' && COMPARISON_OPS.has(prev.text)) ||
        isKwIn(prev, VALUE_KEYWORDS) ||
        betweenAnds.has(i - 1) ||
        ((isPunct(prev, '(') || isPunct(prev, ',')) && parens[parens.length - 1] === 'in');
      if (valuePosition) t.kind = 'string';
    }
  }
  return out;
}

/** Comment-free tokens, trailing semicolons removed, double-quoted strings marked. */
function prepare(sql: string): Token[] {
  const toks = significantTokens(sql);
  while (toks.length && isPunct(toks[toks.length - 1], ';')) toks.pop();
  return markDoubleQuotedStrings(toks);
}

/**
 * Makes implicit aliases explicit: `FROM singer s` -> `FROM singer AS s`,
 * `count(*) n` -> `count(*) AS n`. Only for queries (first token SELECT, WITH,
 * VALUES or `(`), and never inside `CAST(... AS type name)`, where two words in
 * a row are a type name.
 */
function insertImplicitAs(tokens: Token[]): Token[] {
  const first = tokens[0];
  if (!first || !(isKw(first, 'SELECT', 'WITH', 'VALUES') || isPunct(first, '('))) return tokens;
  const out: Token[] = [];
  const parens: boolean[] = []; // true = a CAST( parenthesis
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const prev = out[out.length - 1];
    const next = tokens[i + 1];
    if (isPunct(t, '(')) parens.push(isKw(prev, 'CAST'));
    else if (isPunct(t, ')')) parens.pop();
    const inCast = parens.length > 0 && parens[parens.length - 1];
    if (isName(t) && endsOperand(prev) && !isPunct(next, '.') && !isPunct(next, '(') && !inCast) {
      out.push({ kind: 'keyword', text: 'AS', value: 'AS', start: t.start, end: t.start });
    }
    out.push(t);
  }
  return out;
}

/** True when the `-`/`+` at `i` is a sign (unary), not a binary operator. */
function isUnarySign(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (t.kind !== 'op' || (t.text !== '-' && t.text !== '+')) return false;
  const prev = tokens[i - 1];
  if (!prev) return true;
  if (prev.kind === 'op') return true;
  if (prev.kind === 'punct') return prev.text === '(' || prev.text === ',';
  if (prev.kind === 'keyword') return !endsOperand(prev);
  return false;
}

function canonicalOp(op: string): string {
  if (op === '==') return '=';
  if (op === '<>') return '!=';
  return op;
}

function renderString(t: Token): string {
  if (/^[xX]'/.test(t.text)) return `X'${t.value.toUpperCase()}'`;
  return `'${t.value.replace(/'/g, "''")}'`;
}

/**
 * Canonical text of a query for Exact Match:
 * - comments dropped, whitespace collapsed, trailing `;` removed;
 * - keywords upper-cased (aggregates too: `count(` -> `COUNT(`);
 * - identifiers lower-cased and unquoted ("x", `x`, [x] -> x); names that are
 *   not plain or that are SQLite keywords are written "double-quoted", whether
 *   they came quoted or bare (so `range` and "Range" agree);
 * - string literals always single-quoted (double-quoted strings in value
 *   positions, see the module comment, become single-quoted), content as is;
 * - numbers as written (lower-cased: `1E3` -> `1e3`; `1.0` and `1` differ);
 * - `==` -> `=`, `<>` -> `!=`; a sign is glued to its operand (`- 5` -> `-5`);
 * - implicit aliases get an explicit AS (`FROM singer s` -> `FROM singer AS s`);
 * - spacing: one space between tokens, none inside `( )`, before `,` or around
 *   `.`, none between a function name and its `(` (`count ( * )` -> `COUNT(*)`).
 */
export function normalizeSql(sql: string): string {
  const toks = insertImplicitAs(prepare(sql));
  let out = '';
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    let text: string;
    switch (t.kind) {
      case 'keyword':
        text = t.value;
        break;
      case 'ident':
      case 'quoted_ident':
        text = quoteIdentifier((t.kind === 'ident' ? t.text : t.value).toLowerCase());
        break;
      case 'string':
        text = renderString(t);
        break;
      case 'number':
        text = t.text.toLowerCase();
        break;
      case 'op':
        text = canonicalOp(t.text);
        break;
      default:
        text = t.text;
    }
    if (i > 0 && needsSpace(toks, i, prev, t)) out += ' ';
    out += text;
  }
  return out;
}

function needsSpace(toks: readonly Token[], i: number, prev: Token, t: Token): boolean {
  if (t.kind === 'punct' && (t.text === ')' || t.text === ',' || t.text === '.' || t.text === ';')) return false;
  if (prev.kind === 'punct' && (prev.text === '(' || prev.text === '.')) return false;
  if (isPunct(t, '(') && gluesParen(prev)) return false;
  if (isUnarySign(toks, i - 1)) return false;
  return true;
}

/** Exact Match: the two queries have the same `normalizeSql` text. */
export function exactMatch(gold: string, pred: string): boolean {
  return normalizeSql(gold) === normalizeSql(pred);
}

/**
 * The shape of a query with schema names and values masked:
 * - keywords kept, upper-cased (aggregates included: `COUNT`, `MAX`);
 * - every name - table, column, alias, qualified `T1.name`, in any quoting - is
 *   `c`; a qualified star `T1.*` is `c.*`; a plain `*` is kept;
 * - a call of a built-in SQLite function keeps its name upper-cased (`LOWER ( c )`);
 *   a call of any other function name is `c ( ... )`; type names in
 *   `CAST ( c AS INTEGER )` are kept upper-cased;
 * - string, number, blob and parameter literals (with a sign) are `v`, as are
 *   double-quoted strings in value positions and bare TRUE/FALSE;
 * - operators and punctuation kept (`==` -> `=`, `<>` -> `!=`);
 * - implicit aliases get an explicit AS, as in `normalizeSql`;
 * - tokens separated by single spaces: `SELECT COUNT ( * ) FROM c`.
 */
export function sqlSkeleton(sql: string): string {
  const toks = insertImplicitAs(prepare(sql));
  const parts: string[] = [];
  // Parenthesis stack: 'cast' for CAST( ... ), 'type' once its AS has been seen.
  const parens: Array<'cast' | 'type' | 'other'> = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const prev = toks[i - 1];
    const next = toks[i + 1];
    if (isPunct(t, '(')) parens.push(isKw(prev, 'CAST') ? 'cast' : 'other');
    else if (isPunct(t, ')')) parens.pop();
    else if (isKw(t, 'AS') && parens[parens.length - 1] === 'cast') parens[parens.length - 1] = 'type';
    switch (t.kind) {
      case 'keyword':
        parts.push(t.value);
        break;
      case 'ident':
      case 'quoted_ident': {
        if (t.kind === 'ident' && parens[parens.length - 1] === 'type') {
          parts.push(t.text.toUpperCase()); // a type name: CAST ( c AS INTEGER )
          break;
        }
        if (isPunct(next, '(')) {
          const upper = t.kind === 'ident' ? t.text.toUpperCase() : '';
          parts.push(SQLITE_FUNCTIONS.has(upper) ? upper : 'c');
          break;
        }
        if (t.kind === 'ident' && /^(true|false)$/i.test(t.text)) {
          parts.push('v');
          break;
        }
        // Swallow a qualified chain a.b.c (or a.*) into one unit.
        let unit = 'c';
        while (isPunct(toks[i + 1], '.')) {
          const after = toks[i + 2];
          if (isName(after)) {
            i += 2;
          } else if (after && after.kind === 'op' && after.text === '*') {
            unit = 'c.*';
            i += 2;
            break;
          } else {
            break;
          }
        }
        parts.push(unit);
        break;
      }
      case 'string':
      case 'number':
      case 'param':
        parts.push('v');
        break;
      case 'op':
        if (isUnarySign(toks, i) && next && (next.kind === 'number' || next.kind === 'param')) {
          parts.push('v');
          i++;
        } else {
          parts.push(canonicalOp(t.text));
        }
        break;
      default:
        parts.push(t.text);
    }
  }
  return parts.join(' ');
}

/** The two queries have the same skeleton. */
export function skeletonMatch(gold: string, pred: string): boolean {
  return sqlSkeleton(gold) === sqlSkeleton(pred);
}

/**
 * True when the outermost query (of the first statement) has ORDER BY, i.e. an
 * ORDER BY outside every parenthesis. ORDER BY inside a subquery, a CTE body, a
 * window `OVER (...)` or an aggregate's argument list does not count.
 */
export function hasOrderBy(sql: string): boolean {
  const toks = significantTokens(sql);
  const semi = toks.findIndex((t) => isPunct(t, ';'));
  return splitClauses(toks, 0, semi < 0 ? toks.length : semi).some((c) => c.kind === 'ORDER BY');
}

/**
 * Rewrites MySQL backtick identifiers for SQLite: `name` -> name when it is a
 * plain `[A-Za-z_][A-Za-z0-9_]*` name and not a SQLite keyword, otherwise
 * "name" (e.g. `match` -> "match", `first name` -> "first name"; a doubled
 * backtick inside is one backtick). Everything else is copied unchanged.
 *
 * The input is MySQL text, so it is scanned with MySQL's lexical rules rather
 * than with `tokenize`: '...' and "..." are both string literals, in which a
 * doubled quote or a backslash escapes the next character; `--` and block
 * comments are copied as they are; an unterminated backtick is left as is.
 */
export function stripMysqlQuoting(sql: string): string {
  if (!sql.includes('`')) return sql;
  const n = sql.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const c = sql[i];
    let end: number;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      end = Math.min(j + 1, n);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? n : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? n : close + 2;
    } else if (c === '`') {
      let name = '';
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const k = sql.indexOf('`', j);
        if (k < 0) break;
        name += sql.slice(j, k);
        if (sql[k + 1] === '`') {
          name += '`';
          j = k + 2;
        } else {
          j = k + 1;
          closed = true;
          break;
        }
      }
      if (!closed) return out + sql.slice(i);
      out += quoteIdentifier(name);
      i = j;
      continue;
    } else {
      end = i + 1;
      while (end < n && !'\'"`-/'.includes(sql[end])) end++;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

const SQL_START = /^(SELECT|WITH|VALUES|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|EXPLAIN|PRAGMA)\b/i;

/**
 * Extracts the SQL statement from a model's answer:
 * 1. if there is a ``` fence, take the first fenced block (an info word such as
 *    `sql` after the opening fence is dropped; an unclosed fence runs to the end;
 *    when the block is empty, e.g. a stray closing fence, the text before it);
 * 2. drop leading labels such as `SQL:`, `SQLite:`, `Query:`, `Answer:`;
 * 3. if the text still does not start with a statement word (SELECT, WITH, ...),
 *    start at the first line that begins with SELECT or WITH, else at the first
 *    upper-case `SELECT`; a single pair of inline backticks around the whole
 *    statement is removed;
 * 4. keep text up to the first `;` that is not inside a string, quoted name or
 *    comment (SQLite allows no `;` inside parentheses, so none is skipped there);
 * 5. trim.
 */
export function firstStatement(text: string): string {
  let s = text;

  const fence = s.indexOf('```');
  if (fence >= 0) {
    let bodyStart = fence + 3;
    const lineEnd = s.indexOf('\n', bodyStart);
    const info = s.slice(bodyStart, lineEnd < 0 ? s.length : lineEnd);
    if (/^[A-Za-z0-9_+-]*\s*$/.test(info) && lineEnd >= 0) bodyStart = lineEnd + 1;
    const close = s.indexOf('```', bodyStart);
    const body = s.slice(bodyStart, close < 0 ? s.length : close);
    // A lone closing fence after the SQL (no opening one): keep the text before it.
    s = body.trim() === '' ? s.slice(0, fence) : body;
  }

  s = s.trim();
  for (;;) {
    const label = /^(?:sqlite|sql(?:\s+query)?|query|answer)\s*:\s*/i.exec(s);
    if (!label) break;
    s = s.slice(label[0].length);
  }

  const inline = /^`([^`]+)`\s*;?\s*$/.exec(s);
  if (inline && SQL_START.test(inline[1].trim())) s = inline[1].trim();

  if (!SQL_START.test(s.replace(/^\(+\s*/, ''))) {
    const line = /(?:^|\n)[ \t]*((?:SELECT|WITH)\b)/i.exec(s);
    if (line) {
      s = s.slice(line.index + line[0].length - line[1].length);
    } else {
      const word = /\bSELECT\b/.exec(s);
      if (word) s = s.slice(word.index);
    }
  }

  const semi = tokenize(s).find((t) => isPunct(t, ';'));
  if (semi) s = s.slice(0, semi.start);
  return s.trim();
}
