/**
 * Schema pruning and value hints in prompts (src/lib/llm/prune.ts through buildPrompt), with
 * links computed by the real linker on real databases: the demo shop (always), a Spider dev
 * database and the real tiny-sql-lm tokenizer (skipped, with a message, without ../shared).
 * Expected tables and join paths were checked by hand against the schemas.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadCpuGenerator, localModelsDir, sqlJs } from '../../src/node/host.ts';
import { SqlEngine } from '../../src/lib/sql/engine.ts';
import { linkSchema, type SchemaLinks } from '../../src/lib/link/index.ts';
import { PROMPT_FORMAT_IDS, promptFormat } from '../../src/lib/llm/formats/index.ts';
import {
  buildFollowUpPrompt,
  buildPrompt,
  leftOutGroups,
  type FewShot,
  type PromptBudget,
} from '../../src/lib/llm/prompts.ts';
import { tablePriority, valueHints } from '../../src/lib/llm/prune.ts';
import { promptLinker } from '../../src/lib/rag/linking.ts';
import { ask } from '../../src/lib/rag/pipeline.ts';
import type { TableInfo } from '../../src/lib/types.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const shopSql = readFileSync(resolve(repoRoot, 'static-data/demo/shop.sql'), 'utf8');
const spiderDb = resolve(repoRoot, '../shared/data/spider/database');
const noSpider = !existsSync(resolve(spiderDb, 'student_transcripts_tracking/student_transcripts_tracking.sqlite'));
if (noSpider)
  console.warn(`prompt-prune: Spider tests skipped, ${spiderDb} not found (needs ../shared beside the repo)`);
const models = localModelsDir();
const noTiny = !models || !existsSync(resolve(models, 'tiny-sql-lm'));
if (noTiny) console.warn('prompt-prune: real-tokenizer tests skipped, tiny-sql-lm not found in ../shared/models');

async function openSql(sql: string): Promise<{ db: SqlEngine; tables: TableInfo[] }> {
  const db = new SqlEngine(await sqlJs());
  return { db, tables: db.open({ kind: 'sql', sql, name: 'x' }).tables };
}

/** A stand-in token count (about 4 characters a token): a budget the tests can set exactly. */
const count = (t: string) => Math.ceil(t.length / 4);
const budget = (maxTokens: number): PromptBudget => ({ countTokens: count, maxTokens, contextTokens: maxTokens });

const examples: FewShot[] = [
  { question: 'How many heads are older than 56?', sql: 'SELECT count(*) FROM head WHERE age > 56' },
  { question: 'Names of singers from France', sql: "SELECT name FROM singer WHERE country = 'France'" },
  { question: 'Largest stadium', sql: 'SELECT name FROM stadium ORDER BY capacity DESC LIMIT 1' },
];

/** Table names of a tiny-sql prompt's schema block, in order. */
function tinySchemaTables(text: string): string[] {
  const schema = text.slice('### Schema\n'.length, text.indexOf('\n### '));
  return schema.split('\n').map((l) => l.slice(0, l.indexOf('(')));
}

/** The README's reference construction of a tiny-sql-lm prompt (../shared/models/tiny-sql-lm/README.md). */
function readmePrompt(tables: TableInfo[], ex: FewShot[], question: string): string {
  const schema = tables.map((t) => `${t.name}(${t.columns.join(', ')})`).join('\n');
  const e = ex.map((x) => `Q: ${x.question}\nSQL: ${x.sql}\n\n`).join('');
  return `### Schema\n${schema}\n` + (e ? `### Examples\n${e}` : '') + `### Question\n${question}\n### SQL\n`;
}

describe('the demo shop', () => {
  const question = 'Which customers from Germany gave a rating of 5?';

  test('linked tables first, then their join partners, then the rest', async () => {
    const { db, tables } = await openSql(shopSql);
    const links = await linkSchema(question, tables, db);
    const p = tablePriority(tables, links);
    // customers by name and by the value Germany, reviews by its column rating
    expect(new Set(p.core)).toEqual(new Set(['customers', 'reviews']));
    // orders refers to customers, reviews to products; order_items joins neither linked table
    expect(p.role.get('orders')).toBe('partner');
    expect(p.role.get('products')).toBe('partner');
    expect(p.role.get('order_items')).toBe('other');
    expect(p.order.at(-1)).toBe('order_items');
    expect(valueHints(links)).toContainEqual({ table: 'customers', column: 'country', value: 'Germany' });
  });

  test('a table on the join path between two linked tables is kept with them', async () => {
    const { db, tables } = await openSql(shopSql);
    const links = await linkSchema('What is the average price of the products that Oliver Clarke bought?', tables, db);
    const p = tablePriority(tables, links);
    expect(p.role.get('products')).toBe('linked');
    expect(p.role.get('customers')).toBe('linked'); // the value Oliver Clarke
    // customers -> reviews -> products is the shortest path (2 joins)
    expect(p.core).toContain('reviews');
  });

  test('over budget, the unlinked table goes first and the examples stay', async () => {
    const { db, tables } = await openSql(shopSql);
    const links = await linkSchema(question, tables, db);
    for (const format of PROMPT_FORMAT_IDS) {
      const full = buildPrompt(format, { tables, examples, question, links });
      expect(full.pruned, format).toBeUndefined();
      const max = count(full.text) - 1;
      const tight = buildPrompt(format, { tables, examples, question, links }, budget(max));
      expect(count(tight.text), format).toBeLessThanOrEqual(max);
      expect(tight.examplesUsed, format).toBe(examples.length);
      expect(tight.pruned?.left, format).toEqual([{ table: 'order_items', role: 'other' }]);
      expect(tight.pruned?.kept).toBe(4);
      expect(tight.pruned?.reason).toBe(`the schema did not fit ${max.toLocaleString('en-US')} tokens`);
      expect(leftOutGroups(tight.pruned!.left)).toEqual([
        { why: 'not linked to the question', tables: ['order_items'] },
      ]);
      expect(tight.cut).toMatch(/1 of 5 tables left out/);
      // the blind cut (no links) drops examples first instead
      const bare = buildPrompt(format, { tables, examples, question }).text; // no hints
      const blind = buildPrompt(format, { tables, examples, question }, budget(count(bare) - 1));
      expect(blind.examplesUsed, format).toBeLessThan(examples.length);
      expect(blind.pruned).toBeUndefined();
    }
  });

  test('tiny-sql keeps its exact format when pruning: schema order, no hints', async () => {
    const { db, tables } = await openSql(shopSql);
    const links = await linkSchema(question, tables, db);
    const full = buildPrompt('tiny-sql', { tables, examples, question, links });
    const tight = buildPrompt('tiny-sql', { tables, examples, question, links }, budget(count(full.text) - 1));
    const kept = tables.filter((t) => t.name !== 'order_items');
    expect(tight.text).toBe(readmePrompt(kept, examples, question));
    expect(tinySchemaTables(tight.text)).toEqual(['customers', 'products', 'orders', 'reviews']);
    expect(tight.hints).toBeUndefined();
  });
});

describe.skipIf(noSpider)('a Spider schema (student_transcripts_tracking, 11 tables)', () => {
  const question = 'Which courses does the student with first name Timmothy take?';
  async function open() {
    const db = new SqlEngine(await sqlJs());
    const id = 'student_transcripts_tracking';
    const bytes = new Uint8Array(readFileSync(resolve(spiderDb, id, `${id}.sqlite`)));
    const tables = db.open({ kind: 'bytes', bytes, name: id }).tables;
    return { db, tables, links: await linkSchema(question, tables, db) };
  }

  test('the join path Students -> Student_Enrolment -> Student_Enrolment_Courses -> Courses stays', async () => {
    const { tables, links } = await open();
    const p = tablePriority(tables, links);
    for (const t of ['Students', 'Courses', 'Student_Enrolment', 'Student_Enrolment_Courses'])
      expect(p.core, t).toContain(t);
    expect(p.role.get('Student_Enrolment')).toBe('bridge');
    // nothing in the question points at departments, and they join no linked table
    expect(p.role.get('Departments')).toBe('other');
    const full = buildPrompt('tiny-sql', { tables, examples, question, links });
    const coreOnly = tables.filter((t) => p.core.includes(t.name));
    const max = count(readmePrompt(coreOnly, examples, question)) + 2;
    const tight = buildPrompt('tiny-sql', { tables, examples, question, links }, budget(max));
    expect(count(full.text)).toBeGreaterThan(max);
    expect(count(tight.text)).toBeLessThanOrEqual(max);
    expect(tight.examplesUsed).toBe(3);
    const shown = tinySchemaTables(tight.text);
    for (const t of p.core) expect(shown).toContain(t);
    expect(shown).not.toContain('Departments');
    // schema order kept: the shown tables are a subsequence of the database's order
    expect(shown).toEqual(tables.map((t) => t.name).filter((n) => shown.includes(n)));
    expect(tight.pruned!.left.map((l) => l.table)).toContain('Departments');
  });

  test('chat families show the linked value; the follow-up prompt prunes the same way', async () => {
    const { tables, links } = await open();
    const p = buildPrompt('chatml', { tables, examples, question, links });
    expect(p.text).toContain("-- values: Students.first_name = 'Timmothy'\n");
    expect(p.hints).toEqual([{ table: 'Students', column: 'first_name', value: 'Timmothy' }]);
    const fu = buildFollowUpPrompt(
      'tiny-sql',
      { tables, examples, previous: [], question, links },
      budget(count(readmePrompt(tables, examples, question)) - 20),
    );
    expect(fu.pruned?.left.length).toBeGreaterThan(0);
    expect(tinySchemaTables(fu.text)).toContain('Student_Enrolment');
  });
});

describe('tiny-sql: byte-exact when everything fits', () => {
  test('with links, hints and a budget that fits, the prompt is the README construction', async () => {
    const { db, tables } = await openSql(shopSql);
    const question = 'How many customers from Germany wrote a review?';
    const links = await linkSchema(question, tables, db);
    expect(links.values.length).toBeGreaterThan(0);
    const p = buildPrompt('tiny-sql', { tables, examples, question, links }, budget(100_000));
    expect(p.text).toBe(readmePrompt(tables, examples, question));
    expect(p.text).toBe(buildPrompt('tiny-sql', { tables, examples, question }).text);
    expect(p.pruned).toBeUndefined();
    expect(p.cut).toBeUndefined();
    expect(p.hints).toBeUndefined();
  });
});

describe('hints render in each family’s own style', () => {
  const tables: TableInfo[] = [
    { name: 'singer', columns: ['singer_id', 'name', 'country'], types: ['int', 'text', 'text'] },
    { name: 'concert hall', columns: ['id', 'city'], types: ['int', 'text'] },
  ];
  const links: SchemaLinks = {
    question: "Singers from France or from O'Brien Hall in Zürich",
    words: [],
    tables: [],
    columns: [],
    values: [
      { table: 'singer', column: 'country', value: 'France', score: 1, exact: true, start: 13, end: 19, word: 2 },
      { table: 'concert hall', column: 'city', value: 'Zürich', score: 1, exact: true, start: 44, end: 50, word: 8 },
      { table: 'singer', column: 'name', value: "O'Brien", score: 0.6, exact: false, start: 28, end: 35, word: 5 },
    ],
    numbers: [],
    foreignKeys: [],
    ms: 0,
  };
  const q = links.question;
  const expected = ["singer.country = 'France'", `"concert hall".city = 'Zürich'`, "singer.name = 'O''Brien'"];

  test('chatml and mistral-inst: one SQL comment line under the schema', () => {
    for (const f of ['chatml', 'mistral-inst'] as const) {
      const p = buildPrompt(f, { tables, examples: [], question: q, links });
      expect(p.text, f).toContain(`);\n-- values: ${expected.join('; ')}\n### Question`);
      expect(p.hints).toHaveLength(3);
    }
  });

  test('plain: a section of its own, one condition a line', () => {
    const p = buildPrompt('plain', { tables, examples, question: q, links });
    expect(p.text).toContain(`### Values mentioned in the question\n${expected.join('\n')}\n### Examples`);
  });

  test('tiny-sql: none (its format has no place for them)', () => {
    const p = buildPrompt('tiny-sql', { tables, examples, question: q, links });
    expect(promptFormat('tiny-sql').showsValueHints).toBeFalsy();
    expect(p.text).toBe(buildPrompt('tiny-sql', { tables, examples, question: q }).text);
    expect(p.hints).toBeUndefined();
  });

  test('a hint of a table the prompt left out is left out with it', () => {
    const big = [tables[0], { ...tables[1], columns: [...tables[1].columns, ...Array(60).fill('x_col')] }];
    const singerOnly = buildPrompt('chatml', { tables: [tables[0]], examples: [], question: q, links });
    const tight = buildPrompt(
      'chatml',
      { tables: big, examples: [], question: q, links },
      budget(count(singerOnly.text)),
    );
    // both tables hold a linked value; with only room for one, the lower one goes (ties: schema order)
    expect(tight.pruned?.left).toEqual([{ table: 'concert hall', role: 'linked' }]);
    expect(leftOutGroups(tight.pruned!.left)[0].why).toMatch(/even the linked tables did not fit/);
    expect(tight.text).toBe(singerOnly.text);
    expect(tight.text).toContain("-- values: singer.country = 'France'; singer.name = 'O''Brien'\n");
    expect(tight.text).not.toContain("'Zürich'");
  });
});

/** 200 tables of 6 columns; every table i > 0 refers to table i - 1. */
function manyTablesSql(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = i === 42 ? 'singer' : i === 43 ? 'concert' : `t${i}_stuff`;
    const prev = i === 0 ? '' : i === 43 ? 'singer' : i === 42 ? 't41_stuff' : i === 44 ? 'concert' : `t${i - 1}_stuff`;
    const ref = i === 0 ? 'prev_id INTEGER' : `prev_id INTEGER REFERENCES ${prev}(id)`;
    const cols =
      i === 42 ? 'name TEXT, country TEXT, age INTEGER, song TEXT' : 'alpha TEXT, beta TEXT, gamma REAL, delta TEXT';
    out.push(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, ${ref}, ${cols});`);
  }
  out.push(`INSERT INTO singer (id, name, country, age, song) VALUES (1, 'Joe', 'France', 52, 'Sun');`);
  return out.join('\n');
}

describe('a 200-table schema', () => {
  const question = 'How many concerts did singers from France give?';

  test('fits the budget with the linked tables and every example, under a second', async () => {
    const { db, tables } = await openSql(manyTablesSql(200));
    expect(tables).toHaveLength(200);
    const links = await linkSchema(question, tables, db);
    const t0 = performance.now();
    const p = buildPrompt('chatml', { tables, examples, question, links }, budget(896));
    const ms = performance.now() - t0;
    expect(count(p.text)).toBeLessThanOrEqual(896);
    expect(p.text).toContain('CREATE TABLE singer');
    expect(p.text).toContain('CREATE TABLE concert');
    expect(p.text).toContain("-- values: singer.country = 'France'");
    expect(p.examplesUsed).toBe(examples.length);
    expect(p.pruned!.left.length).toBeGreaterThan(150);
    expect(p.pruned!.kept + p.pruned!.left.length).toBe(200);
    expect(ms).toBeLessThan(1000);
  });

  test.skipIf(noTiny)('fits tiny-sql-lm’s real 1,024-token context, exact format', { timeout: 60_000 }, async () => {
    const { db, tables } = await openSql(manyTablesSql(200));
    const gen = await loadCpuGenerator('tiny-sql-lm');
    try {
      const links = await linkSchema(question, tables, db);
      const b: PromptBudget = {
        countTokens: (t) => gen.countTokens(t),
        maxTokens: gen.contextTokens - 128,
        contextTokens: gen.contextTokens,
      };
      const p = buildPrompt('tiny-sql', { tables, examples, question, links }, b);
      expect(gen.countTokens(p.text)).toBeLessThanOrEqual(gen.contextTokens - 128);
      const shown = tinySchemaTables(p.text);
      expect(shown).toContain('singer');
      expect(shown).toContain('concert');
      expect(p.examplesUsed).toBe(examples.length);
      expect(p.text).toBe(
        readmePrompt(
          tables.filter((t) => shown.includes(t.name)),
          examples,
          question,
        ),
      );
      expect(p.pruned?.reason).toBe('the schema did not fit 1,024 tokens');
    } finally {
      await gen.dispose?.();
    }
  });
});

describe('ask() links through the SQL engine, within bounds', () => {
  const question = 'Which products did customers from Germany order?';
  const gen = {
    generate: async () => ({ text: 'SELECT 1', tokens: 1, ms: 1, tokensPerSecond: 1, interrupted: false }),
  };

  test('the prompt builder gets the links; a failing engine means no links and says why', async () => {
    const { db, tables } = await openSql(shopSql);
    let seen: SchemaLinks | null | undefined;
    const out = await ask(
      {
        retriever: null,
        buildPrompt: (input) => {
          seen = input.links;
          return buildPrompt('chatml', input);
        },
        generate: gen.generate,
        exec: async (sql) => db.exec(sql),
        link: promptLinker(db),
      },
      { question, k: 0, corpus: null, tables, format: 'chatml' },
    );
    expect(seen?.values.map((v) => v.value)).toContain('Germany');
    expect(out.prompt?.hints).toContainEqual({ table: 'customers', column: 'country', value: 'Germany' });

    const broken = {
      exec: () => {
        throw new Error('database is locked');
      },
    };
    const failing = await ask(
      {
        retriever: null,
        buildPrompt: (input) => buildPrompt('chatml', input),
        generate: gen.generate,
        exec: async (sql) => db.exec(sql),
        link: async () => {
          throw new Error('boom');
        },
      },
      { question, k: 0, corpus: null, tables, format: 'chatml' },
    );
    expect(failing.linkError).toBe('boom');
    expect(failing.result).toBeDefined();
    // an engine whose every probe fails: linking by names still works, no values, no exception
    const l = await promptLinker(broken)(question, tables);
    expect(l.links?.values).toEqual([]);
    expect(l.links?.tables[0].score).toBeGreaterThan(0);
  });

  test('a probe that never answers ends at the time budget: no links, and the reason', async () => {
    const { tables } = await openSql(shopSql);
    const hung = { exec: () => new Promise<never>(() => {}) };
    const t0 = performance.now();
    const l = await promptLinker(hung, { budgetMs: 200 })(question, tables);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(l.links).toBeNull();
    expect(l.error).toMatch(/took longer than 0.2 s/);
  });
});

describe('npm run eval -- --no-prune', () => {
  test('links by default; --no-prune turns them off', async () => {
    const { parseEvalArgs } = await import('../../src/node/eval/args.ts');
    expect(parseEvalArgs(['--spider', 'x']).prune).toBe(true);
    expect(parseEvalArgs(['--spider', 'x', '--no-prune']).prune).toBe(false);
  });
});
