import { describe, expect, test } from 'vitest';
import {
  AGGREGATE_FUNCTIONS,
  SQLITE_KEYWORDS,
  isSqliteKeyword,
  significantTokens,
  tokenize,
  type Token,
} from '../../src/lib/sql/tokenize.ts';

/** "kind:text" for each token, for compact assertions. */
const kt = (sql: string): string[] => tokenize(sql).map((t) => `${t.kind}:${t.text}`);
const kindOf = (sql: string, text: string): string | undefined => tokenize(sql).find((t) => t.text === text)?.kind;

describe('tokenize: basics', () => {
  test('simple query', () => {
    expect(kt('SELECT name FROM singer WHERE age > 20')).toEqual([
      'keyword:SELECT',
      'ident:name',
      'keyword:FROM',
      'ident:singer',
      'keyword:WHERE',
      'ident:age',
      'op:>',
      'number:20',
    ]);
  });

  test('positions cover the source text exactly', () => {
    const sql = "SELECT  t1.a, 'x''y' -- c\nFROM [my table]";
    for (const t of tokenize(sql)) expect(sql.slice(t.start, t.end)).toBe(t.text);
  });

  test('empty and whitespace-only input', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize('  \n\t ')).toEqual([]);
  });

  test('keyword value is upper-cased, other values are the text', () => {
    const [sel, name] = tokenize('select Name');
    expect(sel).toMatchObject({ kind: 'keyword', text: 'select', value: 'SELECT' });
    expect(name).toMatchObject({ kind: 'ident', text: 'Name', value: 'Name' });
  });

  test('unicode whitespace is skipped and non-ASCII letters form identifiers', () => {
    expect(kt('SELECT\u00a0café FROM t')).toEqual(['keyword:SELECT', 'ident:café', 'keyword:FROM', 'ident:t']);
  });

  test('identifiers may contain digits, _ and $', () => {
    expect(kt('a1_b$c _x')).toEqual(['ident:a1_b$c', 'ident:_x']);
  });
});

describe('tokenize: strings and quoted identifiers', () => {
  test("single-quoted strings with '' escapes", () => {
    const [t] = tokenize("'it''s'");
    expect(t).toMatchObject({ kind: 'string', text: "'it''s'", value: "it's" });
  });

  test('strings keep their inner whitespace and comment-like text', () => {
    const [t] = tokenize("'a  -- b /* c */'");
    expect(t.kind).toBe('string');
    expect(t.value).toBe('a  -- b /* c */');
  });

  test('blob literal', () => {
    expect(tokenize("X'0aFF'")[0]).toMatchObject({ kind: 'string', text: "X'0aFF'", value: '0aFF' });
  });

  test('double-quoted, backtick and bracket identifiers', () => {
    const toks = tokenize('"a ""b""" `c``d` [e f]');
    expect(toks.map((t) => t.kind)).toEqual(['quoted_ident', 'quoted_ident', 'quoted_ident']);
    expect(toks.map((t) => t.value)).toEqual(['a "b"', 'c`d', 'e f']);
  });

  test('unterminated string / identifier runs to the end without throwing', () => {
    expect(tokenize("SELECT 'abc")).toMatchObject([{ kind: 'keyword' }, { kind: 'string', value: 'abc' }]);
    expect(tokenize('SELECT "abc')).toMatchObject([{ kind: 'keyword' }, { kind: 'quoted_ident', value: 'abc' }]);
    expect(tokenize('SELECT [abc')).toMatchObject([{ kind: 'keyword' }, { kind: 'quoted_ident', value: 'abc' }]);
  });
});

describe('tokenize: numbers', () => {
  test.each(['0', '42', '3.14', '.5', '5.', '1e10', '1E+3', '2.5e-3', '0x1F', '0XABcd'])('%s is one number', (n) => {
    expect(kt(n)).toEqual([`number:${n}`]);
  });

  test('an e without digits is not part of the number', () => {
    expect(kt('1e')).toEqual(['number:1', 'ident:e']);
  });

  test('a minus sign is a separate operator', () => {
    expect(kt('-5')).toEqual(['op:-', 'number:5']);
  });

  test('qualified names are not numbers', () => {
    expect(kt('t1.name')).toEqual(['ident:t1', 'punct:.', 'ident:name']);
  });
});

describe('tokenize: comments, operators, punctuation, params', () => {
  test('line and block comments', () => {
    expect(kt('SELECT 1 -- one\n/* two\n lines */ FROM t')).toEqual([
      'keyword:SELECT',
      'number:1',
      'comment:-- one',
      'comment:/* two\n lines */',
      'keyword:FROM',
      'ident:t',
    ]);
  });

  test('unterminated block comment', () => {
    expect(kt('SELECT /* oops')).toEqual(['keyword:SELECT', 'comment:/* oops']);
  });

  test('multi-character operators', () => {
    expect(kt('a<=b>=c<>d!=e||f==g<<h>>i->j->>k')).toEqual([
      'ident:a',
      'op:<=',
      'ident:b',
      'op:>=',
      'ident:c',
      'op:<>',
      'ident:d',
      'op:!=',
      'ident:e',
      'op:||',
      'ident:f',
      'op:==',
      'ident:g',
      'op:<<',
      'ident:h',
      'op:>>',
      'ident:i',
      'op:->',
      'ident:j',
      'op:->>',
      'ident:k',
    ]);
  });

  test('single-character operators and punctuation', () => {
    expect(kt('(a+b)*c/d%e,f;g.h=i<j>k&l|m~n')).toEqual([
      'punct:(',
      'ident:a',
      'op:+',
      'ident:b',
      'punct:)',
      'op:*',
      'ident:c',
      'op:/',
      'ident:d',
      'op:%',
      'ident:e',
      'punct:,',
      'ident:f',
      'punct:;',
      'ident:g',
      'punct:.',
      'ident:h',
      'op:=',
      'ident:i',
      'op:<',
      'ident:j',
      'op:>',
      'ident:k',
      'op:&',
      'ident:l',
      'op:|',
      'ident:m',
      'op:~',
      'ident:n',
    ]);
  });

  test('parameters', () => {
    expect(kt('? ?12 :name @x $y')).toEqual(['param:?', 'param:?12', 'param::name', 'param:@x', 'param:$y']);
  });

  test('unknown characters become punct and do not throw', () => {
    expect(kt('a ! # b')).toEqual(['ident:a', 'punct:!', 'punct:#', 'ident:b']);
  });

  test('significantTokens drops comments', () => {
    expect(significantTokens('SELECT /* x */ 1 -- y').map((t: Token) => t.text)).toEqual(['SELECT', '1']);
  });
});

describe('tokenize: keyword classification', () => {
  test('core clause keywords in any case', () => {
    const words =
      'select from where group by order having limit offset join left inner outer cross on as and or not in is null like between exists union intersect except all distinct case when then else end asc desc with recursive';
    const sql = `${words.replace(' end ', ' ')} CASE WHEN 1 THEN 2 END`;
    for (const t of tokenize(sql)) expect(t.kind).toBe(t.text === '1' || t.text === '2' ? 'number' : 'keyword');
  });

  test('aggregates are keywords only when called', () => {
    expect(kindOf('SELECT count(*) FROM t', 'count')).toBe('keyword');
    expect(kindOf('SELECT max (a) FROM t', 'max')).toBe('keyword');
    expect(kindOf('SELECT count FROM t', 'count')).toBe('ident');
    expect(kindOf('SELECT t.total FROM t', 'total')).toBe('ident');
    expect(tokenize('SELECT Sum(x)')[1].value).toBe('SUM');
    expect([...AGGREGATE_FUNCTIONS]).toEqual(expect.arrayContaining(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']));
  });

  test('other functions stay identifiers', () => {
    expect(kindOf('SELECT lower(name) FROM t', 'lower')).toBe('ident');
  });

  test('Spider tables and columns named like fallback keywords are identifiers', () => {
    expect(kindOf('SELECT count(*) FROM CAST AS t2 JOIN actor AS t1', 'CAST')).toBe('ident');
    expect(kindOf('SELECT Winning_Aircraft FROM MATCH', 'MATCH')).toBe('ident');
    expect(kindOf('SELECT * FROM aircraft AS T1 JOIN MATCH AS T2 ON 1', 'MATCH')).toBe('ident');
    expect(kindOf('SELECT DISTINCT Range FROM mountain ORDER BY Prominence', 'Range')).toBe('ident');
    expect(kindOf('SELECT Range FROM mountain WHERE range BETWEEN 1 AND 2', 'range')).toBe('ident');
    expect(kindOf('SELECT a FROM b WHERE YEAR = 1885 AND ties = 1', 'ties')).toBe('ident');
    expect(kindOf('SELECT no FROM t', 'no')).toBe('ident');
    expect(kindOf('SELECT end FROM t', 'end')).toBe('ident');
  });

  test('contextual keywords where they act as keywords', () => {
    expect(kindOf('SELECT CAST(x AS INTEGER)', 'CAST')).toBe('keyword');
    expect(kindOf('SELECT CASE WHEN a THEN b END FROM t', 'END')).toBe('keyword');
    expect(kindOf("SELECT * FROM t WHERE body MATCH 'x'", 'MATCH')).toBe('keyword');
    expect(kindOf("SELECT * FROM t WHERE a NOT GLOB 'x*'", 'GLOB')).toBe('keyword');
    expect(kindOf('WITH RECURSIVE c(x) AS (SELECT 1) SELECT x FROM c', 'RECURSIVE')).toBe('keyword');
    expect(kindOf('SELECT a FROM t ORDER BY a NULLS LAST', 'NULLS')).toBe('keyword');
    expect(kindOf('SELECT a FROM t ORDER BY a NULLS LAST', 'LAST')).toBe('keyword');
    expect(kindOf('SELECT last FROM t', 'last')).toBe('ident');
  });

  test('nested CASE ... END pairs', () => {
    const toks = tokenize('SELECT CASE WHEN a THEN CASE WHEN b THEN 1 END ELSE 2 END, end FROM t');
    expect(toks.filter((t) => t.text.toLowerCase() === 'end').map((t) => t.kind)).toEqual([
      'keyword',
      'keyword',
      'ident',
    ]);
  });

  test('window functions: OVER, PARTITION, frame words', () => {
    const sql =
      'SELECT rank() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t';
    const kinds = Object.fromEntries(tokenize(sql).map((t) => [t.text, t.kind]));
    expect(kinds).toMatchObject({
      rank: 'ident',
      OVER: 'keyword',
      PARTITION: 'keyword',
      ROWS: 'keyword',
      UNBOUNDED: 'keyword',
      PRECEDING: 'keyword',
      CURRENT: 'keyword',
      ROW: 'keyword',
    });
  });

  test('named window clause', () => {
    const sql = 'SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY y RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING)';
    const kinds = Object.fromEntries(tokenize(sql).map((t) => [t.text, t.kind]));
    expect(kinds).toMatchObject({
      OVER: 'keyword',
      WINDOW: 'keyword',
      w: 'ident',
      RANGE: 'keyword',
      FOLLOWING: 'keyword',
    });
  });

  test('filter/over/window as plain names', () => {
    expect(kindOf('SELECT filter, over FROM window', 'filter')).toBe('ident');
    expect(kindOf('SELECT filter, over FROM window', 'over')).toBe('ident');
    expect(kindOf('SELECT filter, over FROM window', 'window')).toBe('ident');
    expect(kindOf('SELECT count(*) FILTER (WHERE a) FROM t', 'FILTER')).toBe('keyword');
  });

  test('words next to a dot are identifiers', () => {
    expect(kt('SELECT T1.order, from.x')).toEqual([
      'keyword:SELECT',
      'ident:T1',
      'punct:.',
      'ident:order',
      'punct:,',
      'ident:from',
      'punct:.',
      'ident:x',
    ]);
  });

  test('comments do not disturb context', () => {
    expect(kindOf('SELECT count /* c */ (*) FROM t', 'count')).toBe('keyword');
  });

  test('DDL words', () => {
    expect(kindOf('CREATE TABLE t (id INTEGER PRIMARY KEY)', 'KEY')).toBe('keyword');
    expect(kindOf('CREATE VIEW v AS SELECT 1', 'VIEW')).toBe('keyword');
    expect(kindOf('EXPLAIN QUERY PLAN SELECT 1', 'PLAN')).toBe('keyword');
    expect(kindOf('SELECT key FROM t', 'key')).toBe('ident');
  });
});

describe('isSqliteKeyword', () => {
  test('has the full list (147 words)', () => {
    expect(SQLITE_KEYWORDS.size).toBe(147);
  });

  test.each(['select', 'SELECT', 'Match', 'range', 'cast', 'key', 'order', 'group', 'ties', 'WITHOUT', 'abort'])(
    '%s is a keyword',
    (w) => expect(isSqliteKeyword(w)).toBe(true),
  );

  test.each(['name', 'rank', 'year', 'count', 'date', 'type', 'total', 'singer', ''])('%s is not a keyword', (w) =>
    expect(isSqliteKeyword(w)).toBe(false),
  );
});
