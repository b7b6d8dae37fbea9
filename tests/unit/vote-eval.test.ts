/**
 * The eval runner with voting (RunEvalOptions.vote): every question is answered greedy and voted,
 * on the same database; the run's `vote` summary counts the paired outcomes and tests them.
 * A scripted generator over a real sql.js database (no retrieval).
 */
import { expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { runEval, type EvalItem, type EvalServices } from '../../src/lib/eval/runner.ts';
import { buildPrompt } from '../../src/lib/llm/prompts.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { mcnemarExact } from '../../src/lib/eval/stats.ts';

const DDL = `CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER);
INSERT INTO singer VALUES (1, 'Ann', 30), (2, 'Bob', 40), (3, 'Cid', 50);`;

/** By question: the greedy answer and the sampled one. */
const SCRIPT: Record<string, { greedy: string; sample: string }> = {
  // samples fix it
  'How many singers are there?': { greedy: 'SELECT COUNT(*) FROM singers', sample: 'SELECT COUNT(*) FROM singer' },
  // samples break a right greedy answer, and outvote it
  'Oldest singer?': {
    greedy: 'SELECT name FROM singer ORDER BY age DESC LIMIT 1',
    sample: 'SELECT name FROM singer LIMIT 1',
  },
  // both right
  'Youngest age?': { greedy: 'SELECT MIN(age) FROM singer', sample: 'SELECT age FROM singer ORDER BY age LIMIT 1' },
};

const items: EvalItem[] = [
  { id: 'q0', dbId: 'music', question: 'How many singers are there?', gold: 'SELECT count(*) FROM singer' },
  { id: 'q1', dbId: 'music', question: 'Oldest singer?', gold: "SELECT 'Cid'" },
  { id: 'q2', dbId: 'music', question: 'Youngest age?', gold: 'SELECT 30' },
];

test('greedy and voted answers side by side, with the paired test and costs', async () => {
  const engine = new SqlEngine(await initSqlJs());
  let samples = 0;
  const svc: EvalServices = {
    retriever: null,
    buildPrompt: (input) => buildPrompt('tiny-sql', input),
    generate: async (prompt, _onToken, _signal, sampling) => {
      const q = /### Question\n(.*)\n/.exec(prompt)![1];
      if (sampling?.temperature) samples++;
      const text = sampling?.temperature ? SCRIPT[q].sample : SCRIPT[q].greedy;
      return { text: text + '\n', tokens: 4, ms: 1, tokensPerSecond: 100, interrupted: false };
    },
    openDb: async (dbId) => ({ tables: engine.open({ kind: 'sql', sql: DDL, name: dbId }).tables }),
    exec: async (sql) => engine.exec(sql),
  };
  const [run] = await runEval(svc, {
    items,
    ks: [0],
    corpus: null,
    format: 'tiny-sql',
    vote: { candidates: 3, repair: false },
  });
  expect(samples).toBe(6);
  expect(run.examples.map((e) => e.ex)).toEqual([false, true, true]);
  expect(run.examples.map((e) => e.vote!.ex)).toEqual([true, false, true]);
  expect(run.examples.map((e) => `${e.vote!.agree}/${e.vote!.total}`)).toEqual(['2/3', '2/3', '3/3']);
  expect(run.examples[0].vote!.sources).toEqual({ greedy: 1, sample: 2 });
  expect(run.examples[0].vote!.tokens).toBe(12);
  const v = run.vote!;
  expect(v.n).toBe(3);
  expect(v.greedy_ex).toBeCloseTo(2 / 3, 12);
  expect(v.voted_ex).toBeCloseTo(2 / 3, 12);
  expect([v.greedy_only, v.voted_only]).toEqual([1, 1]);
  expect(v.mcnemar_p).toBe(mcnemarExact(1, 1));
  expect(v.cost.greedy_tokens_mean).toBe(4);
  expect(v.cost.voted_tokens_mean).toBe(12);
  expect(v.curve[0]).toEqual({ threshold: 0, answered: 1, ex_answered: 2 / 3 });
});
