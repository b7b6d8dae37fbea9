/**
 * Validates the team-written static data in static-data/:
 *  - demo/shop.sql and demo/schemas/*.sql build in sql.js and are referentially sound;
 *  - every demo/corpus.jsonl example runs on the database named by its db_id, and most return data;
 *  - synthetic/seed_pairs.csv is well-formed, balanced per task, and its SQL runs on the shop schema
 *    (with equivalent rewrites really equivalent and negatives really different on the demo data).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import type { Database, SqlValue } from 'sql.js';

const ROOT = fileURLToPath(new URL('../../static-data/', import.meta.url));
const read = (rel: string): string => readFileSync(ROOT + rel, 'utf8');

interface CorpusRow {
  id: string;
  db_id: string;
  question: string;
  sql: string;
}

const dbs = new Map<string, Database>();

beforeAll(async () => {
  const SQL = await initSqlJs();
  // Foreign keys are enforced while loading, so a dangling reference fails here with the file name.
  const open = (rel: string): Database => {
    const db = new SQL.Database();
    db.run('PRAGMA foreign_keys = ON;');
    try {
      db.exec(read(rel));
    } catch (e) {
      throw new Error(`static-data/${rel} does not load: ${String(e)}`, { cause: e });
    }
    return db;
  };
  dbs.set('shop', open('demo/shop.sql'));
  for (const file of readdirSync(ROOT + 'demo/schemas').sort()) {
    if (file.endsWith('.sql')) dbs.set(file.slice(0, -4), open('demo/schemas/' + file));
  }
});

function db(name: string): Database {
  const d = dbs.get(name);
  if (!d) throw new Error(`no database named ${name}`);
  return d;
}

/** Runs exactly one statement through prepare/step and returns all rows. */
function runRows(d: Database, sql: string): SqlValue[][] {
  const stmt = d.prepare(sql);
  try {
    const rows: SqlValue[][] = [];
    while (stmt.step()) rows.push(stmt.get());
    return rows;
  } finally {
    stmt.free();
  }
}

/** A result "has data" when some row holds a value other than NULL or 0 (so `SELECT SUM(x)` over nothing does not count). */
function hasData(rows: SqlValue[][]): boolean {
  return rows.some((r) => r.some((v) => v !== null && v !== 0));
}

/** Order-insensitive fingerprint of a result (multiset of rows; floats rounded so evaluation order does not matter). */
function fingerprint(rows: SqlValue[][]): string {
  const norm = (v: SqlValue) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v);
  return JSON.stringify(rows.map((r) => JSON.stringify(r.map(norm))).sort());
}

function tableNames(d: Database): string[] {
  return runRows(d, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => String(r[0]));
}

function count(d: Database, sql: string): number {
  return Number(runRows(d, sql)[0][0]);
}

/** Minimal RFC 4180 parser: quoted fields may hold commas, doubled quotes and line breaks; LF or CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') {
      if (field !== '') throw new Error(`stray quote inside an unquoted field near offset ${i}`);
      quoted = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const isSql = (s: string): boolean => /^(select|with)\b/i.test(s.trim());

// ---------------------------------------------------------------------------

describe('demo databases', () => {
  test('shop.sql stays small and builds the expected tables', () => {
    expect(statSync(ROOT + 'demo/shop.sql').size).toBeLessThan(200 * 1024);
    const shop = db('shop');
    expect(tableNames(shop)).toEqual(['customers', 'order_items', 'orders', 'products', 'reviews']);
    expect(count(shop, 'SELECT COUNT(*) FROM customers')).toBeGreaterThanOrEqual(35);
    expect(count(shop, 'SELECT COUNT(*) FROM products')).toBeGreaterThanOrEqual(25);
    expect(count(shop, 'SELECT COUNT(*) FROM orders')).toBeGreaterThanOrEqual(120);
    expect(count(shop, 'SELECT COUNT(*) FROM order_items')).toBeGreaterThanOrEqual(300);
    expect(count(shop, 'SELECT COUNT(DISTINCT category) FROM products')).toBeGreaterThanOrEqual(5);
  });

  test('shop data is varied: countries, years, statuses, heavy and idle customers', () => {
    const shop = db('shop');
    const countries = runRows(shop, 'SELECT DISTINCT country FROM customers').map((r) => r[0]);
    for (const c of ['France', 'Germany', 'USA', 'UK', 'Japan']) expect(countries).toContain(c);
    const years = runRows(shop, "SELECT DISTINCT strftime('%Y', order_date) FROM orders ORDER BY 1").map((r) => r[0]);
    expect(years).toEqual(['2023', '2024', '2025']);
    expect(count(shop, 'SELECT COUNT(DISTINCT status) FROM orders')).toBeGreaterThanOrEqual(4);
    expect(
      count(shop, 'SELECT COUNT(*) FROM (SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 5)'),
    ).toBeGreaterThanOrEqual(3);
    expect(
      count(shop, 'SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)'),
    ).toBeGreaterThanOrEqual(1);
    expect(count(shop, 'SELECT COUNT(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_items)')).toBe(0);
    // Dates are ISO text, so string comparison and strftime both work.
    expect(
      count(shop, "SELECT COUNT(*) FROM orders WHERE order_date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'"),
    ).toBe(0);
  });

  test('there are at least 4 other schemas, each with sample rows in every table', () => {
    const others = [...dbs.keys()].filter((n) => n !== 'shop');
    expect(others.length).toBeGreaterThanOrEqual(4);
    for (const name of others) {
      const tables = tableNames(db(name));
      expect(tables.length, name).toBeGreaterThanOrEqual(3);
      for (const t of tables)
        expect(count(db(name), `SELECT COUNT(*) FROM "${t}"`), `${name}.${t}`).toBeGreaterThanOrEqual(5);
    }
  });

  test('every database is referentially sound', () => {
    for (const [name, d] of dbs) expect(runRows(d, 'PRAGMA foreign_key_check'), name).toEqual([]);
  });
});

describe('demo corpus', () => {
  const lines = read('demo/corpus.jsonl')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const rows: CorpusRow[] = lines.map((l, i) => {
    try {
      return JSON.parse(l) as CorpusRow;
    } catch (e) {
      throw new Error(`corpus.jsonl line ${i + 1} is not JSON: ${String(e)}`, { cause: e });
    }
  });

  test('is well-formed: ids, fields, size, spread over databases', () => {
    expect(rows.length).toBeGreaterThanOrEqual(220);
    for (const r of rows) {
      expect(Object.keys(r).sort(), r.id).toEqual(['db_id', 'id', 'question', 'sql']);
      expect(r.id).toMatch(/^demo-\d{3,}$/);
      expect(r.question.trim().length, r.id).toBeGreaterThan(8);
      expect(r.sql, r.id).not.toMatch(/[\r\n;]/);
      expect(isSql(r.sql), `${r.id} must be a read-only query`).toBe(true);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.question.toLowerCase())).size).toBe(rows.length);
    const perDb = new Map<string, number>();
    for (const r of rows) perDb.set(r.db_id, (perDb.get(r.db_id) ?? 0) + 1);
    expect(perDb.size).toBeGreaterThanOrEqual(5);
    expect(perDb.get('shop') ?? 0).toBeGreaterThanOrEqual(80);
    for (const [name, n] of perDb) {
      expect(dbs.has(name), `db_id ${name} has no schema file`).toBe(true);
      expect(n, name).toBeGreaterThanOrEqual(25);
    }
  });

  test('contains the canonical "more than 5 orders" example', () => {
    const ex = rows.find((r) => r.question === 'Which customers have placed more than 5 orders?');
    expect(ex?.db_id).toBe('shop');
    expect(hasData(runRows(db('shop'), ex!.sql))).toBe(true);
  });

  test('every example executes on its database, and most return data', () => {
    const failures: string[] = [];
    const empty: string[] = [];
    for (const r of rows) {
      try {
        if (!hasData(runRows(db(r.db_id), r.sql))) empty.push(r.id);
      } catch (e) {
        failures.push(`${r.id} (${r.db_id}): ${String(e)}`);
      }
    }
    expect(failures).toEqual([]);
    const shop = rows.filter((r) => r.db_id === 'shop');
    const shopWithData = shop.filter((r) => !empty.includes(r.id)).length;
    expect(shopWithData / shop.length, `empty shop results: ${empty.join(', ')}`).toBeGreaterThanOrEqual(0.9);
    expect((rows.length - empty.length) / rows.length, `empty results: ${empty.join(', ')}`).toBeGreaterThanOrEqual(
      0.8,
    );
  });

  test('covers the SQL shapes retrieval should see', () => {
    const shapes: Record<string, RegExp> = {
      join: /\bJOIN\b/,
      groupBy: /\bGROUP BY\b/,
      having: /\bHAVING\b/,
      orderLimit: /\bORDER BY\b.*\bLIMIT\b/,
      notIn: /\bNOT IN \(SELECT\b/,
      scalarSubquery: /[<>=] \(SELECT\b/,
      except: /\bEXCEPT\b/,
      union: /\bUNION\b/,
      intersect: /\bINTERSECT\b/,
      distinct: /\bDISTINCT\b/,
      like: /\bLIKE\b/,
      between: /\bBETWEEN\b/,
      strftime: /\bstrftime\(/,
      caseWhen: /\bCASE WHEN\b/,
      cte: /^WITH\b/,
    };
    for (const [shape, re] of Object.entries(shapes)) {
      expect(rows.filter((r) => re.test(r.sql)).length, shape).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('synthetic seed pairs', () => {
  const TASKS = ['text2code', 'code2text', 'code2code', 'hybrid'] as const;

  test('the CSV parser handles quoting, embedded commas, quotes and line breaks', () => {
    const parsed = parseCsv('a,b\r\n"x, y","say ""hi""\nthere"\nlast,\n');
    expect(parsed).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
      ['last', ''],
    ]);
    expect(() => parseCsv('a,"b\n')).toThrow();
  });

  const records = parseCsv(read('synthetic/seed_pairs.csv'));
  const [header, ...body] = records;
  const pairs = body.map((f) => ({ query: f[0], pos: f[1], neg: f[2], task: f[3], width: f.length }));

  test('has the expected header, shape and balance', () => {
    expect(header).toEqual(['query', 'pos', 'neg', 'task']);
    expect(pairs.length).toBeGreaterThanOrEqual(40);
    for (const [i, p] of pairs.entries()) {
      expect(p.width, `row ${i + 2}`).toBe(4);
      for (const k of ['query', 'pos', 'neg'] as const) expect(p[k].trim(), `row ${i + 2} ${k}`).not.toBe('');
      expect(p.pos, `row ${i + 2}`).not.toBe(p.neg);
      expect(p.query, `row ${i + 2}`).not.toBe(p.pos);
    }
    for (const t of TASKS) expect(pairs.filter((p) => p.task === t).length, t).toBe(10);
    expect(pairs.every((p) => (TASKS as readonly string[]).includes(p.task))).toBe(true);
    // "about SQL mostly": most rows carry SQL somewhere.
    expect(pairs.filter((p) => isSql(p.query) || isSql(p.pos)).length).toBeGreaterThanOrEqual(28);
  });

  // Rule: any query/pos field that starts with SELECT or WITH is SQL written against the shop schema and must run there.
  // In text2code and code2code rows, SQL negatives must also run and must give a different answer on the demo data,
  // and a code2code positive must give the same answer as its query. Other fields (prose, Python, JS) are not executed.
  test('SQL fields run on the shop schema', () => {
    const shop = db('shop');
    const failures: string[] = [];
    for (const [i, p] of pairs.entries()) {
      const fields: ('query' | 'pos' | 'neg')[] =
        p.task === 'text2code' || p.task === 'code2code' ? ['query', 'pos', 'neg'] : ['query', 'pos'];
      for (const k of fields) {
        if (!isSql(p[k])) continue;
        try {
          runRows(shop, p[k]);
        } catch (e) {
          failures.push(`row ${i + 2} ${p.task}.${k}: ${String(e)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test('code2code rewrites are equivalent and negatives are not (on the shop data)', () => {
    const shop = db('shop');
    const sqlRows = pairs.filter((p) => p.task === 'code2code' && isSql(p.query));
    expect(sqlRows.length).toBeGreaterThanOrEqual(6);
    for (const p of sqlRows) {
      const want = fingerprint(runRows(shop, p.query));
      expect(fingerprint(runRows(shop, p.pos)), p.pos).toBe(want);
      expect(fingerprint(runRows(shop, p.neg)), p.neg).not.toBe(want);
    }
  });

  test('text2code negatives answer differently from the positives (on the shop data)', () => {
    const shop = db('shop');
    const sqlRows = pairs.filter((p) => p.task === 'text2code' && isSql(p.pos));
    expect(sqlRows.length).toBeGreaterThanOrEqual(6);
    for (const p of sqlRows) {
      expect(isSql(p.neg), p.query).toBe(true);
      const pos = runRows(shop, p.pos);
      expect(hasData(pos), p.pos).toBe(true);
      expect(fingerprint(runRows(shop, p.neg)), p.neg).not.toBe(fingerprint(pos));
    }
  });
});
