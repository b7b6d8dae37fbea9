/** Simple edits of example SQL and the shape cues that rank templates against a question. */
import { describe, expect, test } from 'vitest';
import { simpleEdits } from '../../src/lib/instant/edits.ts';
import { shapeScore } from '../../src/lib/instant/cues.ts';
import { questionWords } from '../../src/lib/link/words.ts';

describe('simpleEdits', () => {
  test('DISTINCT toggled and the last selected column dropped', () => {
    expect(simpleEdits('SELECT name, age FROM singer WHERE x = 1')).toEqual([
      'SELECT DISTINCT name, age FROM singer WHERE x = 1',
      'SELECT name FROM singer WHERE x = 1',
    ]);
    expect(simpleEdits('SELECT DISTINCT T1.name FROM a AS T1')).toEqual(['SELECT T1.name FROM a AS T1']);
    expect(simpleEdits('SELECT count(*), max(x) FROM t GROUP BY y')).toContain('SELECT count(*) FROM t GROUP BY y');
  });
  test('compound queries and junk give no edits', () => {
    expect(simpleEdits('SELECT a FROM t UNION SELECT b FROM u')).toEqual([]);
    expect(simpleEdits('')).toEqual([]);
    expect(simpleEdits('not sql')).toEqual([]);
  });
});

describe('shapeScore', () => {
  const score = (sql: string, q: string) => shapeScore(sql, questionWords(q), q);
  test('"how many" prefers a COUNT answer', () => {
    const q = 'How many singers are from France?';
    expect(score('SELECT count(*) FROM t WHERE a = 1', q).score).toBeGreaterThan(
      score('SELECT a FROM t WHERE b = 1', q).score,
    );
    expect(score('SELECT count(*) FROM t', q).f.count).toBeGreaterThan(0);
  });
  test('COUNT only in ORDER BY is not a count answer', () => {
    const f = score(
      'SELECT a FROM t GROUP BY a ORDER BY count(*) DESC LIMIT 1',
      'Which country has the most singers?',
    ).f;
    expect(f.count).toBe(0);
    expect(f.extreme).toBeGreaterThan(0);
  });
  test('averages, negations, DISTINCT and GROUP BY cues', () => {
    expect(score('SELECT avg(a) FROM t', 'What is the average age?').f.avg).toBeGreaterThan(0);
    expect(score('SELECT a FROM t', 'What is the average age?').f.avg).toBeLessThan(0);
    expect(
      score('SELECT a FROM t WHERE id NOT IN (SELECT id FROM u)', 'Singers that did not sing').f.negation,
    ).toBeGreaterThan(0);
    expect(score('SELECT DISTINCT a FROM t', 'List the different countries').f.distinct).toBeGreaterThan(0);
    expect(score('SELECT a, count(*) FROM t GROUP BY a', 'Count the singers in each country').f.group).toBeGreaterThan(
      0,
    );
    expect(score('SELECT a FROM t', 'Count the singers in each country').f.group).toBeLessThan(0);
  });
});
