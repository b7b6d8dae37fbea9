/**
 * Stop that stops (issue 18 item 1, core part): ask() honours its AbortSignal at every stage,
 * rejects with CancelledError promptly and emits nothing after the abort. Generation is checked
 * with the real tiny-sql-lm on the CPU engine (../shared/models).
 */
import { describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ask, type AskEvent, type AskServices } from '../../src/lib/rag/pipeline.ts';
import { LocalGenerator } from '../../src/lib/llm/local-generator.ts';
import { CancelledError } from '../../src/lib/errors.ts';
import type { GenerateResult } from '../../src/lib/llm/generator.ts';
import type { Retriever } from '../../src/lib/services.ts';
import type { Corpus, QueryResult, TableInfo } from '../../src/lib/types.ts';
import { loadCpuGenerator, localModelsDir } from '../../src/node/host.ts';
import { nodeSqlClient } from '../../src/node/sql-thread.ts';

const models = localModelsDir();
const hasTinyLm = !!models && existsSync(path.join(models, 'tiny-sql-lm'));

const corpus: Corpus = {
  name: 'stop',
  hash: 'stop-1',
  examples: [
    { id: 'a', question: 'How many singers do we have?', sql: 'SELECT count(*) FROM singer' },
    { id: 'b', question: 'List the names of all singers', sql: 'SELECT name FROM singer' },
  ],
};
const tables: TableInfo[] = [{ name: 'singer', columns: ['singer_id', 'name', 'country', 'age'] }];

const fixedRetriever: Retriever = {
  name: 'bm25',
  retrieve: async () => ({ hits: [{ row: 0, score: 1 }], ms: 0 }),
};
const never = <T>() => new Promise<T>(() => {});
const okResult: QueryResult = { columns: ['n'], rows: [[1]], ms: 0 };

function scripted(over: Partial<AskServices>): AskServices {
  return {
    retriever: fixedRetriever,
    buildPrompt: (input) => ({
      format: 'tiny-sql',
      text: input.question,
      examplesUsed: input.examples.length,
    }),
    generate: async () => ({ text: 'SELECT 1\n', tokens: 3, ms: 1, tokensPerSecond: 1, interrupted: false }),
    exec: async () => okResult,
    ...over,
  };
}

/** Run ask(), abort when `when` says so, and report how long the rejection took after the abort. */
async function abortDuring(svc: AskServices, when: (e: AskEvent) => boolean, abortAfterMs?: number) {
  const ac = new AbortController();
  const events: AskEvent[] = [];
  let abortedAt = 0;
  const abort = () => {
    if (abortedAt) return;
    abortedAt = performance.now();
    ac.abort();
  };
  if (abortAfterMs !== undefined) setTimeout(abort, abortAfterMs);
  const run = ask(
    svc,
    { question: 'How many singers are there?', k: 1, corpus, tables, format: 'tiny-sql', signal: ac.signal },
    (e) => {
      events.push(e);
      if (when(e)) abort();
    },
  );
  const err = await run.then(
    () => null,
    (e: unknown) => e,
  );
  return { err, latency: performance.now() - abortedAt, events, eventsAfterAbort: events.length };
}

describe('ask() stops at every stage', () => {
  test('during retrieval: rejects at once, no event at all', async () => {
    const r = await abortDuring(scripted({ retriever: { name: 'dense', retrieve: () => never() } }), () => false, 50);
    expect(r.err).toBeInstanceOf(CancelledError);
    expect(r.latency).toBeLessThan(500);
    expect(r.events).toEqual([]);
  });

  test('during execution: rejects at once, no result event, the query is told to stop', async () => {
    let execSignal: AbortSignal | undefined;
    const r = await abortDuring(
      scripted({
        exec: (_sql, signal) => {
          execSignal = signal;
          return never();
        },
      }),
      (e) => e.type === 'sql',
    );
    expect(r.err).toBeInstanceOf(CancelledError);
    expect(r.latency).toBeLessThan(500);
    expect(r.events.map((e) => e.type)).not.toContain('result');
    expect(execSignal?.aborted).toBe(true);
  });

  test('an engine that ignores the signal still cannot emit after the abort', async () => {
    const r = await abortDuring(
      scripted({
        generate: async (_p, onToken) => {
          onToken('SELECT');
          await new Promise((res) => setTimeout(res, 200));
          onToken(' 1'); // arrives after the abort: must not be emitted
          return { text: 'SELECT 1\n', tokens: 2, ms: 200, tokensPerSecond: 10, interrupted: false };
        },
      }),
      (e) => e.type === 'token',
    );
    expect(r.err).toBeInstanceOf(CancelledError);
    await new Promise((res) => setTimeout(res, 250));
    expect(r.events.map((e) => e.type)).toEqual(['retrieved', 'prompt', 'token']);
  });

  test('SqlClient: aborting a runaway query restarts its worker; the database stays usable', async () => {
    const c = nodeSqlClient(10_000);
    try {
      await c.open({ kind: 'sql', sql: 'CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);', name: 'ctx' });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      const t0 = performance.now();
      await expect(
        c.exec('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r', {
          signal: ac.signal,
        }),
      ).rejects.toBeInstanceOf(CancelledError);
      expect(performance.now() - t0).toBeLessThan(200 + 500);
      expect(c.restarts).toBe(1);
      expect((await c.exec('SELECT count(*) FROM t')).rows).toEqual([[1]]);
    } finally {
      c.dispose();
    }
  });

  test.skipIf(!hasTinyLm)(
    'mid-generation with the real tiny-sql-lm (CPU): ends within 0.5 s, the model is interrupted, no sql/result event',
    async () => {
      const gen = new LocalGenerator(await loadCpuGenerator('tiny-sql-lm'));
      let generation: Promise<GenerateResult> | null = null;
      let executed = false;
      const svc: AskServices = {
        retriever: fixedRetriever,
        buildPrompt: (input) => gen.buildPrompt(input, 128),
        generate: (p, onToken, signal) => {
          generation = gen.generate(p, { onToken, signal, maxNewTokens: 128 });
          return generation;
        },
        exec: async () => {
          executed = true;
          return okResult;
        },
      };
      // Abort at the first streamed token: the model is then certainly mid-generation.
      const r = await abortDuring(svc, (e) => e.type === 'token');
      expect(r.err).toBeInstanceOf(CancelledError);
      expect(r.latency).toBeLessThan(500);
      const types = r.events.map((e) => e.type);
      expect(types).not.toContain('sql');
      expect(types).not.toContain('result');
      expect(types.filter((t) => t === 'token')).toHaveLength(1);
      expect(executed).toBe(false);
      // The model itself stopped (not just ask()): its generate resolved, interrupted, promptly.
      const t0 = performance.now();
      const g = await generation!;
      expect(performance.now() - t0).toBeLessThan(500);
      expect(g.interrupted).toBe(true);
      await gen.dispose();
    },
    60_000,
  );
});
