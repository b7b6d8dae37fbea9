/**
 * The host-agnostic evaluation loop (src/lib/eval/runner.ts) with small deterministic services:
 * a bag-of-words embedder, a flat index, a scripted generator and a real sql.js engine.
 */
import { describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { runEval, runRetrievalEval, selfRows, type EvalItem, type EvalServices } from '../../src/lib/eval/runner.ts';
import type { EvalExample } from '../../src/lib/eval/report.ts';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import { buildPrompt } from '../../src/lib/llm/prompts.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { CancelledError } from '../../src/lib/errors.ts';
import { Retrieval } from '../../src/lib/retrieve/strategies.ts';
import { searchOver } from '../../src/lib/index/search.ts';
import { LinearAdapter, withQueryAdapter } from '../../src/lib/train/adapter.ts';
import type { Embedder, RetrieveContext } from '../../src/lib/services.ts';
import type { Corpus } from '../../src/lib/types.ts';

const DIM = 64;
function embedText(text: string): Float32Array {
  const v = new Float32Array(DIM);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 0;
    for (const c of w) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % DIM] += 1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

const DDL = `CREATE TABLE singer (singer_id INTEGER, name TEXT, age INTEGER);
INSERT INTO singer VALUES (1, 'Ann', 30), (2, 'Bob', 40), (3, 'Cid', 50);`;

const items: EvalItem[] = [
  { id: 'dev-0', dbId: 'music', question: 'How many singers are there?', gold: 'SELECT count(*) FROM singer' },
  {
    id: 'dev-1',
    dbId: 'music',
    question: 'List singer names by age descending',
    gold: 'SELECT name FROM singer ORDER BY age DESC',
  },
  { id: 'dev-2', dbId: 'music', question: 'What is the average singer age?', gold: 'SELECT avg(age) FROM singer' },
  { id: 'dev-3', dbId: 'nowhere', question: 'Anything at all?', gold: 'SELECT 1' },
];

const corpus: Corpus = {
  name: 'toy',
  hash: 'toy-1',
  examples: [
    // the same question and SQL as dev-0 under another id: must never be retrieved for dev-0
    { id: 'c-0', question: 'how many  singers are there?', sql: 'select COUNT(*) from singer;' },
    { id: 'c-1', question: 'How many songs are there?', sql: 'SELECT count(*) FROM song' },
    { id: 'c-2', question: 'List song titles by sales descending', sql: 'SELECT title FROM song ORDER BY sales DESC' },
    { id: 'c-3', question: 'What is the average song length?', sql: 'SELECT avg(length) FROM song' },
    { id: 'c-4', question: 'Show all albums', sql: 'SELECT * FROM album' },
  ],
};
const corpusVectors = new Float32Array(corpus.examples.length * DIM);
corpus.examples.forEach((e, i) => corpusVectors.set(embedText(e.question), i * DIM));
const index = new FlatIndex(corpusVectors, DIM);

/** The bag-of-words "model" as an Embedder. */
const bagOfWords: Embedder = {
  id: 'bag-of-words',
  dim: DIM,
  dtype: 'fp32',
  device: 'cpu',
  async embed(texts) {
    const m = new Float32Array(texts.length * DIM);
    texts.forEach((t, i) => m.set(embedText(t), i * DIM));
    return m;
  },
};

/** An identity adapter that counts the query vectors it adapts. */
class CountingAdapter extends LinearAdapter {
  constructor(private readonly calls: { n: number }) {
    super(DIM);
  }
  override applyBatch(mat: Float32Array, out?: Float32Array): Float32Array {
    this.calls.n += mat.length / DIM;
    return super.applyBatch(mat, out);
  }
}

/** What the scripted "model" answers, by question. */
const ANSWERS: Record<string, string> = {
  'How many singers are there?': 'SELECT COUNT(*) FROM singer', // EX, EM
  'List singer names by age descending': 'SELECT name FROM singer ORDER BY age', // executes, wrong order
  'What is the average singer age?': 'SELECT avg(agee) FROM singer', // execution error
};

async function services(opts: { calls?: string[]; adapterCalls?: { n: number } } = {}): Promise<EvalServices> {
  const engine = new SqlEngine(await initSqlJs());
  const embedder = opts.adapterCalls
    ? withQueryAdapter(bagOfWords, new CountingAdapter(opts.adapterCalls))
    : bagOfWords;
  return {
    retriever: new Retrieval({ corpus, dense: { embedder, index: searchOver(index, corpus.hash) } }).retriever('dense'),
    buildPrompt: (input) => buildPrompt('tiny-sql', input),
    generate: async (prompt) => {
      const q = /### Question\n(.*)\n/.exec(prompt)![1];
      opts.calls?.push(q);
      return { text: (ANSWERS[q] ?? '') + '\n', tokens: 5, ms: 1, tokensPerSecond: 100, interrupted: false };
    },
    openDb: async (dbId) => {
      if (dbId !== 'music') throw new Error(`no database ${dbId}`);
      return { tables: engine.open({ kind: 'sql', sql: DDL, name: dbId }).tables };
    },
    exec: async (sql) => engine.exec(sql),
  };
}

describe('runEval', () => {
  test('scores every item at every k; rates agree with the examples', async () => {
    const calls: string[] = [];
    const seen: string[] = [];
    const runs = await runEval(await services({ calls }), {
      items,
      ks: [0, 2],
      corpus,
      format: 'tiny-sql',
      textMode: 'question',
      onExample: (k, e) => seen.push(`${k}:${e.id}`),
    });
    expect(runs.map((r) => r.k)).toEqual([0, 2]);
    expect(seen).toEqual(['0:dev-0', '2:dev-0', '0:dev-1', '2:dev-1', '0:dev-2', '2:dev-2', '0:dev-3', '2:dev-3']);
    for (const r of runs) {
      expect(r.examples.map((e) => e.id)).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3']);
      const [a, b, c, d] = r.examples;
      expect(a).toMatchObject({ ex: true, em: true, skeleton_match: true, executes: true });
      expect(b).toMatchObject({ ex: false, em: false, executes: true, ex_reason: 'results differ: different values' });
      expect(c).toMatchObject({ ex: false, executes: false, skeleton_match: true });
      expect(c.ex_reason).toMatch(/^predicted SQL failed: no such column: agee/);
      expect(c.error).toMatch(/^execute: no such column/);
      expect(d).toMatchObject({ ex: false, predicted: null, error: 'open: no database nowhere' });
      expect(r.n).toBe(4);
      expect(r.ex).toBe(0.25);
      expect(r.em).toBe(0.25);
      expect(r.executes).toBe(0.5);
      expect(r.text_mode).toBe('question');
    }
    // the database that fails to open is never sent to the model
    expect(calls.filter((q) => q === 'Anything at all?')).toHaveLength(0);
    // retrieval: only for k > 0, never the question itself (c-0 has the same question and SQL)
    expect(runs[0].examples.every((e) => e.retrieved.length === 0)).toBe(true);
    expect(runs[0].examples[0].examples_used).toBe(0);
    const k2 = runs[1];
    expect(k2.examples[0].retrieved.map((r) => r.id)).not.toContain('c-0');
    expect(k2.examples[0].retrieved[0]).toMatchObject({ id: 'c-1', skeleton_match: true });
    expect(k2.examples[1].retrieved[0]).toMatchObject({ id: 'c-2', skeleton_match: true });
    expect(k2.skeleton_top1).toBeCloseTo(3 / 4);
    expect(k2.examples[0].examples_used).toBe(2);
    expect(runs[0].skeleton_top1).toBeNull();
  });

  test('resumes: examples already scored are kept and not run again', async () => {
    const first = await runEval(await services(), { items: items.slice(0, 2), ks: [0], corpus, format: 'tiny-sql' });
    const marked: EvalExample = { ...first[0].examples[0], predicted: 'KEPT' };
    const calls: string[] = [];
    const runs = await runEval(await services({ calls }), {
      items: items.slice(0, 3),
      ks: [0, 2],
      corpus,
      format: 'tiny-sql',
      done: [
        { k: 0, examples: [marked, first[0].examples[1]] },
        { k: 7, examples: [marked] },
      ],
    });
    expect(runs[0].examples[0].predicted).toBe('KEPT');
    expect(runs[0].examples).toHaveLength(3);
    // k=0: only dev-2 ran; k=2: all three ran
    expect(calls).toEqual([items[0].question, items[1].question, items[2].question, items[2].question]);
  });

  test('cancelling stops between questions with CancelledError', async () => {
    const ac = new AbortController();
    const got: string[] = [];
    const run = runEval(await services(), {
      items,
      ks: [0],
      corpus: null,
      format: 'tiny-sql',
      signal: ac.signal,
      onExample: (_k, e) => {
        got.push(e.id);
        if (got.length === 2) ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(got).toEqual(['dev-0', 'dev-1']);
  });

  test('the query adapter hook is applied to every query vector', async () => {
    const adapterCalls = { n: 0 };
    await runEval(await services({ adapterCalls }), {
      items: items.slice(0, 3),
      ks: [0, 1],
      corpus,
      format: 'tiny-sql',
    });
    expect(adapterCalls.n).toBe(3); // k=1 only
  });
});

describe('retrieval strategies (the Retriever seam)', () => {
  test('replace embed + search in both runners; rows of the question itself are dropped', async () => {
    const seen: { question: string; exclude: number[]; dbId: string; tables: number }[] = [];
    // A "strategy" that ignores the exclusion list and always returns rows 0, 4, 1, 2.
    const retrieve = async (question: string, k: number, o: RetrieveContext = {}) => {
      seen.push({ question, exclude: o.exclude!, dbId: o.dbId!, tables: o.tables!.length });
      return { hits: [0, 4, 1, 2].map((row, i) => ({ row, score: 1 - i / 10 })).slice(0, k + 1), ms: 0.5 };
    };
    const svc = { ...(await services()), retriever: { name: 'bm25' as const, retrieve } };
    const runs = await runEval(svc, { items: items.slice(0, 2), ks: [2], corpus, format: 'tiny-sql' });
    expect(runs[0].examples[0].retrieved.map((r) => r.id)).toEqual(['c-4', 'c-1']); // c-0 is dev-0 itself
    expect(runs[0].examples[1].retrieved.map((r) => r.id)).toEqual(['c-0', 'c-4']);
    expect(seen[0]).toEqual({ question: items[0].question, exclude: [0], dbId: 'music', tables: 1 });
    const r = await runRetrievalEval(svc.retriever, {
      items: items.slice(0, 1),
      corpus,
      k: 2,
      textMode: 'question',
      tablesFor: () => [],
    });
    expect(r.examples[0].retrieved.map((x) => x.id)).toEqual(['c-4', 'c-1']);
    expect(r.skeleton_top1).toBe(0);
    expect(r.skeleton_topk).toBe(1);
  });
});

describe('runRetrievalEval', () => {
  test('skeleton hits, relevance from skeletons, self-exclusion', async () => {
    const svc = await services();
    let batches = 0;
    const run = await runRetrievalEval(svc.retriever!, {
      items: items.slice(0, 3),
      corpus,
      k: 2,
      textMode: 'question',
      batchSize: 2,
      onProgress: () => batches++,
    });
    expect(batches).toBe(2);
    expect(run).toMatchObject({ k: 2, text_mode: 'question', n: 3 });
    expect(run.examples[0].retrieved.map((r) => r.id)).not.toContain('c-0');
    // every question has a same-skeleton example in the corpus (c-0 excluded, c-1 counts for dev-0)
    expect(run.skeleton_in_corpus).toBe(1);
    expect(run.examples.map((e) => e.relevant)).toEqual([1, 1, 1]);
    expect(run.skeleton_top1).toBe(1);
    expect(run.skeleton_topk).toBe(1);
    expect(run.mrr.mean).toBe(1);
    expect(run.recall.n).toBe(3);
    expect(run.intervals.skeleton_top1.hi).toBeLessThanOrEqual(1);
  });

  test('selfRows: same id, or same question and normalised SQL', () => {
    expect(
      selfRows(corpus, { id: 'dev-0', question: 'How many singers are there?', gold: 'SELECT count(*) FROM singer' }),
    ).toEqual([0]);
    expect(selfRows(corpus, { id: 'c-4', question: 'something else', gold: 'SELECT 1' })).toEqual([4]);
    expect(
      selfRows(corpus, { id: 'x', question: 'How many singers are there?', gold: 'SELECT name FROM singer' }),
    ).toEqual([]);
  });
});
