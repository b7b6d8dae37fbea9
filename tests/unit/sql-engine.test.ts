import { describe, expect, test, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { SqlClient, type SqlRemote, type SqlWorkerHandle } from '../../src/lib/sql/client.ts';
import { sqlJs, spiderDir } from '../../src/node/host.ts';
import type { SqlJsStatic } from 'sql.js';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await sqlJs();
});

const DDL = `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n REAL);
INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b', 2), (3, 'c', NULL);`;

describe('SqlEngine', () => {
  test('opens from SQL text, reads the schema and runs a query', () => {
    const e = new SqlEngine(SQL);
    const info = e.open({ kind: 'sql', sql: DDL, name: 'ctx' });
    expect(info.tables).toEqual([{ name: 't', columns: ['id', 'name', 'n'], types: ['INTEGER', 'TEXT', 'REAL'] }]);
    expect(info.rows.t).toBe(3);
    const r = e.exec('SELECT name FROM t WHERE n > 1 ORDER BY id');
    expect(r.columns).toEqual(['name']);
    expect(r.rows).toEqual([['a'], ['b']]);
  });

  test('the database is never modified', () => {
    const e = new SqlEngine(SQL);
    e.open({ kind: 'sql', sql: DDL, name: 'ctx' });
    expect(() => e.exec('DELETE FROM t')).toThrow(/read-only|readonly/);
    expect(() => e.exec("INSERT INTO t VALUES (9, 'z', 0)")).toThrow();
    expect(e.exec('SELECT count(*) FROM t').rows[0][0]).toBe(3);
  });

  test('an endless recursive CTE stops with a clear message', () => {
    const e = new SqlEngine(SQL);
    e.open({ kind: 'sql', sql: DDL, name: 'ctx' });
    const runaway = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT * FROM r';
    expect(() => e.exec(runaway, { timeoutMs: 300, maxRows: 1e9 })).toThrow(/timed out after 0\.3 s/);
    expect(() => e.exec(runaway, { timeoutMs: 10_000, maxRows: 1000 })).toThrow(/more than 1,000 rows/);
    // still usable
    expect(e.exec('SELECT 1 + 1').rows).toEqual([[2]]);
  });

  test('bad SQL and bad files give SQL errors, not crashes', () => {
    const e = new SqlEngine(SQL);
    expect(() =>
      e.open({ kind: 'bytes', bytes: new TextEncoder().encode('not a database at all, really not'), name: 'x.sqlite' }),
    ).toThrow(/not a readable SQLite database/);
    e.open({ kind: 'sql', sql: DDL, name: 'ctx' });
    expect(() => e.exec('SELEC name FROM t')).toThrow(/syntax error/);
    expect(() => e.exec('SELECT nope FROM t')).toThrow(/no such column/);
  });

  test.skipIf(!spiderDir())('opens a real Spider database read-only (needs ../shared)', () => {
    const e = new SqlEngine(SQL);
    const bytes = readFileSync(path.join(spiderDir()!, 'database/concert_singer/concert_singer.sqlite'));
    const info = e.open({ kind: 'bytes', bytes, name: 'concert_singer.sqlite' });
    expect(info.tables.map((t) => t.name)).toEqual(['stadium', 'singer', 'concert', 'singer_in_concert']);
    expect(e.exec('SELECT count(*) FROM singer').rows[0][0]).toBe(6);
  });
});

describe('SqlClient hard timeout', () => {
  // The transport is a stand-in for a worker that never answers; the client logic is the real one.
  function fakeWorkers() {
    const log: string[] = [];
    let n = 0;
    const spawn = (): SqlWorkerHandle => {
      const id = ++n;
      const remote: SqlRemote = {
        open: async (src) => {
          log.push(`open#${id}:${src.name}`);
          return { name: src.name, tables: [], rows: {} };
        },
        exec: (sql) =>
          sql === 'hang' ? new Promise(() => {}) : Promise.resolve({ columns: ['x'], rows: [[id]], ms: 0 }),
      };
      return { remote, terminate: () => log.push(`terminate#${id}`) };
    };
    return { spawn, log };
  }

  test('terminates a hung worker, starts a fresh one and reopens the database', async () => {
    const { spawn, log } = fakeWorkers();
    const c = new SqlClient(spawn, 100);
    await c.open({ kind: 'sql', sql: '', name: 'db1' });
    await expect(c.exec('hang')).rejects.toThrow(/timed out after 0\.1 s/);
    expect(log).toEqual(['open#1:db1', 'terminate#1', 'open#2:db1']);
    expect(c.restarts).toBe(1);
    expect((await c.exec('SELECT 1')).rows).toEqual([[2]]);
  });
});
