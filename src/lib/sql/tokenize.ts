/**
 * A small, forgiving SQL tokenizer for the SQLite dialect.
 *
 * It never throws: unterminated strings, identifiers and comments simply run to
 * the end of the input, and unknown characters become one-character `punct`
 * tokens. Whitespace is skipped (it produces no token); comments are kept as
 * `comment` tokens so callers can decide whether they matter.
 *
 * Keyword classification
 * ----------------------
 * SQLite lets many of its keywords be used as plain names (its parser "falls
 * back" to an identifier): Spider's gold SQL really does say `FROM MATCH AS T2`,
 * `FROM CAST AS t2`, `SELECT DISTINCT Range ...` and `WHERE ... ties = 1`. So a
 * word is only given kind `keyword` when it acts as one:
 *
 * - Reserved words (SQLite keywords that can never be a bare name, e.g. SELECT,
 *   FROM, WHERE, AND, CASE, JOIN, LIMIT) are always keywords.
 * - ASC, DESC, BY, LIKE, OFFSET, WITH and CURRENT_DATE/TIME/TIMESTAMP are
 *   always keywords too (names that collide with them are vanishingly rare).
 * - The other fallback keywords are keywords only in their own context:
 *   CAST before `(`; END closing an open CASE; MATCH/GLOB/REGEXP between two
 *   operands (after a value or NOT); RECURSIVE after WITH; PARTITION before BY;
 *   NULLS before FIRST/LAST and FIRST/LAST after NULLS; OVER/FILTER/WINDOW as
 *   SQLite's own tokenizer decides them; window-frame words (ROWS, RANGE,
 *   UNBOUNDED, PRECEDING, ...) inside an `OVER (...)` or `WINDOW w AS (...)`
 *   parenthesis; a few DDL/statement words (KEY after PRIMARY/FOREIGN, VIEW
 *   after CREATE, EXPLAIN at statement start, ...). Everywhere else they are
 *   identifiers.
 * - A word right before or after a `.` is always an identifier (`T1.order`).
 * - Aggregate function names (COUNT, SUM, AVG, MIN, MAX, TOTAL, GROUP_CONCAT)
 *   are classified as keywords when they are called, i.e. followed by `(`.
 *   Spider-style SQL skeletons keep aggregates, and this makes `count(*)` and
 *   `COUNT(*)` normalise alike. A column called `count` stays an identifier.
 *   Other function names (lower, strftime, ...) stay identifiers here; see
 *   `SQLITE_FUNCTIONS` for callers that want to treat them specially.
 *
 * `isSqliteKeyword` answers a different question: is the word on SQLite's full
 * keyword list (https://sqlite.org/lang_keywords.html)? Use it to decide when an
 * identifier must be double-quoted to be safe.
 */

import { AGGREGATE_FUNCTIONS, endsOperand, isKw, isPunct } from './syntax.ts';

/** Aggregate functions: keywords when followed by `(` (defined with the other keyword sets in syntax.ts). */
export { AGGREGATE_FUNCTIONS };

export type TokenKind =
  'keyword' | 'ident' | 'quoted_ident' | 'string' | 'number' | 'op' | 'punct' | 'comment' | 'param';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token. */
  text: string;
  /** Offset of the first character in the input (UTF-16 code units). */
  start: number;
  /** Offset just past the last character (`input.slice(start, end) === text`). */
  end: number;
  /**
   * A decoded form of the token:
   * keyword -> upper-cased word; quoted_ident -> the name without quotes and with
   * doubled quote characters undone; string -> the literal's content with `''`
   * undone (for a blob literal `X'AB'` the hex digits); everything else -> `text`.
   */
  value: string;
}

/** SQLite's complete keyword list (147 words, SQLite 3.46). */
export const SQLITE_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT ' +
    'BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT ' +
    'CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE ' +
    'DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE ' +
    'EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM ' +
    'FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY ' +
    'INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH ' +
    'MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS ' +
    'OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE ' +
    'REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ' +
    'ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER ' +
    'UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH ' +
    'WITHOUT'
  ).split(' '),
);

/** True when `word` (any case) is on SQLite's keyword list. */
export function isSqliteKeyword(word: string): boolean {
  return SQLITE_KEYWORDS.has(word.toUpperCase());
}

/**
 * Keywords that SQLite never accepts as a bare name (the full list minus the
 * words its parser lets fall back to an identifier, minus OVER/FILTER/WINDOW,
 * which SQLite decides by context).
 */
const RESERVED: ReadonlySet<string> = new Set(
  (
    'ADD ALL ALTER AND AS AUTOINCREMENT BETWEEN CASE CHECK COLLATE COMMIT CONSTRAINT CREATE ' +
    'CROSS DEFAULT DEFERRABLE DELETE DISTINCT DROP ELSE ESCAPE EXCEPT EXISTS FOREIGN FROM FULL ' +
    'GROUP HAVING IN INDEX INDEXED INNER INSERT INTERSECT INTO IS ISNULL JOIN LEFT LIMIT ' +
    'NATURAL NOT NOTHING NOTNULL NULL ON OR ORDER OUTER PRIMARY REFERENCES RETURNING RIGHT ' +
    'SELECT SET TABLE THEN TO TRANSACTION UNION UNIQUE UPDATE USING VALUES WHEN WHERE'
  ).split(' '),
);

/** Fallback keywords that are nevertheless always treated as keywords. */
const ALWAYS_KEYWORD: ReadonlySet<string> = new Set([
  'ASC',
  'DESC',
  'BY',
  'LIKE',
  'OFFSET',
  'WITH',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'CURRENT_TIMESTAMP',
]);

/**
 * Built-in SQLite scalar/window/math/date functions (upper case). Not used by
 * the tokenizer itself; `sqlSkeleton` keeps these names when they are called.
 */
export const SQLITE_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'ABS CHANGES CHAR COALESCE CONCAT CONCAT_WS FORMAT GLOB HEX IFNULL IIF INSTR LENGTH LIKE ' +
    'LIKELIHOOD LIKELY LOWER LTRIM MAX MIN NULLIF OCTET_LENGTH PRINTF QUOTE RANDOM RANDOMBLOB ' +
    'REPLACE ROUND RTRIM SIGN SOUNDEX SUBSTR SUBSTRING TRIM TYPEOF UNHEX UNICODE UNLIKELY UPPER ' +
    'ZEROBLOB DATE TIME DATETIME JULIANDAY UNIXEPOCH STRFTIME TIMEDIFF ' +
    'AVG COUNT GROUP_CONCAT STRING_AGG SUM TOTAL ' +
    'ROW_NUMBER RANK DENSE_RANK PERCENT_RANK CUME_DIST NTILE LAG LEAD FIRST_VALUE LAST_VALUE NTH_VALUE ' +
    'ACOS ACOSH ASIN ASINH ATAN ATAN2 ATANH CEIL CEILING COS COSH DEGREES EXP FLOOR LN LOG LOG10 ' +
    'LOG2 MOD PI POW POWER RADIANS SIN SINH SQRT TAN TANH TRUNC ' +
    'JSON JSON_ARRAY JSON_ARRAY_LENGTH JSON_EXTRACT JSON_INSERT JSON_OBJECT JSON_PATCH JSON_REMOVE ' +
    'JSON_REPLACE JSON_SET JSON_TYPE JSON_VALID JSON_QUOTE JSON_GROUP_ARRAY JSON_GROUP_OBJECT'
  ).split(' '),
);

/** Window-frame words: keywords only inside a window definition. */
const FRAME_WORDS: ReadonlySet<string> = new Set([
  'RANGE',
  'ROWS',
  'GROUPS',
  'UNBOUNDED',
  'PRECEDING',
  'FOLLOWING',
  'CURRENT',
  'ROW',
  'EXCLUDE',
  'NO',
  'OTHERS',
  'TIES',
]);

/** Words that begin a non-query statement (keywords only at statement start). */
const STATEMENT_STARTERS: ReadonlySet<string> = new Set([
  'EXPLAIN',
  'PRAGMA',
  'BEGIN',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'ANALYZE',
  'REINDEX',
  'END',
  'REPLACE',
]);

const MULTI_CHAR_OPS = ['->>', '<=', '>=', '<>', '!=', '==', '||', '<<', '>>', '->'];
const SINGLE_CHAR_OPS = '=<>+-*/%&|~';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}
function isIdentStart(ch: string, c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 128 && !isSpace(ch));
}
function isIdentPart(ch: string, c: number): boolean {
  return isIdentStart(ch, c) || isDigit(c) || c === 36; /* $ */
}

/** Lexes `sql` into tokens with provisional word kinds (every word is `ident`). */
function lex(sql: string): Token[] {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const text = sql.slice(start, end);
    out.push({ kind, text, start, end, value: value ?? text });
  };

  /** Reads a quoted run starting at `i` (the opening quote). Returns [end, decoded]. */
  const readQuoted = (open: number, close: string, doubling: boolean): [number, string] => {
    let j = open + 1;
    let value = '';
    while (j < n) {
      const ch = sql[j];
      if (ch === close) {
        if (doubling && sql[j + 1] === close) {
          value += close;
          j += 2;
          continue;
        }
        return [j + 1, value];
      }
      value += ch;
      j++;
    }
    return [n, value]; // unterminated: runs to the end
  };

  while (i < n) {
    const ch = sql[i];
    const c = sql.charCodeAt(i);

    if (isSpace(ch)) {
      i++;
      continue;
    }

    // Comments.
    if (ch === '-' && sql[i + 1] === '-') {
      let j = i + 2;
      while (j < n && sql[j] !== '\n') j++;
      push('comment', i, j);
      i = j;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const j = close < 0 ? n : close + 2;
      push('comment', i, j);
      i = j;
      continue;
    }

    // Blob literal X'ABCD'.
    if ((ch === 'x' || ch === 'X') && sql[i + 1] === "'") {
      const [end, value] = readQuoted(i + 1, "'", true);
      push('string', i, end, value);
      i = end;
      continue;
    }

    // Strings and quoted identifiers.
    if (ch === "'") {
      const [end, value] = readQuoted(i, "'", true);
      push('string', i, end, value);
      i = end;
      continue;
    }
    if (ch === '"' || ch === '`') {
      const [end, value] = readQuoted(i, ch, true);
      push('quoted_ident', i, end, value);
      i = end;
      continue;
    }
    if (ch === '[') {
      const [end, value] = readQuoted(i, ']', false);
      push('quoted_ident', i, end, value);
      i = end;
      continue;
    }

    // Numbers: 12, 1.5, .5, 1., 1e10, 2.5E-3, 0x1F.
    if (isDigit(c) || (ch === '.' && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i;
      if (ch === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X') && isHexDigit(sql.charCodeAt(i + 2))) {
        j = i + 2;
        while (j < n && isHexDigit(sql.charCodeAt(j))) j++;
      } else {
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
        if (sql[j] === '.') {
          j++;
          while (j < n && isDigit(sql.charCodeAt(j))) j++;
        }
        if (sql[j] === 'e' || sql[j] === 'E') {
          let k = j + 1;
          if (sql[k] === '+' || sql[k] === '-') k++;
          if (isDigit(sql.charCodeAt(k))) {
            while (k < n && isDigit(sql.charCodeAt(k))) k++;
            j = k;
          }
        }
      }
      push('number', i, j);
      i = j;
      continue;
    }

    // Words (keyword classification happens afterwards).
    if (isIdentStart(ch, c)) {
      let j = i + 1;
      while (j < n && isIdentPart(sql[j], sql.charCodeAt(j))) j++;
      push('ident', i, j);
      i = j;
      continue;
    }

    // Parameters: ?, ?12, :name, @name, $name.
    if (ch === '?') {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      push('param', i, j);
      i = j;
      continue;
    }
    if ((ch === ':' || ch === '@' || ch === '$') && i + 1 < n && isIdentPart(sql[i + 1], sql.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(sql[j], sql.charCodeAt(j))) j++;
      push('param', i, j);
      i = j;
      continue;
    }

    // Operators.
    const multi = MULTI_CHAR_OPS.find((op) => sql.startsWith(op, i));
    if (multi) {
      push('op', i, i + multi.length);
      i += multi.length;
      continue;
    }
    if (SINGLE_CHAR_OPS.includes(ch)) {
      push('op', i, i + 1);
      i++;
      continue;
    }

    // Punctuation ( ) , ; . and anything unknown, as a one-character punct token.
    // (Surrogate pairs never get here: they are identifier characters.)
    push('punct', i, i + 1);
    i++;
  }
  return out;
}

type ParenKind = 'window' | 'other';

const isWord = (t: Token | undefined): boolean => t !== undefined && t.kind === 'ident';
const rawUpper = (t: Token | undefined): string => (t && t.kind === 'ident' ? t.text.toUpperCase() : '');

/**
 * Tokenizes SQLite SQL. See the module comment for how words are classified.
 * Never throws.
 */
export function tokenize(sql: string): Token[] {
  const tokens = lex(sql);
  // Indices of significant (non-comment) tokens: context ignores comments.
  const sig: number[] = [];
  for (let i = 0; i < tokens.length; i++) if (tokens[i].kind !== 'comment') sig.push(i);

  let caseDepth = 0;
  const parens: ParenKind[] = [];
  let windowClauseDepth = -1; // paren depth at which a WINDOW clause is open

  for (let s = 0; s < sig.length; s++) {
    const tok = tokens[sig[s]];
    const prev = s > 0 ? tokens[sig[s - 1]] : undefined; // already classified
    const next = s + 1 < sig.length ? tokens[sig[s + 1]] : undefined; // raw
    const next2 = s + 2 < sig.length ? tokens[sig[s + 2]] : undefined; // raw

    if (tok.kind === 'punct') {
      if (tok.text === '(') {
        const isWindow = isKw(prev, 'OVER') || (isKw(prev, 'AS') && windowClauseDepth === parens.length);
        parens.push(isWindow ? 'window' : 'other');
      } else if (tok.text === ')') {
        parens.pop();
        if (windowClauseDepth > parens.length) windowClauseDepth = -1;
      } else if (tok.text === ';') {
        parens.length = 0;
        caseDepth = 0;
        windowClauseDepth = -1;
      }
      continue;
    }
    if (tok.kind !== 'ident') continue;

    const U = tok.text.toUpperCase();
    let keyword = false;
    const inWindow = parens.length > 0 && parens[parens.length - 1] === 'window';
    const atStatementStart = prev === undefined || isPunct(prev, ';');

    if (isPunct(prev, '.') || isPunct(next, '.')) {
      keyword = false;
    } else if (AGGREGATE_FUNCTIONS.has(U)) {
      keyword = isPunct(next, '(');
    } else if (RESERVED.has(U) || ALWAYS_KEYWORD.has(U)) {
      keyword = true;
    } else if (atStatementStart && STATEMENT_STARTERS.has(U)) {
      keyword = true;
    } else {
      switch (U) {
        case 'CAST':
          keyword = isPunct(next, '(');
          break;
        case 'END':
          keyword = caseDepth > 0;
          break;
        case 'MATCH':
        case 'GLOB':
        case 'REGEXP':
          keyword = endsOperand(prev) || isKw(prev, 'NOT');
          break;
        case 'RECURSIVE':
          keyword = isKw(prev, 'WITH');
          break;
        case 'REPLACE':
          keyword = (isKw(prev, 'OR') && !isPunct(next, '(')) || rawUpper(next) === 'INTO';
          break;
        case 'PARTITION':
          keyword = rawUpper(next) === 'BY';
          break;
        case 'NULLS':
          keyword = rawUpper(next) === 'FIRST' || rawUpper(next) === 'LAST';
          break;
        case 'FIRST':
        case 'LAST':
          keyword = isKw(prev, 'NULLS');
          break;
        case 'OVER':
          keyword = isPunct(prev, ')') && (isPunct(next, '(') || isWord(next));
          break;
        case 'FILTER':
          keyword = isPunct(prev, ')') && isPunct(next, '(');
          break;
        case 'WINDOW':
          keyword = isWord(next) && rawUpper(next2) === 'AS';
          break;
        case 'IF':
          keyword = rawUpper(next) === 'NOT' || rawUpper(next) === 'EXISTS';
          break;
        case 'KEY':
          keyword = isKw(prev, 'PRIMARY', 'FOREIGN');
          break;
        case 'VIEW':
        case 'TRIGGER':
        case 'TEMP':
        case 'TEMPORARY':
        case 'VIRTUAL':
          keyword = isKw(prev, 'CREATE', 'DROP', 'TEMP', 'TEMPORARY');
          break;
        case 'QUERY':
          keyword = isKw(prev, 'EXPLAIN') && rawUpper(next) === 'PLAN';
          break;
        case 'PLAN':
          keyword = isKw(prev, 'QUERY');
          break;
        default:
          if (FRAME_WORDS.has(U) && inWindow) keyword = frameWordIsKeyword(U, prev, next);
      }
    }

    if (keyword) {
      tok.kind = 'keyword';
      tok.value = U;
      if (U === 'CASE') caseDepth++;
      else if (U === 'END' && caseDepth > 0) caseDepth--;
      else if (U === 'WINDOW') windowClauseDepth = parens.length;
      else if (
        windowClauseDepth === parens.length &&
        (U === 'ORDER' || U === 'LIMIT' || U === 'UNION' || U === 'INTERSECT' || U === 'EXCEPT')
      ) {
        windowClauseDepth = -1;
      }
    }
  }
  return tokens;
}

/** Frame words inside a window parenthesis: keywords only in frame position. */
function frameWordIsKeyword(U: string, prev: Token | undefined, next: Token | undefined): boolean {
  const n = rawUpper(next);
  switch (U) {
    case 'RANGE':
    case 'ROWS':
    case 'GROUPS':
      return (
        n === 'BETWEEN' || n === 'UNBOUNDED' || n === 'CURRENT' || next?.kind === 'number' || next?.kind === 'param'
      );
    case 'UNBOUNDED':
    case 'PRECEDING':
    case 'FOLLOWING':
      return true;
    case 'CURRENT':
      return n === 'ROW';
    case 'ROW':
      return isKw(prev, 'CURRENT');
    case 'EXCLUDE':
      return n === 'NO' || n === 'CURRENT' || n === 'GROUP' || n === 'TIES';
    case 'NO':
      return isKw(prev, 'EXCLUDE');
    case 'OTHERS':
      return isKw(prev, 'NO');
    case 'TIES':
      return isKw(prev, 'EXCLUDE');
    default:
      return false;
  }
}

/** The tokens without comments. */
export function significantTokens(sql: string): Token[] {
  return tokenize(sql).filter((t) => t.kind !== 'comment');
}
