/**
 * The candidate pool (src/lib/vote/pool.ts `askVoted`) over a real sql.js database: same-database
 * examples rescue a failing model SQL, samples outvote the greedy SQL, one repair round per
 * family (none for tiny-sql), Stop ends everything and emits nothing, a failing sample is noted.
 * The generator is a scripted AnswerGenerator-side function here (the model loader is not mocked:
 * the last test loads the real tiny-sql-lm when ../shared/models has it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { askVoted, sameDatabase, type VoteEvent, type VoteServices } from '../../src/lib/vote/pool.ts';
import { repairPrompt } from '../../src/lib/llm/repair.ts';
import { CancelledError } from '../../src/lib/errors.ts';
import type { GenerateResult, Sampling } from '../../src/lib/llm/generator.ts';
import type { Corpus, TableInfo } from '../../src/lib/types.ts';
import type { Retriever } from '../../src/lib/services.ts';
import type { PromptFormat } from '../../src/lib/config.ts';
import { buildPrompt } from '../../src/lib/llm/prompts.ts';
import { loadCpuGenerator, localModelsDir } from '../../src/node/host.ts';

const models = localModelsDir();
const hasTinyLm = !!models && existsSync(path.join(models, 'tiny-sql-lm'));

const DDL = `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);
INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy');
INSERT INTO orders VALUES (1, 1, 5), (2, 1, 7), (3, 2, 1), (4, 1, 2);`;

const GOOD =
  'SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 2)';

const corpus: Corpus = {
  name: 'c',
  hash: 'c1',
  examples: [
    { id: 'e1', question: 'Which customers have placed more than 2 orders?', sql: GOOD, dbId: 'shop' },
    { id: 'e2', question: 'How many singers are there?', sql: 'SELECT COUNT(*) FROM singer', dbId: 'concert' },
  ],
} as Corpus;

const retriever: Retriever = {
  name: 'dense',
  async retrieve(_q, k) {
    return {
      hits: [
        { row: 0, score: 0.999 },
        { row: 1, score: 0.4 },
      ].slice(0, k),
      ms: 1,
    };
  },
};

let engine: SqlEngine;
let tables: TableInfo[];
beforeAll(async () => {
  engine = new SqlEngine(await initSqlJs());
  tables = engine.open({ kind: 'sql', sql: DDL, name: 'shop' }).tables;
});

function result(text: string, tokens = 5): GenerateResult {
  return { text, tokens, ms: 1, tokensPerSecond: 100, interrupted: false };
}

interface Script {
  greedy: string;
  samples?: (i: number, s: Sampling) => string | Promise<string>;
  repair?: (prompt: string) => string;
}

function services(script: Script, format: PromptFormat = 'tiny-sql', log: string[] = []): VoteServices {
  let sample = 0;
  return {
    retriever,
    buildPrompt: (input) => buildPrompt(format, input, { countTokens: (t) => t.length / 4, maxTokens: 4000 }),
    async generate(prompt, onToken, signal, sampling) {
      if (prompt.includes('Failing SQL')) {
        log.push('repair');
        return result(script.repair?.(prompt) ?? 'SELECT still_broken FROM customers');
      }
      if (!sampling?.temperature) {
        onToken(script.greedy);
        return result(script.greedy);
      }
      sample++;
      log.push(`sample ${sampling.seed}`);
      const text = await script.samples!(sample, sampling);
      if (signal?.aborted) return { ...result(text), interrupted: true };
      return result(text);
    },
    async exec(sql, signal) {
      if (signal?.aborted) throw new CancelledError('query');
      log.push(`exec ${sql}`);
      return engine.exec(sql, { timeoutMs: 1000 });
    },
    repairPrompt: (i) => repairPrompt(format, i),
  };
}

const input = (extra = {}) => ({
  question: 'Which customers have placed more than 2 orders?',
  k: 2,
  corpus,
  tables,
  format: 'tiny-sql' as PromptFormat,
  dbId: 'shop',
  ...extra,
});

describe('askVoted', () => {
  test('the model SQL fails, a same-database example works: the example wins, "1 of 2 agree"', async () => {
    const events: VoteEvent[] = [];
    const out = await askVoted(
      services({ greedy: 'SELECT customer_name FROM customers' }),
      input(),
      { candidates: 1 },
      (e) => events.push(e),
    );
    const v = out.vote!;
    expect(v.sql).toBe(GOOD);
    expect(v.result!.rows).toEqual([['Ann']]);
    expect(v.outcome.agree).toBe(1);
    expect(v.outcome.total).toBe(2);
    expect(v.candidates.map((c) => c.source)).toEqual(['greedy', 'example']);
    // The example of the other database is never run here.
    expect(v.candidates.some((c) => c.sql.includes('singer'))).toBe(false);
    expect(events.filter((e) => e.type === 'candidate')).toHaveLength(2);
    expect(events[events.length - 1].type).toBe('vote');
    expect(v.repair).toBe('not-needed');
  });

  test('samples outvote the greedy SQL; repeated SQL runs once but votes each time', async () => {
    const log: string[] = [];
    const wrong = 'SELECT name FROM customers';
    const out = await askVoted(
      services({ greedy: wrong, samples: () => 'SELECT name FROM customers WHERE id = 1' }, 'tiny-sql', log),
      input(),
      { candidates: 4, examples: false },
    );
    const v = out.vote!;
    expect(v.sql).toBe('SELECT name FROM customers WHERE id = 1');
    expect(v.outcome.agree).toBe(3);
    expect(v.outcome.total).toBe(4);
    expect(log.filter((l) => l === 'exec SELECT name FROM customers WHERE id = 1')).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('sample')).sort()).toEqual(['sample 2', 'sample 3', 'sample 4']);
    expect(v.tokens).toBe(20);
    expect(v.confidence).toBeGreaterThan(0);
  });

  test('Stop during the samples rejects with CancelledError, runs nothing more and emits no vote', async () => {
    const ac = new AbortController();
    const log: string[] = [];
    const events: VoteEvent[] = [];
    const svc = services(
      {
        greedy: 'SELECT name FROM customers',
        samples: (i) => {
          if (i === 2) ac.abort();
          return `SELECT id FROM customers WHERE id = ${i}`;
        },
      },
      'tiny-sql',
      log,
    );
    const run = askVoted(svc, input({ signal: ac.signal }), { candidates: 5 }, (e) => events.push(e));
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(events.some((e) => e.type === 'vote')).toBe(false);
    expect(log.some((l) => l.includes('id = 2'))).toBe(false);
    expect(log.some((l) => l === 'sample 4')).toBe(false);
  });

  test('a sample that fails to generate is noted and the vote goes on', async () => {
    const out = await askVoted(
      services({
        greedy: 'SELECT name FROM customers WHERE id = 2',
        samples: (i) => {
          if (i === 1) throw new Error('engine crashed');
          return 'SELECT name FROM customers WHERE id = 2';
        },
      }),
      input(),
      { candidates: 3, examples: false },
    );
    expect(out.vote!.notes.join()).toContain('sample 1 failed: engine crashed');
    expect(out.vote!.outcome.agree).toBe(2);
  });

  test('everything fails: tiny-sql cannot repair, the answer is a clear error', async () => {
    const log: string[] = [];
    const out = await askVoted(services({ greedy: 'SELECT nope FROM customers' }, 'tiny-sql', log), input(), {
      candidates: 1,
      examples: false,
    });
    const v = out.vote!;
    expect(v.sql).toBeNull();
    expect(v.repair).toBe('unavailable');
    expect(v.error).toMatch(/none of 1 candidates ran: .*no such column: nope/);
    expect(v.notSure).toBe(true);
    expect(log).not.toContain('repair');
  });

  test('everything fails: a chatml model repairs once from the error, the repaired SQL wins', async () => {
    const log: string[] = [];
    let seen = '';
    const out = await askVoted(
      services(
        {
          greedy: 'SELECT nope FROM customers',
          repair: (p) => {
            seen = p;
            return 'SELECT name FROM customers WHERE id = 3';
          },
        },
        'chatml',
        log,
      ),
      input({ format: 'chatml' }),
      { candidates: 1, examples: false },
    );
    expect(seen).toContain('no such column: nope');
    expect(seen).toContain('CREATE TABLE customers');
    expect(log.filter((l) => l === 'repair')).toHaveLength(1);
    expect(out.vote!.repair).toBe('repaired');
    expect(out.vote!.sql).toBe('SELECT name FROM customers WHERE id = 3');
    expect(out.vote!.candidates.map((c) => c.source)).toEqual(['greedy', 'repair']);
  });

  test('repair that fails too ends with both failures said', async () => {
    const out = await askVoted(
      services({ greedy: 'SELECT nope FROM customers' }, 'chatml'),
      input({ format: 'chatml' }),
      { candidates: 1, examples: false },
    );
    expect(out.vote!.repair).toBe('failed');
    expect(out.vote!.error).toMatch(/none of 2 candidates ran, and the repaired SQL failed too/);
  });

  test('a spent time budget stops sampling and says so', async () => {
    const out = await askVoted(services({ greedy: 'SELECT name FROM customers', samples: () => 'SELECT 1' }), input(), {
      candidates: 3,
      budgetMs: 0,
      examples: false,
    });
    expect(out.vote!.candidates).toHaveLength(1);
    expect(out.vote!.notes.join()).toMatch(/time budget reached after 0 of 2 samples/);
  });

  test('hostile candidates end as failed candidates with clear messages: a write, endless rows, too many rows', async () => {
    const hostile = [
      'DELETE FROM customers',
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n',
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT i FROM n',
    ];
    const svc = services({ greedy: hostile[0], samples: (i) => hostile[i] });
    svc.exec = async (sql) => engine.exec(sql, { timeoutMs: 300, maxRows: 10_000 });
    const out = await askVoted(svc, input(), { candidates: 3, examples: false });
    const v = out.vote!;
    expect(v.sql).toBeNull();
    const errors = v.candidates.map((c) => (c.outcome.ok ? 'ran' : c.outcome.error));
    expect(errors[0]).toMatch(/read-only|not allowed|only/i);
    expect(errors.slice(1).every((e) => e !== 'ran')).toBe(true);
    expect(v.error).toMatch(/none of 3 candidates ran/);
    // the database is untouched
    expect(engine.exec('SELECT COUNT(*) FROM customers').rows).toEqual([[3]]);
  }, 30_000);

  test.skipIf(!hasTinyLm)(
    'with the real tiny-sql-lm: greedy plus sampled candidates, all executed and voted',
    async () => {
      const gen = await loadCpuGenerator('tiny-sql-lm');
      try {
        const svc: VoteServices = {
          retriever,
          buildPrompt: (i) =>
            buildPrompt('tiny-sql', i, { countTokens: (t) => gen.countTokens(t), maxTokens: gen.contextTokens - 64 }),
          generate: (p, onToken, signal, sampling) =>
            gen.generate(p, { onToken, signal, maxNewTokens: 64, ...sampling }),
          exec: async (sql) => engine.exec(sql, { timeoutMs: 1000 }),
        };
        const out = await askVoted(svc, input(), { candidates: 3, examples: true, budgetMs: 60_000 });
        const v = out.vote!;
        const sources = v.candidates.map((c) => c.source);
        expect(sources[0]).toBe('greedy');
        expect(sources.filter((s) => s === 'sample').length).toBeGreaterThanOrEqual(1);
        expect(sources).toContain('example');
        expect(v.tokens).toBeGreaterThan(0);
        expect(v.outcome.total).toBe(v.candidates.length);
        // The same-database example executes, so there is an answer.
        expect(v.sql).not.toBeNull();
      } finally {
        await gen.dispose?.();
      }
    },
    120_000,
  );
});

describe('sameDatabase', () => {
  const tabs = [
    { name: 'customers', columns: ['id'] },
    { name: 'Orders', columns: ['id'] },
  ] as TableInfo[];
  test('by id when the question has one; else by the example schema naming exactly the open tables', () => {
    expect(
      sameDatabase({ id: 'a', question: '', sql: '', dbId: 'shop' }, { dbId: 'shop', tables: tabs, corpus: null }),
    ).toBe(true);
    expect(
      sameDatabase({ id: 'a', question: '', sql: '', dbId: 'hr' }, { dbId: 'shop', tables: tabs, corpus: null }),
    ).toBe(false);
    const schema = 'CREATE TABLE customers (id INTEGER);\nCREATE TABLE IF NOT EXISTS "orders" (id INTEGER);';
    expect(sameDatabase({ id: 'a', question: '', sql: '', schema }, { tables: tabs, corpus: null })).toBe(true);
    expect(
      sameDatabase(
        { id: 'a', question: '', sql: '', schema: 'CREATE TABLE customers (id INTEGER);' },
        { tables: tabs, corpus: null },
      ),
    ).toBe(false);
    const corpusWith = { name: 'c', hash: 'h', examples: [], schemas: { shop: tabs } } as Corpus;
    expect(sameDatabase({ id: 'a', question: '', sql: '', dbId: 'shop' }, { tables: tabs, corpus: corpusWith })).toBe(
      true,
    );
    expect(sameDatabase({ id: 'a', question: '', sql: '' }, { tables: tabs, corpus: corpusWith })).toBe(false);
  });
});
