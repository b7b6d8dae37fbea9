/**
 * Issue 18, items 16, 18 and 22 through the real Node worker-thread client (src/node/sql-thread.ts):
 * every runaway query stops within its timeout + 1 s, huge results are refused, and a bad file
 * leaves the open database working.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeSqlClient } from '../../src/node/sql-thread.ts';
import type { SqlClient } from '../../src/lib/sql/client.ts';

const TIMEOUT = 500;
const ENDLESS = 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r)';
let client: SqlClient;

beforeAll(async () => {
  client = nodeSqlClient(TIMEOUT);
  const sql = readFileSync(path.join(import.meta.dirname, '../../static-data/demo/shop.sql'), 'utf8');
  await client.open({ kind: 'sql', sql, name: 'shop' });
}, 60_000);

afterAll(() => client.dispose());

/** Time one failing call, in ms, and its message. */
async function timed(sql: string): Promise<{ ms: number; message: string }> {
  const t0 = performance.now();
  try {
    await client.exec(sql);
  } catch (e) {
    return { ms: performance.now() - t0, message: (e as Error).message };
  }
  throw new Error(`expected "${sql}" to fail`);
}

describe('runaway queries stop within timeout + 1 s (item 16)', () => {
  const runaways: [string, string][] = [
    ['endless group_concat', `${ENDLESS} SELECT group_concat(x) FROM r`],
    ['endless 1 MB rows', `${ENDLESS} SELECT x, hex(randomblob(500000)) FROM r`],
    ['endless ORDER BY (sorter)', `${ENDLESS} SELECT x FROM r ORDER BY x DESC`],
    ['recursive CTE aggregate', `${ENDLESS} SELECT count(*) FROM r`],
    ['endless rows', `${ENDLESS} SELECT x FROM r`],
  ];

  test.each(runaways)(
    '%s',
    async (_name, sql) => {
      const { ms, message } = await timed(sql);
      expect(message).toMatch(/timed out after 0\.5 s: stopped|larger than .* MB|more than .* rows/);
      expect(ms).toBeLessThanOrEqual(TIMEOUT + 1000);
      // The database is still there (a fresh worker reopened it).
      expect((await client.exec('SELECT count(*) > 0 FROM customers')).rows).toEqual([[1]]);
    },
    30_000,
  );

  test('zeroblob(9e8) is not returned as a success', async () => {
    const { ms, message } = await timed('SELECT zeroblob(900000000)');
    expect(message).toMatch(/larger than 16 MB|timed out/);
    expect(ms).toBeLessThanOrEqual(TIMEOUT + 1000);
    expect((await client.exec('SELECT 41 + 1')).rows).toEqual([[42]]);
  }, 30_000);

  test('SELECT 1; × 100,000 is refused', async () => {
    const { message } = await timed('SELECT 1;'.repeat(100_000));
    expect(message).toMatch(/too many statements in one run/);
  }, 30_000);
});

describe('opening through the worker keeps the current database on failure (items 18, 22)', () => {
  test('open good, open bad, exec on the good still works', async () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('SQLite format 3\0but not really a database')]) {
      await expect(client.open({ kind: 'bytes', bytes, name: 'bad.sqlite' })).rejects.toThrow(
        /"bad.sqlite" is (empty|not a readable SQLite database)/,
      );
      expect(client.current?.name).toBe('shop');
      expect((await client.exec('SELECT count(*) > 0 FROM orders')).rows).toEqual([[1]]);
    }
  }, 30_000);
});
