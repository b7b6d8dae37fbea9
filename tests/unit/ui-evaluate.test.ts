import { expect, test, vi } from 'vitest';
import { makeTestApp } from './ui-fakes.ts';
import { EvalState } from '../../src/ui/evaluate.svelte.ts';
import { openCorpusFile, type CorpusFileInput } from '../../src/lib/corpus/open.ts';

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

test('the wall time of a run is its elapsed time, counted once however often progress is saved (issue 18 item 8)', async () => {
  const t = await makeTestApp({ dbName: 'coderag-ui-eval-wall' });
  const ev = new EvalState({ app: t.app, services: t.services, kv: t.kv });
  await ev.loadGretelFile(new File([gretel], 'g.jsonl'));
  await t.app.boot('', false);
  ev.toggleK(1);
  // A clock that moves 1.5 s at every reading: every scored example triggers a save of progress.
  let clock = 0;
  const spy = vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1500));
  try {
    const start = performance.now();
    await ev.run();
    const elapsed = performance.now() - start;
    expect(ev.error).toBeNull();
    expect(ev.wallMs).toBeGreaterThan(0);
    expect(ev.wallMs).toBeLessThanOrEqual(elapsed);
  } finally {
    spy.mockRestore();
  }
});

test('corpus and gretel files are parsed where the services say (the corpus worker in the page), not here', async () => {
  const seen: CorpusFileInput[] = [];
  const t = await makeTestApp({
    dbName: 'coderag-ui-eval-port',
    openCorpus: async (input) => {
      seen.push(input);
      return openCorpusFile(input);
    },
  });
  await t.app.boot('', false);
  const ev = new EvalState({ app: t.app, services: t.services, kv: t.kv });
  await ev.loadGretelFile(new File([gretel], 'g.jsonl'));
  expect(ev.dataset?.items).toHaveLength(2);
  await t.app.corpus.loadFiles([new File([gretel], 'mine.jsonl')]);
  expect(t.app.corpus.error).toBeNull();
  expect(t.app.corpus.current?.name).toBe('mine.jsonl (2)');
  expect(seen.map((s) => s.name)).toEqual(['g.jsonl', 'mine.jsonl']);
  // the corpus page asks the opener to store the corpus too (the worker can reach IndexedDB)
  expect(seen[1].store).toEqual({ origin: undefined });
});
