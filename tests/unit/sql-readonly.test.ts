/**
 * Issue 18, items 14, 16 (engine side), 18 and 22: the working database cannot be changed by any
 * SQL, results are capped, and opening a bad file keeps the current database.
 */
import { describe, expect, test, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { SqlEngine, type DbSource } from '../../src/lib/sql/engine.ts';
import { checkReadOnly, countStatements, splitStatements } from '../../src/lib/sql/read-only.ts';
import { sqlJs, spiderDir } from '../../src/node/host.ts';

let SQL: SqlJsStatic;
let shop: DbSource;
beforeAll(async () => {
  SQL = await sqlJs();
  const sql = readFileSync(path.join(import.meta.dirname, '../../static-data/demo/shop.sql'), 'utf8');
  shop = { kind: 'sql', sql, name: 'shop' };
});

/** Row counts of every table: what must be the same before and after a write attempt. */
function snapshot(e: SqlEngine): string {
  const tables = e.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").rows.map((r) => r[0]);
  const counts = tables.map((t) => `${t}:${e.exec(`SELECT count(*) FROM "${String(t)}"`).rows[0][0]}`);
  const version = e.exec('PRAGMA user_version').rows[0][0];
  return `${counts.join(',')} v${version}`;
}

const WRITES = [
  'PRAGMA query_only=0; DELETE FROM order_items',
  'PRAGMA query_only=0; PRAGMA foreign_keys=0; DELETE FROM order_items',
  'PRAGMA query_only = 0; DROP TABLE reviews',
  'PRAGMA query_only=0; UPDATE products SET price = 0',
  'PRAGMA query_only=0; CREATE TABLE evil (x)',
  'pragma QUERY_ONLY = false; insert into customers default values',
  '/* hi */ PRAGMA main.query_only=0; DELETE FROM orders',
  'SELECT 1; PRAGMA query_only=0; DELETE FROM order_items; SELECT 2',
  "ATTACH ':memory:' AS x; CREATE TABLE x.t (a)",
  "VACUUM INTO '/tmp/evil.sqlite'",
  'PRAGMA user_version = 7',
  'WITH gone AS (SELECT 1) DELETE FROM order_items',
  'REPLACE INTO products (id) VALUES (1)',
  'BEGIN; PRAGMA query_only=0; DELETE FROM reviews; COMMIT',
  'EXPLAIN ANALYZE',
  'CREATE TEMP TABLE t AS SELECT * FROM customers',
  'CREATE TRIGGER tr AFTER INSERT ON orders BEGIN DELETE FROM reviews; END',
];

describe('read-only that SQL cannot switch off (item 14)', () => {
  test.each(WRITES)('refused and nothing changes: %s', (sql) => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    const before = snapshot(e);
    expect(() => e.exec(sql)).toThrow(/only read queries run here/);
    expect(snapshot(e)).toBe(before);
    // later questions see the original data
    expect(Number(e.exec('SELECT count(*) FROM order_items').rows[0][0])).toBeGreaterThan(0);
  });

  test('reads still run: SELECT, WITH, VALUES, EXPLAIN, read PRAGMAs, several statements', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    expect(e.exec('SELECT count(*) > 0 FROM customers').rows).toEqual([[1]]);
    expect(e.exec('WITH c AS (SELECT 2 AS x) SELECT x FROM c').rows).toEqual([[2]]);
    expect(e.exec('VALUES (1), (2)').rows).toEqual([[1], [2]]);
    expect(e.exec('EXPLAIN QUERY PLAN SELECT * FROM customers').columns.length).toBeGreaterThan(0);
    expect(e.exec('PRAGMA table_info(customers)').rows.length).toBeGreaterThan(0);
    expect(e.exec('PRAGMA main.table_info("orders")').rows.length).toBeGreaterThan(0);
    expect(e.exec('PRAGMA query_only').rows).toEqual([[1]]);
    expect(e.exec("SELECT 'DELETE FROM t; DROP TABLE x' AS s; -- DROP TABLE orders").rows).toEqual([
      ['DELETE FROM t; DROP TABLE x'],
    ]);
    expect(e.exec('SELECT 1; SELECT 2').rows).toEqual([[2]]);
  });

  test('the quick statement count agrees with the tokenizer', () => {
    const cases = [
      'SELECT 1',
      'SELECT 1;',
      ' ; ;SELECT 1;; SELECT 2 ; ',
      "SELECT ';' AS a; SELECT 'it''s; here'",
      'SELECT "a;b" FROM [x;y]; SELECT `c;d`',
      'SELECT 1 -- ; comment\n; SELECT 2 /* ; */',
      '-- only a comment; really',
      '',
    ];
    for (const sql of cases) expect(countStatements(sql), sql).toBe(splitStatements(sql).length);
  });

  test('second line: a change made by any route is detected, undone from the pristine source, and reported', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    const before = snapshot(e);
    // Reach the raw connection (test only) and give it a function that writes behind the classifier's back,
    // standing in for any route a future SQLite feature might open.
    const raw = (e as unknown as { db: import('sql.js').Database }).db;
    raw.create_function('sneaky', () => {
      raw.exec('PRAGMA query_only = 0; DELETE FROM order_items; DROP TABLE reviews');
      return 1;
    });
    expect(() => e.exec('SELECT sneaky()')).toThrow(
      /only read queries run here: the SQL tried to change the database, so the change was undone/,
    );
    expect(snapshot(e)).toBe(before);
    expect(e.exec('PRAGMA query_only').rows).toEqual([[1]]);
  });

  test('the classifier names the statement', () => {
    expect(checkReadOnly('DELETE FROM t')).toMatch(/only read queries run here: this is a DELETE statement/);
    expect(checkReadOnly('PRAGMA query_only=0')).toMatch(/PRAGMA query_only with a value/);
    expect(checkReadOnly('with a as (select 1) select * from a')).toBeNull();
  });

  test.skipIf(!spiderDir())('a Spider database cannot be modified either (needs ../shared)', () => {
    const e = new SqlEngine(SQL);
    const bytes = readFileSync(path.join(spiderDir()!, 'database/concert_singer/concert_singer.sqlite'));
    e.open({ kind: 'bytes', bytes, name: 'concert_singer.sqlite' });
    for (const sql of ['PRAGMA query_only=0; DELETE FROM singer', 'PRAGMA query_only=0; DROP TABLE concert']) {
      expect(() => e.exec(sql)).toThrow(/only read queries run here/);
    }
    expect(e.exec('SELECT count(*) FROM singer').rows[0][0]).toBe(6);
    expect(e.exec('SELECT count(*) FROM concert').rows[0][0]).toBeGreaterThan(0);
  });
});

describe('result caps (item 16, engine side)', () => {
  test('a huge blob is refused, not returned', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    expect(() => e.exec('SELECT zeroblob(2000000)', { maxValueBytes: 1_000_000 })).toThrow(/larger than 1 MB/);
    expect(() => e.exec("SELECT printf('%.*c', 3000000, 'x')", { maxValueBytes: 1_000_000 })).toThrow(
      /larger than 1 MB/,
    );
    expect(e.exec('SELECT length(zeroblob(2000000))').rows).toEqual([[2000000]]);
  });

  test('the default cap refuses zeroblob(9e7)', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    expect(() => e.exec('SELECT zeroblob(90000000)')).toThrow(/a value larger than 16 MB/);
  });

  test('a result over the total byte cap stops with a message', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    const endless = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT x, zeroblob(100000) FROM r';
    expect(() => e.exec(endless, { maxResultBytes: 5_000_000 })).toThrow(/larger than 4.8 MB in total/);
  });

  test('SELECT 1; × 100,000 is refused before anything runs', () => {
    const e = new SqlEngine(SQL);
    e.open(shop);
    const t0 = performance.now();
    expect(() => e.exec('SELECT 1;'.repeat(100_000))).toThrow(/too many statements in one run: 100,000 \(at most 100/);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(e.exec('SELECT 1;'.repeat(100)).rows).toEqual([[1]]);
  });
});

/** A small valid database file. */
function goodBytes(): Uint8Array {
  const db = new SQL.Database();
  db.exec("CREATE TABLE a (x); INSERT INTO a VALUES (1), (2); CREATE TABLE b (y TEXT); INSERT INTO b VALUES ('z')");
  const bytes = db.export();
  db.close();
  return bytes;
}

/** A database with a virtual table of a module this build lacks (rtree-like), by editing the schema. */
function missingModuleBytes(): Uint8Array {
  const db = new SQL.Database();
  db.exec('CREATE TABLE spatial (id, a, b); PRAGMA writable_schema = 1;');
  db.exec(
    "UPDATE sqlite_master SET sql = 'CREATE VIRTUAL TABLE spatial USING nosuchmodule(id, a, b)', rootpage = 0 WHERE name = 'spatial'",
  );
  const bytes = db.export();
  db.close();
  return bytes;
}

/** A valid file with a page of a table overwritten with garbage. */
function corruptBytes(): Uint8Array {
  const db = new SQL.Database();
  db.exec('CREATE TABLE big (x TEXT)');
  db.exec(
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 2000) INSERT INTO big SELECT printf('row %d %s', i, hex(randomblob(20))) FROM r",
  );
  const bytes = db.export();
  db.close();
  const pageSize = (bytes[16] << 8) | bytes[17];
  // Page 3 onwards belong to the table's b-tree; scribble over one in the middle.
  const page = Math.floor(bytes.length / pageSize / 2);
  for (let i = 0; i < pageSize; i++) bytes[page * pageSize + i] = (i * 37 + 11) & 0xff;
  return bytes;
}

describe('opening a database (items 18 and 22)', () => {
  const bad: [string, () => Uint8Array, RegExp][] = [
    ['a zero-byte file', () => new Uint8Array(0), /empty \(0 bytes\)/],
    [
      'random bytes',
      () => new TextEncoder().encode('not a database at all, really not'),
      /not a readable SQLite database \(it does not start with the SQLite file header\)/,
    ],
    ['a corrupt page', corruptBytes, /not a readable SQLite database .*(integrity|malformed)/],
    [
      'a schema with a missing module',
      missingModuleBytes,
      /cannot be opened here: its schema cannot be read \(.*no such module/,
    ],
  ];

  test.each(bad)('%s is refused and the current database keeps working', (_name, make, re) => {
    const e = new SqlEngine(SQL);
    e.open({ kind: 'bytes', bytes: goodBytes(), name: 'good.sqlite' });
    expect(() => e.open({ kind: 'bytes', bytes: make(), name: 'bad.sqlite' })).toThrow(re);
    expect(e.current?.name).toBe('good.sqlite');
    expect(e.exec('SELECT count(*) FROM a').rows).toEqual([[2]]);
  });

  test('the bad file is named in the message', () => {
    const e = new SqlEngine(SQL);
    expect(() => e.open({ kind: 'bytes', bytes: new Uint8Array(0), name: 'empty.sqlite' })).toThrow(/"empty.sqlite"/);
  });
});
