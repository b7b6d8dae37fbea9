/**
 * Issue 18 item 21 (core part): an index is searched only for the corpus it was built from, and
 * a huge question cannot crash the tokenizer.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, test } from 'vitest';
import { IndexStore, type IndexMeta } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { Retrieval } from '../../src/lib/retrieve/strategies.ts';
import { ask } from '../../src/lib/rag/pipeline.ts';
import { IndexMismatchError } from '../../src/lib/errors.ts';
import { MAX_EMBED_CHARS, cutForEmbedding, type Embedder } from '../../src/lib/embed/embedder.ts';
import type { TransformersEmbedder } from '../../src/lib/embed/transformers-embedder.ts';
import type { Corpus } from '../../src/lib/types.ts';
import { defaultTestEmbedderId, loadEmbedder } from '../../src/node/host.ts';

const DIM = 8;
function unit(seed: number): Float32Array {
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = Math.sin(seed * 7.1 + i * 1.3);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const toy: Embedder = {
  id: 'toy',
  dim: DIM,
  dtype: 'fp32',
  device: 'cpu',
  async embed(texts) {
    const m = new Float32Array(texts.length * DIM);
    texts.forEach((t, i) => m.set(unit(t.length), i * DIM));
    return m;
  },
};
const corpusA: Corpus = {
  name: 'demo',
  hash: 'hash-a',
  examples: [0, 1, 2, 3].map((i) => ({ id: `a${i}`, question: 'q'.repeat(i + 1), sql: `SELECT ${i}` })),
};
const corpusB: Corpus = { ...corpusA, hash: 'hash-b', examples: corpusA.examples.slice(0, 3) };
const meta = (c: Corpus): IndexMeta => ({
  slot: 'demo',
  embedderId: 'toy',
  dtype: 'fp32',
  dim: DIM,
  corpusHash: c.hash,
  count: c.examples.length,
  kind: 'flat',
  textMode: 'question',
});
async function indexFor(c: Corpus): Promise<IndexService> {
  const svc = new IndexService(await IndexStore.open('ident-' + Math.random()), { flat: flatFactory });
  await svc.build(meta(c), await toy.embed(c.examples.map((e) => e.question)), 0);
  return svc;
}

describe('an index serves only the corpus it was built from', () => {
  test('the index service refuses a search for another corpus hash, with a clear typed error', async () => {
    const svc = await indexFor(corpusA);
    const q = unit(2);
    expect((await svc.search(q, 2, { corpusHash: 'hash-a' })).hits).toHaveLength(2);
    expect((await svc.search(q, 2)).hits).toHaveLength(2); // no identity asked: as before
    const e = await svc.search(q, 2, { corpusHash: 'hash-b' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IndexMismatchError);
    expect((e as IndexMismatchError).code).toBe('index-mismatch');
    expect((e as Error).message).toMatch(/the index was built for another corpus .*: rebuild it/);
  });

  test('after a failed build for a new corpus the old index stays, but is not used for the new corpus', async () => {
    const svc = await indexFor(corpusA);
    // the new corpus's build fails (here: wrong vector count, as a broken embedding would)
    await expect(svc.build(meta(corpusB), new Float32Array(5), 0)).rejects.toThrow(/expected/);
    const retriever = new Retrieval({ corpus: corpusB, dense: { embedder: toy, index: svc } }).retriever('dense');
    await expect(retriever.retrieve('qq', 2)).rejects.toBeInstanceOf(IndexMismatchError);
    // ask() reports it at the retrieve stage and feeds the model no wrong examples
    const out = await ask(
      {
        retriever,
        buildPrompt: () => ({ format: 'tiny-sql', text: '', examplesUsed: 0 }),
        generate: async () => {
          throw new Error('must not generate');
        },
        exec: async () => ({ columns: [], rows: [], ms: 0 }),
      },
      { question: 'qq', k: 2, corpus: corpusB, tables: [], format: 'tiny-sql' },
    );
    expect(out.error?.stage).toBe('retrieve');
    expect(out.error?.message).toMatch(/built for another corpus/);
    expect(out.retrieved).toEqual([]);
    // the old corpus still retrieves from it
    const old = new Retrieval({ corpus: corpusA, dense: { embedder: toy, index: svc } }).retriever('dense');
    expect((await old.retrieve('qq', 2)).hits).toHaveLength(2);
  });

  test('hybrid and vote (dense inside) refuse too; bm25 needs no index and still works', async () => {
    const svc = await indexFor(corpusA);
    const r = new Retrieval({ corpus: corpusB, dense: { embedder: toy, index: svc } });
    await expect(r.retriever('hybrid').retrieve('q', 2)).rejects.toBeInstanceOf(IndexMismatchError);
    await expect(r.retriever('vote').retrieve('q', 2)).rejects.toBeInstanceOf(IndexMismatchError);
    expect((await r.retriever('bm25').retrieve('qq', 2)).hits.length).toBeGreaterThan(0);
  });
});

describe('a huge question does not crash the tokenizer', () => {
  let embedder: TransformersEmbedder;
  beforeAll(async () => {
    embedder = await loadEmbedder(defaultTestEmbedderId());
  }, 120_000);

  test('cutForEmbedding keeps short text, cuts long text, never splits a surrogate pair', () => {
    expect(cutForEmbedding('short')).toBe('short');
    expect(cutForEmbedding('x'.repeat(MAX_EMBED_CHARS + 10))).toHaveLength(MAX_EMBED_CHARS);
    const emoji = 'x'.repeat(MAX_EMBED_CHARS - 1) + '😀' + 'y';
    const cut = cutForEmbedding(emoji);
    expect(cut).toBe('x'.repeat(MAX_EMBED_CHARS - 1));
  });

  test('a ~1 MB question embeds (as its first MAX_EMBED_CHARS characters) and retrieves', async () => {
    const words = 'which customers are from france and what did they order ';
    const huge = words.repeat(Math.ceil(1_100_000 / words.length));
    expect(huge.length).toBeGreaterThan(1_000_000);
    const v = await embedder.embed([huge], { role: 'query' });
    expect(v).toHaveLength(embedder.dim);
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
    const same = await embedder.embed([huge.slice(0, MAX_EMBED_CHARS)], { role: 'query' });
    expect([...v]).toEqual([...same]);
    // and through a retriever, as ask() sends it
    const c: Corpus = {
      name: 'c',
      hash: 'c1',
      examples: [
        { id: '1', question: 'Which customers are from France?', sql: 'SELECT 1' },
        { id: '2', question: 'How many activities do we have?', sql: 'SELECT 2' },
      ],
    };
    const svc = new IndexService(await IndexStore.open('huge-' + Math.random()), { flat: flatFactory });
    await svc.build(
      { ...meta(c), embedderId: embedder.id, dim: embedder.dim, count: 2, slot: 'c' },
      await embedder.embed(c.examples.map((e) => e.question)),
      0,
    );
    const r = new Retrieval({ corpus: c, dense: { embedder, index: svc } }).retriever('dense');
    const got = await r.retrieve(huge, 1);
    expect(got.hits[0].row).toBe(0);
  }, 120_000);
});
