import { describe, expect, test } from 'vitest';
import {
  exactMatch,
  firstStatement,
  hasOrderBy,
  markDoubleQuotedStrings,
  normalizeSql,
  quoteIdentifier,
  skeletonMatch,
  sqlSkeleton,
  stripMysqlQuoting,
} from '../../src/lib/sql/normalize.ts';
import { significantTokens } from '../../src/lib/sql/tokenize.ts';

describe('normalizeSql', () => {
  test('collapses whitespace, upper-cases keywords, lower-cases identifiers', () => {
    expect(normalizeSql('select  Name\n  from   SINGER\twhere Age>20')).toBe('SELECT name FROM singer WHERE age > 20');
  });

  test('strips trailing semicolons and comments', () => {
    expect(normalizeSql('SELECT a FROM t; ;')).toBe('SELECT a FROM t');
    expect(normalizeSql('SELECT a -- the a\nFROM t /* done */;')).toBe('SELECT a FROM t');
  });

  test('canonical spacing around punctuation', () => {
    expect(normalizeSql('SELECT count ( * ) FROM t')).toBe('SELECT COUNT(*) FROM t');
    expect(normalizeSql('SELECT a , b FROM t')).toBe('SELECT a, b FROM t');
    expect(normalizeSql('SELECT a,b FROM t')).toBe('SELECT a, b FROM t');
    expect(normalizeSql('SELECT T1 . name FROM t AS T1')).toBe('SELECT t1.name FROM t AS t1');
    expect(normalizeSql('SELECT a FROM t WHERE b IN(1,2)')).toBe('SELECT a FROM t WHERE b IN (1, 2)');
    expect(normalizeSql('SELECT lower ( name ) FROM t')).toBe('SELECT lower(name) FROM t');
    expect(normalizeSql('SELECT a FROM t WHERE EXISTS(SELECT 1)')).toBe('SELECT a FROM t WHERE EXISTS (SELECT 1)');
  });

  test('unquotes quoted identifiers', () => {
    const expected = 'SELECT name FROM singer';
    expect(normalizeSql('SELECT "Name" FROM "singer"')).toBe(expected);
    expect(normalizeSql('SELECT `Name` FROM `singer`')).toBe(expected);
    expect(normalizeSql('SELECT [Name] FROM [singer]')).toBe(expected);
  });

  test('names that need quotes are double-quoted, however they came', () => {
    expect(normalizeSql('SELECT [first name] FROM t')).toBe('SELECT "first name" FROM t');
    expect(normalizeSql('SELECT `first name` FROM t')).toBe('SELECT "first name" FROM t');
    // keyword-named columns: bare and quoted forms agree
    expect(normalizeSql('SELECT Range FROM mountain')).toBe('SELECT "range" FROM mountain');
    expect(normalizeSql('SELECT `range` FROM mountain')).toBe('SELECT "range" FROM mountain');
    expect(normalizeSql('SELECT count(*) FROM CAST AS t2')).toBe('SELECT COUNT(*) FROM "cast" AS t2');
    expect(normalizeSql('SELECT "a""b" FROM t')).toBe('SELECT "a""b" FROM t');
  });

  test('string literals are single-quoted and keep case and spacing', () => {
    expect(normalizeSql("SELECT a FROM t WHERE b = 'New  York'")).toBe("SELECT a FROM t WHERE b = 'New  York'");
    expect(normalizeSql('SELECT a FROM t WHERE b = "New  York"')).toBe("SELECT a FROM t WHERE b = 'New  York'");
    expect(normalizeSql("SELECT a FROM t WHERE b = 'it''s'")).toBe("SELECT a FROM t WHERE b = 'it''s'");
    expect(normalizeSql('SELECT a FROM t WHERE b = "it\'s"')).toBe("SELECT a FROM t WHERE b = 'it''s'");
  });

  test('double-quoted value positions become strings; others stay identifiers', () => {
    expect(normalizeSql('SELECT "Col" FROM t WHERE "Col" LIKE "%a%"')).toBe("SELECT col FROM t WHERE col LIKE '%a%'");
    expect(normalizeSql('SELECT a FROM t WHERE b NOT LIKE "x"')).toBe("SELECT a FROM t WHERE b NOT LIKE 'x'");
    expect(normalizeSql('SELECT a FROM t WHERE b IN ("x", "y")')).toBe("SELECT a FROM t WHERE b IN ('x', 'y')");
    expect(normalizeSql('SELECT a FROM t WHERE b BETWEEN "a" AND "m" AND "c" = 1')).toBe(
      "SELECT a FROM t WHERE b BETWEEN 'a' AND 'm' AND c = 1",
    );
    expect(normalizeSql('SELECT a FROM t WHERE b != "x" OR c <> "y" OR d >= "z"')).toBe(
      "SELECT a FROM t WHERE b != 'x' OR c != 'y' OR d >= 'z'",
    );
    // IN (SELECT ...) is a subquery, not a value list
    expect(normalizeSql('SELECT a FROM t WHERE b IN (SELECT "c", "d" FROM u)')).toBe(
      'SELECT a FROM t WHERE b IN (SELECT c, d FROM u)',
    );
  });

  test('operators: == -> =, <> -> !=', () => {
    expect(normalizeSql('SELECT a FROM t WHERE b == 1 AND c <> 2')).toBe('SELECT a FROM t WHERE b = 1 AND c != 2');
  });

  test('numbers stay as written (lower-cased)', () => {
    expect(normalizeSql('SELECT 1.0, 1, 1E3, 0X1F')).toBe('SELECT 1.0, 1, 1e3, 0x1f');
    expect(exactMatch('SELECT a FROM t WHERE b = 1', 'SELECT a FROM t WHERE b = 1.0')).toBe(false);
  });

  test('signs are glued to their operand, binary minus is spaced', () => {
    expect(normalizeSql('SELECT a FROM t WHERE b > - 5 AND c = a-1')).toBe(
      'SELECT a FROM t WHERE b > -5 AND c = a - 1',
    );
    expect(normalizeSql('SELECT -1, (- 2), x * -y')).toBe('SELECT -1, (-2), x * -y');
  });

  test('implicit aliases get an explicit AS', () => {
    expect(normalizeSql('SELECT T1.name FROM singer T1')).toBe('SELECT t1.name FROM singer AS t1');
    expect(normalizeSql('SELECT count(*) n FROM t')).toBe('SELECT COUNT(*) AS n FROM t');
    expect(normalizeSql('SELECT a FROM (SELECT 1 AS a) sub')).toBe('SELECT a FROM (SELECT 1 AS a) AS sub');
    expect(normalizeSql('SELECT CASE WHEN a THEN 1 END flag FROM t')).toBe(
      'SELECT CASE WHEN a THEN 1 END AS flag FROM t',
    );
    // a two-word type name in CAST is not an alias
    expect(normalizeSql('SELECT CAST(a AS unsigned big int) FROM t')).toBe('SELECT CAST(a AS unsigned big int) FROM t');
  });

  test('blob literals', () => {
    expect(normalizeSql("SELECT x'0aff'")).toBe("SELECT X'0AFF'");
  });

  test('is idempotent', () => {
    const qs = [
      'SELECT T1.name , count(*) FROM singer AS T1 JOIN concert t2 ON T1.id = T2.sid WHERE T2.year = "2014" GROUP BY T1.name ORDER BY count(*) DESC LIMIT 1',
      "SELECT `first name`, Range FROM `match` WHERE x IN ('a','b') AND y BETWEEN -1 AND 2.5",
      'WITH c AS (SELECT a FROM t) SELECT * FROM c EXCEPT SELECT b FROM u',
    ];
    for (const q of qs) expect(normalizeSql(normalizeSql(q))).toBe(normalizeSql(q));
  });
});

describe('exactMatch', () => {
  test('equal modulo formatting', () => {
    expect(
      exactMatch(
        'SELECT T1.name ,  count(*) FROM singer AS T1 WHERE T1.country  =  "France" ;',
        "select t1.Name, COUNT(*)\nfrom Singer as t1 where t1.country = 'France'",
      ),
    ).toBe(true);
  });

  test('different string case is a different query', () => {
    expect(exactMatch("SELECT a FROM t WHERE b = 'france'", "SELECT a FROM t WHERE b = 'France'")).toBe(false);
  });

  test('different structure is not a match', () => {
    expect(exactMatch('SELECT a FROM t', 'SELECT a FROM t ORDER BY a')).toBe(false);
    expect(exactMatch('SELECT a FROM t', 'SELECT DISTINCT a FROM t')).toBe(false);
  });

  test('aliases must agree (EM is textual)', () => {
    expect(exactMatch('SELECT x.a FROM t AS x', 'SELECT y.a FROM t AS y')).toBe(false);
    expect(exactMatch('SELECT x.a FROM t AS x', 'SELECT X.a FROM t x')).toBe(true);
  });
});

describe('sqlSkeleton', () => {
  test('brief examples', () => {
    expect(sqlSkeleton('SELECT count(*) FROM singer')).toBe('SELECT COUNT ( * ) FROM c');
    expect(sqlSkeleton("SELECT name FROM t WHERE age > 20 AND country = 'France'")).toBe(
      'SELECT c FROM c WHERE c > v AND c = v',
    );
  });

  test('qualified names are one unit; aliases are names too', () => {
    expect(sqlSkeleton('SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.singer_id')).toBe(
      'SELECT c FROM c AS c JOIN c AS c ON c = c',
    );
    expect(sqlSkeleton('SELECT main.t1.name FROM t1')).toBe('SELECT c FROM c');
    expect(sqlSkeleton('SELECT T1.* FROM t AS T1')).toBe('SELECT c.* FROM c AS c');
    expect(sqlSkeleton('SELECT * FROM t')).toBe('SELECT * FROM c');
  });

  test('quoting style does not matter', () => {
    const a = sqlSkeleton('SELECT `Name` FROM `singer` WHERE `Age` > 3');
    expect(sqlSkeleton('SELECT "Name" FROM "singer" WHERE "Age" > 3')).toBe(a);
    expect(sqlSkeleton('SELECT [Name] FROM [singer] WHERE [Age] > 3')).toBe(a);
    expect(sqlSkeleton('SELECT Name FROM singer WHERE Age > 3')).toBe(a);
    expect(a).toBe('SELECT c FROM c WHERE c > v');
  });

  test('same shape over different schemas gives the same skeleton', () => {
    expect(
      skeletonMatch(
        'SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.id = T2.sid GROUP BY T2.sid HAVING count(*) >= 2',
        'SELECT t1.title FROM `movie` t1 JOIN `rating` AS t2 ON t1.mid = t2.mid GROUP BY t2.mid HAVING COUNT(*) >= 10',
      ),
    ).toBe(true);
    expect(skeletonMatch('SELECT avg(age) FROM people', 'SELECT avg(price) FROM products')).toBe(true);
    expect(skeletonMatch('SELECT avg(age) FROM people', 'SELECT max(age) FROM people')).toBe(false);
  });

  test('literals of every kind are v', () => {
    expect(sqlSkeleton("SELECT a FROM t WHERE b = \"x\" AND c LIKE '%y%' AND d = -3.5 AND e = ? AND f = X'00'")).toBe(
      'SELECT c FROM c WHERE c = v AND c LIKE v AND c = v AND c = v AND c = v',
    );
    expect(sqlSkeleton('SELECT a FROM t WHERE b IN ("x", "y") AND flag = TRUE')).toBe(
      'SELECT c FROM c WHERE c IN ( v , v ) AND c = v',
    );
  });

  test('binary minus stays an operator', () => {
    expect(sqlSkeleton('SELECT a - 1 FROM t')).toBe('SELECT c - v FROM c');
  });

  test('keyword-named Spider identifiers are masked', () => {
    expect(sqlSkeleton('SELECT DISTINCT Range FROM mountain')).toBe('SELECT DISTINCT c FROM c');
    expect(sqlSkeleton('SELECT count(*) FROM MATCH')).toBe('SELECT COUNT ( * ) FROM c');
    expect(sqlSkeleton('SELECT t2.role FROM CAST AS t2')).toBe('SELECT c FROM c AS c');
  });

  test('built-in functions and CAST types are kept, other calls masked', () => {
    expect(sqlSkeleton("SELECT lower(name), strftime('%Y', d) FROM t")).toBe(
      'SELECT LOWER ( c ) , STRFTIME ( v , c ) FROM c',
    );
    expect(sqlSkeleton('SELECT my_udf(a) FROM t')).toBe('SELECT c ( c ) FROM c');
    expect(sqlSkeleton('SELECT CAST(a AS INTEGER) FROM t')).toBe('SELECT CAST ( c AS INTEGER ) FROM c');
  });

  test('implicit aliases are made explicit', () => {
    expect(sqlSkeleton('SELECT s.name FROM singer s')).toBe(sqlSkeleton('SELECT s.name FROM singer AS s'));
  });

  test('nested queries and set operations', () => {
    expect(
      sqlSkeleton(
        'SELECT name FROM t WHERE id NOT IN (SELECT tid FROM u) INTERSECT SELECT name FROM v ORDER BY name LIMIT 3',
      ),
    ).toBe('SELECT c FROM c WHERE c NOT IN ( SELECT c FROM c ) INTERSECT SELECT c FROM c ORDER BY c LIMIT v');
  });

  test('formatting and trailing semicolon do not matter', () => {
    expect(sqlSkeleton('select  count(*)\nfrom singer;')).toBe('SELECT COUNT ( * ) FROM c');
  });
});

describe('hasOrderBy', () => {
  test('outermost ORDER BY', () => {
    expect(hasOrderBy('SELECT a FROM t ORDER BY a')).toBe(true);
    expect(hasOrderBy('select a from t order  by a desc limit 1')).toBe(true);
    expect(hasOrderBy('SELECT a FROM t UNION SELECT b FROM u ORDER BY 1')).toBe(true);
  });

  test('ORDER BY only inside parentheses does not count', () => {
    expect(hasOrderBy('SELECT a FROM t WHERE b = (SELECT b FROM u ORDER BY c LIMIT 1)')).toBe(false);
    expect(hasOrderBy('SELECT * FROM (SELECT a FROM t ORDER BY a)')).toBe(false);
    expect(hasOrderBy('SELECT rank() OVER (ORDER BY a) FROM t')).toBe(false);
    expect(hasOrderBy('WITH c AS (SELECT a FROM t ORDER BY a) SELECT * FROM c')).toBe(false);
    expect(hasOrderBy('SELECT group_concat(a ORDER BY a) FROM t')).toBe(false);
  });

  test('ORDER in strings, comments or names does not count', () => {
    expect(hasOrderBy("SELECT 'ORDER BY' FROM t")).toBe(false);
    expect(hasOrderBy('SELECT a FROM t -- ORDER BY a')).toBe(false);
    expect(hasOrderBy('SELECT "order" FROM t')).toBe(false);
    expect(hasOrderBy('SELECT a FROM t; SELECT a FROM t ORDER BY a')).toBe(false);
  });

  test('no ORDER BY', () => {
    expect(hasOrderBy('SELECT a FROM t GROUP BY a')).toBe(false);
    expect(hasOrderBy('')).toBe(false);
  });
});

describe('stripMysqlQuoting', () => {
  test('plain names become bare', () => {
    expect(stripMysqlQuoting("SELECT COUNT(*) FROM `Faculty` WHERE `Sex` = 'F'")).toBe(
      "SELECT COUNT(*) FROM Faculty WHERE Sex = 'F'",
    );
    expect(stripMysqlQuoting('SELECT `t1`.`name` FROM `singer` AS `t1`')).toBe('SELECT t1.name FROM singer AS t1');
  });

  test('keywords and non-plain names become double-quoted', () => {
    expect(stripMysqlQuoting('SELECT `Winning_Aircraft` FROM `match`')).toBe('SELECT Winning_Aircraft FROM "match"');
    expect(stripMysqlQuoting('SELECT `first name`, `a"b`, `1st` FROM t')).toBe(
      'SELECT "first name", "a""b", "1st" FROM t',
    );
    expect(stripMysqlQuoting('SELECT `Range` FROM `mountain`')).toBe('SELECT "Range" FROM mountain');
  });

  test('escaped backticks, strings and comments are handled', () => {
    expect(stripMysqlQuoting('SELECT `a``b` FROM t')).toBe('SELECT "a`b" FROM t');
    expect(stripMysqlQuoting("SELECT 'it''s `x`' FROM t -- `y`")).toBe("SELECT 'it''s `x`' FROM t -- `y`");
    expect(stripMysqlQuoting('SELECT `a` /* `b` */ FROM `t`')).toBe('SELECT a /* `b` */ FROM t');
  });

  test('MySQL string rules: "..." is a string, backslash escapes', () => {
    expect(stripMysqlQuoting('SELECT `a` FROM t WHERE b = "x `y` z"')).toBe('SELECT a FROM t WHERE b = "x `y` z"');
    expect(stripMysqlQuoting("SELECT `a` FROM t WHERE b = 'it\\'s `y`' AND `c` = 1")).toBe(
      "SELECT a FROM t WHERE b = 'it\\'s `y`' AND c = 1",
    );
  });

  test('an unterminated backtick is left as is', () => {
    expect(stripMysqlQuoting('SELECT `a`, `b FROM t')).toBe('SELECT a, `b FROM t');
  });

  test('SQL without backticks is returned unchanged', () => {
    expect(stripMysqlQuoting('SELECT "x" FROM t')).toBe('SELECT "x" FROM t');
  });

  test('keeps the rest of the text byte for byte', () => {
    const sql = 'SELECT  a ,\n\t"b", [c] FROM t ;';
    expect(stripMysqlQuoting(sql)).toBe(sql);
  });

  test('rank, year, date, name stay bare (not SQLite keywords)', () => {
    expect(stripMysqlQuoting('SELECT DISTINCT `rank`, `year`, `date`, `name` FROM `Faculty`')).toBe(
      'SELECT DISTINCT rank, year, date, name FROM Faculty',
    );
  });
});

describe('firstStatement', () => {
  test('plain SQL with a semicolon and trailing text', () => {
    expect(firstStatement('SELECT a FROM t; SELECT b FROM u;')).toBe('SELECT a FROM t');
    expect(firstStatement('  SELECT a FROM t  ')).toBe('SELECT a FROM t');
  });

  test('fenced block with and without a language tag', () => {
    expect(firstStatement('Here is the query:\n```sql\nSELECT a\nFROM t;\n```\nIt selects a.')).toBe(
      'SELECT a\nFROM t',
    );
    expect(firstStatement('```\nSELECT 1\n```')).toBe('SELECT 1');
    expect(firstStatement('```SELECT 1```')).toBe('SELECT 1');
    expect(firstStatement('```sqlite\nSELECT 2')).toBe('SELECT 2');
    expect(firstStatement('SELECT 4 FROM t\n```')).toBe('SELECT 4 FROM t');
    expect(firstStatement('```sql\nSELECT 5\n```\n```sql\nSELECT 6\n```')).toBe('SELECT 5');
  });

  test('labels are removed', () => {
    expect(firstStatement('SQL: SELECT a FROM t')).toBe('SELECT a FROM t');
    expect(firstStatement('SQLite: SELECT a FROM t')).toBe('SELECT a FROM t');
    expect(firstStatement('Answer: SQL query: SELECT 1')).toBe('SELECT 1');
    expect(firstStatement('```sql\nSQL: SELECT 3;\n```')).toBe('SELECT 3');
  });

  test('semicolons in strings, names and comments are not statement ends', () => {
    expect(firstStatement("SELECT 'a;b' FROM t; DROP TABLE t")).toBe("SELECT 'a;b' FROM t");
    expect(firstStatement('SELECT "x;y" FROM t;')).toBe('SELECT "x;y" FROM t');
    expect(firstStatement('SELECT a -- ; not yet\nFROM t; x')).toBe('SELECT a -- ; not yet\nFROM t');
  });

  test('prose before the statement', () => {
    expect(firstStatement('Sure! The query is:\nSELECT a FROM t;\nDone')).toBe('SELECT a FROM t');
    expect(firstStatement('The answer is SELECT a FROM t')).toBe('SELECT a FROM t');
    expect(firstStatement('Sure:\nwith c as (select 1) select * from c')).toBe('with c as (select 1) select * from c');
  });

  test('inline backticks around the whole statement', () => {
    expect(firstStatement('`SELECT a FROM t`')).toBe('SELECT a FROM t');
    expect(firstStatement('`SELECT a FROM t;`')).toBe('SELECT a FROM t');
  });

  test('MySQL backtick identifiers are not mistaken for fences', () => {
    expect(firstStatement('SELECT `a` FROM `t`;')).toBe('SELECT `a` FROM `t`');
  });

  test('nothing SQL-like is returned trimmed', () => {
    expect(firstStatement('  I cannot answer that.  ')).toBe('I cannot answer that.');
    expect(firstStatement('')).toBe('');
  });
});

describe('quoteIdentifier / markDoubleQuotedStrings', () => {
  test('quoteIdentifier', () => {
    expect(quoteIdentifier('Name')).toBe('Name');
    expect(quoteIdentifier('order')).toBe('"order"');
    expect(quoteIdentifier('first name')).toBe('"first name"');
    expect(quoteIdentifier('x"y')).toBe('"x""y"');
    expect(quoteIdentifier('')).toBe('""');
  });

  test('markDoubleQuotedStrings leaves the input untouched', () => {
    const toks = significantTokens('SELECT "a" FROM t WHERE b = "c"');
    const marked = markDoubleQuotedStrings(toks);
    expect(marked.map((t) => t.kind)).toEqual([
      'keyword',
      'quoted_ident',
      'keyword',
      'ident',
      'keyword',
      'ident',
      'op',
      'string',
    ]);
    expect(toks[7].kind).toBe('quoted_ident');
  });
});
