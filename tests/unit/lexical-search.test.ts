/**
 * The lexical seam (issue 18 item 3): BM25 in process (LocalLexicalSource) and through the
 * lexical worker's API over a real comlink endpoint (WorkerLexicalSource over a MessageChannel,
 * served by the same lexicalWorkerApi() the worker exposes) give identical hits, and Retrieval
 * over either gives the same results as before (its default, built in process).
 */
import { afterEach, describe, expect, test } from 'vitest';
import * as Comlink from 'comlink';
import { WorkerLexicalSource } from '../../src/browser/clients.ts';
import { CORPUS_PART_ROWS } from '../../src/lib/corpus/saved.ts';
import {
  LocalLexicalSearch,
  LocalLexicalSource,
  lexicalWorkerApi,
  maskedQuestions,
  type LexicalApi,
} from '../../src/lib/retrieve/lexical-search.ts';
import { LexicalIndex } from '../../src/lib/retrieve/lexical.ts';
import { Retrieval, type RetrieverName } from '../../src/lib/retrieve/strategies.ts';
import { docText } from '../../src/lib/rag/doc-text.ts';
import { sqlSkeleton } from '../../src/lib/sql/normalize.ts';
import { indexCorpus } from '../../src/lib/rag/pipeline.ts';
import type { IndexMeta } from '../../src/lib/index/store.ts';
import { registerErrorTransfer } from '../../src/lib/errors-transfer.ts';
import type { Corpus, TableInfo } from '../../src/lib/types.ts';

const schemas: Record<string, TableInfo[]> = {
  music: [
    { name: 'singer', columns: ['singer_id', 'name', 'country', 'age'] },
    { name: 'concert', columns: ['concert_id', 'concert_name', 'year'] },
  ],
  pets: [
    { name: 'pets', columns: ['pet_id', 'pet_type', 'weight'] },
    { name: 'owners', columns: ['owner_id', 'name', 'city'] },
  ],
};
const rows: [string, string, string][] = [
  ['music', 'How many singers are there?', 'SELECT count(*) FROM singer'],
  ['music', 'What is the average age of singers from France?', "SELECT avg(age) FROM singer WHERE country = 'France'"],
  ['music', 'List the names of singers ordered by age', 'SELECT name FROM singer ORDER BY age'],
  ['music', 'How many concerts were held in 2014?', 'SELECT count(*) FROM concert WHERE year = 2014'],
  ['music', 'Show the concert names and years', 'SELECT concert_name, year FROM concert'],
  ['pets', 'How many pets weigh more than 10?', 'SELECT count(*) FROM pets WHERE weight > 10'],
  ['pets', 'What is the average weight of dogs?', "SELECT avg(weight) FROM pets WHERE pet_type = 'dog'"],
  ['pets', 'Which owners live in Paris?', "SELECT name FROM owners WHERE city = 'Paris'"],
  ['pets', 'List the pet types ordered by weight', 'SELECT pet_type FROM pets ORDER BY weight'],
  ['pets', 'How many owners are there?', 'SELECT count(*) FROM owners'],
];
function corpus(hash = 'lex-test'): Corpus {
  return {
    name: 'lexical test',
    hash,
    examples: rows.map(([dbId, question, sql], i) => ({ id: `q${i}`, dbId, question, sql })),
    schemas,
  };
}
const QUESTIONS: [string, TableInfo[]][] = [
  ['How many singers are from Spain?', schemas.music],
  ['What is the average weight of cats?', schemas.pets],
  ['List the owners ordered by city', schemas.pets],
  ['Show the names of concerts in 2015', schemas.music],
];

const ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** The worker's API served over a MessageChannel; counts the loads (a corpus sent in parts: its `begin`) and the parts. */
function workerShaped(): { source: WorkerLexicalSource; loads: string[]; parts: number[] } {
  registerErrorTransfer();
  const api = lexicalWorkerApi();
  const loads: string[] = [];
  const parts: number[] = [];
  const served = {
    load: async (c: Corpus) => {
      loads.push(c.hash);
      if (c.name === 'broken') throw new Error('cannot build');
      return api.load(c);
    },
    begin: async (head: Omit<Corpus, 'examples'>, total: number) => {
      loads.push(head.hash);
      return api.begin(head, total);
    },
    append: async (hash: string, examples: Corpus['examples']) => {
      parts.push(examples.length);
      return api.append(hash, examples);
    },
    finish: api.finish,
    search: api.search,
    docTexts: api.docTexts,
    skeletons: api.skeletons,
  };
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  Comlink.expose(served, port1 as unknown as Comlink.Endpoint);
  return {
    source: new WorkerLexicalSource(Comlink.wrap<LexicalApi>(port2 as unknown as Comlink.Endpoint)),
    loads,
    parts,
  };
}

describe('LexicalSearch', () => {
  test('LocalLexicalSearch is the MiniSearch BM25 over the questions and over the masked questions', async () => {
    const c = corpus();
    const s = new LocalLexicalSearch(c);
    const plain = new LexicalIndex(c.examples.map((e) => e.question));
    const masked = new LexicalIndex(maskedQuestions(c));
    expect(maskedQuestions(c).some((m) => m.includes('['))).toBe(true);
    for (const [q] of QUESTIONS) {
      expect(await s.search(q, 5)).toEqual(plain.search(q, 5));
      expect(await s.search(q, 5, { masked: true })).toEqual(masked.search(q, 5));
      expect(await s.search(q, 5, { exclude: [0, 5] })).toEqual(plain.search(q, 5, new Set([0, 5])));
    }
  });

  test('the worker client gives the same hits, and starts building when the corpus is given', async () => {
    const { source, loads } = workerShaped();
    const c = corpus();
    const remote = source.forCorpus(c);
    // the build was sent at once, not at the first search
    await new Promise((r) => setTimeout(r, 20));
    expect(loads).toEqual([c.hash]);
    const local = new LocalLexicalSource().forCorpus(c);
    for (const [q] of QUESTIONS)
      for (const o of [{}, { masked: true }, { exclude: [1, 2] }, { masked: true, exclude: [3] }]) {
        const hits = await remote.search(q, 4, o);
        expect(hits).toEqual(await local.search(q, 4, o));
        expect(hits.length).toBeGreaterThan(0);
      }
    // once per corpus
    source.forCorpus(c);
    expect(loads).toEqual([c.hash]);
  });

  test('a large corpus goes to the worker in parts of CORPUS_PART_ROWS and searches as in process', async () => {
    const { source, loads, parts } = workerShaped();
    const n = 2 * CORPUS_PART_ROWS + 345;
    const base = corpus();
    const big: Corpus = {
      ...base,
      hash: 'big',
      examples: Array.from({ length: n }, (_, i) => {
        const [dbId, question, sql] = rows[i % rows.length];
        return { id: `b${i}`, dbId, question: `${question} (variant ${i % 97})`, sql };
      }),
    };
    const remote = source.forCorpus(big);
    const local = new LocalLexicalSource().forCorpus(big);
    for (const [q] of QUESTIONS)
      for (const o of [{}, { masked: true }, { exclude: [0, 1500, n - 1] }]) {
        const hits = await remote.search(q, 6, o);
        expect(hits).toEqual(await local.search(q, 6, o));
        expect(hits.length).toBe(6);
      }
    expect(await remote.skeletons()).toEqual(await local.skeletons());
    expect(loads).toEqual(['big']);
    expect(parts).toEqual([CORPUS_PART_ROWS, CORPUS_PART_ROWS, 345]);
    // a corpus of at most one part still goes in one message
    source.forCorpus(base);
    await remote.search('singers', 1);
    expect(parts).toHaveLength(3);
  });

  test('the worker refuses a corpus received short, long or never begun', async () => {
    const api = lexicalWorkerApi();
    const { examples, ...head } = corpus('parts');
    await expect(api.append('parts', examples)).rejects.toThrow(/not begun/);
    await api.begin(head, examples.length + 1);
    await api.append('parts', examples);
    await expect(api.finish('parts')).rejects.toThrow(/10 rows received, 11 announced/);
    await expect(api.search('parts', 'singers', 3)).rejects.toThrow(/not loaded/);
    await api.begin(head, 3);
    await expect(api.append('parts', examples)).rejects.toThrow(/10 rows received, 3 announced/);
    await api.begin(head, examples.length);
    await api.append('parts', examples.slice(0, 4));
    await api.append('parts', examples.slice(4));
    await api.finish('parts');
    expect(await api.search('parts', 'singers', 3)).toEqual(
      await new LocalLexicalSearch(corpus('parts')).search('singers', 3),
    );
  });

  test('a failed build is reported by the search and tried again for the next question', async () => {
    const { source, loads } = workerShaped();
    const bad = { ...corpus('bad'), name: 'broken' };
    await expect(source.forCorpus(bad).search('singers', 3)).rejects.toThrow(/cannot build/);
    await expect(source.forCorpus(bad).search('singers', 3)).rejects.toThrow(/cannot build/);
    expect(loads).toEqual(['bad', 'bad']);
  });

  test('Retrieval over the worker client returns what it returns with its in-process default', async () => {
    const { source } = workerShaped();
    const c = corpus();
    const before = new Retrieval({ corpus: c });
    const after = new Retrieval({ corpus: c, lexical: source.forCorpus(c) });
    const names: RetrieverName[] = ['bm25', 'masked-bm25', 'draft-rerank', 'vote', 'bm25+mmr', 'vote+mmr'];
    for (const name of names)
      for (const [q, tables] of QUESTIONS) {
        const a = await before.retrieve(name, q, 3, { tables, exclude: [0] });
        const b = await after.retrieve(name, q, 3, { tables, exclude: [0] });
        expect(b.hits).toEqual(a.hits);
        expect(a.hits.length).toBeGreaterThan(0);
      }
  });

  test('the derived texts (document texts, skeletons) come from the lexical side, the same in process and through the worker', async () => {
    const { source } = workerShaped();
    const c = corpus();
    const remote = source.forCorpus(c);
    const local = new LocalLexicalSearch(c);
    for (const mode of ['question', 'masked-question', 'schema+sql', 'mix'] as const) {
      const want = c.examples.map((e) => docText(e, mode, c.schemas));
      expect(await local.docTexts(mode)).toEqual(want);
      expect(await remote.docTexts(mode)).toEqual(want);
    }
    expect(await remote.docTexts('masked-question')).toEqual(maskedQuestions(c));
    const skels = c.examples.map((e) => sqlSkeleton(e.sql));
    expect(new Set(skels).size).toBeGreaterThan(2);
    expect(await local.skeletons()).toEqual(skels);
    expect(await remote.skeletons()).toEqual(skels);
  });

  test('Retrieval takes the skeletons from its lexical side (once), never computing them itself', async () => {
    const c = corpus();
    const inner = new LocalLexicalSearch(c);
    let calls = 0;
    // every row gets one and the same skeleton: vote can then return one example only
    const lexical = {
      search: inner.search.bind(inner),
      docTexts: inner.docTexts.bind(inner),
      skeletons: async () => {
        calls++;
        return c.examples.map(() => 'SELECT _ FROM _');
      },
    };
    const r = new Retrieval({ corpus: c, lexical });
    const [q, tables] = QUESTIONS[0];
    expect((await r.retrieve('vote', q, 3, { tables })).hits).toHaveLength(1);
    expect((await new Retrieval({ corpus: c }).retrieve('vote', q, 3, { tables })).hits.length).toBeGreaterThan(1);
    await r.retrieve('vote+mmr', q, 3, { tables });
    await r.retrieve('bm25', q, 3, { tables });
    expect(calls).toBe(1);
    // a lexical side that gives the wrong number of skeletons is an error, not wrong rows
    const short = new Retrieval({ corpus: c, lexical: { ...lexical, skeletons: async () => ['x'] } });
    await expect(short.retrieve('vote', q, 3, { tables })).rejects.toThrow(/1 skeletons for 10 rows/);
  });

  test('indexCorpus embeds the texts it is given (from the lexical worker), checked against the row count', async () => {
    const c = corpus();
    const meta = { dim: 2 } as IndexMeta;
    const seen: string[] = [];
    const svc = {
      embedDocs: async (t: string[]) => {
        seen.push(...t);
        return new Float32Array(t.length * 2);
      },
      build: async () => ({}) as never,
    };
    const texts = c.examples.map((e) => `given ${e.id}`);
    await indexCorpus(svc, { corpus: c, meta, textMode: 'masked-question', texts: async () => texts });
    expect(seen).toEqual(texts);
    await expect(
      indexCorpus(svc, { corpus: c, meta, textMode: 'question', texts: async () => texts.slice(1) }),
    ).rejects.toThrow(/9 document texts for 10 examples/);
  });
});
