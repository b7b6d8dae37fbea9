/**
 * Opening a corpus file (src/lib/corpus/open.ts): the page does it in a corpus worker, so parsing
 * and hashing never block its main thread; through a worker boundary the corpus is the same.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import * as Comlink from 'comlink';
import 'fake-indexeddb/auto';
import {
  openAndStoreCorpus,
  openCorpusFile,
  type CorpusFileOpener,
  type CorpusFileInput,
} from '../../src/lib/corpus/open.ts';
import { IndexStore } from '../../src/lib/index/store.ts';
import { loadCorpusFile } from '../../src/lib/corpus/detect.ts';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import { registerErrorTransfer } from '../../src/lib/errors-transfer.ts';
import { CorpusFormatError } from '../../src/lib/corpus/records.ts';
import { HeldRows, takeRows, type OpenedHead } from '../../src/lib/corpus/in-parts.ts';
import { CORPUS_PART_ROWS } from '../../src/lib/corpus/saved.ts';
import type { Example } from '../../src/lib/types.ts';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/corpus/${name}`, import.meta.url)), 'utf8');
const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;

/** The corpus worker's API over a MessageChannel, called as the page calls it (the data moved). */
function workerShaped(): { open: CorpusFileOpener; close: () => void } {
  registerErrorTransfer();
  const { port1, port2 } = new MessageChannel();
  Comlink.expose({ open: openCorpusFile }, port1 as unknown as Comlink.Endpoint);
  const remote = Comlink.wrap<{ open: CorpusFileOpener }>(port2 as unknown as Comlink.Endpoint);
  return {
    open: (input: CorpusFileInput) =>
      remote.open(Comlink.transfer(input, typeof input.data === 'string' ? [] : [input.data])),
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

describe('openCorpusFile', () => {
  test('a Spider CSV with tables.json: the corpus, its hash and schemas, the same through a worker', async () => {
    const tablesText = fixture('tables-mini.json');
    const csv = fixture('spider-mini.csv');
    const direct = await loadCorpusFile('spider-mini.csv', bytes(csv), { tablesJson: JSON.parse(tablesText) });
    const here = await openCorpusFile({ name: 'spider-mini.csv', data: bytes(csv), tablesText });
    expect(here.corpus?.examples).toEqual(direct.examples);
    expect(here.corpus?.hash).toBe(corpusHash(direct.examples));
    expect(here.corpus?.name).toBe(`spider-mini.csv (${direct.examples.length})`);
    expect(here.corpus?.schemas).toEqual(direct.schemas);
    expect(here.format).toBe(direct.format);
    const w = workerShaped();
    try {
      const data = bytes(csv);
      const there = await w.open({ name: 'spider-mini.csv', data, tablesText });
      expect(data.byteLength).toBe(0); // moved to the worker, not copied
      expect(there).toEqual(here);
      // tables.json given parsed or as text: the same
      expect(await w.open({ name: 'spider-mini.csv', data: csv, tablesJson: JSON.parse(tablesText) })).toEqual(here);
      // a file that is no corpus: the error keeps its class across the boundary
      await expect(w.open({ name: 'x.bin', data: bytes('') })).rejects.toBeInstanceOf(CorpusFormatError);
    } finally {
      w.close();
    }
  });

  test('a file with no usable row gives no corpus, with its issues', async () => {
    const r = await openCorpusFile({ name: 'bad.csv', data: 'question,sql\n,\n' });
    expect(r.corpus).toBeNull();
    expect(r.issues.length).toBeGreaterThan(0);
  });

  test('the corpus worker stores the corpus where it parses it, when asked; a failed store is left to the page', async () => {
    const kv = await IndexStore.open('corpus-open-' + Math.random());
    const csv = fixture('spider-mini.csv');
    const tablesText = fixture('tables-mini.json');
    const plain = await openAndStoreCorpus({ name: 'a.csv', data: csv, tablesText }, async () => kv);
    expect(plain.stored).toBeUndefined();
    expect(await kv.getKv('corpus:current')).toBeUndefined();
    const origin = { kind: 'url' as const, url: 'https://example.org/a.csv' };
    const r = await openAndStoreCorpus({ name: 'a.csv', data: csv, tablesText, store: { origin } }, async () => kv);
    expect(r.stored).toBe(true);
    expect(await kv.getKv('corpus:current')).toEqual({ ...r.corpus, origin });
    const failed = await openAndStoreCorpus({ name: 'a.csv', data: csv, store: {} }, async () => {
      throw new Error('no IndexedDB');
    });
    expect(failed.stored).toBe(false);
    expect(failed.corpus?.examples.length).toBe(r.corpus?.examples.length);
  });

  test('a large corpus comes back from the worker in parts of CORPUS_PART_ROWS rows, the same corpus', async () => {
    registerErrorTransfer();
    const n = 2 * CORPUS_PART_ROWS + 11;
    const csv = [
      'question,sql',
      ...Array.from({ length: n }, (_, i) => `How many rows in t${i}?,SELECT count(*) FROM t${i}`),
    ];
    const input = () => ({ name: 'big.csv', data: bytes(csv.join('\n')) });
    const here = await openCorpusFile(input());
    expect(here.corpus?.examples).toHaveLength(n);
    const held = new HeldRows();
    const calls: [number, number][] = [];
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(
      {
        open: async (i: CorpusFileInput) => held.hold(await openCorpusFile(i)),
        rows: (start: number, end: number) => {
          calls.push([start, end]);
          return held.rows(start, end);
        },
      },
      port1 as unknown as Comlink.Endpoint,
    );
    const remote = Comlink.wrap<{
      open: (i: CorpusFileInput) => Promise<OpenedHead>;
      rows: (s: number, e: number) => Promise<Example[]>;
    }>(port2 as unknown as Comlink.Endpoint);
    try {
      const head = await remote.open(input());
      // the reply carries no rows, only their number
      expect(head.rows).toBe(n);
      expect(head.corpus?.examples).toEqual([]);
      expect(head.corpus?.hash).toBe(here.corpus?.hash);
      const there = await takeRows(head, (a, b) => remote.rows(a, b));
      expect(there).toEqual(here);
      expect(calls).toEqual([
        [0, CORPUS_PART_ROWS],
        [CORPUS_PART_ROWS, 2 * CORPUS_PART_ROWS],
        [2 * CORPUS_PART_ROWS, 3 * CORPUS_PART_ROWS],
      ]);
      // a small corpus comes whole
      const small = await remote.open({ name: 's.csv', data: bytes('question,sql\nHow many?,SELECT 1') });
      expect(small.rows).toBeUndefined();
      expect(small.corpus?.examples).toHaveLength(1);
      await expect(remote.rows(0, 10)).rejects.toThrow(/no corpus rows are held/);
      // rows lost on the way are an error, not a shorter corpus
      await expect(takeRows({ ...head }, async () => [])).rejects.toThrow(/sent 0 of 2011 rows/);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
