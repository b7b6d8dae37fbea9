/**
 * Voting over executed candidates (src/lib/vote/vote.ts) with results from a real sql.js
 * database: EX grouping (ordered vs unordered, NULLs, floats), weights and the tie rule, and the
 * exact McNemar test used by the eval.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import initSqlJs from 'sql.js';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import {
  EMPTY_FACTOR,
  SOURCE_WEIGHTS,
  confidence,
  groupCandidates,
  prepareVote,
  vote,
  type Candidate,
  type CandidateSource,
  type ExecutedCandidate,
} from '../../src/lib/vote/vote.ts';
import { mcnemarExact } from '../../src/lib/eval/stats.ts';

let engine: SqlEngine;

beforeAll(async () => {
  engine = new SqlEngine(await initSqlJs());
  engine.open({
    kind: 'sql',
    name: 'shop',
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, price REAL, note TEXT);
          INSERT INTO t VALUES (1, 'a', 0.1, NULL), (2, 'b', 0.2, 'x'), (3, 'c', 0.3, NULL);`,
  });
});

function exec(sql: string, source: CandidateSource = 'sample', score?: number): ExecutedCandidate {
  const c: Candidate = { sql, source, ...(score !== undefined ? { score } : {}) };
  try {
    return { ...c, outcome: { ok: true, result: engine.exec(sql) } };
  } catch (e) {
    return { ...c, outcome: { ok: false, error: (e as Error).message } };
  }
}

describe('grouping by the EX rule', () => {
  test('unordered queries with the same rows in another order agree', () => {
    const g = groupCandidates([
      exec('SELECT name FROM t'),
      exec('SELECT name FROM t ORDER BY id DESC LIMIT 3 OFFSET 0'),
    ]);
    // The second orders, the first does not: by EX they agree, so one group holds both.
    expect(g).toHaveLength(1);
    expect(g[0].members).toEqual([0, 1]);
  });

  test('two ordered queries with different orders do not agree; an unordered one joins both', () => {
    const cands = [
      exec('SELECT name FROM t ORDER BY id'),
      exec('SELECT name FROM t ORDER BY id DESC'),
      exec('SELECT name FROM t'),
    ];
    const g = groupCandidates(cands);
    expect(g).toHaveLength(2);
    expect(g.map((x) => x.members)).toEqual([
      [0, 2],
      [1, 2],
    ]);
    // The shown result of each subgroup is its ordered member's order.
    expect(g[0].result.rows.map((r) => r[0])).toEqual(['a', 'b', 'c']);
    expect(g[1].result.rows.map((r) => r[0])).toEqual(['c', 'b', 'a']);
  });

  test('duplicates count: a multiset with a repeated row differs from the set', () => {
    const g = groupCandidates([exec('SELECT 1 FROM t'), exec('SELECT DISTINCT 1 FROM t')]);
    expect(g).toHaveLength(2);
  });

  test('NULL equals NULL, but not 0 or the text NULL', () => {
    const g = groupCandidates([
      exec('SELECT note FROM t WHERE id = 1'),
      exec('SELECT NULL'),
      exec('SELECT 0'),
      exec("SELECT 'NULL'"),
    ]);
    const withNull = g.find((x) => x.members.includes(0))!;
    expect(withNull.members).toEqual([0, 1]);
    expect(g).toHaveLength(3);
  });

  test('floats compare by value after rounding: 0.1 + 0.2 equals 0.3, 0.3001 does not', () => {
    const g = groupCandidates([
      exec('SELECT price + 0.2 FROM t WHERE id = 1'),
      exec('SELECT 0.3'),
      exec('SELECT 0.3001'),
      exec('SELECT 3'),
    ]);
    expect(g.find((x) => x.members.includes(0))!.members).toEqual([0, 1]);
    expect(g).toHaveLength(3);
  });

  test('integers equal their float form; text never equals a number', () => {
    const g = groupCandidates([exec('SELECT COUNT(*) FROM t'), exec('SELECT 3.0'), exec("SELECT '3'")]);
    expect(g.find((x) => x.members.includes(0))!.members).toEqual([0, 1]);
  });

  test('column count matters (even for empty results), column names do not', () => {
    const g = groupCandidates([
      exec('SELECT id AS x FROM t WHERE id > 10'),
      exec('SELECT name FROM t WHERE id > 10'),
      exec('SELECT id, name FROM t WHERE id > 10'),
    ]);
    expect(g.map((x) => x.members.length).sort()).toEqual([1, 2]);
  });

  test('failed candidates are in no group', () => {
    const cands = [exec('SELECT nope FROM t'), exec('SELECT name FROM t')];
    expect(cands[0].outcome.ok).toBe(false);
    const g = groupCandidates(cands);
    expect(g).toHaveLength(1);
    expect(g[0].members).toEqual([1]);
  });
});

describe('voting: weights and the tie rule', () => {
  test('the larger group wins and the agreement counts every candidate, failed ones too', () => {
    const v = vote([
      exec('SELECT name FROM t WHERE id = 2', 'greedy'),
      exec("SELECT name FROM t WHERE name = 'a'"),
      exec('SELECT name FROM t WHERE id = 1'),
      exec('SELECT missing FROM t'),
    ]);
    expect(v.winner!.members).toEqual([1, 2]);
    expect(v.agree).toBe(2);
    expect(v.total).toBe(4);
    expect(v.executed).toBe(3);
    const w = SOURCE_WEIGHTS.sample;
    // the failed sample counts in the denominator at its nominal weight
    expect(v.share).toBeCloseTo((2 * w) / (3 * w + SOURCE_WEIGHTS.greedy), 9);
  });

  test('weights decide before counts: a near same-database example outweighs a lone low-weight candidate', () => {
    const v = vote([
      exec('SELECT name FROM t WHERE id = 3', 'instant', 0.2),
      exec('SELECT name FROM t WHERE id = 1', 'example', 0.99),
    ]);
    expect(v.winner!.members).toEqual([1]);
  });

  test('equal weight and size: the group with the greedy candidate wins, wherever it sits', () => {
    const a = vote([
      exec('SELECT 1', 'sample'),
      exec('SELECT 2', 'sample'),
      exec('SELECT 2', 'greedy'),
      exec('SELECT 1', 'greedy'),
    ]);
    // both groups {sample, greedy}: same weight and size; both hold a greedy, so the earliest wins
    expect(a.winner!.members).toEqual([0, 3]);
    const b = vote([exec('SELECT 1', 'sample'), exec('SELECT 2', 'sample')]);
    expect(b.winner!.members).toEqual([0]);
    const c = vote([exec('SELECT 1', 'repair'), exec('SELECT 2', 'sample'), exec('SELECT 2', 'greedy', 0.8)]);
    // {repair 0.8} vs {sample 0.8, greedy 0.8}: the larger weight wins
    expect(c.winner!.members).toEqual([1, 2]);
  });

  test('greedy breaks an exact tie of weight and size', () => {
    const v = vote([exec('SELECT 1', 'sample'), exec('SELECT 2', 'greedy', SOURCE_WEIGHTS.sample)]);
    expect(v.winner!.members).toEqual([1]);
  });

  test('an empty result counts less, and loses an exact tie to a non-empty one', () => {
    const empty = exec('SELECT name FROM t WHERE id > 100', 'greedy');
    const v = vote([
      empty,
      exec('SELECT name FROM t WHERE id = 1', 'sample', (SOURCE_WEIGHTS.greedy * EMPTY_FACTOR) / SOURCE_WEIGHTS.sample),
    ]);
    expect(v.groups[0].weight).toBeCloseTo(v.groups[1].weight, 12);
    expect(v.winner!.empty).toBe(false);
    expect(v.winner!.members).toEqual([1]);
  });

  test('nothing executed: no winner, share 0', () => {
    const v = vote([exec('SELECT x FROM nowhere', 'greedy')]);
    expect(v.winner).toBeNull();
    expect(v.share).toBe(0);
    expect(v.agree).toBe(0);
  });
});

describe('prepareVote: keys ahead of the vote, a slice at a time', () => {
  test('pauses between slices of a large result and leaves the grouping unchanged', async () => {
    const big =
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT i, i * 0.5 FROM n';
    const cands = [exec(big), exec(`${big} ORDER BY i DESC`), exec(big.replace('i * 0.5', 'i * 0.25'))];
    const before = groupCandidates(cands).map((g) => g.members);
    let pauses = 0;
    await prepareVote([exec(big), exec(`${big} ORDER BY i DESC`), exec(big.replace('i * 0.5', 'i * 0.25'))], {
      sliceRows: 1000,
      pause: async () => void pauses++,
    });
    expect(pauses).toBeGreaterThanOrEqual(3 * 5);
    const fresh = [exec(big), exec(`${big} ORDER BY i DESC`), exec(big.replace('i * 0.5', 'i * 0.25'))];
    await prepareVote(fresh, { sliceRows: 1000, pause: async () => {} });
    expect(groupCandidates(fresh).map((g) => g.members)).toEqual(before);
    expect(before).toEqual([[0, 1], [2]]);
  });

  test('results alone in their shape need no keys and no pause', async () => {
    let pauses = 0;
    await prepareVote([exec('SELECT name FROM t'), exec('SELECT id, name FROM t')], {
      sliceRows: 1,
      pause: async () => void pauses++,
    });
    expect(pauses).toBe(0);
  });
});

describe('confidence', () => {
  test('grows with agreement and similarity, drops for an empty result, stays in 0..1', () => {
    const base = confidence({ agreement: 0.6, similarity: 0.5, empty: false });
    expect(confidence({ agreement: 1, similarity: 0.5, empty: false })).toBeGreaterThan(base);
    expect(confidence({ agreement: 0.6, similarity: 0.9, empty: false })).toBeGreaterThan(base);
    expect(confidence({ agreement: 0.6, similarity: 0.5, empty: true })).toBeLessThan(base);
    expect(confidence({ agreement: 5, similarity: 5, empty: false })).toBe(1);
    expect(confidence({ agreement: 0, similarity: 0, empty: true })).toBe(0);
  });
});

describe('mcnemarExact', () => {
  test('matches binomial tail sums computed by hand', () => {
    expect(mcnemarExact(0, 0)).toBe(1);
    // b=0, c=5: 2 * 0.5^5
    expect(mcnemarExact(0, 5)).toBeCloseTo(0.0625, 12);
    // b=1, c=9: 2 * (1 + 10) / 1024
    expect(mcnemarExact(1, 9)).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(9, 1)).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(5, 5)).toBe(1);
  });

  test('stays finite and small for large unbalanced counts', () => {
    const p = mcnemarExact(20, 80);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-8);
  });
});
