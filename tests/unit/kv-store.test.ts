/**
 * The typed key-value store of IndexStore. Values round-trip by key at run time; the
 * `@ts-expect-error` lines are checked by `npm run check` (svelte-check over tests/): if a key
 * stopped being typed, the directive would be unused and the check would fail.
 */
import 'fake-indexeddb/auto';
import { expect, test } from 'vitest';
import { IndexStore, type KvKey, type KvSchema, type SavedDb } from '../../src/lib/index/store.ts';
import { historyKey } from '../../src/lib/history/store.ts';

test('each key round-trips its own value type; listing and deleting see every key', async () => {
  const store = await IndexStore.open('kv-typed-test');
  const db: SavedDb = { kind: 'sql', sql: 'CREATE TABLE t(a);', name: 'mine.sql', url: 'https://example.org/x.sql' };
  await store.setKv('db:current', db);
  await store.setKv('adapter:Xenova/all-MiniLM-L6-v2', '{"dim":384}');
  await store.setKv(historyKey('mine.sql'), { version: 1, db: 'mine.sql', turns: [] });
  const back: SavedDb | undefined = await store.getKv('db:current');
  expect(back).toEqual(db);
  const json: string | undefined = await store.getKv('adapter:Xenova/all-MiniLM-L6-v2');
  expect(json).toBe('{"dim":384}');
  expect((await store.getKv('history:mine.sql'))?.db).toBe('mine.sql');
  expect(await store.getKv('corpus:current')).toBeUndefined();
  expect((await store.kvKeys()).sort()).toEqual(['adapter:Xenova/all-MiniLM-L6-v2', 'db:current', 'history:mine.sql']);
  await store.deleteKv('db:current');
  expect(await store.getKv('db:current')).toBeUndefined();
  store.close();
});

test('keys and values are checked at compile time', () => {
  const keys: KvKey[] = ['db:current', 'corpus:current', 'eval:dataset', 'eval:progress', 'history:x', 'adapter:y'];
  expect(keys).toHaveLength(6);
  const typed = async (s: IndexStore) => {
    // @ts-expect-error an unknown key
    await s.getKv('settings:current');
    // @ts-expect-error an adapter is stored as its JSON text
    await s.setKv('adapter:x', { dim: 3 });
    // @ts-expect-error the saved database is a source, not a name
    await s.setKv('db:current', 'mine.sql');
    const adapter: KvSchema['adapter:x'] | undefined = await s.getKv('adapter:x');
    return adapter;
  };
  expect(typeof typed).toBe('function');
});
