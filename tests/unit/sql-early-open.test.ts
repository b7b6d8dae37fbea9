/**
 * src/lib/sql/early-open.ts: the demo database opened by the page's entry before the app asks is
 * reused by the app's open of the same source, and never wins over the app (a late early message
 * after the app opened, another source, a failed early build). Run over the real sql.js engine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { SqlEngine, type DbSource } from '../../src/lib/sql/engine.ts';
import { EARLY_OPEN, EarlyOpener, earlyOpenMessage } from '../../src/lib/sql/early-open.ts';
import { sqlJs } from '../../src/node/host.ts';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await sqlJs();
});

const DEMO: DbSource = {
  kind: 'sql',
  name: 'Demo shop',
  sql: 'CREATE TABLE shop (id INTEGER); INSERT INTO shop VALUES (1), (2);',
};
const OTHER: DbSource = { kind: 'sql', name: 'Other', sql: 'CREATE TABLE other (x TEXT);' };

function opener() {
  const engine = new SqlEngine(SQL);
  const built: string[] = [];
  const o = new EarlyOpener(async (src) => {
    built.push(src.name);
    return engine.open(src);
  });
  return { engine, built, o };
}

const tables = (e: SqlEngine) => e.current!.tables.map((t) => t.name);

describe('EarlyOpener', () => {
  it('builds the early source once and answers the app’s open of the same source with it', async () => {
    const { engine, built, o } = opener();
    expect(o.onMessage(earlyOpenMessage(DEMO as never))).toBe(true);
    const info = await o.open({ ...DEMO });
    expect(built).toEqual(['Demo shop']);
    expect(o.reused).toBe(1);
    expect(info.rows).toEqual({ shop: 2 });
    expect(engine.exec('SELECT count(*) AS n FROM shop').rows).toEqual([[2]]);
    // a second open of the same source is a real open again (the early result is used once)
    await o.open({ ...DEMO });
    expect(built).toEqual(['Demo shop', 'Demo shop']);
  });

  it('leaves other messages to comlink and ignores a malformed early message', async () => {
    const { built, o } = opener();
    expect(o.onMessage({ id: 'x', type: 'APPLY', path: ['open'] })).toBe(false);
    expect(o.onMessage(null)).toBe(false);
    expect(o.onMessage('text')).toBe(false);
    expect(o.onMessage({ [EARLY_OPEN]: { kind: 'bytes', bytes: new Uint8Array(1), name: 'x' } })).toBe(true);
    expect(built).toEqual([]);
  });

  it('an app that opens another source gets it, after the early build has finished', async () => {
    const { engine, built, o } = opener();
    o.onMessage(earlyOpenMessage(DEMO as never));
    await o.open(OTHER);
    expect(built).toEqual(['Demo shop', 'Other']);
    expect(tables(engine)).toEqual(['other']);
    expect(o.reused).toBe(0);
  });

  it('a same-text source under another name is opened again (the name is part of the source)', async () => {
    const { built, o } = opener();
    o.onMessage(earlyOpenMessage(DEMO as never));
    const info = await o.open({ ...DEMO, name: 'Renamed' });
    expect(info.name).toBe('Renamed');
    expect(built).toEqual(['Demo shop', 'Renamed']);
  });

  it('an early message after the app has opened is ignored: the app’s database stays', async () => {
    const { engine, built, o } = opener();
    await o.open(OTHER);
    expect(o.onMessage(earlyOpenMessage(DEMO as never))).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(built).toEqual(['Other']);
    expect(tables(engine)).toEqual(['other']);
  });

  it('a failed early build leaves the app’s open to build it and report its own error', async () => {
    const { engine, built, o } = opener();
    const bad: DbSource = { kind: 'sql', name: 'Demo shop', sql: 'CREATE TABLE (' };
    o.onMessage(earlyOpenMessage(bad as never));
    await expect(o.open({ ...bad })).rejects.toThrow();
    expect(built).toEqual(['Demo shop', 'Demo shop']);
    expect(engine.current).toBeNull();
    // and the engine still opens what comes next
    await o.open(DEMO);
    expect(tables(engine)).toEqual(['shop']);
  });
});
