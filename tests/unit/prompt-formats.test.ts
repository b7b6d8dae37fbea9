/**
 * Contract suite: every prompt format in the registry, through the public prompt functions.
 * A new format joins these checks by being added to PROMPT_FORMATS.
 */
import { describe, expect, test } from 'vitest';
import { CPU_GENERATORS, WEBLLM_MODELS } from '../../src/lib/config.ts';
import { PROMPT_FORMATS, PROMPT_FORMAT_IDS, isPromptFormat, promptFormat } from '../../src/lib/llm/formats/index.ts';
import {
  buildExplainPrompt,
  buildFollowUpPrompt,
  buildPrompt,
  extractSql,
  oneLine,
  wrapInstruction,
  type FewShot,
  type FollowUpInput,
  type PromptBudget,
} from '../../src/lib/llm/prompts.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const tables: TableInfo[] = [
  {
    name: 'singer',
    columns: ['singer_id', 'name', 'country', 'song_name', 'song_release_year', 'age', 'is_male'],
    types: ['int', 'text', 'text', 'text', 'text', 'int', 'bool'],
  },
  { name: 'concert', columns: ['concert_id', 'concert_name', 'theme', 'stadium_id', 'year'] },
  { name: 'stadium', columns: ['stadium_id', 'location', 'name', 'capacity'] },
];
const examples: FewShot[] = [
  { question: 'How many concerts are there?', sql: 'SELECT count(*) FROM concert' },
  { question: 'Names of singers\nfrom France', sql: "SELECT name\n  FROM singer WHERE country = 'France'" },
  { question: 'Largest stadium', sql: 'SELECT name FROM stadium ORDER BY capacity DESC LIMIT 1' },
  { question: 'Concerts in 2014', sql: 'SELECT concert_name FROM concert WHERE year = 2014' },
];
const question = 'What is the average age of singers from Spain?';
const followUp: FollowUpInput = {
  tables,
  examples,
  previous: [
    {
      question: 'Which singers are there?',
      standalone: 'Which singers are there?',
      sql: 'SELECT name, country FROM singer',
      result: {
        columns: ['name', 'country'],
        rowCount: 2,
        rows: [
          ['Joe', 'UK'],
          ['Ann', 'Peru'],
        ],
      },
    },
    {
      question: 'only the older ones',
      standalone: 'Which singers are there? only the older ones',
      sql: 'SELECT name FROM singer WHERE age > 40',
      result: null,
      error: 'no such column: agee',
    },
  ],
  question: 'sort them by name',
  standalone: 'Which singers are there? only the older ones, sorted by name',
};
/** A stand-in tokenizer: one token per whitespace-separated word. */
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const budget = (maxTokens: number): PromptBudget => ({ countTokens: words, maxTokens });

test('the registry is keyed by each record id and covers every format the model registry uses', () => {
  expect(PROMPT_FORMAT_IDS.length).toBeGreaterThanOrEqual(4);
  for (const id of PROMPT_FORMAT_IDS) {
    expect(PROMPT_FORMATS[id].id).toBe(id);
    expect(promptFormat(id)).toBe(PROMPT_FORMATS[id]);
    expect(isPromptFormat(id)).toBe(true);
  }
  for (const m of [...CPU_GENERATORS, ...WEBLLM_MODELS]) expect(isPromptFormat(m.format)).toBe(true);
  for (const bad of ['llama-3', '', 'toString', 'constructor', 42, null, undefined])
    expect(isPromptFormat(bad)).toBe(false);
  expect(() => promptFormat('llama-3' as never)).toThrow(/unknown prompt format "llama-3"/);
});

describe.each(PROMPT_FORMAT_IDS)('prompt format %s', (id) => {
  const f = PROMPT_FORMATS[id];

  test('optional parts are present exactly when the capabilities say so', () => {
    expect(typeof f.explain === 'function').toBe(f.canExplain);
    expect(typeof f.instruct === 'function').toBe(f.canFollowInstructions);
    expect(typeof f.build).toBe('function');
    expect(typeof f.followUp).toBe('function');
    expect(typeof f.extract).toBe('function');
    expect(f.followUpWindow.turns).toBeGreaterThanOrEqual(1);
    expect(f.description.length).toBeGreaterThan(0);
    const explained = buildExplainPrompt(id, { tables, sql: 'SELECT name FROM singer', question });
    expect(explained === null).toBe(!f.canExplain);
    const wrapped = wrapInstruction(id, 'List three SQL keywords.');
    expect(wrapped === null).toBe(!f.canFollowInstructions);
    if (wrapped !== null) expect(wrapped).toContain('List three SQL keywords.');
  });

  test('a prompt carries every table, every example (on one line) and the question', () => {
    const p = buildPrompt(id, { tables, examples, question: `  ${question}\n` });
    expect(p.format).toBe(id);
    expect(p.examplesUsed).toBe(examples.length);
    expect(p.cut).toBeUndefined();
    for (const t of tables) expect(p.text).toContain(t.name);
    for (const c of tables[0].columns) expect(p.text).toContain(c);
    for (const e of examples) {
      expect(p.text).toContain(oneLine(e.question));
      expect(p.text).toContain(oneLine(e.sql));
    }
    expect(p.text).toContain(question);
    // examples keep their order: most similar first
    const at = examples.map((e) => p.text.indexOf(oneLine(e.sql)));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    // deterministic, and the no-RAG baseline is the same template without examples
    expect(buildPrompt(id, { tables, examples, question }).text).toBe(p.text);
    const zero = buildPrompt(id, { tables, examples: [], question });
    expect(zero.examplesUsed).toBe(0);
    for (const e of examples) expect(zero.text).not.toContain(oneLine(e.sql));
    expect(zero.text.length).toBeLessThan(p.text.length);
  });

  test('over budget: examples are dropped (least similar first) before the schema is cut', () => {
    const full = buildPrompt(id, { tables, examples, question });
    const bare = buildPrompt(id, { tables, examples: [], question });
    const n = words(full.text);
    let sawPartial = false;
    for (let max = n; max >= words(bare.text); max--) {
      const p = buildPrompt(id, { tables, examples, question }, budget(max));
      expect(words(p.text)).toBeLessThanOrEqual(max);
      expect(p.cut).toBeUndefined();
      // the examples kept are the first ones
      expect(p.text).toBe(buildPrompt(id, { tables, examples: examples.slice(0, p.examplesUsed), question }).text);
      if (p.examplesUsed > 0 && p.examplesUsed < examples.length) sawPartial = true;
    }
    expect(sawPartial).toBe(true);
    // below the bare prompt: no example left, and the schema is cut to fit
    const tight = buildPrompt(id, { tables, examples, question }, budget(words(bare.text) - 6));
    expect(tight.examplesUsed).toBe(0);
    expect(tight.cut).toMatch(/schema cut to fit the context/);
    expect(words(tight.text)).toBeLessThanOrEqual(words(bare.text) - 6);
    expect(tight.text).toContain(question);
    // the input is not modified by cutting
    expect(tables[0].columns).toHaveLength(7);
  });

  test('extract round-trips the SQL of an example answer', () => {
    const p = buildPrompt(id, { tables, examples, question });
    // a structured request is not continued by a model: its reply is the SQL alone
    if (f.structured) {
      for (const e of examples) expect(extractSql(id, `  ${oneLine(e.sql)}\n`)).toBe(oneLine(e.sql));
      return;
    }
    for (const e of examples) {
      const sql = oneLine(e.sql);
      // what follows an example's SQL in the prompt is what a model continues with after it
      const reply = p.text.slice(p.text.indexOf(sql));
      expect(extractSql(id, reply)).toBe(sql);
      expect(extractSql(id, sql)).toBe(sql);
      expect(extractSql(id, `${sql}\n`)).toBe(sql);
    }
  });

  test('the stopping rule matches what extract keeps', () => {
    const reply = 'SELECT name FROM singer\nWHERE age > 40';
    if (f.stopAtNewline) expect(extractSql(id, reply)).toBe('SELECT name FROM singer');
    else expect(extractSql(id, reply)).toBe(reply);
  });

  test('a follow-up carries the followed-up SQL and the follow-up, within its window and budget', () => {
    const p = buildFollowUpPrompt(id, followUp);
    expect(p.format).toBe(id);
    expect(p.text).toContain('SELECT name FROM singer WHERE age > 40');
    if (f.showsConversation) {
      expect(p.text).toContain(followUp.question);
      expect(p.text).toContain('no such column: agee');
    } else {
      expect(p.text).toContain(followUp.standalone);
      expect(p.text).not.toContain('no such column: agee');
    }
    const turnsShown = followUp.previous.filter((t) => p.text.includes(t.sql)).length;
    expect(turnsShown).toBe(Math.min(f.followUpWindow.turns, followUp.previous.length));
    const cap = f.followUpWindow.examplesWithTurn ?? examples.length;
    expect(p.examplesUsed).toBe(Math.min(cap, examples.length));
    // over budget: examples first, then earlier turns; the followed-up turn always stays
    const full = words(p.text);
    for (let max = full; max > full - 120; max -= 3) {
      const q = buildFollowUpPrompt(id, followUp, budget(max));
      expect(q.text).toContain('SELECT name FROM singer WHERE age > 40');
      if (words(q.text) > max) expect(q.cut).toMatch(/schema cut/);
      if (q.cut) expect(q.examplesUsed).toBe(0);
    }
    // a follow-up of nothing is a plain question with the examples
    const none = buildFollowUpPrompt(id, { ...followUp, previous: [] });
    expect(none.examplesUsed).toBe(examples.length);
    expect(none.text).toContain(f.showsConversation ? followUp.question : followUp.standalone!);
  });

  test.runIf(f.canExplain)('an explain prompt carries the schema, the SQL as written and the question', () => {
    const sql = 'SELECT name\nFROM singer\nWHERE age > 40';
    const p = buildExplainPrompt(id, { tables, sql: `\n${sql}  `, question: 'Older\nsingers?' })!;
    expect(p.examplesUsed).toBe(0);
    expect(p.text).toContain(sql);
    expect(p.text).toContain('Older singers?');
    for (const t of tables) expect(p.text).toContain(t.name);
    const n = words(p.text);
    const cut = buildExplainPrompt(id, { tables, sql, question: 'Older singers?' }, budget(n - 10))!;
    expect(words(cut.text)).toBeLessThanOrEqual(n - 10);
    expect(cut.cut).toMatch(/schema cut/);
    expect(cut.text).toContain(sql);
  });
});
