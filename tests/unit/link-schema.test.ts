/**
 * Schema linking on real schemas: the demo shop (always) and Spider dev databases from ../shared
 * (skipped, with a message, when ../shared is absent). Expectations are checked by hand against
 * the databases' contents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { sqlJs } from '../../src/node/host.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import {
  ValueIndex,
  inferForeignKeys,
  joinPath,
  linkSchema,
  matchName,
  questionWords,
  readForeignKeys,
  splitName,
  stem,
  type SqlExec,
} from '../../src/lib/link/index.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const shopSql = readFileSync(resolve(repoRoot, 'static-data/demo/shop.sql'), 'utf8');
const spiderDb = resolve(repoRoot, '../shared/data/spider/database');
const noSpider = !existsSync(resolve(spiderDb, 'concert_singer/concert_singer.sqlite'));
if (noSpider)
  console.warn(`link-schema: Spider tests skipped, ${spiderDb} not found (needs ../shared beside the repo)`);

async function openSql(sql: string): Promise<{ db: SqlEngine; tables: TableInfo[] }> {
  const db = new SqlEngine(await sqlJs());
  return { db, tables: db.open({ kind: 'sql', sql, name: 'x' }).tables };
}
async function openSpider(id: string): Promise<{ db: SqlEngine; tables: TableInfo[] }> {
  const db = new SqlEngine(await sqlJs());
  const bytes = new Uint8Array(readFileSync(resolve(spiderDb, id, `${id}.sqlite`)));
  return { db, tables: db.open({ kind: 'bytes', bytes, name: id }).tables };
}
const key = (s: { table: string; column?: string }) => (s.column ? `${s.table}.${s.column}` : s.table);

describe('words', () => {
  test('identifiers split on _, camelCase, digits and spaces', () => {
    expect(splitName('Song_release_year')).toEqual(['song', 'release', 'year']);
    expect(splitName('orderDate2')).toEqual(['order', 'date', '2']);
    expect(splitName('HTTPServer name')).toEqual(['http', 'server', 'name']);
  });
  test('stems fold plurals and inflections', () => {
    expect(stem('countries')).toBe('country');
    expect(stem('singers')).toBe(stem('singer'));
    expect(stem('classes')).toBe('class');
    expect(stem('status')).toBe('status');
  });
  test('question words keep offsets and capitalisation', () => {
    const w = questionWords("Which singer's songs came from New Zealand?");
    expect(w.map((x) => x.text)).toEqual(['which', 'singer', 'songs', 'came', 'from', 'new', 'zealand']);
    expect(w[5].capitalized).toBe(true);
    expect(w[1].capitalized).toBe(false);
    expect("Which singer's songs came from New Zealand?".slice(w[6].start, w[6].end)).toBe('Zealand');
  });
  test('name matching: exact over partial, contiguous over scattered, generic words weaker', () => {
    const w = questionWords('What is the release year of the song by the youngest singer?');
    const year = matchName('Song_release_year', w);
    expect(year.score).toBeGreaterThan(0.5);
    expect(matchName('release_year', w).score).toBeGreaterThan(year.score);
    expect(matchName('Age', w).score).toBeGreaterThan(0); // "youngest" measures age
    expect(matchName('Capacity', w).score).toBe(0);
    expect(matchName('Name', questionWords('the names of singers')).score).toBeLessThan(
      matchName('Singer', questionWords('the names of singers')).score,
    );
  });
});

describe('demo shop', () => {
  let db: SqlEngine;
  let tables: TableInfo[];
  beforeAll(async () => ({ db, tables } = await openSql(shopSql)));

  test('declared foreign keys and a two-step join path', async () => {
    const fks = await readForeignKeys(db, tables);
    expect(fks.map((f) => `${f.fromTable}.${f.fromColumn}->${f.toTable}.${f.toColumn}`).sort()).toEqual([
      'order_items.order_id->orders.id',
      'order_items.product_id->products.id',
      'orders.customer_id->customers.id',
      'reviews.customer_id->customers.id',
      'reviews.product_id->products.id',
    ]);
    const path = joinPath(fks, 'customers', 'order_items')!;
    expect(path.map((s) => `${s.from}.${s.fromColumn}=${s.to}.${s.toColumn}`)).toEqual([
      'customers.id=orders.customer_id',
      'orders.id=order_items.order_id',
    ]);
    expect(joinPath(fks, 'customers', 'customers')).toEqual([]);
  });

  test('without declared keys, *_id joins are inferred from names', async () => {
    const { db: bare, tables: t } = await openSql(shopSql.replace(/REFERENCES \w+\(\w+\)/g, ''));
    expect(await readForeignKeys(bare, t)).toEqual([]);
    const inferred = inferForeignKeys(t);
    const edges = inferred.map((f) => `${f.fromTable}.${f.fromColumn}->${f.toTable}.${f.toColumn}`).sort();
    expect(edges).toContain('orders.customer_id->customers.id');
    expect(edges).toContain('reviews.product_id->products.id');
    expect(edges).toContain('order_items.order_id->orders.id');
    expect(inferred.every((f) => f.inferred)).toBe(true);
    const links = await linkSchema('customers and their reviews', t, bare);
    expect(links.foreignKeys.length).toBe(inferred.length);
  });

  test('"customers from Canada" links customers, customers.country and the value', async () => {
    const links = await linkSchema('How many customers from Canada wrote a review?', tables, db);
    expect(links.tables.slice(0, 2).map(key).sort()).toEqual(['customers', 'reviews']);
    expect(links.values[0]).toMatchObject({ table: 'customers', column: 'country', value: 'Canada', exact: true });
    expect(links.columns.some((c) => key(c) === 'customers.country')).toBe(true);
  });

  test('numbers and number words are picked up with their positions', async () => {
    const links = await linkSchema('Products priced above 20.5 with at least three reviews', tables, db);
    expect(links.numbers.map((n) => n.value)).toEqual([20.5, 3]);
    expect(links.columns[0]).toMatchObject({ table: 'products', column: 'price', numeric: true });
  });

  test('bad input: empty question, no tables, hostile quotes, non-ASCII', async () => {
    expect((await linkSchema('', tables, db)).tables.every((t) => t.score === 0)).toBe(true);
    const none = await linkSchema('anything', [], db);
    expect(none.tables).toEqual([]);
    expect(none.columns).toEqual([]);
    const q = await linkSchema(`customers named "O'Brien'); DROP TABLE customers; --" in Zürich`, tables, db);
    expect(q.tables[0].table).toBe('customers');
    expect((await db.exec('SELECT count(*) FROM customers')).rows[0][0]).toBeGreaterThan(0);
  });
});

describe('a 200-table schema', () => {
  test('the value index stays within its caps and linking still answers', async () => {
    const ddl = Array.from(
      { length: 200 },
      (_, i) => `CREATE TABLE t${i} (id INTEGER, label TEXT, note TEXT); INSERT INTO t${i} VALUES (1, 'v${i}', 'n');`,
    ).join('\n');
    const { db, tables } = await openSql(ddl + "INSERT INTO t150 VALUES (2, 'Quokka', 'x');");
    const index = new ValueIndex(db, tables, { maxColumns: 100 });
    const links = await linkSchema('Which table holds Quokka?', tables, db, { values: index });
    expect(index.skipped).toBe(300);
    expect(links.values).toEqual([]); // t150 is past the cap
    const all = new ValueIndex(db, tables, { maxColumns: 400 });
    const found = await linkSchema('Which table holds Quokka?', tables, db, { values: all });
    expect(found.values[0]).toMatchObject({ table: 't150', column: 'label', value: 'Quokka' });
  });
});

describe.skipIf(noSpider)('Spider dev databases', () => {
  test('concert_singer: singers from France older than 40', async () => {
    const { db, tables } = await openSpider('concert_singer');
    const l = await linkSchema('What are the names of the singers from France older than 40?', tables, db);
    expect(l.tables[0].table).toBe('singer');
    expect(l.values[0]).toMatchObject({ table: 'singer', column: 'Country', value: 'France' });
    expect(l.columns.find((c) => key(c) === 'singer.Age')?.score).toBeGreaterThan(0.5);
    expect(l.numbers).toEqual([{ value: 40, text: '40', word: 11 }]);
    const path = joinPath(l.foreignKeys, 'singer', 'concert')!;
    expect(path.map((s) => `${s.from}.${s.fromColumn}=${s.to}.${s.toColumn}`)).toEqual([
      'singer.Singer_ID=singer_in_concert.Singer_ID',
      'singer_in_concert.concert_ID=concert.concert_ID',
    ]);
  });

  test('flight_2: airline and city values, airports by name', async () => {
    const { db, tables } = await openSpider('flight_2');
    const l = await linkSchema('How many flights depart from City Aberdeen to Ashley?', tables, db);
    // flight_2 stores cities with a trailing space ('Aberdeen '): the match ignores it.
    const vals = l.values.map((v) => `${key(v)}=${v.value.trim()}`);
    expect(vals).toContain('airports.City=Aberdeen');
    expect(vals).toContain('airports.City=Ashley');
    expect(l.tables[0].table).toBe('flights');
    const j = await linkSchema('Which airlines have flights from airport APG?', tables, db);
    expect(j.values.map((v) => `${key(v)}=${v.value.trim()}`)).toContain('flights.SourceAirport=APG');
  });

  test('world_1: a capitalised phrase links partially to longer values', async () => {
    const { db, tables } = await openSpider('world_1');
    const l = await linkSchema('What is the population of the Democratic Republic?', tables, db);
    const congo = l.values.find((v) => v.value === 'Congo, The Democratic Republic of the');
    expect(congo).toMatchObject({ table: 'country', column: 'Name', exact: false });
    expect(congo!.score).toBeLessThan(1);
    expect(l.columns[0]).toMatchObject({ column: 'Population', numeric: true });
    const exact = await linkSchema('How many people live in Aruba?', tables, db);
    expect(exact.values[0]).toMatchObject({ table: 'country', column: 'Name', value: 'Aruba', exact: true, score: 1 });
  });
});

test('a failing executor never breaks linking', async () => {
  const broken: SqlExec = {
    exec: () => {
      throw new Error('worker gone');
    },
  };
  const l = await linkSchema('names of customers', [{ name: 'customers', columns: ['name'], types: ['TEXT'] }], broken);
  expect(l.tables[0].table).toBe('customers');
  expect(l.values).toEqual([]);
  expect(l.foreignKeys).toEqual([]);
});
