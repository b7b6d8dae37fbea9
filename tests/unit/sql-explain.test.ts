import { describe, expect, test } from 'vitest';
import { explainSql, linkExplanation } from '../../src/lib/sql/explain.ts';

const clauses = (sql: string) => explainSql(sql).map((i) => `${i.depth}:${i.clause}`);

describe('explainSql: clause by clause', () => {
  const sql =
    "SELECT c.name, count(*) AS n FROM customers c JOIN orders o ON c.id = o.customer_id WHERE c.country = 'France' GROUP BY c.id HAVING count(*) > 5 ORDER BY n DESC LIMIT 10";

  test('one item per clause, in order, with the clause ranges', () => {
    const items = explainSql(sql);
    expect(items.map((i) => i.clause)).toEqual(['SELECT', 'FROM', 'WHERE', 'GROUP BY', 'HAVING', 'ORDER BY', 'LIMIT']);
    for (const it of items)
      expect(sql.slice(it.from, it.to).toUpperCase().startsWith(it.clause.split(' ')[0])).toBe(true);
    expect(sql.slice(items[1].from, items[1].to)).toBe('FROM customers c JOIN orders o ON c.id = o.customer_id');
    expect(items[items.length - 1].to).toBe(sql.length);
  });

  test('plain-English texts', () => {
    const t = Object.fromEntries(explainSql(sql).map((i) => [i.clause, i.text]));
    expect(t.SELECT).toBe('returns c.name and the number of rows (as n).');
    expect(t.FROM).toBe('combines customers (as c) with orders (as o), pairing rows where c.id is o.customer_id.');
    expect(t.WHERE).toBe("keeps only the rows where c.country is 'France'.");
    expect(t['GROUP BY']).toMatch(/^puts rows with the same c\.id into one group each/);
    expect(t.HAVING).toBe('keeps only the groups where the number of rows is greater than 5.');
    expect(t['ORDER BY']).toBe('sorts the rows by n (descending: largest first).');
    expect(t.LIMIT).toBe('keeps only the first 10 rows.');
  });

  test('subqueries and CTEs are explained one level deeper, after the clause that uses them', () => {
    expect(clauses('SELECT name FROM products WHERE price > (SELECT avg(price) FROM products)')).toEqual([
      '0:SELECT',
      '0:FROM',
      '0:WHERE',
      '1:SELECT',
      '1:FROM',
    ]);
    const items = explainSql(
      'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r LIMIT 100000) SELECT x, x % 7 AS g FROM r',
    );
    expect(items.map((i) => `${i.depth}:${i.clause}`)).toEqual([
      '0:WITH RECURSIVE',
      '1:SELECT',
      '1:UNION ALL',
      '1:SELECT',
      '1:FROM',
      '1:LIMIT',
      '0:SELECT',
      '0:FROM',
    ]);
    expect(items[0].text).toMatch(/temporary result named r\(x\) recursively/);
    expect(items[6].text).toBe('returns x and x % 7 (as g).');
  });

  test('operators, LIKE, IN, NULL tests, LIMIT/OFFSET and aggregates without GROUP BY', () => {
    const w = explainSql(
      "SELECT * FROM t WHERE a LIKE 'Jo%' AND b NOT LIKE '%x%' AND c IN (1, 2) AND d IS NOT NULL AND e <> 3",
    )[2].text;
    expect(w).toBe(
      "keeps only the rows where a starts with 'Jo' and b does not contain 'x' and c is one of (1, 2) and d is not empty (NOT NULL) and e is not 3.",
    );
    expect(explainSql('SELECT count(DISTINCT country) FROM customers')[0].text).toBe(
      'returns the number of different country values; with aggregates and no GROUP BY, the result is a single summary row.',
    );
    expect(explainSql('SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 10').at(-1)!.text).toBe(
      'skips the first 10 rows, then keeps the next 5 rows.',
    );
    expect(explainSql('SELECT a FROM t LIMIT 3').at(-1)!.text).toMatch(/no guaranteed order/);
    expect(explainSql('SELECT a FROM t ORDER BY 1').at(-1)!.text).toBe(
      'sorts the rows by result column 1 (ascending: smallest first).',
    );
    expect(explainSql('SELECT a FROM t LEFT JOIN u USING (id)')[1].text).toMatch(
      /keeping rows of the left side that have no match/,
    );
  });

  test('never throws; non-queries and garbage get one item', () => {
    expect(explainSql('')).toEqual([]);
    expect(explainSql('DELETE FROM t').map((i) => i.clause)).toEqual(['OTHER']);
    for (const s of [
      'SELECT (((',
      "SELECT 'unterminated",
      'SELECT FROM WHERE',
      ')))',
      'SELECT a FROM t; SELECT b FROM u',
    ])
      expect(() => explainSql(s)).not.toThrow();
    expect(clauses('SELECT a FROM t; SELECT b FROM u')).toEqual(['0:SELECT', '0:FROM', '0:SELECT', '0:FROM']);
  });
});

describe('linkExplanation', () => {
  test("a model's clause lines get the clause ranges; other lines get none", () => {
    const sql = "SELECT name FROM customers WHERE country = 'France' ORDER BY name";
    const items = linkExplanation(
      sql,
      'This query lists names.\n- SELECT: returns the name\n- WHERE: keeps French customers\n3. ORDER BY: sorts by name',
    );
    expect(items.map((i) => i.clause)).toEqual(['', 'SELECT', 'WHERE', 'ORDER BY']);
    expect(items[0].from).toBe(-1);
    expect(sql.slice(items[2].from, items[2].to)).toBe("WHERE country = 'France'");
  });
});
