/**
 * The current corpus in IndexedDB (src/lib/corpus/saved.ts) over the real IndexStore
 * (fake-indexeddb): a large corpus stored in parts and read back whole, the older single-record
 * form still read, never a mix of two corpora, a refused write leaving the previous one, and the
 * Storage page listing and deleting the parts as one entry.
 */
import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { IndexStore, type SavedCorpus } from '../../src/lib/index/store.ts';
import {
  CORPUS_KEY,
  CORPUS_PART_ROWS,
  corpusPartKey,
  deleteSavedCorpus,
  readSavedCorpus,
  saveCorpus,
} from '../../src/lib/corpus/saved.ts';
import { SavedData } from '../../src/ui/state/saved.ts';
import type { Example } from '../../src/lib/types.ts';

const open = () => IndexStore.open(`corpus-saved-${Math.random()}`);

function corpus(n: number, hash = `h${n}`): SavedCorpus {
  const examples: Example[] = Array.from({ length: n }, (_, i) => ({
    id: `r${i}`,
    question: `How many rows in table ${i % 13}?`,
    sql: `SELECT count(*) FROM t${i % 13}`,
    schema: `CREATE TABLE t${i % 13} (id INTEGER)`,
    dbId: `db${i % 5}`,
  }));
  return {
    name: `test corpus (${n})`,
    hash,
    examples,
    schemas: { db0: [{ name: 't0', columns: ['id'] }] },
    origin: { kind: 'url', url: 'https://example.org/c.csv' },
  };
}

const corpusKeys = async (kv: IndexStore) => (await kv.kvKeys()).filter((k) => k.startsWith(CORPUS_KEY)).sort();

describe('saved corpus', () => {
  test('a small corpus is one record; a large one is stored in parts and read back whole', async () => {
    const kv = await open();
    expect(await readSavedCorpus(kv)).toBeUndefined();
    const small = corpus(CORPUS_PART_ROWS);
    await saveCorpus(kv, small);
    expect(await corpusKeys(kv)).toEqual([CORPUS_KEY]);
    expect(await readSavedCorpus(kv)).toEqual(small);

    const n = 2 * CORPUS_PART_ROWS + 7;
    const big = corpus(n);
    await saveCorpus(kv, big);
    expect(await corpusKeys(kv)).toEqual([CORPUS_KEY, corpusPartKey(0), corpusPartKey(1), corpusPartKey(2)]);
    const head = await kv.getKv(CORPUS_KEY);
    expect(head?.examples).toEqual([]);
    expect(head?.parts).toBe(3);
    expect((await kv.getKv(corpusPartKey(2)))?.examples).toHaveLength(7);
    const back = await readSavedCorpus(kv);
    expect(back).toEqual(big);
    expect(back?.examples.map((e) => e.id)).toEqual(big.examples.map((e) => e.id));

    // a smaller corpus after a large one leaves none of the large one's parts behind
    await saveCorpus(kv, corpus(3));
    expect(await corpusKeys(kv)).toEqual([CORPUS_KEY]);
    expect((await readSavedCorpus(kv))?.examples).toHaveLength(3);
    await saveCorpus(kv, big);
    await deleteSavedCorpus(kv);
    expect(await corpusKeys(kv)).toEqual([]);
    expect(await readSavedCorpus(kv)).toBeUndefined();
  });

  test('the single record older versions wrote is still read', async () => {
    const kv = await open();
    const old = corpus(CORPUS_PART_ROWS * 3);
    await kv.setKv(CORPUS_KEY, old);
    expect(await readSavedCorpus(kv)).toEqual(old);
  });

  test('a part missing or from another corpus gives no corpus, never a mix', async () => {
    const kv = await open();
    const big = corpus(CORPUS_PART_ROWS + 1);
    await saveCorpus(kv, big);
    await kv.setKv(corpusPartKey(1), { hash: 'another', examples: corpus(1, 'another').examples });
    expect(await readSavedCorpus(kv)).toBeUndefined();
    await saveCorpus(kv, big);
    await kv.deleteKv(corpusPartKey(0));
    expect(await readSavedCorpus(kv)).toBeUndefined();
  });

  test('a write that fails part-way leaves the previous corpus whole', async () => {
    const kv = await open();
    const before = corpus(CORPUS_PART_ROWS * 2 + 1, 'before');
    await saveCorpus(kv, before);
    const bad = corpus(CORPUS_PART_ROWS * 3, 'bad');
    // the third part cannot be stored (a function is not cloneable): the transaction is aborted
    (bad.examples[CORPUS_PART_ROWS * 2 + 5] as unknown as { f: () => void }).f = () => {};
    await expect(saveCorpus(kv, bad)).rejects.toThrow();
    expect(await readSavedCorpus(kv)).toEqual(before);
    expect(await corpusKeys(kv)).toEqual([CORPUS_KEY, corpusPartKey(0), corpusPartKey(1), corpusPartKey(2)]);
  });

  test('replaceKvPrefix refuses a key outside its prefix', async () => {
    const kv = await open();
    await expect(kv.replaceKvPrefix(CORPUS_KEY, [['db:current', { kind: 'demo' }]])).rejects.toThrow(/does not start/);
    await expect(kv.replaceKvPrefix('', [])).rejects.toThrow(/needs a prefix/);
  });

  test('Storage lists a corpus stored in parts once, and deleting it deletes every part', async () => {
    const kv = await open();
    await saveCorpus(kv, corpus(CORPUS_PART_ROWS * 2 + 1));
    await kv.setKv('db:current', { kind: 'demo' });
    const saved = new SavedData(async () => kv);
    expect((await saved.list()).map((e) => e.key).sort()).toEqual([CORPUS_KEY, 'db:current']);
    await saved.delete(CORPUS_KEY);
    expect(await corpusKeys(kv)).toEqual([]);
    expect(await kv.getKv('db:current')).toEqual({ kind: 'demo' });
  });
});
