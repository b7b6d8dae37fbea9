import { describe, expect, test } from 'vitest';
import { makeTestApp, makeCorpus, hashEmbed, DEMO_CORPUS, type TestApp } from './ui-fakes.ts';
import { writePack } from '../../src/lib/pack/write.ts';
import type { Corpus } from '../../src/lib/types.ts';
import { docText, type TextMode } from '../../src/lib/rag/doc-text.ts';

// The fake embedder of ui-fakes: USE-Lite's id (the local default), 16-d hash embeddings, q8.
const EMB = { id: 'universal-sentence-encoder-lite', dtype: 'q8', dim: 16 };

function vectorsOf(c: Corpus, mode: TextMode): Float32Array {
  const out = new Float32Array(c.examples.length * 16);
  c.examples.forEach((e, i) => out.set(hashEmbed(docText(e, mode, c.schemas)), i * 16));
  return out;
}

function packOf(c: Corpus, embedder = EMB, textMode: TextMode = 'question'): Uint8Array<ArrayBuffer> {
  return writePack({
    corpus: c,
    embedder,
    primary: { textMode, vectors: vectorsOf(c, textMode) },
    masked: { textMode: 'masked-question', vectors: vectorsOf(c, 'masked-question') },
  });
}

const PACKED = makeCorpus('Packed flights', [
  ['How many flights are there?', 'SELECT count(*) FROM flights'],
  ['Which airlines fly to Paris?', "SELECT airline FROM flights WHERE dest = 'Paris'"],
  ['List all airports', 'SELECT name FROM airports'],
  ['What is the longest flight?', 'SELECT max(duration) FROM flights'],
]);

const file = (bytes: Uint8Array<ArrayBuffer>, name = 'flights.crpack') => new File([bytes], name);

async function booted(opts: Parameters<typeof makeTestApp>[0] = {}): Promise<TestApp> {
  const t = await makeTestApp(opts);
  await t.app.boot('', false);
  return t;
}

async function topRow(t: TestApp, question: string): Promise<string> {
  const r = await t.app.indexes.retrieval!.retrieve('dense', question, 1);
  return t.app.corpus.current!.examples[r.hits[0].row].question;
}

describe('the demo pack on a first visit', () => {
  test('the demo corpus is searchable from its pack: nothing embedded, both indexes from the pack', async () => {
    const t = await booted({ dbName: 'ui-packs-demo', demoPack: packOf(DEMO_CORPUS) });
    expect(t.app.indexes.status).toBe('ready');
    expect(t.app.indexes.index?.origin).toBe('pack');
    expect(t.app.indexes.masked?.origin).toBe('pack');
    expect(t.app.indexes.maskedStage.status).toBe('ready');
    expect(t.app.indexes.embedRuns).toBe(0);
    expect(t.calls.embedDocs).toBe(0);
    expect(await topRow(t, 'Which customers are from France?')).toBe('Which customers are from France?');
    // The next visit restores the index the pack left in IndexedDB.
    const again = await booted({ dbName: 'ui-packs-demo', storage: t.storage });
    expect(again.app.indexes.index?.origin).toBe('restored');
    expect(again.calls.embedDocs).toBe(0);
  });

  test('a demo pack for another embedder, or a damaged one, is ignored: the demo is embedded as before', async () => {
    const other = await booted({ demoPack: packOf(DEMO_CORPUS, { ...EMB, id: 'Xenova/all-MiniLM-L6-v2' }) });
    expect(other.app.indexes.index?.origin).toBe('built');
    expect(other.calls.embedDocs).toBeGreaterThan(0);
    const broken = packOf(DEMO_CORPUS);
    broken[broken.length - 3] ^= 1;
    const damaged = await booted({ demoPack: broken });
    expect(damaged.app.indexes.index?.origin).toBe('built');
    expect(damaged.app.indexes.status).toBe('ready');
  });
});

describe('opening a pack from the Data tab', () => {
  test('a pack file becomes the corpus with its indexes, nothing embedded; a reload restores it', async () => {
    const t = await booted({ dbName: 'ui-packs-open' });
    const embedded = t.calls.embedDocs;
    await t.app.packs.openFile(file(packOf(PACKED)));
    expect(t.app.packs.error).toBeNull();
    expect(t.app.packs.opened).toMatch(/Packed flights: 4 examples opened in .* nothing embedded/);
    expect(t.app.corpus.current?.hash).toBe(PACKED.hash);
    expect(t.app.corpus.current?.name).toBe('Packed flights');
    expect(t.app.indexes.index?.origin).toBe('pack');
    expect(t.app.indexes.index?.record.meta.corpusHash).toBe(PACKED.hash);
    expect(t.calls.embedDocs).toBe(embedded);
    expect(t.app.jobs.list).toEqual([]);
    expect(await topRow(t, 'Which airlines fly to Paris?')).toBe('Which airlines fly to Paris?');
    const again = await makeTestApp({ dbName: 'ui-packs-open', storage: t.storage });
    await again.app.boot('', false);
    expect(again.app.corpus.current?.hash).toBe(PACKED.hash);
    expect(again.app.indexes.index?.origin).toBe('restored');
    expect(again.calls.embedDocs).toBe(0);
  });

  test('from a URL, as a job that can be cancelled (the previous corpus stays)', async () => {
    const t = await booted();
    t.servedBytes.set('http://packs.test/flights.crpack', packOf(PACKED));
    const p = t.app.packs.openUrl('http://packs.test/flights.crpack');
    expect(t.app.jobs.get('pack')?.label).toBe('Opening pack flights.crpack');
    t.app.packs.cancel();
    await p;
    expect(t.app.packs.error).toMatch(/cancelled; the previous corpus is still in use/);
    expect(t.app.corpus.current?.name).toBe(DEMO_CORPUS.name);
    expect(t.app.jobs.list).toEqual([]);
    await t.app.packs.openUrl('http://packs.test/flights.crpack');
    expect(t.app.packs.error).toBeNull();
    expect(t.app.corpus.current?.hash).toBe(PACKED.hash);
    await t.app.packs.openUrl('http://packs.test/missing.crpack');
    expect(t.app.packs.error).toMatch(/HTTP 404/);
    expect(t.app.corpus.current?.hash).toBe(PACKED.hash);
  });

  test('a truncated or tampered pack is refused with its reason; the previous corpus still answers', async () => {
    const t = await booted();
    const before = t.app.indexes.index?.record.key;
    const bytes = packOf(PACKED);
    await t.app.packs.openFile(file(bytes.slice(0, bytes.length - 40)));
    expect(t.app.packs.error).toMatch(/truncated/);
    const tampered = bytes.slice();
    tampered[tampered.length - 20] ^= 0x10;
    await t.app.packs.openFile(file(tampered));
    expect(t.app.packs.error).toMatch(/fails its checksum/);
    await t.app.packs.openFile(file(new TextEncoder().encode('question,sql\nq,SELECT 1\n')));
    expect(t.app.packs.error).toMatch(/not a usable corpus pack/);
    expect(t.app.corpus.current?.name).toBe(DEMO_CORPUS.name);
    expect(t.app.indexes.index?.record.key).toBe(before);
    expect(await topRow(t, 'How many customers are there?')).toBe('How many customers are there?');
  });

  test('a pack for another embedder says so; its examples can be re-embedded instead', async () => {
    const t = await booted();
    const embedded = t.calls.embedDocs;
    await t.app.packs.openFile(
      file(packOf(PACKED, { id: 'Xenova/bge-small-en-v1.5', dtype: 'q8', dim: 16 }, 'question')),
    );
    expect(t.app.packs.error).toMatch(
      /built with Xenova\/bge-small-en-v1.5 \(q8, 16-d\), you use universal-sentence-encoder-lite/,
    );
    expect(t.app.packs.foreign?.corpus.hash).toBe(PACKED.hash);
    expect(t.app.corpus.current?.name).toBe(DEMO_CORPUS.name);
    expect(t.calls.embedDocs).toBe(embedded);
    await t.app.packs.reembed();
    expect(t.app.packs.foreign).toBeNull();
    expect(t.app.corpus.current?.hash).toBe(PACKED.hash);
    expect(t.app.indexes.index?.origin).toBe('built');
    expect(t.app.indexes.index?.record.meta.corpusHash).toBe(PACKED.hash);
    expect(t.calls.embedDocs).toBeGreaterThan(embedded);
  });
});
