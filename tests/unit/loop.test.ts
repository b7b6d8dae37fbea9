/**
 * The learning loop (issue 14 item 3): confirmed examples are appended to their index without
 * re-embedding the rest, stale-index detection still holds, and they are retrieved first.
 */
import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { corpusHash, corpusHashAppend } from '../../src/lib/corpus/hash.ts';
import { IndexStore, indexKey, type IndexMeta } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { addConfirmed, emptyMyExamples, myCorpus, parseMyExamples } from '../../src/lib/loop/my-examples.ts';
import { IndexMismatchError } from '../../src/lib/errors.ts';
import type { Example } from '../../src/lib/types.ts';
import { hashEmbed, makeTestApp } from './ui-fakes.ts';

const ex = (i: number, q = `question ${i}`): Example => ({ id: `e${i}`, question: q, sql: `SELECT ${i}` });

describe('corpus hash chaining', () => {
  test('appending continues the hash: equal to hashing the whole corpus', () => {
    const all = [ex(1), ex(2), { ...ex(3), schema: 'CREATE TABLE t(a)', dbId: 'x' }, ex(4)];
    for (let cut = 0; cut <= all.length; cut++) {
      expect(corpusHashAppend(corpusHash(all.slice(0, cut)), all.slice(cut))).toBe(corpusHash(all));
    }
    // an edit of an earlier row, or another order, is still another hash
    expect(corpusHashAppend(corpusHash([ex(1, 'edited')]), [ex(2)])).not.toBe(corpusHash([ex(1), ex(2)]));
    expect(corpusHashAppend(corpusHash([ex(2)]), [ex(1)])).not.toBe(corpusHash([ex(1), ex(2)]));
    expect(() => corpusHashAppend('not-a-hash', [])).toThrow();
  });
});

describe('My examples', () => {
  test('confirming appends once, never edits earlier rows, and reads back validated', () => {
    let doc = emptyMyExamples();
    ({ doc } = addConfirmed(doc, ' How many  customers? ', 'SELECT count(*) FROM c'));
    const again = addConfirmed(doc, 'How many customers?', 'SELECT count(*) FROM c');
    expect(again.added).toBeNull();
    const next = addConfirmed(doc, 'How many customers?', 'SELECT count(id) FROM c');
    expect(next.doc.examples.map((e) => e.id)).toEqual(['mine-1', 'mine-2']);
    expect(next.doc.examples[0]).toEqual(doc.examples[0]);
    expect(() => addConfirmed(doc, 'q', '  ')).toThrow(/SQL/);
    expect(parseMyExamples(JSON.parse(JSON.stringify(next.doc)))).toEqual(next.doc);
    expect(
      parseMyExamples({ version: 1, examples: [{ id: 'x', question: 'q' }, ...next.doc.examples] }).examples,
    ).toHaveLength(2);
    expect(() => parseMyExamples({ version: 1, examples: 'no' })).toThrow();
  });
});

describe('IndexService.append', () => {
  const DIM = 16;
  const embed = (es: Example[]) => {
    const m = new Float32Array(es.length * DIM);
    es.forEach((e, i) => m.set(hashEmbed(e.question), i * DIM));
    return m;
  };
  const meta = (es: Example[]): IndexMeta => ({
    slot: 'shop#mine',
    embedderId: 'toy',
    dtype: 'fp32',
    dim: DIM,
    corpusHash: corpusHash(es),
    count: es.length,
    kind: 'flat',
    textMode: 'question',
  });

  test('appended rows are searchable, the key is a full build’s, and the old index is stale', async () => {
    const store = await IndexStore.open('loop-append-1');
    const svc = new IndexService(store, { flat: flatFactory });
    const first = [ex(1, 'how many customers are there'), ex(2, 'list the countries')];
    await svc.build(meta(first), embed(first), 0);
    const added = [ex(3, 'which orders were shipped late')];
    const all = [...first, ...added];
    const grown: IndexMeta = { ...meta(first), count: 3, corpusHash: corpusHashAppend(meta(first).corpusHash, added) };
    const rec = await svc.append(grown, meta(first), embed(added));
    expect(rec.key).toBe(indexKey(meta(all)));
    const { hits } = await svc.search(hashEmbed('orders shipped late'), 1, {
      slot: 'shop#mine',
      corpusHash: grown.corpusHash,
    });
    expect(hits[0].row).toBe(2);
    // a fresh service (a reload) restores the grown index under the full corpus's identity
    const svc2 = new IndexService(await IndexStore.open('loop-append-1'), { flat: flatFactory });
    expect((await svc2.restore(meta(all))).status).toBe('restored');
    const r = await svc2.restore(meta(first));
    expect(r.status).toBe('stale');
    if (r.status === 'stale') expect(r.reasons).toContain('corpus changed');
    // an append from a base that is not the stored index (any more) is refused
    await expect(svc2.append(grown, meta(first), embed(added))).rejects.toBeInstanceOf(IndexMismatchError);
    await expect(svc2.append(grown, meta(first), new Float32Array(3))).rejects.toThrow(/expected/);
  });
});

describe('the loop in the app', () => {
  test('a confirmed answer is retrieved first for a paraphrase, also after a reload, with no re-embedding', async () => {
    const first = await makeTestApp({ dbName: 'loop-app-1' });
    let docRows = 0;
    const embed = first.services.embedder.embed.bind(first.services.embedder);
    first.services.embedder.embed = async (texts, o = {}) => {
      if ((o.role ?? 'doc') === 'doc') docRows += texts.length;
      return embed(texts, o);
    };
    const { app } = first;
    await app.boot('', false);
    app.settings.update({ retriever: 'dense' });
    app.answer.question = 'Which customers live in Spain?';
    await app.answer.ask();
    expect(app.answer.retrieved[0].example.id).not.toMatch(/^mine-/);
    docRows = 0;
    await app.mine.confirm('Which customers live in Spain?', "SELECT name FROM customers WHERE country = 'Spain'");
    expect(app.mine.lastIndexing).toBe('built');
    expect(docRows).toBe(1);
    await app.mine.confirm('Who lives in France?', "SELECT name FROM customers WHERE country = 'France'");
    expect(app.mine.lastIndexing).toBe('appended');
    expect(docRows).toBe(2); // one more row: the first confirmed one was not embedded again
    app.answer.question = 'customers who live in Spain';
    await app.answer.ask();
    expect(app.answer.retrieved[0].example.question).toBe('Which customers live in Spain?');
    expect(app.answer.retrieved.length).toBeLessThanOrEqual(app.settings.value.k);

    const second = await makeTestApp({ dbName: 'loop-app-1', storage: first.storage });
    await second.app.boot('', false);
    expect(second.app.mine.examples).toHaveLength(2);
    expect(second.app.mine.ready).toBe(true);
    expect(second.calls.embedDocs).toBe(0);
    second.app.answer.question = 'customers who live in Spain';
    await second.app.answer.ask();
    expect(second.app.answer.retrieved[0].example.sql).toBe("SELECT name FROM customers WHERE country = 'Spain'");
    expect(myCorpus(second.app.mine.doc, 'x').hash).toBe(corpusHash(second.app.mine.examples));
  });
});

describe('the Evaluate page on My examples', () => {
  test('EX of the current setup on the confirmed questions, on the open database', async () => {
    const { EvalState } = await import('../../src/ui/evaluate.svelte.ts');
    const t = await makeTestApp({ dbName: 'loop-eval-1' });
    await t.app.boot('', false);
    const ev = new EvalState({ app: t.app, services: t.services, kv: t.kv });
    await ev.useMyExamples();
    expect(ev.datasetError).toMatch(/no confirmed examples/);
    await t.app.mine.confirm('How many customers are there?', 'SELECT count(*) FROM customers');
    await t.app.mine.confirm('Who is from Spain?', "SELECT name FROM customers WHERE country = 'Spain'");
    await ev.useMyExamples();
    expect(ev.dataset?.name).toBe('My examples · Demo shop (2)');
    expect(ev.dataset?.items.map((i) => i.gold)).toEqual(t.app.mine.examples.map((e) => e.sql));
    await ev.run();
    expect(ev.error).toBeNull();
    // the scripted model always answers the count query: right on one confirmed question of two
    expect(ev.runs[0].examples.map((e) => e.ex)).toEqual([true, false]);
  });
});

describe('withMyExamples', () => {
  test('close confirmed examples first (rows after the corpus), the corpus fills up; a lost index falls back', async () => {
    const { withMyExamples } = await import('../../src/lib/retrieve/mine.ts');
    const base = {
      name: 'bm25' as const,
      retrieve: async () => ({ hits: [0, 1, 2].map((row) => ({ row, score: 10 - row })), ms: 1 }),
    };
    const embedder = {
      id: 't',
      dim: 16,
      dtype: 'fp32',
      device: 'cpu',
      embed: async (ts: string[]) => hashEmbed(ts[0]),
    };
    const vecs = ['how many customers', 'list every product'].map((q) => hashEmbed(q));
    const index = {
      search: async (q: Float32Array, k: number, o?: { slot?: string }) => {
        if (o?.slot !== 'db#mine') throw new Error('no index is loaded for ' + o?.slot);
        const hits = vecs
          .map((v, row) => ({ row, score: v.reduce((s, x, i) => s + x * q[i], 0) }))
          .sort((a, b) => b.score - a.score);
        return { hits: hits.slice(0, k), ms: 0 };
      },
    };
    const r = withMyExamples(base, 100, { embedder, index, slot: 'db#mine', corpusHash: 'h', count: 2 });
    const { hits } = await r.retrieve('how many customers are there', 3);
    expect(hits.map((h) => h.row)).toEqual([100, 0, 1]);
    const lost = withMyExamples(base, 100, { embedder, index, slot: 'gone#mine', corpusHash: 'h', count: 2 });
    expect((await lost.retrieve('how many customers are there', 3)).hits.map((h) => h.row)).toEqual([0, 1, 2]);
  });
});
