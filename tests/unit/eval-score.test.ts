/** scoreExample (src/lib/eval/score.ts) and the run summary, on hand-made results. */
import { describe, expect, test } from 'vitest';
import { scoreExample, type ExecOutcome } from '../../src/lib/eval/score.ts';
import { formatEvalTable, summarizeRun, type EvalExample } from '../../src/lib/eval/report.ts';
import type { QueryResult } from '../../src/lib/types.ts';

const res = (columns: string[], rows: unknown[][]): ExecOutcome => ({
  ok: true,
  result: { columns, rows, ms: 0 } as QueryResult,
});
const fail = (error: string): ExecOutcome => ({ ok: false, error });

describe('scoreExample: EX', () => {
  test('1 and 1.0 are equal; column names are ignored', () => {
    const s = scoreExample({
      gold: 'SELECT count(*) FROM singer',
      predicted: 'SELECT 1.0 * count(*) AS n FROM singer',
      goldExec: res(['count(*)'], [[1]]),
      predExec: res(['n'], [[1.0]]),
    });
    expect(s).toEqual({ ex: true, em: false, skeleton_match: false, executes: true });
  });

  test('row order is ignored when the gold query has no ORDER BY', () => {
    const s = scoreExample({
      gold: 'SELECT name FROM singer',
      predicted: 'SELECT name FROM singer ORDER BY name DESC',
      goldExec: res(['name'], [['a'], ['b'], ['b']]),
      predExec: res(['name'], [['b'], ['a'], ['b']]),
    });
    expect(s.ex).toBe(true);
    expect(s.ex_reason).toBeUndefined();
  });

  test('duplicates count: a multiset, not a set', () => {
    const s = scoreExample({
      gold: 'SELECT name FROM singer',
      predicted: 'SELECT DISTINCT name FROM singer',
      goldExec: res(['name'], [['a'], ['b'], ['b']]),
      predExec: res(['name'], [['a'], ['b'], ['a']]),
    });
    expect(s.ex).toBe(false);
    expect(s.ex_reason).toBe('results differ: different values');
  });

  test('row order is enforced when the gold query has an outer ORDER BY', () => {
    const gold = 'SELECT name FROM singer ORDER BY age DESC';
    const goldExec = res(['name'], [['old'], ['young']]);
    const wrong = scoreExample({
      gold,
      predicted: 'SELECT name FROM singer ORDER BY age',
      goldExec,
      predExec: res(['name'], [['young'], ['old']]),
    });
    expect(wrong.ex).toBe(false);
    expect(wrong.ex_reason).toMatch(/results differ/);
    const right = scoreExample({
      gold,
      predicted: 'SELECT name FROM singer ORDER BY age DESC',
      goldExec,
      predExec: res(['name'], [['old'], ['young']]),
    });
    expect(right).toEqual({ ex: true, em: true, skeleton_match: true, executes: true });
  });

  test('ORDER BY only inside a subquery does not make the comparison ordered', () => {
    const s = scoreExample({
      gold: 'SELECT name FROM (SELECT name FROM singer ORDER BY age LIMIT 2)',
      predicted: 'SELECT name FROM singer',
      goldExec: res(['name'], [['a'], ['b']]),
      predExec: res(['name'], [['b'], ['a']]),
    });
    expect(s.ex).toBe(true);
  });

  test('an execution error is a miss with the reason recorded', () => {
    const s = scoreExample({
      gold: 'SELECT name FROM singer',
      predicted: 'SELECT name FROM singers',
      goldExec: res(['name'], [['a']]),
      predExec: fail('no such table: singers'),
    });
    expect(s).toEqual({
      ex: false,
      em: false,
      skeleton_match: true,
      executes: false,
      ex_reason: 'predicted SQL failed: no such table: singers',
    });
  });

  test('a timeout is a miss with the reason recorded', () => {
    const s = scoreExample({
      gold: 'SELECT count(*) FROM singer',
      predicted: 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r',
      goldExec: res(['count(*)'], [[3]]),
      predExec: fail('query timed out after 5 s: stopped.'),
    });
    expect(s.ex).toBe(false);
    expect(s.executes).toBe(false);
    expect(s.ex_reason).toMatch(/^predicted SQL failed: query timed out/);
  });

  test('no prediction: every metric is a miss, with the generation error', () => {
    const s = scoreExample({
      gold: 'SELECT 1',
      predicted: '  ',
      goldExec: res(['1'], [[1]]),
      predError: 'generate: the model produced no SQL',
    });
    expect(s).toEqual({
      ex: false,
      em: false,
      skeleton_match: false,
      executes: false,
      ex_reason: 'no SQL predicted: generate: the model produced no SQL',
    });
    expect(scoreExample({ gold: 'SELECT 1', predicted: null, goldExec: res(['1'], [[1]]) }).ex_reason).toBe(
      'no SQL predicted',
    );
  });

  test('a failing gold query makes EX a miss (even for an identical prediction)', () => {
    const s = scoreExample({
      gold: 'SELECT x FROM t',
      predicted: 'SELECT x FROM t',
      goldExec: fail('no such table: t'),
      predExec: fail('no such table: t'),
    });
    expect(s.ex).toBe(false);
    expect(s.em).toBe(true);
    const s2 = scoreExample({
      gold: 'SELECT x FROM t',
      predicted: 'SELECT 1',
      goldExec: fail('boom'),
      predExec: res(['1'], [[1]]),
    });
    expect(s2.ex_reason).toBe('gold SQL failed: boom');
  });

  test('a different column count is a miss', () => {
    const s = scoreExample({
      gold: 'SELECT a FROM t',
      predicted: 'SELECT a, b FROM t',
      goldExec: res(['a'], [[1]]),
      predExec: res(['a', 'b'], [[1, 2]]),
    });
    expect(s.ex_reason).toBe('results differ: column count 1 vs 2');
  });

  test('two empty results match', () => {
    const s = scoreExample({
      gold: 'SELECT a FROM t WHERE 0',
      predicted: 'SELECT b FROM t WHERE 0',
      goldExec: res(['a'], []),
      predExec: res(['b'], []),
    });
    expect(s.ex).toBe(true);
  });
});

describe('scoreExample: EM and skeleton', () => {
  test('EM ignores case, whitespace, quote style and a trailing semicolon', () => {
    const s = scoreExample({
      gold: 'SELECT name ,  country FROM singer WHERE country  =  "France"',
      predicted: "select NAME, country from Singer where country = 'France';",
      goldExec: res(['name', 'country'], [['a', 'France']]),
      predExec: res(['name', 'country'], [['a', 'France']]),
    });
    expect(s).toEqual({ ex: true, em: true, skeleton_match: true, executes: true });
  });

  test('skeleton matches with other names and values; EM does not', () => {
    const s = scoreExample({
      gold: 'SELECT name FROM singer WHERE age > 30',
      predicted: 'SELECT title FROM song WHERE sales > 1000',
      goldExec: res(['name'], [['a']]),
      predExec: res(['title'], [['b']]),
    });
    expect(s).toMatchObject({ ex: false, em: false, skeleton_match: true, executes: true });
  });
});

describe('summarizeRun', () => {
  const ex = (id: string, f: Partial<EvalExample>): EvalExample => ({
    id,
    db_id: 'db',
    question: 'q',
    gold: 'SELECT 1',
    predicted: 'SELECT 1',
    em: false,
    ex: false,
    skeleton_match: false,
    executes: true,
    retrieved: [],
    latency_ms: { embed: 1, search: 1, generate: 10, execute: 1 },
    ...f,
  });

  test('rates match the per-example booleans; Wilson intervals contain them', () => {
    const examples = [
      ex('a', {
        ex: true,
        em: true,
        skeleton_match: true,
        retrieved: [
          { id: 'x', score: 0.9, skeleton_match: true },
          { id: 'y', score: 0.8, skeleton_match: false },
        ],
      }),
      ex('b', {
        ex: true,
        retrieved: [
          { id: 'x', score: 0.9, skeleton_match: false },
          { id: 'z', score: 0.7, skeleton_match: true },
        ],
      }),
      ex('c', { executes: false, retrieved: [{ id: 'x', score: 0.9, skeleton_match: false }] }),
      ex('d', { retrieved: [] }),
    ];
    const r = summarizeRun(3, examples, 'question');
    expect(r).toMatchObject({
      k: 3,
      text_mode: 'question',
      n: 4,
      ex: 0.5,
      em: 0.25,
      skeleton_match: 0.25,
      executes: 0.75,
      skeleton_top1: 0.25,
      skeleton_topk: 0.5,
    });
    for (const key of ['ex', 'em', 'skeleton_match', 'executes', 'skeleton_top1', 'skeleton_topk'] as const) {
      const ci = r.intervals[key]!;
      const v = r[key] as number;
      expect(ci.lo).toBeLessThanOrEqual(v);
      expect(ci.hi).toBeGreaterThanOrEqual(v);
      expect(ci.lo).toBeGreaterThanOrEqual(0);
      expect(ci.hi).toBeLessThanOrEqual(1);
    }
    expect(r.latency_ms.generate).toEqual({ mean: 10, p50: 10, p95: 10 });
    expect(formatEvalTable([r])).toContain('50.0% [');
  });

  test('k = 0 has no retrieval rates; an empty run is all zeros with {0, 1} intervals', () => {
    const r0 = summarizeRun(0, [ex('a', { ex: true })]);
    expect(r0.skeleton_top1).toBeNull();
    expect(r0.skeleton_topk).toBeNull();
    expect(r0.intervals.skeleton_top1).toBeNull();
    const empty = summarizeRun(3, []);
    expect(empty).toMatchObject({ n: 0, ex: 0, skeleton_top1: 0 });
    expect(empty.intervals.ex).toEqual({ lo: 0, hi: 1 });
  });
});
