import { expect, test } from 'vitest';
import { corpusLabel, exampleQuestions, plural } from '../../src/ui/state/help.ts';
import type { Example, TableInfo } from '../../src/lib/types.ts';

const shopDdl = 'CREATE TABLE customers (id INTEGER, name TEXT);\nCREATE TABLE orders (id INTEGER, total REAL);';
const hrDdl = 'CREATE TABLE employees (id INTEGER, salary REAL);';
const ex = (id: string, dbId: string, question: string, schema?: string): Example => ({
  id,
  dbId,
  question,
  sql: 'SELECT 1',
  schema,
});
const shopTables: TableInfo[] = [
  { name: 'customers', columns: ['id', 'name'], types: ['INTEGER', 'TEXT'] },
  { name: 'orders', columns: ['id', 'total'], types: ['INTEGER', 'REAL'] },
];

test('example questions come from the corpus examples of the open database, matched by its file name', () => {
  const examples = [
    ex('a', 'hr', 'Who earns most?'),
    ex('b', 'concert_singer', 'How many singers do we have?'),
    ex('c', 'concert_singer', 'List every concert.'),
  ];
  const r = exampleQuestions(examples, { name: 'concert_singer.sqlite', tables: [] });
  expect(r).toEqual({ source: 'corpus', questions: ['How many singers do we have?', 'List every concert.'] });
});

test('without a matching id, the examples whose schema is made of this database’s tables are used', () => {
  const examples = [
    ex('a', 'hr', 'Who earns most?', hrDdl),
    ...Array.from({ length: 10 }, (_, i) => ex(`s${i}`, 'shop', `Shop question ${i}?`, shopDdl)),
  ];
  const r = exampleQuestions(examples, { name: 'Demo shop', tables: shopTables }, 4);
  expect(r.source).toBe('corpus');
  expect(r.questions).toHaveLength(4);
  for (const q of r.questions) expect(q).toMatch(/^Shop question \d\?$/);
  expect(new Set(r.questions).size).toBe(4);
  // spread over the list, not just the first four
  expect(r.questions).toContain('Shop question 0?');
  expect(r.questions).not.toContain('Shop question 1?');
});

test('a database the corpus does not know gets questions made from its tables', () => {
  const examples = [ex('a', 'hr', 'Who earns most?', hrDdl)];
  const r = exampleQuestions(examples, { name: 'mine.sqlite', tables: shopTables }, 4);
  expect(r.source).toBe('schema');
  expect(r.questions).toHaveLength(4);
  expect(r.questions).toContain('How many customers are there?');
  expect(r.questions).toContain('What is the average total of orders?');
  expect(r.questions.every((q) => !q.includes('Who earns'))).toBe(true);
  expect(exampleQuestions([], { name: 'empty.sqlite', tables: [] })).toEqual({ source: 'schema', questions: [] });
});

test('labels: plural forms and a corpus count shown once', () => {
  expect(plural(1, 'issue')).toBe('1 issue');
  expect(plural(2, 'issue')).toBe('2 issues');
  expect(plural(6726, 'row')).toBe('6,726 rows');
  expect(corpusLabel('Spider train (6,726)', 6726)).toBe('Spider train (6,726)');
  expect(corpusLabel('Demo examples', 267)).toBe('Demo examples (267)');
});
