/**
 * Pair generation: CSV round trip, rule-based rewrites that keep the result on the demo shop
 * database, hybrid edits that still run, validation against a schema, de-duplication and
 * hard-negative mining.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { sqlJs } from '../../src/node/host.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { compareResults } from '../../src/lib/sql/compare.ts';
import { hasOrderBy } from '../../src/lib/sql/normalize.ts';
import { parseDemoCorpus } from '../../src/lib/corpus/demo.ts';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import {
  dedupePairs,
  equivalentRewrite,
  fillPrompt,
  generatePairs,
  hybridEdit,
  hybridSqlStart,
  mineHardNegatives,
  paraphraseQuestion,
  parsePairsCsv,
  pairsToCsv,
  schemaLookup,
  sqlFields,
  validatePairs,
  type Pair,
} from '../../src/lib/train/pairs.ts';
import {
  addDistinct,
  addLimit,
  flipOrder,
  reformatSql,
  renameTableAliases,
  reorderAndConditions,
  stripComments,
} from '../../src/lib/train/sql-rewrite.ts';
import { mulberry32 } from '../../src/lib/eval/stats.ts';

const ROOT = fileURLToPath(new URL('../../static-data/', import.meta.url));
const shopSql = readFileSync(ROOT + 'demo/shop.sql', 'utf8');
const corpus = parseDemoCorpus(readFileSync(ROOT + 'demo/corpus.jsonl', 'utf8'));
const shopExamples = corpus.examples.filter((e) => e.dbId === 'shop');

let SQL: SqlJsStatic;
let shop: SqlEngine;
beforeAll(async () => {
  SQL = await sqlJs();
  shop = new SqlEngine(SQL);
  shop.open({ kind: 'sql', sql: shopSql, name: 'shop' });
});

/** Same rows as the original (as a sequence when the original orders them, else as a multiset). */
function sameResult(original: string, rewritten: string): { match: boolean; reason?: string } {
  const a = shop.exec(original);
  const b = shop.exec(rewritten);
  return compareResults(a, b, hasOrderBy(original));
}

describe('equivalent rewrites keep the result on the demo shop database', () => {
  test('the corpus has what the rules need', () => {
    expect(shopExamples.length).toBeGreaterThan(100);
    expect(shopExamples.filter((e) => renameTableAliases(e.sql) !== null).length).toBeGreaterThan(10);
    expect(shopExamples.filter((e) => reorderAndConditions(e.sql) !== null).length).toBeGreaterThan(3);
  });

  test('renameTableAliases', () => {
    let n = 0;
    for (const ex of shopExamples) {
      const rw = renameTableAliases(ex.sql);
      if (!rw) continue;
      n++;
      expect(rw).not.toBe(ex.sql);
      expect(sameResult(ex.sql, rw), `${ex.id}: ${rw}`).toEqual({ match: true });
    }
    expect(n).toBeGreaterThan(10);
  });

  test('reorderAndConditions', () => {
    for (const ex of shopExamples) {
      for (const shift of [-1, 1]) {
        const rw = reorderAndConditions(ex.sql, shift);
        if (rw) expect(sameResult(ex.sql, rw), `${ex.id}: ${rw}`).toEqual({ match: true });
      }
    }
  });

  test('reformatSql in every style', () => {
    for (const ex of shopExamples) {
      for (const keywordCase of ['upper', 'lower'] as const) {
        for (const layout of ['line', 'clauses'] as const) {
          const rw = reformatSql(ex.sql, { keywordCase, layout });
          expect(sameResult(ex.sql, rw), `${ex.id}: ${rw}`).toEqual({ match: true });
        }
      }
    }
  });

  test('equivalentRewrite (combined, seeded) always differs and always agrees', () => {
    const rand = mulberry32(4);
    for (const ex of shopExamples) {
      const rw = equivalentRewrite(ex.sql, rand, ex.question)!;
      expect(rw).toBeTruthy();
      expect(rw.trim()).not.toBe(ex.sql.trim());
      expect(sameResult(ex.sql, rw), `${ex.id}: ${rw}`).toEqual({ match: true });
    }
  });

  test('hand-picked cases: aliases in subqueries, BETWEEN, OR, strings and comments are safe', () => {
    const q =
      "SELECT T1.name FROM customers AS T1 JOIN orders AS T2 ON T1.id = T2.customer_id WHERE T2.status = 'T1.x' AND T2.order_date BETWEEN '2024-01-01' AND '2024-12-31' -- T1 stays";
    expect(renameTableAliases(q)).toBe(
      "SELECT a.name FROM customers AS a JOIN orders AS b ON a.id = b.customer_id WHERE b.status = 'T1.x' AND b.order_date BETWEEN '2024-01-01' AND '2024-12-31' -- T1 stays",
    );
    expect(reorderAndConditions(q)).toBe(
      "SELECT T1.name FROM customers AS T1 JOIN orders AS T2 ON T1.id = T2.customer_id WHERE T2.order_date BETWEEN '2024-01-01' AND '2024-12-31' AND T2.status = 'T1.x' -- T1 stays",
    );
    expect(reorderAndConditions('SELECT a FROM t WHERE x = 1 OR y = 2 AND z = 3')).toBeNull();
    expect(reorderAndConditions('SELECT a FROM t WHERE b = 1 AND a IN (SELECT c FROM u WHERE d = 1 AND e = 2)')).toBe(
      'SELECT a FROM t WHERE a IN (SELECT c FROM u WHERE d = 1 AND e = 2) AND b = 1',
    );
    // An alias named like a letter already in use is skipped.
    expect(renameTableAliases('SELECT a FROM t AS T1 WHERE T1.b = 1')).toBe('SELECT a FROM t AS c WHERE c.b = 1');
    expect(stripComments('SELECT 1 -- x\n;')).toBe('SELECT 1');
  });
});

describe('hybrid edits', () => {
  test('every edit runs on the shop database and changes the SQL', () => {
    const rand = mulberry32(9);
    let n = 0;
    for (const ex of shopExamples) {
      const e = hybridEdit(ex.sql, rand);
      if (!e) continue;
      n++;
      expect(e.sql).not.toBe(ex.sql);
      expect(() => shop.exec(e.sql), e.sql).not.toThrow();
    }
    expect(n).toBeGreaterThan(shopExamples.length * 0.9);
  });

  test('individual edits', () => {
    expect(addLimit('SELECT name FROM products', 5)!.sql).toBe('SELECT name FROM products LIMIT 5');
    expect(addLimit('SELECT name FROM products LIMIT 2', 5)).toBeNull();
    expect(addDistinct('SELECT name FROM products')!.sql).toBe('SELECT DISTINCT name FROM products');
    expect(addDistinct('SELECT a FROM t UNION SELECT b FROM u')).toBeNull();
    expect(flipOrder('SELECT name FROM products ORDER BY count(*) DESC LIMIT 3')!.sql).toBe(
      'SELECT name FROM products ORDER BY count(*) ASC LIMIT 3',
    );
    expect(flipOrder('SELECT name FROM products ORDER BY price')!.sql).toBe(
      'SELECT name FROM products ORDER BY price DESC',
    );
    expect(flipOrder('SELECT name FROM products ORDER BY price, name')).toBeNull();
    const shopLimit = shop.exec(addLimit('SELECT name FROM products ORDER BY price', 3)!.sql);
    expect(shopLimit.rows).toHaveLength(3);
  });
});

describe('generatePairs / validatePairs / dedupe', () => {
  test('makes all four task kinds plus paraphrases, and every SQL field compiles against its schema', async () => {
    const ddl: Record<string, string> = { shop: shopSql };
    for (const n of ['library', 'school', 'hr', 'flights'])
      ddl[n] = readFileSync(ROOT + `demo/schemas/${n}.sql`, 'utf8');
    const pairs = generatePairs(corpus.examples, { seed: 3 });
    const kinds = new Set(pairs.map((p) => p.task));
    expect([...kinds].sort()).toEqual(['code2code', 'code2text', 'hybrid', 'text2code']);
    const paraphrased = pairs.filter(
      (p) => p.task === 'text2code' && p.query !== corpus.examples.find((e) => e.id === p.source)!.question,
    );
    expect(paraphrased.length).toBeGreaterThan(corpus.examples.length / 2);
    const v = validatePairs(pairs, { SQL, schemaFor: schemaLookup(corpus.examples, ddl) });
    expect(v.issues).toEqual([]);
    expect(v.pairs).toHaveLength(pairs.length);
    expect(v.unchecked).toBe(0);
    // Deterministic.
    expect(generatePairs(corpus.examples, { seed: 3 })).toEqual(pairs);
  });

  test('invalid SQL is dropped with a reason; pairs without a schema are kept unchecked', () => {
    const pairs: Pair[] = [
      { query: 'q1', pos: 'SELECT name FROM products', task: 'text2code', dbId: 'shop' },
      { query: 'q2', pos: 'SELECT nope FROM products', task: 'text2code', dbId: 'shop' },
      { query: 'SELECT * FROM productz', pos: 'lists products', task: 'code2text', dbId: 'shop' },
      {
        query: 'Show only 2 rows: SELECT name FROM products',
        pos: 'SELECT name FROM products LIMIT 2\n-- limit',
        task: 'hybrid',
        dbId: 'shop',
      },
      { query: 'q5', pos: 'SELECT 1; SELECT 2', task: 'text2code', dbId: 'shop' },
      { query: 'q6', pos: 'SELECT whatever', task: 'text2code' },
    ];
    const v = validatePairs(pairs, { SQL, schemaFor: (p) => (p.dbId === 'shop' ? shopSql : undefined) });
    expect(v.pairs.map((p) => p.query)).toEqual(['q1', 'Show only 2 rows: SELECT name FROM products', 'q6']);
    expect(v.dropped).toBe(3);
    expect(v.unchecked).toBe(1);
    expect(v.issues.map((i) => [i.index, i.field])).toEqual([
      [1, 'pos'],
      [2, 'query'],
      [4, 'pos'],
    ]);
    expect(v.issues[0].reason).toMatch(/no such column/);
  });

  test('hybrid requests: prose "with" is not SQL, a CTE is', () => {
    const q = 'Change this to only show customers with more than 3 orders: SELECT customer_id FROM orders';
    expect(q.slice(hybridSqlStart(q))).toBe('SELECT customer_id FROM orders');
    const w = 'Limit this: WITH x AS (SELECT 1) SELECT * FROM x';
    expect(w.slice(hybridSqlStart(w))).toBe('WITH x AS (SELECT 1) SELECT * FROM x');
    expect(sqlFields({ query: q, pos: 'SELECT 1', task: 'hybrid' }).map((f) => f.field)).toEqual(['query', 'pos']);
  });

  test('dedupe ignores whitespace differences and keeps the first', () => {
    const p = (query: string, pos: string, task: Pair['task'] = 'text2code'): Pair => ({ query, pos, task });
    const r = dedupePairs([
      p('a', 'SELECT 1'),
      p('a ', 'SELECT  1'),
      p('a', 'SELECT 1', 'code2text'),
      p('b', 'SELECT 1'),
    ]);
    expect(r.removed).toBe(1);
    expect(r.pairs).toHaveLength(3);
  });

  test('paraphrases', () => {
    expect(paraphraseQuestion('What are the 5 most expensive products?')).toEqual([
      'Show me the 5 most expensive products.',
      'List the 5 most expensive products.',
    ]);
    expect(paraphraseQuestion('List all customers.')).toContain('What are all customers?');
    expect(paraphraseQuestion('Which customers live in Tokyo?')).toContain('Show me which customers live in Tokyo.');
    expect(paraphraseQuestion('Hello there')).toEqual([]);
  });
});

describe('pairs CSV', () => {
  test('round trip, including multi-line SQL, quotes and optional columns', () => {
    const pairs: Pair[] = [
      {
        query: 'Say "hi", then go',
        pos: "SELECT 'a,b'\n-- note",
        neg: 'SELECT 2',
        task: 'hybrid',
        dbId: 'shop',
        source: 'demo-1',
      },
      { query: 'q', pos: 'SELECT 1', task: 'text2code' },
    ];
    const back = parsePairsCsv(pairsToCsv(pairs));
    expect(back.issues).toEqual([]);
    expect(back.pairs).toEqual(pairs);
  });

  test('the seed pairs load: 40 rows, 10 per task', () => {
    const r = parsePairsCsv(readFileSync(ROOT + 'synthetic/seed_pairs.csv', 'utf8'));
    expect(r.issues).toEqual([]);
    expect(r.pairs).toHaveLength(40);
    for (const t of ['text2code', 'code2text', 'code2code', 'hybrid'])
      expect(r.pairs.filter((p) => p.task === t)).toHaveLength(10);
    expect(r.pairs.every((p) => p.neg)).toBe(true);
  });

  test('row issues: blank fields and unknown tasks; missing columns throw', () => {
    const r = parsePairsCsv('query,pos,task\nq,,text2code\nq2,SELECT 1,sql2sql\nq3,SELECT 1,\n');
    expect(r.pairs).toEqual([{ query: 'q3', pos: 'SELECT 1', task: 'text2code' }]);
    expect(r.issues.map((i) => i.row)).toEqual([2, 3]);
    expect(r.issues[1].reason).toMatch(/unknown task "sql2sql"/);
    expect(() => parsePairsCsv('question,answer\na,b\n')).toThrow(/needs the columns query and pos/);
  });
});

describe('hard negatives and prompts', () => {
  test('mineHardNegatives picks the nearest document that is not a positive', () => {
    const d = 2;
    const docs = new Float32Array([1, 0, 0.8, 0.6, 0, 1, -1, 0]);
    const index = new FlatIndex(docs, d);
    const queries = new Float32Array([1, 0, 0, 1]);
    const pos = [0, 2];
    const neg = mineHardNegatives(queries, index, (i, doc) => doc === pos[i]);
    expect(Array.from(neg)).toEqual([1, 1]);
    // Skipping a document (e.g. one from another database) moves to the next.
    expect(
      Array.from(mineHardNegatives(queries, index, (i, doc) => doc === pos[i], { skip: (_i, doc) => doc === 1 })),
    ).toEqual([2, 0]);
    expect(Array.from(mineHardNegatives(queries, index, () => true))).toEqual([-1, -1]);
  });

  test('prompts fill their placeholders', () => {
    const p = fillPrompt('code2text', { schema: 'products(id, name)', sql: 'SELECT name FROM products' });
    expect(p).toContain('SELECT name FROM products');
    expect(p).toContain('products(id, name)');
    expect(p).not.toMatch(/\{(schema|sql)\}/);
    const h = fillPrompt('hybrid', { schema: 's', sql: 'SELECT 1', instruction: 'add a limit' });
    expect(h).toContain('Change: add a limit');
  });
});
