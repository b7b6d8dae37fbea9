/** Reading a code question set, and checking its gold symbols against a collection's chunks. */
import { describe, expect, test } from 'vitest';
import { goldFileShare, missingGold, parseCodeQuestions } from '../../src/lib/code/questions.ts';

const chunk = (path: string, ...symbols: string[]) => ({ path, symbols });

describe('parseCodeQuestions', () => {
  test('reads questions, normalises gold paths, keeps known kinds only', () => {
    const qs = parseCodeQuestions(
      JSON.stringify({
        questions: [
          { id: 'x', question: 'q1', kind: 'text-code', gold: [{ path: './src/a.ts', symbol: 'f' }] },
          { question: 'q2', kind: 'nonsense', gold: [] },
        ],
      }),
      'f.json',
    );
    expect(qs).toEqual([
      { id: 'x', question: 'q1', kind: 'text-code', gold: [{ path: 'src/a.ts', symbol: 'f' }] },
      { id: '2', question: 'q2', gold: [] },
    ]);
  });

  test.each([
    ['nope', /f\.json: not JSON/],
    ['[]', /expected \{"questions"/],
    ['{"questions": []}', /empty/],
    ['{"questions": [{"question": "", "gold": []}]}', /question 1 needs "question"/],
    ['{"questions": [{"question": "a", "gold": [{"path": "a.ts"}]}]}', /question 1, gold 1: needs "path" and "symbol"/],
    [
      '{"questions": [{"id": "a", "question": "a", "gold": []}, {"id": "a", "question": "b", "gold": []}]}',
      /"a" is used twice/,
    ],
  ])('refuses %s with a clear message', (text, msg) => {
    expect(() => parseCodeQuestions(text, 'f.json')).toThrow(msg);
  });
});

test('missingGold lists the gold symbols no chunk covers; a method covers its class', () => {
  const chunks = [chunk('a.ts', 'Retrieval', 'Retrieval.retriever'), chunk('b.md', 'Guide', 'Guide.Install')];
  const qs = [
    { id: '1', question: 'x', gold: [{ path: 'a.ts', symbol: 'Retrieval' }] },
    {
      id: '2',
      question: 'y',
      gold: [
        { path: 'a.ts', symbol: 'gone' },
        { path: 'c.ts', symbol: 'f' },
      ],
    },
    { id: '3', question: 'z', gold: [] },
  ];
  expect(missingGold(chunks, qs)).toEqual([
    { id: '2', path: 'a.ts', symbol: 'gone', fileIndexed: true },
    { id: '2', path: 'c.ts', symbol: 'f', fileIndexed: false },
  ]);
  expect(goldFileShare(qs, ['a.ts'])).toBe(0.5);
  expect(goldFileShare(qs, ['a.ts', 'c.ts'])).toBe(1);
});
