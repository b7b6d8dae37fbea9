/**
 * The RAG flow in Node with REAL models through the real loader: USE-Lite (or all-MiniLM-L6-v2
 * from the Hub when ../shared is absent) and tiny-sql-lm (local only).
 */
import 'fake-indexeddb/auto';
import { describe, expect, test, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadEmbedder, loadCpuGenerator, localModelsDir, defaultTestEmbedderId, sqlJs } from '../../src/node/host.ts';
import type { TransformersEmbedder } from '../../src/lib/embed/transformers-embedder.ts';
import { IndexStore } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { indexCorpus, ask, type AskEvent } from '../../src/lib/rag/pipeline.ts';
import { buildPrompt } from '../../src/lib/llm/prompts.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { CancelledError } from '../../src/lib/errors.ts';
import { Retrieval } from '../../src/lib/retrieve/strategies.ts';
import type { Corpus } from '../../src/lib/types.ts';

const models = localModelsDir();
const hasTinyLm = !!models && existsSync(path.join(models, 'tiny-sql-lm'));

const corpus: Corpus = {
  name: 'inline',
  hash: 'inline-1',
  examples: [
    { id: 'a', question: 'How many singers do we have?', sql: 'SELECT count(*) FROM singer' },
    { id: 'b', question: 'List the names of all stadiums', sql: 'SELECT name FROM stadium' },
    { id: 'c', question: 'What is the average age of all singers?', sql: 'SELECT avg(age) FROM singer' },
    { id: 'd', question: 'Which employees work in Paris?', sql: "SELECT name FROM employee WHERE city = 'Paris'" },
    { id: 'e', question: 'Show the capacity of each stadium', sql: 'SELECT name, capacity FROM stadium' },
  ],
};
const DDL = `CREATE TABLE singer (singer_id INTEGER, name TEXT, country TEXT, age INTEGER);
INSERT INTO singer VALUES (1,'Joe','France',52),(2,'Ann','Netherlands',32);
CREATE TABLE stadium (stadium_id INTEGER, name TEXT, capacity INTEGER);
INSERT INTO stadium VALUES (1,'Raith',10104);`;

let embedder: TransformersEmbedder;
beforeAll(async () => {
  if (!models)
    console.warn('[pipeline.test] ../shared/models not found: using Xenova/all-MiniLM-L6-v2 from the Hugging Face Hub');
  embedder = await loadEmbedder(defaultTestEmbedderId());
});

describe('embedder (real model)', () => {
  test('unit-length vectors; paraphrases closer than unrelated text; empty text is safe', async () => {
    const v = await embedder.embed([
      'How many singers are there?',
      'Count the singers',
      'Which airports are in Texas?',
      '',
    ]);
    const d = embedder.dim;
    const at = (i: number) => v.subarray(i * d, (i + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    for (let i = 0; i < 4; i++) expect(dot(at(i), at(i))).toBeCloseTo(1, 3);
    expect(dot(at(0), at(1))).toBeGreaterThan(dot(at(0), at(2)));
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
  });
});

describe('indexCorpus', () => {
  test('cancelling leaves the previous index intact', async () => {
    const store = await IndexStore.open('p-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory });
    const meta = {
      slot: 'inline',
      embedderId: embedder.id,
      dtype: embedder.dtype,
      dim: embedder.dim,
      corpusHash: corpus.hash,
      count: 5,
      kind: 'flat' as const,
      textMode: 'question' as const,
    };
    const services = { embedDocs: (t: string[]) => embedder.embed(t, { role: 'doc' }), build: svc.build.bind(svc) };
    const progress: number[] = [];
    await indexCorpus(services, {
      corpus,
      meta,
      textMode: 'question',
      batchSize: 2,
      onProgress: (p) => progress.push(p.done),
    });
    expect(progress.slice(0, 3)).toEqual([2, 4, 5]);
    const ac = new AbortController();
    const bigger = { ...corpus, hash: 'inline-2' };
    const run = indexCorpus(services, {
      corpus: bigger,
      meta: { ...meta, corpusHash: 'inline-2' },
      textMode: 'question',
      batchSize: 1,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done === 2) ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const stored = await store.list();
    expect(stored.map((r) => r.meta.corpusHash)).toEqual(['inline-1']);
  });
});

describe('ask (embed → retrieve → prompt → generate → execute)', () => {
  test.skipIf(!hasTinyLm)('runs end to end with tiny-sql-lm (needs ../shared/models)', async () => {
    const gen = await loadCpuGenerator('tiny-sql-lm');
    const store = await IndexStore.open('p-' + Math.random());
    const svc = new IndexService(store, { flat: flatFactory });
    const meta = {
      slot: 'inline',
      embedderId: embedder.id,
      dtype: embedder.dtype,
      dim: embedder.dim,
      corpusHash: corpus.hash,
      count: 5,
      kind: 'flat' as const,
      textMode: 'question' as const,
    };
    await indexCorpus(
      { embedDocs: (t) => embedder.embed(t), build: svc.build.bind(svc) },
      { corpus, meta, textMode: 'question' },
    );
    const engine = new SqlEngine(await sqlJs());
    const info = engine.open({ kind: 'sql', sql: DDL, name: 'ctx' });
    const events: AskEvent[] = [];
    const out = await ask(
      {
        retriever: new Retrieval({ corpus, dense: { embedder, index: svc } }).retriever('dense'),
        buildPrompt: (input) =>
          buildPrompt('tiny-sql', input, {
            countTokens: (t) => gen.countTokens(t),
            maxTokens: gen.contextTokens - 128,
          }),
        generate: (p, onToken, signal) => gen.generate(p, { onToken, signal, maxNewTokens: 64 }),
        exec: async (sql) => engine.exec(sql),
      },
      { question: 'How many singers are there?', k: 3, corpus, tables: info.tables, format: 'tiny-sql' },
      (e) => events.push(e),
    );
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('retrieved');
    expect(types[1]).toBe('prompt');
    expect(types.filter((t) => t === 'token').length).toBeGreaterThan(1);
    expect(['result', 'error']).toContain(types[types.length - 1]);
    expect(out.retrieved).toHaveLength(3);
    expect(out.retrieved[0].example.id).toBe('a');
    for (let i = 1; i < 3; i++) expect(out.retrieved[i - 1].score).toBeGreaterThanOrEqual(out.retrieved[i].score);
    expect(out.prompt!.text).toBe(
      '### Schema\nsinger(singer_id, name, country, age)\nstadium(stadium_id, name, capacity)\n### Examples\n' +
        out.retrieved.map((r) => `Q: ${r.example.question}\nSQL: ${r.example.sql}\n\n`).join('') +
        '### Question\nHow many singers are there?\n### SQL\n',
    );
    expect(out.sql).toMatch(/^SELECT/i);
    expect(out.sql).not.toContain('\n');
    expect(out.generation!.tokensPerSecond).toBeGreaterThan(0);
  });
});
