/**
 * draft-rerank with a drafter (issue 12 item 4): the pool is reranked by similarity to the
 * drafter's SQL skeleton (the instant generator in the app and the eval); without a draft (no
 * database, an abstention, a failure) it falls back to the pool's top-1 example.
 */
import { describe, expect, test } from 'vitest';
import { Retrieval, type Drafter } from '../../src/lib/retrieve/strategies.ts';
import { makeCorpus } from './ui-fakes.ts';

const corpus = makeCorpus('c', [
  ['How many singers are there?', 'SELECT count(*) FROM singer'],
  ['How many singers are from France?', "SELECT count(*) FROM singer WHERE country = 'France'"],
  ['List the singers from France by age', "SELECT name FROM singer WHERE country = 'France' ORDER BY age"],
  ['How many singers are there for every country?', 'SELECT country, count(*) FROM singer GROUP BY country'],
]);
const tables = [{ name: 'singer', columns: ['name', 'country', 'age'] }];

describe('draft-rerank with a drafter', () => {
  test("the draft's skeleton decides the order; the drafter gets the question, tables and examples", async () => {
    const seen: Parameters<Drafter>[] = [];
    const draft: Drafter = async (req, o) => {
      seen.push([req, o]);
      return 'SELECT x, count(*) FROM t GROUP BY x';
    };
    const q = 'How many singers are there in each country?';
    const rankOfGroup = (hits: { row: number }[]) => hits.findIndex((h) => h.row === 3);
    const plain = await new Retrieval({ corpus }).retrieve('draft-rerank', q, 4, { tables, dbId: 'db1' });
    const res = await new Retrieval({ corpus, draft }).retrieve('draft-rerank', q, 4, { tables, dbId: 'db1' });
    // the GROUP BY example moves up once the draft has its shape
    expect(rankOfGroup(res.hits)).toBeLessThan(rankOfGroup(plain.hits));
    expect(seen).toHaveLength(1);
    expect(seen[0][0].question).toBe('How many singers are there in each country?');
    expect(seen[0][0].tables).toEqual(tables);
    expect(seen[0][0].examples.length).toBeGreaterThan(0);
    expect(seen[0][1].dbId).toBe('db1');
  });

  test('no draft (null, a failure, or no tables): the pool top-1 stand-in, as without a drafter', async () => {
    const q = 'How many singers are from France?';
    const plain = await new Retrieval({ corpus }).retrieve('draft-rerank', q, 3, { tables });
    for (const draft of [async () => null, async () => Promise.reject(new Error('boom'))] as Drafter[]) {
      const res = await new Retrieval({ corpus, draft }).retrieve('draft-rerank', q, 3, { tables });
      expect(res.hits.map((h) => h.row)).toEqual(plain.hits.map((h) => h.row));
    }
    let called = 0;
    const counting: Drafter = async () => (called++, 'SELECT a FROM b');
    await new Retrieval({ corpus, draft: counting }).retrieve('draft-rerank', q, 3, {});
    expect(called).toBe(0);
  });
});
