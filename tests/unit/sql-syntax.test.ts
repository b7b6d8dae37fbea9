import { describe, expect, test } from 'vitest';
import {
  AGGREGATE_FUNCTIONS,
  CLAUSE_KEYWORDS,
  endsOperand,
  findTopLevel,
  gluesParen,
  isKw,
  isKwIn,
  isName,
  isPunct,
  matchParens,
  nameOf,
  parenDepths,
  splitClauses,
  splitList,
  splitStatements,
} from '../../src/lib/sql/syntax.ts';
import * as tokenizeModule from '../../src/lib/sql/tokenize.ts';
import { significantTokens, type Token } from '../../src/lib/sql/tokenize.ts';

/** The source text of a token range. */
const text = (toks: Token[], [lo, hi]: [number, number]) =>
  toks
    .slice(lo, hi)
    .map((t) => t.text)
    .join(' ');

describe('token predicates', () => {
  const [sel, star, from, quoted, dot, name, open, close] = significantTokens('SELECT * FROM "my t" . c ( )');

  test('isKw matches keyword tokens by their upper-case value, any of several words', () => {
    const lower = significantTokens('select')[0];
    expect(isKw(sel, 'SELECT')).toBe(true);
    expect(isKw(lower, 'FROM', 'SELECT')).toBe(true);
    expect(isKw(sel, 'FROM')).toBe(false);
    expect(isKw(undefined, 'SELECT')).toBe(false);
    // a word used as a name is not a keyword
    expect(isKw(significantTokens('SELECT count FROM t')[1], 'COUNT')).toBe(false);
  });

  test('isKwIn matches a keyword against a set', () => {
    const [count, open] = significantTokens('count(*)');
    expect(isKwIn(count, AGGREGATE_FUNCTIONS)).toBe(true);
    expect(isKwIn(sel, AGGREGATE_FUNCTIONS)).toBe(false);
    expect(isKwIn(open, new Set(['(']))).toBe(false); // punctuation is never a keyword
    expect(isKwIn(undefined, CLAUSE_KEYWORDS)).toBe(false);
  });

  test('gluesParen: a ( after a name, an aggregate or CAST opens an argument list', () => {
    const toks = significantTokens('lower ( COUNT ( CAST ( "x" ( IN ( AND ( 1 (');
    const before = toks.filter((_, i) => isPunct(toks[i + 1], '('));
    expect(before.map((t) => [t.text, gluesParen(t)])).toEqual([
      ['lower', true],
      ['COUNT', true],
      ['CAST', true],
      ['"x"', true],
      ['IN', false],
      ['AND', false],
      ['1', false],
    ]);
    expect(gluesParen(undefined)).toBe(false);
  });

  test('isPunct, isName and nameOf', () => {
    expect(isPunct(dot, '.')).toBe(true);
    expect(isPunct(open, '(')).toBe(true);
    expect(isPunct(close, '(')).toBe(false);
    expect(isPunct(star, '*')).toBe(false); // an operator, not punctuation
    expect(isPunct(undefined, ')')).toBe(false);
    expect(isName(quoted)).toBe(true);
    expect(isName(name)).toBe(true);
    expect(isName(from)).toBe(false);
    expect(isName(undefined)).toBe(false);
    expect(nameOf(quoted)).toBe('my t');
    expect(nameOf(name)).toBe('c');
    expect(nameOf(significantTokens('[a b]')[0])).toBe('a b');
  });

  test('endsOperand: names, literals, parameters, `)`, NULL, END and CURRENT_*', () => {
    const toks = significantTokens("x 'a' 1 ?2 ) NULL CURRENT_DATE ( , = AND SELECT");
    expect(toks.map(endsOperand)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    const caseEnd = significantTokens('CASE WHEN a THEN b END');
    expect(endsOperand(caseEnd[caseEnd.length - 1])).toBe(true);
    expect(endsOperand(undefined)).toBe(false);
  });

  test('the keyword sets', () => {
    expect([...AGGREGATE_FUNCTIONS].sort()).toEqual(['AVG', 'COUNT', 'GROUP_CONCAT', 'MAX', 'MIN', 'SUM', 'TOTAL']);
    // the tokenizer re-exports the same set, so the two can never drift apart
    expect(tokenizeModule.AGGREGATE_FUNCTIONS).toBe(AGGREGATE_FUNCTIONS);
    for (const w of ['SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'UNION', 'VALUES']) {
      expect(CLAUSE_KEYWORDS.has(w)).toBe(true);
    }
    expect(CLAUSE_KEYWORDS.has('JOIN')).toBe(false);
  });
});

describe('parenthesis depth', () => {
  test('parenDepths: a ( and its ) have the depth outside them', () => {
    const toks = significantTokens('a ( b ( c ) d ) e');
    expect(parenDepths(toks)).toEqual([0, 0, 1, 1, 2, 1, 1, 0, 0]);
  });

  test('parenDepths never goes below 0 and an unclosed ( runs to the end', () => {
    expect(parenDepths(significantTokens('a ) ) b ( c'))).toEqual([0, 0, 0, 0, 0, 1]);
  });

  test('matchParens pairs each ( with its ); unclosed ones get the given index', () => {
    const toks = significantTokens('f ( a , ( b ) ) ) ( c');
    const m = matchParens(toks);
    expect(m[1]).toBe(7);
    expect(m[4]).toBe(6);
    expect(m[9]).toBe(-1); // never closed
    expect([...m].flatMap((x, i) => (x >= 0 ? [i] : []))).toEqual([1, 4]); // only closed ( have an entry
    expect(matchParens(toks, toks.length - 1)[9]).toBe(toks.length - 1);
  });

  test('findTopLevel visits only tokens outside parentheses and can stop early', () => {
    const toks = significantTokens('a ( b , c ) , d ) e');
    const seen: string[] = [];
    expect(findTopLevel(toks, 0, toks.length, (i) => void seen.push(toks[i].text))).toBe(-1);
    // the stray ) is at the top level too
    expect(seen).toEqual(['a', '(', ',', 'd', ')', 'e']);
    expect(findTopLevel(toks, 0, toks.length, (i) => isPunct(toks[i], ','))).toBe(6);
    // depth counts from lo: inside the parenthesis its contents are the top level
    const inner: string[] = [];
    findTopLevel(toks, 2, 5, (i) => void inner.push(toks[i].text));
    expect(inner).toEqual(['b', ',', 'c']);
  });
});

describe('top-level splitting', () => {
  test('splitStatements splits at ; outside parentheses and drops empty statements', () => {
    const toks = significantTokens('SELECT 1; ; SELECT (2; 3); SELECT 4;');
    expect(splitStatements(toks).map((r) => text(toks, r))).toEqual(['SELECT 1', 'SELECT ( 2 ; 3 )', 'SELECT 4']);
    expect(splitStatements([])).toEqual([]);
  });

  test('splitList splits at top-level commas, or another separator', () => {
    const toks = significantTokens('a, f(b, c), , d');
    expect(splitList(toks, 0, toks.length).map((r) => text(toks, r))).toEqual(['a', 'f ( b , c )', 'd']);
    const dots = significantTokens('x.y.z');
    expect(splitList(dots, 0, dots.length, '.').map((r) => text(dots, r))).toEqual(['x', 'y', 'z']);
    // a sub-range: the arguments of f
    expect(splitList(toks, 4, 7).map((r) => text(toks, r))).toEqual(['b', 'c']);
  });

  test('splitClauses finds the top-level clauses with their keyword and body', () => {
    const sql =
      'SELECT a, (SELECT max(b) FROM u WHERE u.x = t.x) FROM t WHERE a IN (SELECT c FROM v) ' +
      'GROUP BY a HAVING count(*) > 1 ORDER BY a DESC LIMIT 3';
    const toks = significantTokens(sql);
    const clauses = splitClauses(toks, 0, toks.length);
    expect(clauses.map((c) => c.kind)).toEqual(['SELECT', 'FROM', 'WHERE', 'GROUP BY', 'HAVING', 'ORDER BY', 'LIMIT']);
    expect(clauses.map((c) => text(toks, [c.body, c.hi]))).toEqual([
      'a , ( SELECT max ( b ) FROM u WHERE u . x = t . x )',
      't',
      'a IN ( SELECT c FROM v )',
      'a',
      'count ( * ) > 1',
      'a DESC',
      '3',
    ]);
    // the clauses tile the range
    expect(clauses[0].lo).toBe(0);
    for (let i = 1; i < clauses.length; i++) expect(clauses[i].lo).toBe(clauses[i - 1].hi);
    expect(clauses[clauses.length - 1].hi).toBe(toks.length);
  });

  test('splitClauses: compound queries, WITH RECURSIVE, IS DISTINCT FROM and leading tokens', () => {
    const kinds = (sql: string) => {
      const toks = significantTokens(sql);
      return splitClauses(toks, 0, toks.length).map((c) => c.kind);
    };
    expect(kinds('SELECT a FROM t UNION ALL SELECT b FROM u EXCEPT SELECT 1')).toEqual([
      'SELECT',
      'FROM',
      'UNION ALL',
      'SELECT',
      'FROM',
      'EXCEPT',
      'SELECT',
    ]);
    expect(kinds('WITH RECURSIVE n(x) AS (SELECT 1 UNION SELECT x + 1 FROM n) SELECT x FROM n')).toEqual([
      'WITH RECURSIVE',
      'SELECT',
      'FROM',
    ]);
    expect(kinds('SELECT a FROM t WHERE a IS NOT DISTINCT FROM b')).toEqual(['SELECT', 'FROM', 'WHERE']);
    expect(kinds('VALUES (1), (2)')).toEqual(['VALUES']);
    // tokens before any clause keyword are OTHER; a leading ( is not
    expect(kinds('EXPLAIN SELECT 1')).toEqual(['OTHER', 'SELECT']);
    expect(kinds('(SELECT 1) UNION SELECT 2')).toEqual(['UNION', 'SELECT']);
    // ORDER / GROUP without BY start nothing
    expect(kinds('SELECT a FROM t ORDER a')).toEqual(['SELECT', 'FROM']);
  });

  test('splitClauses works on a sub-range (a subquery)', () => {
    const toks = significantTokens('SELECT * FROM (SELECT a FROM t WHERE b = 1) AS s');
    const open = toks.findIndex((t) => isPunct(t, '('));
    const close = matchParens(toks)[open];
    const clauses = splitClauses(toks, open + 1, close);
    expect(clauses.map((c) => [c.kind, text(toks, [c.lo, c.hi])])).toEqual([
      ['SELECT', 'SELECT a'],
      ['FROM', 'FROM t'],
      ['WHERE', 'WHERE b = 1'],
    ]);
  });
});
