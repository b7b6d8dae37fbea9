/**
 * The "fast query encoder" option (LightState): off by default, distilled and measured on the
 * loaded corpus before it can be switched on, recommended only past the bar, persisted, and
 * falling back to the big encoder with a message when the stored encoder cannot be used.
 */
import { describe, expect, test } from 'vitest';
import { makeTestApp, DEMO_CORPUS, FAKE_WORDS } from './ui-fakes.ts';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import type { Corpus, Example } from '../../src/lib/types.ts';
import { lightKey } from '../../src/ui/state/light.svelte.ts';
import type { StoredLight } from '../../src/lib/embed/light-query.ts';

/** 60 questions over 6 databases, from the fake tokenizer's words. */
function bigCorpus(): Corpus {
  const examples: Example[] = [];
  let s = 7;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 60; i++) {
    const words = Array.from({ length: 4 + (i % 4) }, () => FAKE_WORDS[Math.floor(r() * FAKE_WORDS.length)]);
    examples.push({ id: `b-${i}`, question: words.join(' '), sql: `SELECT ${i}`, dbId: `db${i % 6}` });
  }
  return { name: 'Big', hash: corpusHash(examples), examples };
}

const EMB = 'universal-sentence-encoder-lite';

describe('fast query encoder option', () => {
  test('is off by default and cannot be switched on before an encoder is distilled', async () => {
    const { app } = await makeTestApp({ demoCorpus: bigCorpus() });
    await app.boot('', false);
    expect(app.settings.value.fastQueryOn).toBe(false);
    expect(app.light.stored).toBeNull();
    expect(app.light.canEnable).toBe(false);
    await app.light.setOn(true);
    expect(app.settings.value.fastQueryOn).toBe(false);
    expect(app.light.active).toBe(false);
    expect(app.light.message).toMatch(/distil/);
  });

  test('a corpus too small for the map is refused with the reason; nothing is stored', async () => {
    const { app, kv } = await makeTestApp({ demoCorpus: DEMO_CORPUS });
    await app.boot('', false);
    app.light.width = 8;
    await app.light.distill();
    expect(app.light.error).toMatch(/too few questions to fit a 8-d query map/);
    expect(app.light.stored).toBeNull();
    expect(await (await kv()).getKv(lightKey(EMB))).toBeUndefined();
    expect(app.jobs.list).toEqual([]);
  });

  test('distils, measures on held-out databases, shows the verdict, switches on, answers through it, survives a reload', async () => {
    const t = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-light' });
    const { app, calls } = t;
    await app.boot('', false);
    app.light.width = 8;
    await app.light.distill();
    expect(app.light.error).toBeNull();
    const st = app.light.stored!;
    expect(st.teacherId).toBe(EMB);
    expect(st.dim).toBe(8);
    expect(st.fitQuestions).toBeLessThan(60); // the held-out databases are not fitted on
    expect(st.distillMs).toBeGreaterThan(0);
    const m = app.light.measurement!;
    expect(m.split).toBe('database');
    expect(m.questions).toBe(60 - st.fitQuestions);
    expect(m.rows.map((r) => r.kind)).toEqual(['teacher', 'compact', 'static+map']); // q8 docs: fp32 as compact
    expect(m.rows[0].recall10).toBe(1);
    const row = m.rows[2];
    expect(row.recall10).toBeGreaterThanOrEqual(0);
    expect(row.recall10).toBeLessThanOrEqual(1);
    // the verdict is the rule applied to these numbers
    expect(app.light.verdict.recommended).toBe(row.recallKept >= 0.95 && row.speedup >= 5);
    expect(app.light.verdict.message).toContain(`${(100 * row.recallKept).toFixed(1)} %`);
    // distilling does not switch it on
    expect(app.settings.value.fastQueryOn).toBe(false);
    expect(app.light.active).toBe(false);

    await app.light.setOn(true);
    expect(app.light.message).toBeNull();
    expect(app.light.active).toBe(true);
    expect(app.settings.value.fastQueryOn).toBe(true);
    const docsBefore = calls.embedDocs;
    app.settings.update({ retriever: 'dense' });
    app.answer.question = bigCorpus().examples[3].question;
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(calls.lightQueries).toBeGreaterThan(0);
    expect(calls.embedDocs).toBe(docsBefore); // the index was not rebuilt
    expect(app.answer.retrieved.length).toBeGreaterThan(0);

    // a reload restores it, on
    const again = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-light', storage: t.storage });
    await again.app.boot('', false);
    expect(again.app.light.stored?.dim).toBe(8);
    expect(again.app.light.active).toBe(true);
    expect(again.app.indexes.index?.origin).toBe('restored');

    await again.app.light.setOn(false);
    expect(again.app.light.active).toBe(false);
    again.app.settings.update({ retriever: 'dense' });
    const before = again.calls.lightQueries;
    again.app.answer.question = 'how many customers';
    await again.app.answer.ask();
    expect(again.calls.lightQueries).toBe(before);
  });

  test('a corrupted stored encoder or one for another embedder falls back with a clear message', async () => {
    const t = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-light-bad' });
    await t.app.boot('', false);
    t.app.light.width = 8;
    await t.app.light.distill();
    await t.app.light.setOn(true);
    const kv = await t.kv();
    const rec = (await kv.getKv(lightKey(EMB))) as StoredLight;
    const bad = rec.encoder.slice();
    bad[bad.length - 5] ^= 0x55;
    await kv.setKv(lightKey(EMB), { ...rec, encoder: bad });

    const a = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-light-bad', storage: t.storage });
    await a.app.boot('', false);
    expect(a.app.light.active).toBe(false);
    expect(a.app.settings.value.fastQueryOn).toBe(false);
    expect(a.app.light.message).toMatch(/cannot be used \(.*(damaged|checksum).*\); questions use the big encoder/);
    // questions still work, through the big encoder
    a.app.settings.update({ retriever: 'dense' });
    a.app.answer.question = 'how many customers';
    await a.app.answer.ask();
    expect(a.app.answer.error).toBeNull();
    expect(a.calls.lightQueries).toBe(0);

    await kv.setKv(lightKey(EMB), { ...rec, teacherId: 'Xenova/all-MiniLM-L6-v2' });
    const b = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-light-bad', storage: t.storage });
    await b.app.boot('', false);
    expect(b.app.light.stored).toBeNull();
    expect(b.app.light.message).toMatch(
      /made for Xenova\/all-MiniLM-L6-v2 \(16-d\), not universal-sentence-encoder-lite/,
    );
  });

  test('measuring can be cancelled: nothing is changed', async () => {
    const { app } = await makeTestApp({ demoCorpus: bigCorpus() });
    await app.boot('', false);
    app.light.width = 8;
    await app.light.distill();
    const before = app.light.measurement;
    const p = app.light.measure();
    app.light.cancel();
    await p;
    expect(app.light.error).toMatch(/cancelled; nothing was changed/);
    expect(app.light.measurement).toBe(before);
    expect(app.jobs.list).toEqual([]);
  });

  test('the question dtype reaches the embedder, and is not part of the index identity', async () => {
    const t = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-qdtype' });
    await t.app.boot('', false);
    const key = t.app.indexes.index!.record.key;
    expect(t.app.embedder.info?.dtype).toBe('q8');
    t.app.settings.update({ queryDtype: 'fp32' });
    await t.app.loadEmbedderAndIndex();
    expect(t.app.embedder.info?.queryDtype).toBe('fp32');
    expect(t.app.indexes.index?.record.key).toBe(key);
    expect(t.app.indexes.index?.origin).toBe('restored');
    t.app.settings.update({ embedDtype: 'fp32', queryDtype: 'q8' });
    await t.app.loadEmbedderAndIndex();
    expect(t.app.indexes.index?.record.key).not.toBe(key);
    expect(t.app.indexes.note).toMatch(/dtype changed \(q8 → fp32\)/);
  });

  test('a question dtype that fails to load is reported; the embedder and index still work', async () => {
    const t = await makeTestApp({ demoCorpus: bigCorpus(), dbName: 'coderag-ui-qdtype-bad' });
    t.script.queryDtypeFails = 'no such file';
    t.app.settings.update({ queryDtype: 'fp32' });
    await t.app.boot('', false);
    expect(t.app.embedder.status).toBe('ready');
    expect(t.app.embedder.info?.queryDtype).toBeUndefined();
    expect(t.app.embedder.error).toMatch(/fp32 question model could not be loaded \(no such file\)/);
    expect(t.app.indexes.status).toBe('ready');
  });
});
