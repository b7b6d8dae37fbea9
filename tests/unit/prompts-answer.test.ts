import { describe, expect, test } from 'vitest';
import {
  buildExplainPrompt,
  buildFollowUpPrompt,
  buildPrompt,
  summarizeResult,
  type FollowUpInput,
} from '../../src/lib/llm/prompts.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const tables: TableInfo[] = [
  { name: 'customers', columns: ['id', 'name', 'country', 'age'], types: ['INTEGER', 'TEXT', 'TEXT', 'INTEGER'] },
  { name: 'orders', columns: ['id', 'customer_id'], types: ['INTEGER', 'INTEGER'] },
];
const prev = {
  question: 'Which customers are there?',
  standalone: 'Which customers are there?',
  sql: 'SELECT name, country FROM customers',
  result: {
    columns: ['name', 'country'],
    rowCount: 40,
    rows: [
      ['Ana', 'France'],
      ['Bo', 'UK'],
      ['Cy', 'Spain'],
      ['Di', 'UK'],
    ],
  },
};
const input: FollowUpInput = {
  tables,
  examples: [
    { question: 'List orders', sql: 'SELECT * FROM orders' },
    { question: 'Count orders', sql: 'SELECT count(*) FROM orders' },
    { question: 'x', sql: 'SELECT 1' },
  ],
  previous: [prev],
  question: 'only those from France',
  standalone: 'Which customers are there? only those from France',
};

describe('explain prompts', () => {
  test('tiny-sql cannot explain: null (the app falls back to the rule-based explainer)', () => {
    expect(buildExplainPrompt('tiny-sql', { tables, sql: 'SELECT 1' })).toBeNull();
  });
  test('each instruction family gets its own template with the schema and the SQL', () => {
    for (const f of ['plain', 'mistral-inst', 'chatml'] as const) {
      const p = buildExplainPrompt(f, { tables, sql: 'SELECT name\nFROM customers', question: 'Names?' })!;
      expect(p.text).toContain('CREATE TABLE customers');
      expect(p.text).toContain('SELECT name\nFROM customers');
      expect(p.text).toContain('clause by clause');
      expect(p.text).toContain('### Question\nNames?');
    }
    expect(buildExplainPrompt('mistral-inst', { tables, sql: 'SELECT 1' })!.text).toMatch(
      /^\[INST\] [\s\S]* \[\/INST\]$/,
    );
    expect(buildExplainPrompt('chatml', { tables, sql: 'SELECT 1' })!.text).toMatch(/<\|im_start\|>assistant\n$/);
  });
});

describe('follow-up prompts', () => {
  test('tiny-sql: the previous turn is the first example, the question is self-contained, 3 examples at most', () => {
    const p = buildFollowUpPrompt('tiny-sql', input);
    expect(p.text).toBe(
      '### Schema\ncustomers(id, name, country, age)\norders(id, customer_id)\n### Examples\n' +
        'Q: Which customers are there?\nSQL: SELECT name, country FROM customers\n\n' +
        'Q: List orders\nSQL: SELECT * FROM orders\n\nQ: Count orders\nSQL: SELECT count(*) FROM orders\n\n' +
        '### Question\nWhich customers are there? only those from France\n### SQL\n',
    );
    expect(p.examplesUsed).toBe(2);
    // the plain ask prompt is unchanged
    expect(buildPrompt('tiny-sql', { tables, examples: [], question: 'q' }).text).toBe(
      '### Schema\ncustomers(id, name, country, age)\norders(id, customer_id)\n### Question\nq\n### SQL\n',
    );
  });

  test('instruction families carry the earlier question, its SQL and a result summary', () => {
    for (const f of ['plain', 'mistral-inst', 'chatml'] as const) {
      const p = buildFollowUpPrompt(f, input);
      expect(p.text).toContain('### Question\nWhich customers are there?');
      expect(p.text).toContain('SELECT name, country FROM customers');
      expect(p.text).toContain(
        "40 rows; columns: name, country; first rows: ('Ana', 'France'), ('Bo', 'UK'), ('Cy', 'Spain')",
      );
      expect(p.text).toContain('### Follow-up question\nonly those from France');
      expect(p.text).toContain('CREATE TABLE customers');
    }
    const chat = buildFollowUpPrompt('chatml', input).text;
    expect(chat).toContain('<|im_start|>assistant\nSELECT name, country FROM customers<|im_end|>');
    expect(chat.endsWith('<|im_start|>assistant\n')).toBe(true);
    const mis = buildFollowUpPrompt('mistral-inst', input).text;
    expect(mis).toMatch(/\[\/INST\] SELECT name, country FROM customers<\/s>\[INST\] /);
  });

  test('a chain keeps the last three turns; over budget the examples go first, then older turns', () => {
    const chain = {
      ...input,
      previous: [1, 2, 3, 4].map((i) => ({ question: `q${i}`, sql: `SELECT ${i} AS turn${i}`, result: null })),
    };
    const p = buildFollowUpPrompt('plain', chain);
    expect(p.text).not.toContain('turn1');
    expect(p.text).toContain('### Question\nq2');
    const words = (s: string) => s.split(/\s+/).length;
    const full = words(p.text);
    const cut = buildFollowUpPrompt('plain', chain, { countTokens: words, maxTokens: full - 20 });
    expect(cut.examplesUsed).toBeLessThan(3);
    const tight = buildFollowUpPrompt('plain', chain, { countTokens: words, maxTokens: full - 60 });
    expect(tight.examplesUsed).toBe(0);
    expect(tight.text).toContain('SELECT 4 AS turn4');
    expect(tight.cut).toMatch(/earlier turns left out/);
  });

  test('summaries: errors, empty results, long cells', () => {
    expect(summarizeResult({ error: 'no such column: x' })).toBe('the query failed: no such column: x');
    expect(summarizeResult({ result: { columns: ['n'], rowCount: 1, rows: [['x'.repeat(100)]] } })).toMatch(
      /^1 row; columns: n; first rows: \('x{38}…\)$/,
    );
  });
});

describe('follow-up of SQL written by hand', () => {
  test('tiny-sql uses the follow-up question for the example when the earlier turn had none', () => {
    const p = buildFollowUpPrompt('tiny-sql', {
      tables,
      examples: [],
      previous: [{ question: '', standalone: '', sql: 'SELECT name FROM customers', result: null }],
      question: 'sort by name',
      standalone: 'sort by name',
    });
    expect(p.text).toContain(
      '### Examples\nQ: sort by name\nSQL: SELECT name FROM customers\n\n### Question\nsort by name\n### SQL\n',
    );
    expect(
      buildFollowUpPrompt('plain', {
        tables,
        examples: [],
        previous: [{ question: '', sql: 'SELECT 1', result: null }],
        question: 'x',
      }).text,
    ).toContain('### Question\n(SQL written by hand)');
  });
});

describe('wrapInstruction (model-written training pairs)', () => {
  test('each instruction family gets its template; tiny-sql cannot follow instructions', async () => {
    const { wrapInstruction } = await import('../../src/lib/llm/prompts.ts');
    expect(wrapInstruction('tiny-sql', 'x')).toBeNull();
    expect(wrapInstruction('mistral-inst', 'Explain.')).toBe('[INST] Explain. [/INST]');
    const c = wrapInstruction('chatml', 'Explain.')!;
    expect(c).toMatch(
      /^<\|im_start\|>system\n.*<\|im_end\|>\n<\|im_start\|>user\nExplain\.<\|im_end\|>\n<\|im_start\|>assistant\n$/s,
    );
    expect(wrapInstruction('plain', 'Explain.')).toBe('Explain.\n\n### Answer\n');
  });
});
