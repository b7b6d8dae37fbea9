/**
 * normalize.ts against real Spider data in ../shared (skipped, with a message,
 * when that folder is absent).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import type { QueryResult } from '../../src/lib/types.ts';
import { compareResults } from '../../src/lib/sql/compare.ts';
import { hasOrderBy, normalizeSql, sqlSkeleton, stripMysqlQuoting } from '../../src/lib/sql/normalize.ts';
import { tokenize } from '../../src/lib/sql/tokenize.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const spiderDir = resolve(repoRoot, '../shared/data/spider');
const devPath = resolve(spiderDir, 'dev.json');
const trainCsvPath = resolve(spiderDir, 'train/train_queries.spiderman.csv');
const dbDir = resolve(spiderDir, 'database');

interface DevExample {
  db_id: string;
  query: string;
  query_toks_no_value: string[];
  sql: {
    orderBy: unknown[];
    union: { orderBy: unknown[] } | null;
    intersect: { orderBy: unknown[] } | null;
    except: { orderBy: unknown[] } | null;
  };
}

/** Minimal RFC 4180 CSV parser (quoted fields, "" escapes, newlines inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const haveDev = existsSync(devPath);
const haveTrain = existsSync(trainCsvPath);
if (!haveDev) console.warn(`[sql-spider-data] skipping Spider dev checks: ${devPath} not found`);
if (!haveTrain) console.warn(`[sql-spider-data] skipping Spider train checks: ${trainCsvPath} not found`);

describe.skipIf(!haveDev)('Spider dev gold SQL (../shared/data/spider/dev.json)', () => {
  const dev: DevExample[] = haveDev ? JSON.parse(readFileSync(devPath, 'utf8')) : [];

  test('has the 662 dev examples; normalizeSql and sqlSkeleton never throw', () => {
    expect(dev).toHaveLength(662);
    for (const ex of dev) {
      expect(() => sqlSkeleton(ex.query)).not.toThrow();
      expect(() => normalizeSql(ex.query)).not.toThrow();
    }
  });

  test('normalizeSql is idempotent on every dev query', () => {
    for (const ex of dev) expect(normalizeSql(normalizeSql(ex.query)), ex.query).toBe(normalizeSql(ex.query));
  });

  test("sqlSkeleton agrees with Spider's own value-masked tokens (query_toks_no_value)", () => {
    // Spider masks values as `value` and splits >= into `> =`; rebuild a query from that.
    for (const ex of dev) {
      const fromToks = ex.query_toks_no_value
        .map((t) => (t === 'value' ? '1' : t))
        .join(' ')
        .replace(/([<>!]) =/g, '$1=');
      expect(sqlSkeleton(ex.query), ex.query).toBe(sqlSkeleton(fromToks));
    }
  });

  test('skeletons mask every name: only c, v, keywords, functions and symbols remain', () => {
    for (const ex of dev) {
      for (const part of sqlSkeleton(ex.query).split(' ')) {
        expect(part, ex.query).toMatch(/^(c|c\.\*|v|[A-Z_]+|[^A-Za-z0-9_\s]+)$/);
      }
    }
  });

  test("hasOrderBy agrees with Spider's parsed ORDER BY of the outermost query", () => {
    for (const ex of dev) {
      const s = ex.sql;
      const parsed = [s, s.union, s.intersect, s.except].some((part) => (part?.orderBy.length ?? 0) > 0);
      expect(hasOrderBy(ex.query), ex.query).toBe(parsed);
    }
  });

  const haveDbs = existsSync(dbDir);
  test.skipIf(!haveDbs)('normalizeSql output runs in SQLite and returns the gold result (sql.js)', async () => {
    const SQL = await initSqlJs();
    const dbs = new Map<string, InstanceType<typeof SQL.Database>>();
    const run = (db: InstanceType<typeof SQL.Database>, q: string): QueryResult => {
      const st = db.prepare(q);
      const columns = st.getColumnNames();
      const rows: unknown[][] = [];
      while (st.step()) rows.push(st.get());
      st.free();
      return { columns, rows, ms: 0 };
    };
    let checked = 0;
    try {
      for (const ex of dev) {
        const file = resolve(dbDir, ex.db_id, `${ex.db_id}.sqlite`);
        if (!existsSync(file)) continue;
        let db = dbs.get(ex.db_id);
        if (!db) {
          db = new SQL.Database(readFileSync(file));
          dbs.set(ex.db_id, db);
        }
        const gold = run(db, ex.query);
        const norm = run(db, normalizeSql(ex.query));
        expect(compareResults(gold, norm, hasOrderBy(ex.query)), ex.query).toEqual({ match: true });
        checked++;
      }
    } finally {
      for (const db of dbs.values()) db.close();
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe.skipIf(!haveTrain)('Spider train SQL in MySQL quoting (../shared/.../train_queries.spiderman.csv)', () => {
  const rows = haveTrain ? parseCsv(readFileSync(trainCsvPath, 'utf8')) : [];
  const header = rows[0] ?? [];
  const sqlCol = header.indexOf('sql');
  const sqls = rows.slice(1).map((r) => r[sqlCol]);

  test('the CSV has a sql column and thousands of rows', () => {
    expect(sqlCol).toBeGreaterThanOrEqual(0);
    expect(sqls.length).toBeGreaterThan(6000);
  });

  test('after stripMysqlQuoting no backtick identifiers remain, and it is idempotent', () => {
    for (const sql of sqls) {
      const stripped = stripMysqlQuoting(sql);
      expect(
        tokenize(stripped).some((t) => t.kind === 'quoted_ident' && t.text.startsWith('`')),
        sql,
      ).toBe(false);
      expect(stripMysqlQuoting(stripped)).toBe(stripped);
    }
  });

  test('sqlSkeleton never throws and ignores the quoting style', () => {
    for (const sql of sqls) {
      const stripped = stripMysqlQuoting(sql);
      expect(() => sqlSkeleton(stripped)).not.toThrow();
      expect(sqlSkeleton(stripped), sql).toBe(sqlSkeleton(sql));
      expect(normalizeSql(stripped), sql).toBe(normalizeSql(sql));
    }
  });
});
