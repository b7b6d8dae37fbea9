import { expect, test } from 'vitest';
import { makeTestApp } from './ui-fakes.ts';
import { EvalState } from '../../src/ui/evaluate.svelte.ts';

const gretel = [
  {
    sql_prompt: 'How many customers are there?',
    sql_context:
      "CREATE TABLE customers (id INTEGER, country TEXT); INSERT INTO customers VALUES (1, 'France'), (2, 'Spain');",
    sql: 'SELECT count(*) FROM customers',
  },
  {
    sql_prompt: 'Which countries?',
    sql_context: "CREATE TABLE customers (id INTEGER, country TEXT); INSERT INTO customers VALUES (1, 'France');",
    sql: 'SELECT country FROM customers',
  },
]
  .map((r) => JSON.stringify(r))
  .join('\n');

test('the Evaluate page runs every item at each k with the app’s models, and resumes from the store', async () => {
  const t = await makeTestApp({ dbName: 'coderag-ui-eval' });
  const ev = new EvalState({ app: t.app, services: t.services, kv: t.kv });
  expect(ev.canRun()).toBe(false);
  await ev.loadGretelFile(new File([gretel], 'g.jsonl'));
  expect(ev.datasetError).toBeNull();
  expect(ev.dataset?.items).toHaveLength(2);
  expect(ev.canRun()).toBe(false); // no model yet
  await t.app.boot('', false);
  expect(ev.canRun()).toBe(true);
  ev.toggleK(3);
  expect(ev.ks).toEqual([0]);
  ev.toggleK(1);
  expect(ev.ks).toEqual([0, 1]);
  await ev.run();
  expect(ev.error).toBeNull();
  expect(ev.runs.map((r) => [r.k, r.examples.length])).toEqual([
    [0, 2],
    [1, 2],
  ]);
  // the scripted model always answers the count query: right for one item of two
  expect(ev.runs[0].examples.filter((e) => e.ex).length).toBe(1);
  expect(ev.config?.generator).toBe('tiny-sql-lm');
  const again = new EvalState({ app: t.app, services: t.services, kv: t.kv });
  await again.restore();
  expect(again.dataset?.name).toBe('g.jsonl (2)');
  expect(again.runs.map((r) => r.examples.length)).toEqual([2, 2]);
  expect(again.resumable).toBeNull();
  await again.clear();
  expect(again.runs).toEqual([]);
});
