/**
 * The instant generator in the app (issue 12 item 4): while the chosen model is not ready the
 * instant generator answers (the real one, next to the database), the answer says so, and once
 * the model is ready the question can be asked again with it; chosen as the engine, it answers
 * without any note; a question it cannot adapt is a clear error at the generate stage.
 */
import { describe, expect, test } from 'vitest';
import { makeTestApp } from './ui-fakes.ts';
import { instantNote } from '../../src/ui/state/answer.svelte.ts';

describe('answers with no model loaded', () => {
  test('a model waiting for its download: the instant generator answers, marked, then re-ask uses the model', async () => {
    const { app, calls } = await makeTestApp();
    app.settings.update({ cpuModelId: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', autoDownloadMB: 1 });
    await app.boot('', false);
    expect(app.generator.status).toBe('needs-confirm');
    app.settings.update({ retriever: 'dense' });
    app.answer.question = 'Which customers are from Spain?';
    expect(app.answer.whyNot).toBeNull();
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(calls.generate).toBe(0);
    expect(app.answer.answeredBy).toBe('instant-while-loading');
    expect(app.answer.instantNote).toBe('answered instantly by adapting retrieved examples; the model is not loaded');
    expect(app.answer.prompt?.format).toBe('instant');
    expect(app.answer.sqlText).toMatch(/customers/);
    expect(app.answer.sqlText).toMatch(/'Spain'/);
    const gold = await app.answer['deps'].sql.exec("SELECT name FROM customers WHERE country = 'Spain'");
    expect(app.answer.result?.rows).toEqual(gold.rows);
    // the model is not ready yet: no re-ask
    expect(app.answer.canReask).toBe(false);
    await app.generator.pendingDownload!.go();
    expect(app.generator.ready).toBe(true);
    expect(app.answer.canReask).toBe(true);
    app.answer.question = 'something else typed meanwhile';
    await app.answer.reask();
    // the model's greedy SQL and its samples (the candidate pool)
    expect(calls.generate).toBe(app.answer.candidateCount);
    expect(app.answer.answeredBy).toBe('model');
    expect(app.answer.instantNote).toBeNull();
    expect(app.answer.sqlText).toBe('SELECT count(*) FROM customers');
    expect(app.answer.question).toBe('Which customers are from Spain?');
    expect(app.answer.canReask).toBe(false);
  });

  test('the note says "still loading" while the model loads', () => {
    expect(instantNote('loading')).toBe(
      'answered instantly by adapting retrieved examples; the model is still loading',
    );
    expect(instantNote('error')).toMatch(/not loaded/);
  });

  test('a question it cannot adapt is a clear error at the generate stage', async () => {
    const { app } = await makeTestApp();
    app.settings.update({ cpuModelId: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', autoDownloadMB: 1 });
    await app.boot('', false);
    app.answer.question = 'Why is the sky blue?';
    await app.answer.ask();
    expect(app.answer.error?.stage).toBe('generate');
    expect(app.answer.error?.message).toMatch(/^no example could be adapted to this database/);
    expect(app.answer.result).toBeNull();
  });
});

describe('Instant as the chosen engine', () => {
  test('loads at once with nothing to download, answers without a note, and never calls the model', async () => {
    const { app, calls } = await makeTestApp();
    app.settings.update({ engine: 'instant' });
    await app.boot('', false);
    expect(app.models.effectiveEngine()).toBe('instant');
    expect(app.generator.status).toBe('ready');
    expect(app.generator.info).toMatchObject({ id: 'instant', engine: 'instant', format: 'instant' });
    app.answer.question = 'How many customers are from Spain?';
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(app.answer.answeredBy).toBe('instant');
    expect(app.answer.instantNote).toBeNull();
    expect(app.answer.canReask).toBe(false);
    expect(calls.generate).toBe(0);
    expect(app.answer.result?.rows.length).toBe(1);
  });

  test('the engine setting accepts instant and rejects what it does not know', async () => {
    const { app } = await makeTestApp();
    app.settings.update({ engine: 'instant' });
    expect(app.settings.value.engine).toBe('instant');
  });
});

describe('the instant generator in the candidate pool', () => {
  test("with the model ready, the instant adaptation is one of the model's candidates and can win the vote", async () => {
    const { app, script } = await makeTestApp();
    await app.boot('', false);
    expect(app.generator.ready).toBe(true);
    app.settings.update({ retriever: 'dense' });
    // the model writes SQL that fails; the instant adaptation runs
    script.reply = () => 'SELECT nope FROM customers';
    app.answer.question = 'Which customers are from Spain?';
    await app.answer.ask();
    const sources = app.answer.vote?.candidates.map((c) => c.source) ?? [];
    expect(sources).toContain('instant');
    expect(app.answer.answeredBy).toBe('model');
    const gold = await app.answer['deps'].sql.exec("SELECT name FROM customers WHERE country = 'Spain'");
    expect(app.answer.result?.rows).toEqual(gold.rows);
  });
});
