import { beforeAll, describe, expect, test } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { sqlJs } from '../../src/node/host.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { locateSqlError } from '../../src/lib/sql/locate-error.ts';

let engine: SqlEngine;
beforeAll(async () => {
  const SQL: SqlJsStatic = await sqlJs();
  engine = new SqlEngine(SQL);
  engine.open({
    kind: 'sql',
    name: 'shop',
    sql: 'CREATE TABLE customers(id INTEGER, name TEXT, country TEXT); CREATE TABLE orders(id INTEGER, customer_id INTEGER);',
  });
});

/** Run the SQL for real and locate the error sql.js reports. */
function marked(sql: string): string | null {
  const message = engine.check(sql);
  expect(message, `expected ${sql} to fail`).not.toBeNull();
  const s = locateSqlError(sql, message!, (p) => engine.check(p));
  return s ? sql.slice(s.from, s.to) : null;
}

describe('locateSqlError with real sql.js messages', () => {
  test('syntax errors point at the token the parser stopped at', () => {
    expect(marked('SELECT name, FROM customers')).toBe('FROM');
    expect(marked('SELECT name FRM customers')).toBe('customers');
    // ")" occurs twice: the parser check finds the one that fails
    expect(marked('SELECT count(id) FROM customers WHERE (id > 1))')).toBe(')');
    const sql = 'SELECT count(id) FROM customers WHERE (id > 1))';
    const s = locateSqlError(sql, engine.check(sql)!, (p) => engine.check(p))!;
    expect(s.from).toBe(sql.length - 1);
    expect(marked('SELECT name FROM customers WHERE')).toBe('WHERE');
  });

  test('unknown names, functions, ambiguity and ORDER BY terms', () => {
    expect(marked('SELECT nme FROM customers')).toBe('nme');
    expect(marked('SELECT c.nme FROM customers c')).toBe('c.nme');
    expect(marked('SELECT * FROM custmers')).toBe('custmers');
    expect(marked('SELECT foo(name) FROM customers')).toBe('foo(name)');
    expect(marked('SELECT id FROM customers JOIN orders ON customers.id = orders.customer_id')).toBe('id');
    expect(marked('SELECT substr() FROM customers')).toBe('substr()');
    expect(marked('SELECT name, id FROM customers ORDER BY 1, 5')).toBe('5');
    expect(marked('SELECT id, name FROM customers UNION SELECT id FROM orders')).toBe('UNION');
    expect(marked("SELECT 'abc FROM customers")).toBe("'abc FROM customers");
  });

  test('an ORDER BY term of a subquery is marked without the text after the subquery', () => {
    expect(marked('SELECT * FROM (SELECT name, id FROM customers ORDER BY 3) AS x')).toBe('3');
    expect(marked('SELECT * FROM (SELECT id FROM customers ORDER BY 1, 2), orders')).toBe('2');
    expect(marked('SELECT id FROM customers GROUP BY 4 ORDER BY id')).toBe('4');
  });

  test('messages that name nothing give null', () => {
    expect(locateSqlError('SELECT 1', 'query timed out after 5 s: stopped.')).toBeNull();
    expect(locateSqlError('', 'near "x": syntax error')).toBeNull();
  });
});
