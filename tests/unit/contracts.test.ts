/**
 * Contract suites (issue 11 item 9): one suite per seam, run against every implementation.
 *
 *   Embedder   the in-process transformers.js embedder, and the same model behind the page's
 *              WorkerEmbedder over a real comlink endpoint (a MessageChannel pair)
 *   Retriever  every registered strategy (and +mmr) over a small real corpus (Spider train rows of
 *              a few databases, embedded with the real model into the real IndexService)
 *   SqlEngine  LocalSqlEngine (sql.js here) and SqlClient (sql.js in a worker thread)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import path from 'node:path';
import * as Comlink from 'comlink';
import type { Embedder } from '../../src/lib/embed/embedder.ts';
import { WorkerEmbedder } from '../../src/browser/clients.ts';
import type { EmbedApi } from '../../workers/embed.worker.ts';
import { RETRIEVERS, RETRIEVER_INFO, Retrieval, type RetrieverName } from '../../src/lib/retrieve/strategies.ts';
import { indexCorpus } from '../../src/lib/rag/pipeline.ts';
import type { IndexMeta } from '../../src/lib/index/store.ts';
import type { SqlEngine } from '../../src/lib/services.ts';
import { LocalSqlEngine } from '../../src/lib/sql/local.ts';
import { CancelledError, SqlError } from '../../src/lib/errors.ts';
import { registerErrorTransfer } from '../../src/lib/errors-transfer.ts';
import type { Corpus, TableInfo } from '../../src/lib/types.ts';
import { defaultTestEmbedderId, loadEmbedder, spiderDir, sqlJs } from '../../src/node/host.ts';
import { nodeSqlClient } from '../../src/node/sql-thread.ts';
import { createNodeServices, type NodeServices } from '../../src/node/services.ts';
import { loadCorpus, spiderTables } from '../../src/node/eval-data.ts';

// ------------------------------------------------------------------------------------ Embedder

let base: Embedder;
let channel: { port1: MessagePort; port2: MessagePort } | null = null;

/** The embed worker's API shape (workers/embed.worker.ts), served over a MessageChannel. */
function workerShaped(e: Embedder): WorkerEmbedder {
  registerErrorTransfer();
  const { port1, port2 } = new MessageChannel();
  channel = { port1, port2 };
  const api = {
    async load() {
      return { id: e.id, dim: e.dim, dtype: e.dtype, device: e.device };
    },
    async embed(texts: string[], role: 'query' | 'doc', batchSize = 32) {
      const v = await e.embed(texts, { role, batchSize });
      return Comlink.transfer(v, [v.buffer]);
    },
  };
  Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
  const remote = Comlink.wrap<EmbedApi>(port2 as unknown as Comlink.Endpoint);
  return new WorkerEmbedder(remote, { id: e.id, dim: e.dim, dtype: e.dtype, device: e.device });
}

beforeAll(async () => {
  base = await loadEmbedder(defaultTestEmbedderId());
}, 120_000);
afterAll(() => {
  channel?.port1.close();
  channel?.port2.close();
});

const embedders: [string, () => Embedder][] = [
  ['TransformersEmbedder (in process)', () => base],
  ['WorkerEmbedder over comlink', () => workerShaped(base)],
];

describe.each(embedders)('Embedder contract: %s', (_name, make) => {
  let e: Embedder;
  beforeAll(() => {
    e = make();
  });
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

  test('identity fields describe the model', () => {
    expect(e.id).toBe(base.id);
    expect(e.dim).toBeGreaterThan(0);
    expect(typeof e.dtype).toBe('string');
  });

  test('n texts give n×dim finite unit vectors; empty input gives an empty matrix', async () => {
    const texts = ['How many singers are there?', 'Count the singers', 'Which airports are in Texas?', ''];
    const v = await e.embed(texts, { role: 'doc' });
    expect(v).toBeInstanceOf(Float32Array);
    expect(v.length).toBe(texts.length * e.dim);
    for (let i = 0; i < texts.length; i++) {
      const r = v.subarray(i * e.dim, (i + 1) * e.dim);
      expect(r.every(Number.isFinite)).toBe(true);
      expect(dot(r, r)).toBeCloseTo(1, 3);
    }
    expect(dot(v.subarray(0, e.dim), v.subarray(e.dim, 2 * e.dim))).toBeGreaterThan(
      dot(v.subarray(0, e.dim), v.subarray(2 * e.dim, 3 * e.dim)),
    );
    expect((await e.embed([], { role: 'query' })).length).toBe(0);
  });

  test('the same vectors as the in-process model (deterministic, role kept)', async () => {
    const t = ['List the names of all stadiums'];
    expect([...(await e.embed(t, { role: 'query' }))]).toEqual([...(await base.embed(t, { role: 'query' }))]);
    expect([...(await e.embed(t, { role: 'doc' }))]).toEqual([...(await base.embed(t, { role: 'doc' }))]);
  });
});

// ------------------------------------------------------------------------------------ Retriever

const spider = spiderDir();

describe.skipIf(!spider)('Retriever contract: every registered strategy on a small real corpus', () => {
  let svc: NodeServices;
  let corpus: Corpus;
  let tables: Record<string, TableInfo[]>;
  let retrieval: Retrieval;
  const questions = [
    { q: 'How many apartments are there?', db: 'apartment_rentals' },
    { q: 'What are the names of body builders whose total score is higher than 300?', db: 'body_builder' },
    { q: 'List the names of male architects ordered by nationality', db: 'architecture' },
  ];

  beforeAll(async () => {
    svc = await createNodeServices({ embedder: base });
    const t = spiderTables(spider!)!;
    tables = t.tables;
    const all = (await loadCorpus(path.join(spider!, 'train', 'train_queries.spiderman.csv'), t.json)).corpus;
    const keep = new Set(['apartment_rentals', 'architecture', 'body_builder', 'bike_1']);
    const examples = all.examples.filter((e) => keep.has(e.dbId ?? ''));
    expect(examples.length).toBeGreaterThan(150);
    corpus = { ...all, name: 'contract', hash: `contract-${examples.length}`, examples };
    for (const [slot, textMode] of [
      ['contract', 'question'],
      ['contract#masked', 'masked-question'],
    ] as const) {
      const meta: IndexMeta = {
        slot,
        embedderId: base.id,
        dtype: base.dtype,
        dim: base.dim,
        corpusHash: corpus.hash,
        count: examples.length,
        kind: 'flat',
        textMode,
      };
      await indexCorpus(
        { embedDocs: (x) => base.embed(x, { role: 'doc' }), build: (m, v, ms) => svc.index.build(m, v, ms) },
        { corpus, meta, textMode },
      );
    }
    retrieval = new Retrieval({
      corpus,
      dense: { embedder: base, index: svc.index },
      maskedDense: { embedder: base, index: svc.index, slot: 'contract#masked' },
    });
  }, 300_000);
  afterAll(async () => {
    await svc?.dispose();
  });

  const names: RetrieverName[] = [...RETRIEVERS, ...RETRIEVERS.map((n) => `${n}+mmr` as RetrieverName)];

  test('the registry is data: every strategy has a description and says whether it needs the masked index', () => {
    for (const n of RETRIEVERS) {
      expect(RETRIEVER_INFO[n].description.length).toBeGreaterThan(10);
      expect(typeof RETRIEVER_INFO[n].masked).toBe('boolean');
    }
  });

  test.each(names)('%s: at most k distinct rows of the corpus, best first, honouring exclude', async (name) => {
    const r = retrieval.retriever(name);
    expect(r.name).toBe(name);
    for (const { q, db } of questions) {
      for (const k of [1, 3, 5]) {
        const res = await r.retrieve(q, k, { tables: tables[db], dbId: db });
        expect(res.hits.length).toBeGreaterThan(0);
        expect(res.hits.length).toBeLessThanOrEqual(k);
        expect(res.ms).toBeGreaterThanOrEqual(0);
        const rows = res.hits.map((h) => h.row);
        expect(new Set(rows).size).toBe(rows.length);
        for (const h of res.hits) {
          expect(Number.isInteger(h.row) && h.row >= 0 && h.row < corpus.examples.length).toBe(true);
          expect(Number.isFinite(h.score)).toBe(true);
        }
        // +mmr orders by marginal relevance (diversity), every base strategy by score
        if (!name.endsWith('+mmr')) {
          for (let i = 1; i < res.hits.length; i++)
            expect(res.hits[i - 1].score).toBeGreaterThanOrEqual(res.hits[i].score);
        }
        // excluding what was returned: none of it comes back
        const again = await r.retrieve(q, k, { tables: tables[db], dbId: db, exclude: rows });
        for (const h of again.hits) expect(rows).not.toContain(h.row);
      }
    }
  });

  test('a retrieval stops when its signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(retrieval.retriever('dense').retrieve('x', 3, { signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });
});

// ------------------------------------------------------------------------------------ SqlEngine

const DDL = `CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER);
INSERT INTO singer VALUES (1, 'Ann', 30), (2, 'Bob', 40), (3, 'Cid', 50);`;

const sqlEngines: [string, () => Promise<SqlEngine>][] = [
  ['LocalSqlEngine (sql.js in process)', async () => new LocalSqlEngine(await sqlJs())],
  ['SqlClient (sql.js in a worker thread)', async () => nodeSqlClient(5_000)],
];

describe.each(sqlEngines)('SqlEngine contract: %s', (_name, make) => {
  let e: SqlEngine;
  beforeAll(async () => {
    e = await make();
  });
  afterAll(() => e?.dispose?.());

  test('open reads the schema; current follows', async () => {
    expect(e.current).toBeNull();
    const info = await e.open({ kind: 'sql', sql: DDL, name: 'music' });
    expect(info.tables).toEqual([
      { name: 'singer', columns: ['singer_id', 'name', 'age'], types: ['INTEGER', 'TEXT', 'INTEGER'] },
    ]);
    expect(info.rows.singer).toBe(3);
    expect(e.current?.name).toBe('music');
  });

  test('exec returns columns and rows of the last statement', async () => {
    const r = await e.exec('SELECT name FROM singer WHERE age > 35 ORDER BY age');
    expect(r.columns).toEqual(['name']);
    expect(r.rows).toEqual([['Bob'], ['Cid']]);
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  test('read-only, bad SQL and empty SQL fail with SqlError; the data stay', async () => {
    await expect(e.exec('DELETE FROM singer')).rejects.toThrow(/read-only/);
    await expect(e.exec('SELECT agee FROM singer')).rejects.toBeInstanceOf(SqlError);
    await expect(e.exec('   ')).rejects.toBeInstanceOf(SqlError);
    expect((await e.exec('SELECT count(*) FROM singer')).rows).toEqual([[3]]);
  });

  test('locateError points at the offending name', async () => {
    const sql = 'SELECT agee FROM singer';
    const spot = await e.locateError(sql, 'no such column: agee');
    expect(spot && sql.slice(spot.from, spot.to)).toBe('agee');
  });

  test('an aborted signal stops before running', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(e.exec('SELECT 1', { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
    expect((await e.exec('SELECT 1')).rows).toEqual([[1]]);
  });
});
