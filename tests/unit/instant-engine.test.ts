/**
 * The instant generator behind the AnswerGenerator seam (issue 12 item 3): built by
 * createNodeServices({ generatorId: 'instant' }), answering in the SQL worker thread next to the
 * database, through the same pipeline (`ask`) as a model: prompt (the structured request), one
 * streamed piece, SQL, result. Abstentions are clear errors; stopping works; the format record
 * says what the engine cannot do.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createNodeServices, type NodeServices } from '../../src/node/services.ts';
import { ask, type AskEvent } from '../../src/lib/rag/pipeline.ts';
import { parseInstantPrompt } from '../../src/lib/llm/formats/instant.ts';
import { promptFormat } from '../../src/lib/llm/formats/index.ts';
import { InstantEngine } from '../../src/lib/instant/engine.ts';
import { LocalGenerator } from '../../src/lib/llm/local-generator.ts';
import { CancelledError, InstantAbstainedError } from '../../src/lib/errors.ts';
import type { Retriever } from '../../src/lib/services.ts';
import type { Corpus, TableInfo } from '../../src/lib/types.ts';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const shopSql = readFileSync(resolve(repoRoot, 'static-data/demo/shop.sql'), 'utf8');

/** A corpus about singers: none of its names exist in the shop. */
const corpus: Corpus = {
  hash: 'singers',
  name: 'singers',
  examples: [
    {
      id: 'a',
      question: 'How many singers are from France?',
      sql: "SELECT count(*) FROM singer WHERE country = 'France'",
    },
    { id: 'b', question: 'What is the average age of singers?', sql: 'SELECT avg(age) FROM singer' },
    {
      id: 'c',
      question: 'Show the name of the oldest singer',
      sql: 'SELECT name FROM singer ORDER BY age DESC LIMIT 1',
    },
  ],
};

/** Returns every corpus row, in order, with falling scores. */
const allRows: Retriever = {
  name: 'bm25',
  async retrieve(_q, k) {
    return { hits: corpus.examples.slice(0, k).map((_, row) => ({ row, score: 1 - row / 10 })), ms: 0 };
  },
};

let svc: NodeServices;
let tables: TableInfo[];
beforeAll(async () => {
  svc = await createNodeServices({ embedderId: null, generatorId: 'instant' });
  tables = (await svc.sql.open({ kind: 'sql', sql: shopSql, name: 'shop' })).tables;
});
afterAll(() => svc?.dispose());

const askShop = (question: string, on?: (e: AskEvent) => void, signal?: AbortSignal) =>
  ask(
    {
      retriever: allRows,
      buildPrompt: (input) => svc.generator!.buildPrompt(input),
      generate: (p, onToken, s) => svc.generator!.generate(p, { onToken, signal: s }),
      exec: (q, s) => svc.sql.exec(q, { signal: s }),
    },
    { question, k: 3, corpus, tables, format: svc.generator!.format, signal },
    on,
  );

describe('the instant engine behind the AnswerGenerator seam', () => {
  test('is registered as data: engine, format and capabilities', () => {
    const g = svc.generator!;
    expect(g.id).toBe('instant');
    expect(g.engine).toBe('instant');
    expect(g.format).toBe('instant');
    const f = promptFormat('instant');
    expect(f.canExplain).toBe(false);
    expect(f.canFollowInstructions).toBe(false);
    expect(f.explain).toBeUndefined();
  });

  test('answers a shop question through the pipeline: request prompt, one streamed piece, a right result', async () => {
    const events: AskEvent[] = [];
    const out = await askShop('How many customers are from Canada?', (e) => events.push(e));
    expect(out.error).toBeUndefined();
    const req = parseInstantPrompt(out.prompt!.text);
    expect(req?.question).toBe('How many customers are from Canada?');
    expect(req?.tables.map((t) => t.name)).toEqual(tables.map((t) => t.name));
    expect(req?.examples.map((e) => e.sql)).toEqual(corpus.examples.map((e) => e.sql));
    expect(req?.examples[0].score).toBe(1);
    const tokens = events.filter((e) => e.type === 'token');
    expect(tokens).toHaveLength(1);
    expect(out.sql).toMatch(/customers/i);
    expect(out.sql).toMatch(/Canada/);
    const gold = await svc.sql.exec("SELECT count(*) FROM customers WHERE country = 'Canada'");
    expect(out.result!.rows).toEqual(gold.rows);
    expect(out.generation!.score).toEqual(expect.any(Number));
    expect(Array.isArray(out.generation!.alternates)).toBe(true);
  });

  test('a question it cannot adapt is a clear generate-stage error, not an exception', async () => {
    const out = await askShop('Why is the sky blue?');
    expect(out.sql).toBeUndefined();
    expect(out.error?.stage).toBe('generate');
    expect(out.error?.message).toMatch(/no example could be adapted to this database/);
  });

  test('a prompt that is no instant request is refused with a reason', async () => {
    await expect(svc.generator!.generate('### Question\nhello')).rejects.toBeInstanceOf(InstantAbstainedError);
  });

  test('stopping: an aborted signal rejects before anything runs, and an abort in flight ends it', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(askShop('How many customers are from Canada?', undefined, ac.signal)).rejects.toBeInstanceOf(
      CancelledError,
    );
    // A run that never answers on its own: only the abort ends it.
    const hang = new LocalGenerator(new InstantEngine(() => new Promise(() => {})));
    const prompt = await hang.buildPrompt({ tables, examples: corpus.examples, question: 'How many customers?' });
    const ac2 = new AbortController();
    const p = hang.generate(prompt.text, { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    const r = await Promise.race([p, new Promise((res) => setTimeout(() => res('hung'), 2000))]);
    expect(r).not.toBe('hung');
    expect((r as { interrupted: boolean }).interrupted).toBe(true);
  });

  test('nothing is cut from the request, and a follow-up becomes its self-contained question', async () => {
    const g = svc.generator!;
    const p = await g.buildPrompt({ tables, examples: corpus.examples, question: 'How many customers?' }, 128);
    expect(p.cut).toBeUndefined();
    expect(p.examplesUsed).toBe(3);
    const fu = await g.buildFollowUpPrompt({
      tables,
      examples: corpus.examples,
      previous: [{ question: 'How many customers?', sql: 'SELECT count(*) FROM customers' }],
      question: 'and from Canada?',
      standalone: 'How many customers are from Canada?',
    });
    const req = parseInstantPrompt(fu.text)!;
    expect(req.question).toBe('How many customers are from Canada?');
    expect(req.examples[0].sql).toBe('SELECT count(*) FROM customers');
    expect(await g.buildExplainPrompt({ tables, sql: 'SELECT 1' })).toBeNull();
  });
});
