/**
 * Interactive at once (issue 15 item 1): the database and the corpus open without any model, and a
 * question is answered while the search model (and so the question index) is still loading: its
 * examples come from the corpus's lexical indexes, the answer says so, and no query is embedded.
 */
import { describe, expect, test, vi } from 'vitest';
import { makeTestApp } from './ui-fakes.ts';

describe('asking before the models have loaded', () => {
  test('lexical examples while the search model loads, dense ones once the index is ready', async () => {
    const t = await makeTestApp();
    const { app } = t;
    let release!: () => void;
    t.script.embedHold = new Promise<void>((r) => (release = r));
    // the SQL model may or may not have loaded when the question is asked (it loads beside the
    // held search model): whichever answers, the right SQL comes back, so the check is on retrieval
    t.script.reply = () => "SELECT name FROM customers WHERE country = 'Spain'";
    const queries: string[] = [];
    const embed = t.services.embedder.embed.bind(t.services.embedder);
    t.services.embedder.embed = (texts, o) => {
      if (o?.role === 'query') queries.push(...texts);
      return embed(texts, o);
    };
    const boot = app.boot('', false);
    await vi.waitFor(() => expect(app.database.info && app.corpus.current).toBeTruthy());
    expect(app.embedder.info).toBeNull();
    expect(app.indexes.status).not.toBe('ready');
    app.settings.update({ retriever: 'masked-hybrid' });
    app.answer.question = 'Which customers are from Spain?';
    expect(app.answer.whyNot).toBeNull();
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(app.answer.retrieved.length).toBeGreaterThan(0);
    expect(app.answer.retrievalNote).toBe('examples found by masked-bm25 while the search index loads');
    expect(queries).toEqual([]);
    const gold = await t.services.sql.exec("SELECT name FROM customers WHERE country = 'Spain'");
    expect(app.answer.result?.rows).toEqual(gold.rows);
    // the search model arrives: the next question searches the dense index, with no note
    release();
    await boot;
    expect(app.indexes.status).toBe('ready');
    expect(app.indexes.retrieval?.hasDense).toBe(true);
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(app.answer.retrievalNote).toBeNull();
    expect(queries.length).toBeGreaterThan(0);
  });

  test('a strategy that is lexical already is named as such', async () => {
    const t = await makeTestApp();
    t.script.embedHold = new Promise<void>(() => {});
    void t.app.boot('', false);
    await vi.waitFor(() => expect(t.app.database.info && t.app.corpus.current).toBeTruthy());
    t.app.settings.update({ retriever: 'vote' });
    t.app.answer.question = 'How many customers are there?';
    await t.app.answer.ask();
    expect(t.app.answer.error).toBeNull();
    expect(t.app.answer.retrievalNote).toBe('examples found by vote on BM25 alone while the search index loads');
  });
});
