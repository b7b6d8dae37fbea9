import { expect, test, vi } from 'vitest';
import { makeTestApp } from './ui-fakes.ts';
import { Conversation } from '../../src/ui/conversation.svelte.ts';

async function setup(dbName?: string, storage?: Map<string, string>) {
  const t = await makeTestApp({ dbName, storage });
  const conversation = new Conversation({ app: t.app, services: t.services, kv: t.kv });
  await t.app.boot('', false);
  await vi.waitFor(() => expect(conversation.dbName).toBe('Demo shop'));
  return { ...t, conversation };
}

test('every answer becomes a turn of the open database’s history, kept across a reload', async () => {
  const { app, conversation, storage } = await setup('coderag-ui-conv');
  app.answer.question = 'How many customers?';
  await app.answer.ask();
  expect(conversation.turns).toHaveLength(1);
  expect(conversation.current?.question).toBe('How many customers?');
  expect(conversation.current?.sql).toBe('SELECT count(*) FROM customers');
  // tiny-sql cannot explain: the rules do
  await vi.waitFor(() => expect(conversation.explainer.current?.source).toBe('rules'));
  conversation.destroy();
  const again = await setup('coderag-ui-conv', storage);
  await vi.waitFor(() => expect(again.conversation.turns).toHaveLength(1));
  expect(again.conversation.turns[0].question).toBe('How many customers?');
});

test('a follow-up carries the earlier turn; opening a turn puts its answer back on screen', async () => {
  const { app, conversation, script } = await setup();
  app.answer.question = 'Which customers are from France?';
  script.reply = () => "SELECT name FROM customers WHERE country = 'France'";
  await app.answer.ask();
  const first = conversation.current!;
  conversation.followUpFrom(first.id);
  expect(conversation.followFrom?.id).toBe(first.id);
  app.answer.question = 'and from Spain?';
  script.reply = () => "SELECT name FROM customers WHERE country = 'Spain'";
  await app.answer.ask();
  const second = conversation.current!;
  expect(second.kind).toBe('followup');
  expect(second.parentId).toBe(first.id);
  expect(conversation.thread.map((t) => t.id)).toEqual([first.id, second.id]);
  conversation.open(first.id);
  expect(app.answer.sqlText).toBe(first.sql);
  expect(app.answer.result?.rows).toEqual([['Ann'], ['Cy']]);
  conversation.newQuestion();
  expect(conversation.followFrom).toBeUndefined();
});

test('an SQL run drops the previous question’s prompt and examples; a stopped question keeps nothing', async () => {
  const { app, conversation } = await setup();
  app.answer.question = 'How many customers?';
  await app.answer.ask();
  expect(app.answer.prompt).not.toBeNull();
  await app.answer.runSql('SELECT name FROM customers');
  expect(app.answer.prompt).toBeNull();
  expect(app.answer.retrieved).toEqual([]);
  expect(conversation.turns.map((t) => t.kind)).toEqual(['ask', 'sql']);
  conversation.search = 'customers';
  expect(conversation.matches.length).toBe(2);
  conversation.search = 'zzz';
  expect(conversation.matches.length).toBe(0);
});

test('follow-up mode ends with its answer, and the box is cleared of the old text', async () => {
  const { app, conversation, script } = await setup();
  app.answer.question = 'Which customers are from France?';
  script.reply = () => "SELECT name FROM customers WHERE country = 'France'";
  await app.answer.ask();
  expect(app.answer.question).toBe('Which customers are from France?'); // a plain answer keeps its question
  const first = conversation.current!;
  conversation.followUpFrom(first.id);
  expect(app.answer.question).toBe(''); // the earlier question is not left in the box
  app.answer.question = 'and from Spain?';
  script.reply = () => "SELECT name FROM customers WHERE country = 'Spain'";
  await app.answer.ask();
  expect(conversation.current?.kind).toBe('followup');
  expect(conversation.followFrom).toBeUndefined();
  expect(app.answer.question).toBe('');
  // the next question is a new one, not a follow-up
  app.answer.question = 'How many customers?';
  script.reply = () => 'SELECT count(*) FROM customers';
  await app.answer.ask();
  expect(conversation.current?.kind).toBe('ask');
  expect(conversation.current?.parentId).toBeNull();
});

test('the explanation is made in a task after the answer’s, and only for the answer on screen', async () => {
  const { app, conversation } = await setup();
  await app.answer.runSql('SELECT count(*) FROM customers');
  const first = conversation.current!;
  // the answer's own task (where its result is rendered) does not explain the SQL as well: not even
  // once every microtask of that task has run
  for (let i = 0; i < 50; i++) await Promise.resolve();
  expect(conversation.explainer.current).toBeNull();
  await vi.waitFor(() => expect(conversation.explainer.current?.sql).toBe('SELECT count(*) FROM customers'));
  await app.answer.runSql('SELECT name FROM customers');
  const second = conversation.current!;
  await vi.waitFor(() => expect(conversation.explainer.current?.sql).toBe('SELECT name FROM customers'));
  // two turns opened one after the other: the first one's explanation is never made
  const explain = vi.spyOn(conversation.explainer, 'explain');
  conversation.open(first.id);
  conversation.open(second.id);
  await vi.waitFor(() => expect(explain).toHaveBeenCalled());
  await new Promise((r) => setTimeout(r, 20));
  expect(explain.mock.calls.map((c) => c[0])).toEqual(['SELECT name FROM customers']);
});
