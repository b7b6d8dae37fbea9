/**
 * The instant generator: templates from example SQL, fillings on the demo shop (examples written
 * for another schema), and bad input. Expected answers are compared by their results against
 * hand-written SQL for the shop.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { sqlJs } from '../../src/node/host.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { compareResults } from '../../src/lib/sql/compare.ts';
import { quoteIdentifier, sqlSkeleton } from '../../src/lib/sql/normalize.ts';
import { parseTemplate, render } from '../../src/lib/instant/template.ts';
import { InstantGenerator, type InstantExample } from '../../src/lib/instant/generator.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const shopSql = readFileSync(resolve(repoRoot, 'static-data/demo/shop.sql'), 'utf8');

/** Examples from a concert/singer database: none of their names exist in the shop. */
const EXAMPLES: InstantExample[] = [
  { question: 'How many singers are from France?', sql: "SELECT count(*) FROM singer WHERE country = 'France'" },
  {
    question: 'Names of singers who performed in concert 3',
    sql: 'SELECT T1.name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.concert_id = 3',
  },
  { question: 'What is the average age of singers?', sql: 'SELECT avg(age) FROM singer' },
  { question: 'Show the name of the oldest singer', sql: 'SELECT name FROM singer ORDER BY age DESC LIMIT 1' },
  { question: 'Count the singers in each country', sql: 'SELECT country, count(*) FROM singer GROUP BY country' },
];

describe('templates', () => {
  test('a three-table join: table, column and literal slots, join keys, roles', () => {
    const t = parseTemplate(
      'SELECT T2.name FROM singer_in_concert AS T1 JOIN singer AS T2 ON T1.singer_id = T2.singer_id ' +
        'JOIN concert AS T3 ON T1.concert_id = T3.concert_id WHERE T3.year = 2014',
    )!;
    expect(t.tables.map((x) => x.name)).toEqual(['singer_in_concert', 'singer', 'concert']);
    expect(t.columns.map((c) => `${c.table}.${c.name}`)).toEqual([
      '1.name',
      '0.singer_id',
      '1.singer_id',
      '0.concert_id',
      '2.concert_id',
      '2.year',
    ]);
    expect([...t.columns[0].roles]).toEqual(['select']);
    expect(t.joins).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
    expect(t.literals).toEqual([
      expect.objectContaining({ kind: 'number', value: '2014', role: 'compare', op: '=', column: 5 }),
    ]);
  });

  test('roles, aggregates, LIMIT and double-quoted strings', () => {
    const t = parseTemplate('SELECT name FROM singer WHERE country = "France" ORDER BY age DESC LIMIT 1')!;
    expect(t.columns.map((c) => [c.name, [...c.roles]])).toEqual([
      ['name', ['select']],
      ['country', ['where']],
      ['age', ['order']],
    ]);
    expect(t.literals.map((l) => [l.kind, l.value, l.role])).toEqual([
      ['string', 'France', 'compare'],
      ['number', '1', 'limit'],
    ]);
    const agg = parseTemplate('SELECT avg(age), max(age) FROM singer GROUP BY country HAVING count(*) > 2')!;
    expect([...agg.columns[0].aggs]).toEqual(['AVG', 'MAX']);
    expect(agg.literals[0]).toMatchObject({ value: '2', column: null });
  });

  test('rendering with the original names gives the original query back', () => {
    for (const sql of [
      ...EXAMPLES.map((e) => e.sql),
      'SELECT name FROM stadium WHERE stadium_id NOT IN (SELECT stadium_id FROM concert)',
    ]) {
      const t = parseTemplate(sql)!;
      const same = render(
        t,
        {
          tables: t.tables.map((x) => x.name),
          columns: t.columns.map((c) => c.name),
          literals: t.literals.map((l) => (l.kind === 'string' ? `'${l.value}'` : l.value)),
        },
        quoteIdentifier,
      );
      expect(sqlSkeleton(same)).toBe(sqlSkeleton(sql));
      expect(same.toLowerCase().replace(/\s+/g, ' ')).toBe(sql.toLowerCase().replace(/\s+/g, ' '));
    }
  });

  test('aliases are resolved per SELECT block', () => {
    const t = parseTemplate(
      'SELECT T1.name FROM singer AS T1 WHERE T1.id IN (SELECT T1.sid FROM performance AS T1 WHERE T1.year = 2014)',
    )!;
    expect(t.columns.map((c) => `${t.tables[c.table!].name}.${c.name}`)).toEqual([
      'singer.name',
      'singer.id',
      'performance.sid',
      'performance.year',
    ]);
    expect(t.joins).toEqual([{ a: 1, b: 2 }]);
  });

  test('what is not a query gives null', () => {
    expect(parseTemplate('')).toBeNull();
    expect(parseTemplate('hello world')).toBeNull();
    expect(parseTemplate('SELECT 1')).toBeNull();
    expect(parseTemplate(undefined as unknown as string)).toBeNull();
  });
});

describe('on the demo shop', () => {
  let db: SqlEngine;
  let tables: TableInfo[];
  let gen: InstantGenerator;
  beforeAll(async () => {
    db = new SqlEngine(await sqlJs());
    tables = db.open({ kind: 'sql', sql: shopSql, name: 'shop' }).tables;
    gen = new InstantGenerator({ sql: db });
  });
  const sameResult = (pred: string | null, gold: string) => {
    expect(pred).not.toBeNull();
    const g = db.exec(gold);
    expect(g.rows.length).toBeGreaterThan(0);
    expect(compareResults(g, db.exec(pred!), false).match).toBe(true);
  };

  test.each([
    ['How many customers are from Canada?', "SELECT count(*) FROM customers WHERE country = 'Canada'"],
    ['What is the average price of products?', 'SELECT avg(price) FROM products'],
    ['Show the name of the most expensive product', 'SELECT name FROM products ORDER BY price DESC LIMIT 1'],
    ['Count the customers in each country', 'SELECT country, count(*) FROM customers GROUP BY country'],
    [
      'List the names of customers who wrote a review with rating 5',
      'SELECT c.name FROM customers c JOIN reviews r ON c.id = r.customer_id WHERE r.rating = 5',
    ],
  ])('%s', async (question, gold) => {
    const a = await gen.answer({ question, tables, examples: EXAMPLES });
    expect(a.abstained).toBe(false);
    sameResult(a.sql, gold);
    expect(a.score).toBeGreaterThan(a.alternates[0]?.score ?? -Infinity);
    expect(a.ms).toBeGreaterThan(0);
  });

  test('without declared foreign keys the join comes from inferred *_id keys', async () => {
    const bare = new SqlEngine(await sqlJs());
    const t = bare.open({ kind: 'sql', sql: shopSql.replace(/REFERENCES \w+\(\w+\)/g, ''), name: 'bare' }).tables;
    const a = await new InstantGenerator({ sql: bare }).answer({
      question: 'List the names of customers who wrote a review with rating 5',
      tables: t,
      examples: EXAMPLES.slice(1, 2),
    });
    expect(a.sql).toMatch(/JOIN reviews AS T2 ON T1\.id = T2\.customer_id/);
  });

  test('a question that links to nothing abstains with a reason', async () => {
    const a = await gen.answer({ question: 'Why is the sky blue?', tables, examples: EXAMPLES });
    expect(a.abstained).toBe(true);
    expect(a.sql).toBeNull();
    expect(a.reason).toMatch(/no example could be adapted to this database/);
  });

  test('bad input never throws', async () => {
    const bad = await gen.answer({
      question: 'How many customers?',
      tables,
      examples: [
        { question: 'x', sql: 'not sql at all' },
        { question: 'y', sql: "SELECT 'unterminated" },
      ],
    });
    expect(bad).toMatchObject({ abstained: true, sql: null });
    expect(bad.reason).toMatch(/could be parsed/);
    expect((await gen.answer({ question: '', tables, examples: EXAMPLES })).reason).toMatch(/empty/);
    expect((await gen.answer({ question: 'customers', tables: [], examples: EXAMPLES })).abstained).toBe(true);
    const junk = await gen.answer(null as never);
    expect(junk.abstained).toBe(true);
  });
});

describe('hostile and non-ASCII values, a 200-table schema', () => {
  test('values with quotes and accents are quoted, matched and run', async () => {
    const db = new SqlEngine(await sqlJs());
    const { tables } = db.open({
      kind: 'sql',
      sql: `CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
        INSERT INTO people VALUES (1, 'Ann', 'São Paulo'), (2, 'Bob', 'O''Fallon'), (3, 'Cy', 'São Paulo'), (4, 'Di', 'Oslo');`,
      name: 'p',
    });
    const gen = new InstantGenerator({ sql: db });
    const sp = await gen.answer({ question: 'How many people live in São Paulo?', tables, examples: EXAMPLES });
    expect(db.exec(sp.sql!).rows).toEqual([[2]]);
    const of = await gen.answer({ question: "How many people are from O'Fallon?", tables, examples: EXAMPLES });
    expect(of.sql).toContain("'O''Fallon'");
    expect(db.exec(of.sql!).rows).toEqual([[1]]);
  });

  test('200 tables: answers within its budget without throwing', async () => {
    const db = new SqlEngine(await sqlJs());
    const ddl = Array.from({ length: 200 }, (_, i) => `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, label TEXT);`).join(
      '\n',
    );
    const { tables } = db.open({
      kind: 'sql',
      sql: ddl + 'CREATE TABLE singer (id INTEGER, name TEXT, country TEXT);',
      name: 'big',
    });
    const a = await new InstantGenerator({ sql: db }).answer({
      question: 'How many singers are there?',
      tables,
      examples: EXAMPLES,
      budgetMs: 2000,
    });
    expect(a.abstained).toBe(false);
    expect(a.sql).toMatch(/FROM singer/);
  });
});
