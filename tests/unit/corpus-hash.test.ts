import { describe, expect, test } from 'vitest';
import { corpusHash, fnv1a64Hex } from '../../src/lib/corpus/hash.ts';
import type { Example } from '../../src/lib/types.ts';

const base: Example[] = [
  { id: 'a-1', question: 'How many singers?', sql: 'SELECT count(*) FROM singer', dbId: 'concert_singer' },
  {
    id: 'a-2',
    question: 'Café names — ünïcode 🎵',
    sql: "SELECT name FROM cafe WHERE x = 'é'",
    schema: 'CREATE TABLE cafe (name TEXT, x TEXT);',
  },
];

describe('fnv1a64Hex', () => {
  test('matches the published FNV-1a 64 test vectors', () => {
    expect(fnv1a64Hex('')).toBe('cbf29ce484222325');
    expect(fnv1a64Hex('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex('foobar')).toBe('85944171f73967e8');
  });

  test('hashes UTF-8 bytes (reference values computed with Python)', () => {
    expect(fnv1a64Hex('héllo wörld €𝄞')).toBe('f205e74e6af01e33');
    // A lone surrogate is encoded as U+FFFD, like TextEncoder.
    expect(fnv1a64Hex('x\ud800y')).toBe('f4236479d8aa3f03');
    expect(fnv1a64Hex('x\ud800y')).toBe(fnv1a64Hex('x\ufffdy'));
  });
});

describe('corpusHash', () => {
  test('is pinned: the same algorithm gives the same value (Python reference)', () => {
    expect(corpusHash(base)).toBe('3eddc0c6600ad59a');
    expect(corpusHash([])).toBe('cbf29ce484222325');
  });

  test('is stable across calls and copies', () => {
    const copy = JSON.parse(JSON.stringify(base)) as Example[];
    expect(corpusHash(copy)).toBe(corpusHash(base));
    expect(corpusHash(base)).toBe(corpusHash(base));
    expect(corpusHash(base)).toMatch(/^[0-9a-f]{16}$/);
  });

  test('changes when any field of any example changes', () => {
    const h = corpusHash(base);
    const fields = ['id', 'question', 'sql', 'schema', 'dbId'] as const;
    const seen = new Set([h]);
    for (let i = 0; i < base.length; i++) {
      for (const f of fields) {
        const changed = base.map((e) => ({ ...e }));
        changed[i][f] = (changed[i][f] ?? '') + 'x';
        const h2 = corpusHash(changed);
        expect(h2, `example ${i} field ${f}`).not.toBe(h);
        seen.add(h2);
      }
    }
    expect(seen.size).toBe(1 + base.length * fields.length);
  });

  test('distinguishes absent from empty, field boundaries, and order', () => {
    const one: Example = { id: '1', question: 'ab', sql: 'c' };
    expect(corpusHash([one])).not.toBe(corpusHash([{ ...one, schema: '' }]));
    expect(corpusHash([one])).not.toBe(corpusHash([{ ...one, question: 'a', sql: 'bc' }]));
    expect(corpusHash([one])).not.toBe(corpusHash([{ ...one, schema: 'c', sql: '' }]));
    expect(corpusHash(base)).not.toBe(corpusHash([...base].reverse()));
    expect(corpusHash([one])).not.toBe(corpusHash([one, one]));
  });

  test('is fast enough for a 10k-example corpus', () => {
    const big: Example[] = Array.from({ length: 10_000 }, (_, i) => ({
      id: `g-${i}`,
      question: `What is the total of column ${i} in table t${i % 50}?`,
      sql: `SELECT SUM(c${i}) FROM t${i % 50} WHERE x > ${i}`,
      schema: `CREATE TABLE t${i % 50} (x INT, c${i} REAL, name TEXT);`,
    }));
    const t0 = performance.now();
    const h = corpusHash(big);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(h).toBe(corpusHash(big.map((e) => ({ ...e }))));
  });
});
