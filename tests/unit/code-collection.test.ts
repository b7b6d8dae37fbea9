/** embedRows: the batched embedding of a collection's chunks (the build's second half). */
import { expect, test } from 'vitest';
import { embedRows } from '../../src/lib/code/collection.ts';
import { chunkEmbedText } from '../../src/lib/code/search.ts';
import type { Chunk } from '../../src/lib/code/types.ts';
import type { Embedder } from '../../src/lib/services.ts';

const chunk = (text: string): Chunk => ({
  path: 'a.ts',
  startLine: 1,
  endLine: 1,
  kind: 'window',
  symbols: [],
  header: 'a.ts:1-1',
  text,
});

/** Embeds a text as [its length, 1]; records each call's texts. */
function recorder(onCall?: (n: number) => void) {
  const calls: string[][] = [];
  const e: Embedder = {
    id: 'len',
    dim: 2,
    dtype: 'fp32',
    device: 'cpu',
    async embed(texts) {
      calls.push(texts);
      onCall?.(calls.length);
      return new Float32Array(texts.flatMap((t) => [t.length, 1]));
    },
  };
  return { e, calls };
}

const CHUNKS = ['xxxxxxxx', 'x', 'xxxxx', 'xx', 'xxxxxxx', 'xxx'].map(chunk);

test('embeds the given rows in batches of similar length, each vector in its own row', async () => {
  const { e, calls } = recorder();
  const vectors = new Float32Array(CHUNKS.length * 2);
  const rows = [0, 1, 2, 4, 5];
  const done = await embedRows(e, CHUNKS, rows, vectors, { batchSize: 2 });
  expect(done.sort()).toEqual(rows);
  // shortest first, two per call
  expect(calls.map((c) => c.map((t) => t.length))).toEqual(
    [[1, 3], [5, 7], [8]].map((b) => b.map((n) => n + chunkEmbedText(chunk('')).length)),
  );
  for (const r of rows) expect(vectors[r * 2]).toBe(chunkEmbedText(CHUNKS[r]).length);
  // row 3 was not asked for: untouched
  expect([vectors[6], vectors[7]]).toEqual([0, 0]);
});

test('a stop takes effect between batches: the finished batch is kept and returned, no more calls', async () => {
  const ac = new AbortController();
  const { e, calls } = recorder((n) => n === 2 && ac.abort());
  const vectors = new Float32Array(CHUNKS.length * 2);
  const done = await embedRows(
    e,
    CHUNKS,
    CHUNKS.map((_, i) => i),
    vectors,
    { batchSize: 2, signal: ac.signal },
  );
  expect(calls).toHaveLength(2);
  expect(done).toHaveLength(4);
  for (const r of done) expect(vectors[r * 2 + 1]).toBe(1);
  const left = CHUNKS.map((_, i) => i).filter((r) => !done.includes(r));
  for (const r of left) expect(vectors[r * 2 + 1]).toBe(0);
});
