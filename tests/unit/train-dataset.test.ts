/** Splits, eval sets and fitAdapter on synthetic vectors (no model needed). */
import { describe, expect, test } from 'vitest';
import { groupSplit, randomSplit } from '../../src/lib/train/split.ts';
import {
  datasetFromPairs,
  docsOf,
  evalSetFor,
  exampleDataset,
  exampleDocText,
  fitAdapter,
  mineNegatives,
} from '../../src/lib/train/dataset.ts';
import { evalSetFromPairs, evaluateRetrieval, formatCI } from '../../src/lib/train/evaluate.ts';
import { LinearAdapter } from '../../src/lib/train/adapter.ts';
import type { Pair } from '../../src/lib/train/pairs.ts';
import type { Example } from '../../src/lib/types.ts';
import { mulberry } from './helpers.ts';

describe('splits', () => {
  test('randomSplit is seeded and complete', () => {
    const a = randomSplit(100, 0.2, 1);
    expect(a.test).toHaveLength(20);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(randomSplit(100, 0.2, 1)).toEqual(a);
    expect(randomSplit(100, 0.2, 2)).not.toEqual(a);
  });

  test('groupSplit never puts a group on both sides and reaches the fraction', () => {
    const group = (i: number) => `db${i % 13}`;
    const s = groupSplit(130, group, 0.2, 3);
    const testGroups = new Set(s.test.map(group));
    expect(s.train.some((i) => testGroups.has(group(i)))).toBe(false);
    expect(s.test.length).toBeGreaterThanOrEqual(26);
    expect(new Set(s.testGroups)).toEqual(testGroups);
    // Input order of groups does not matter: only names and the seed do.
    expect(groupSplit(130, (i) => `db${(i + 5) % 13}`, 0.2, 3).testGroups).toEqual(s.testGroups);
  });
});

describe('datasets', () => {
  test('documents are shared by key; given negatives are indexed', () => {
    const pairs: Pair[] = [
      { query: 'q1', pos: 'SELECT 1', neg: 'SELECT 2', task: 'text2code' },
      { query: 'q2', pos: 'SELECT  1', task: 'text2code' },
      { query: 'q3', pos: 'SELECT 2', task: 'text2code' },
    ];
    const ds = datasetFromPairs(pairs);
    expect(ds.docs).toEqual(['SELECT 1', 'SELECT 2']);
    expect(Array.from(ds.pos)).toEqual([0, 0, 1]);
    expect(Array.from(ds.neg)).toEqual([1, -1, -1]);
    expect(docsOf(ds, [1, 2])).toEqual([0, 1]);
  });

  test('exampleDataset: same SQL on the same database is one document, whatever the spelling', () => {
    const schemas = { s: [{ name: 'singer', columns: ['id', 'name'] }] };
    const ex: Example[] = [
      { id: 'a', question: 'How many singers?', sql: 'SELECT count(*) FROM singer', dbId: 's' },
      { id: 'b', question: 'Count the singers.', sql: 'select COUNT(*) from singer', dbId: 's' },
      { id: 'c', question: 'Names?', sql: 'SELECT name FROM singer', dbId: 's' },
    ];
    const ds = exampleDataset(ex, 'sql', schemas);
    expect(ds.docs).toHaveLength(2);
    expect(Array.from(ds.pos)).toEqual([0, 0, 1]);
    expect(exampleDocText(ex[0], 'schema+sql', schemas)).toBe('singer(id, name)\nSELECT count(*) FROM singer');
    expect(exampleDocText(ex[0], 'sql+schema', schemas)).toBe('SELECT count(*) FROM singer\nsinger(id, name)');
  });

  test('evalSetFor and mining', () => {
    const d = 2;
    const ds = datasetFromPairs([
      { query: 'a', pos: 'A', task: 'text2code' },
      { query: 'b', pos: 'B', task: 'text2code' },
      { query: 'c', pos: 'C', task: 'text2code' },
    ]);
    const q = new Float32Array([1, 0, 0, 1, -1, 0]);
    const docs = new Float32Array([0.9, 0.1, 0.8, 0.6, 0, 1]);
    const set = evalSetFor(ds, q, docs, d, [0, 1], [2]);
    expect(set.docs.length / d).toBe(3);
    expect(set.relevant).toEqual([[0], [1]]);
    expect(Array.from(mineNegatives(ds, q, docs, d, [0, 1], [0, 1, 2]))).toEqual([1, 2]);
  });
});

describe('evaluation', () => {
  test('perfect and reversed rankings', () => {
    const d = 2;
    const q = new Float32Array([1, 0, 0, 1]);
    const p = new Float32Array([1, 0, 0, 1]);
    const m = evaluateRetrieval(evalSetFromPairs(d, q, p), null);
    expect(m.recall1.mean).toBe(1);
    expect(m.ndcg10.mean).toBe(1);
    expect(m.n).toBe(2);
    const swap = new LinearAdapter(d, new Float32Array([0, 1, 1, 0]));
    const s = evaluateRetrieval(evalSetFromPairs(d, q, p), swap, { intervals: false });
    expect(s.recall1.mean).toBe(0);
    expect(s.recall3.mean).toBe(1);
    expect(s.mrr10.mean).toBe(0.5);
    expect(Number.isNaN(s.recall1.lo)).toBe(true);
    expect(formatCI(m.recall1)).toBe('1.000 [1.000, 1.000]');
  });
});

describe('fitAdapter', () => {
  test('trains on one split and reports a better held-out score on another', async () => {
    const d = 16;
    const n = 400;
    const rand = mulberry(2);
    const g = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
    // Documents are random; queries are a fixed permutation-with-sign of their document plus noise.
    const perm = Array.from({ length: d }, (_, i) => (i * 5 + 3) % d);
    const docVecs = new Float32Array(n * d);
    const queryVecs = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      let t = 0;
      for (let k = 0; k < d; k++) s += (docVecs[i * d + k] = g()) ** 2;
      for (let k = 0; k < d; k++) docVecs[i * d + k] /= Math.sqrt(s);
      for (let k = 0; k < d; k++)
        t += (queryVecs[i * d + perm[k]] = (k % 2 ? -1 : 1) * docVecs[i * d + k] + 0.1 * g()) ** 2;
      for (let k = 0; k < d; k++) queryVecs[i * d + k] /= Math.sqrt(t);
    }
    const pairs: Pair[] = Array.from({ length: n }, (_, i) => ({
      query: `q${i}`,
      pos: `d${i}`,
      task: 'text2code',
      dbId: `db${i % 20}`,
    }));
    const ds = datasetFromPairs(pairs);
    const split = groupSplit(n, (i) => pairs[i].dbId, 0.2, 1);
    const fit = await fitAdapter({
      dataset: ds,
      dim: d,
      queryVecs,
      docVecs,
      trainIdx: split.train.slice(40),
      valIdx: split.train.slice(0, 40),
      testIdx: split.test,
      epochs: 20,
      batchSize: 32,
      lr: 1e-2,
      seed: 1,
    });
    expect(fit.withNegatives).toBe(split.train.length - 40);
    expect(fit.adapted.recall1.mean).toBeGreaterThan(fit.base.recall1.mean + 0.5);
    expect(fit.metrics.adapted.recall3).toBe(fit.adapted.recall3.mean);
    expect(fit.metrics.base.ci?.ndcg10).toHaveLength(2);
    expect(fit.metrics.docs).toBe(split.test.length);
  });
});
