import { describe, expect, test } from 'vitest';
import { maskQuestion, identWords } from '../../src/lib/retrieve/mask.ts';
import { rrf, skeletonSimilarity, mmr } from '../../src/lib/retrieve/rank.ts';
import { LexicalIndex } from '../../src/lib/retrieve/lexical.ts';
import { RETRIEVERS, Retrieval, lexicalFallback, parseRetriever } from '../../src/lib/retrieve/strategies.ts';
import type { Corpus, TableInfo } from '../../src/lib/types.ts';

const singer: TableInfo[] = [
  { name: 'singer', columns: ['Singer_ID', 'Name', 'Country', 'Song_Name', 'Age'] },
  { name: 'concert', columns: ['concert_ID', 'concert_Name', 'Stadium_ID', 'Year'] },
];

describe('masking', () => {
  test('identifier words', () => {
    expect(identWords('singer_in_concert')).toEqual(['singer', 'in', 'concert']);
    expect(identWords('songName')).toEqual(['song', 'name']);
  });
  test('schema mentions, numbers, strings and proper nouns are masked', () => {
    expect(maskQuestion('How many singers are from France and older than 30?', singer)).toBe(
      'How many [col] are from [val] and older than [num] ?'.replace(' ?', '?'),
    );
    expect(maskQuestion('Show the song names of concerts in "Glasgow"', singer)).toBe(
      'Show the [col] of [col] in [str]',
    );
    // Without a schema only values are masked.
    expect(maskQuestion('List singers older than 40')).toBe('List singers older than [num]');
  });
});

describe('ranking helpers', () => {
  test('reciprocal-rank fusion rewards agreement', () => {
    const fused = rrf([
      [
        { row: 1, score: 9 },
        { row: 2, score: 8 },
      ],
      [
        { row: 2, score: 5 },
        { row: 3, score: 4 },
      ],
    ]);
    expect(fused[0].row).toBe(2);
    expect(fused.map((h) => h.row).sort()).toEqual([1, 2, 3]);
  });
  test('skeleton similarity', () => {
    expect(skeletonSimilarity('SELECT c FROM c', 'SELECT c FROM c')).toBe(1);
    expect(skeletonSimilarity('SELECT c FROM c', 'SELECT c FROM c WHERE c = v')).toBeCloseTo(4 / 8, 5);
    expect(skeletonSimilarity('', 'SELECT c')).toBe(0);
  });
  test('mmr prefers diversity when lambda < 1', () => {
    const pool = [
      { row: 0, score: 1 },
      { row: 1, score: 0.99 },
      { row: 2, score: 0.5 },
    ];
    const same = (a: number, b: number) => (a < 2 && b < 2 ? 1 : 0);
    expect(mmr(pool, 2, same, 1).map((h) => h.row)).toEqual([0, 1]);
    expect(mmr(pool, 2, same, 0.5).map((h) => h.row)).toEqual([0, 2]);
  });
});

describe('strategies', () => {
  const corpus: Corpus = {
    name: 'c',
    hash: 'h',
    examples: [
      { id: 'a', dbId: 'pets', question: 'How many pets are there?', sql: 'SELECT count(*) FROM pets' },
      { id: 'b', dbId: 'pets', question: 'How many dogs do we have?', sql: 'SELECT count(*) FROM dogs' },
      { id: 'c', dbId: 'pets', question: 'List the names of all owners', sql: 'SELECT name FROM owners' },
      {
        id: 'd',
        dbId: 'pets',
        question: 'How many cats are older than 3?',
        sql: 'SELECT count(*) FROM cats WHERE age > 3',
      },
      {
        id: 'e',
        dbId: 'pets',
        question: 'Which owner has the most pets?',
        sql: 'SELECT owner FROM pets GROUP BY owner ORDER BY count(*) DESC LIMIT 1',
      },
    ],
    schemas: {
      pets: [
        { name: 'pets', columns: ['id', 'owner'] },
        { name: 'dogs', columns: ['id'] },
        { name: 'cats', columns: ['id', 'age'] },
        { name: 'owners', columns: ['name'] },
      ],
    },
  };
  test('bm25 finds lexical matches and honours exclusions', async () => {
    const r = new Retrieval({ corpus });
    const res = await r.retrieve('bm25', 'How many dogs are there?', 2);
    expect(res.hits[0].row).toBe(1);
    const ex = await r.retrieve('bm25', 'How many dogs are there?', 5, { exclude: [1] });
    expect(ex.hits.map((h) => h.row)).not.toContain(1);
  });
  test('vote returns distinct skeletons, most supported first', async () => {
    const r = new Retrieval({ corpus });
    const res = await r.retrieve('vote', 'How many singers are there?', 3, { tables: singer });
    const sk = res.hits.map((h) => corpus.examples[h.row].sql.replace(/FROM \w+/, 'FROM t'));
    expect(new Set(sk).size).toBe(sk.length);
    expect(corpus.examples[res.hits[0].row].sql).toMatch(/^SELECT count\(\*\) FROM \w+$/);
  });
  test('dense strategies need an embedder; names are validated', async () => {
    const r = new Retrieval({ corpus });
    await expect(r.retrieve('dense', 'x', 1)).rejects.toThrow(/needs an embedder/);
    expect(() => parseRetriever('nope')).toThrow(/unknown retriever/);
    expect(parseRetriever('vote+mmr')).toEqual({ base: 'vote', mmr: true });
  });
  test('without a dense side every strategy has a lexical stand-in that answers', async () => {
    const r = new Retrieval({ corpus });
    expect(r.hasDense).toBe(false);
    expect(lexicalFallback('dense')).toBe('bm25');
    expect(lexicalFallback('hybrid+mmr')).toBe('bm25+mmr');
    expect(lexicalFallback('masked-hybrid')).toBe('masked-bm25');
    expect(lexicalFallback('masked-dense')).toBe('masked-bm25');
    // vote and draft-rerank search a masked BM25 pool when there is no dense side
    expect(lexicalFallback('vote')).toBe('vote');
    for (const name of RETRIEVERS) {
      const res = await r.retrieve(lexicalFallback(name), 'How many singers are there?', 2, { tables: singer });
      expect(res.hits.length, name).toBeGreaterThan(0);
      expect(res.embedMs, name).toBe(0);
    }
  });
  test('lexical index tokens keep placeholders', () => {
    const l = new LexicalIndex(['how many [col] are there', 'list the [col] of [val]']);
    expect(l.search('[val]', 2)[0].row).toBe(1);
  });
});
