import { describe, expect, test, vi } from 'vitest';
import { makeTestApp, makeCorpus, DEMO_CORPUS } from './ui-fakes.ts';
import { START_DB_HINT_KEY } from '../../src/ui/demo-urls.ts';
import { defaultIndexKind } from '../../src/lib/index/choose.ts';
import { decodeShare } from '../../src/lib/share/codec.ts';
import type { RetrieverName } from '../../src/lib/retrieve/strategies.ts';
import { sqlJs } from '../../src/node/host.ts';
import type { JobProgress } from '../../src/ui/state/phased-progress.ts';
import { OfflineReadiness, sameModel } from '../../src/ui/state/offline.svelte.ts';
import { LinearAdapter, serializeAdapter, type AdapterMetrics } from '../../src/lib/train/adapter.ts';

/** An identity adapter file for the fake embedder (16-d) with the given held-out scores. */
function adapterJson(metrics?: AdapterMetrics): string {
  return serializeAdapter(LinearAdapter.identity(16), {
    embedderId: 'universal-sentence-encoder-lite',
    dim: 16,
    dataHash: 'h',
    createdAt: '2026-01-01T00:00:00Z',
    config: {},
    ...(metrics ? { metrics } : {}),
  });
}
const scores = (base: number, adapted: number): AdapterMetrics => ({
  base: { recall3: 0.5, ndcg10: base },
  adapted: { recall3: 0.5, ndcg10: adapted },
});

describe('AppState boot and readiness', () => {
  test('boot opens the demo database and corpus, loads the models and builds the index', async () => {
    const { app, calls } = await makeTestApp();
    expect(app.answer.canAsk).toBe(false);
    expect(app.answer.whyNot).toBe('Open a database first.');
    await app.boot('', false);
    expect(app.bootError).toBeNull();
    expect(app.database.info?.name).toBe('Demo shop');
    expect(app.database.isDemo).toBe(true);
    expect(app.corpus.current?.name).toBe(DEMO_CORPUS.name);
    // local models decide the defaults
    expect(app.models.localModels).toEqual(['universal-sentence-encoder-lite', 'tiny-sql-lm']);
    expect(app.embedder.info?.id).toBe('universal-sentence-encoder-lite');
    expect(app.generator.info?.id).toBe('tiny-sql-lm');
    expect(app.indexes.status).toBe('ready');
    expect(app.indexes.index?.origin).toBe('built');
    // the default index setting ('auto') builds the kind the size table names for the corpus
    expect(app.indexes.index?.record.meta.kind).toBe(defaultIndexKind(DEMO_CORPUS.examples.length));
    expect(app.indexes.embedRuns).toBeGreaterThanOrEqual(1);
    expect(calls.embedDocs).toBeGreaterThan(0);
    expect(app.jobs.list).toEqual([]);
    // ready, but no question yet
    expect(app.answer.canAsk).toBe(false);
    expect(app.answer.whyNot).toBe('Type a question.');
    app.answer.question = '  ';
    expect(app.answer.canAsk).toBe(false);
    app.answer.question = 'How many customers?';
    expect(app.answer.canAsk).toBe(true);
    expect(app.answer.whyNot).toBeNull();
  });

  test('a second visit restores the stored index instead of embedding again', async () => {
    const first = await makeTestApp({ dbName: 'coderag-ui-restore' });
    await first.app.boot('', false);
    const second = await makeTestApp({ dbName: 'coderag-ui-restore', storage: first.storage });
    await second.app.boot('', false);
    expect(second.app.indexes.index?.origin).toBe('restored');
    expect(second.app.indexes.embedRuns).toBe(0);
    expect(second.calls.embedDocs).toBe(0);
  });

  test('why-not follows the stages: model waiting for a download, index not ready with k > 0', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    app.answer.question = 'q';
    app.settings.update({ k: 0 });
    expect(app.answer.canAsk).toBe(true);
    app.settings.update({ k: 3 });
    await app.indexes.delete(app.indexes.index!.record.key);
    expect(app.indexes.status).toBe('idle');
    expect(app.indexes.note).toMatch(/deleted/);
    // no question index: the lexical strategies answer meanwhile (ui-boot.test.ts)
    expect(app.indexes.retrieval?.hasDense).toBe(false);
    expect(app.answer.whyNot).toBeNull();
    app.settings.update({ k: 0 });
    expect(app.answer.whyNot).toBeNull();
    // a Hub model over the auto-download size waits for the user's go-ahead
    app.settings.update({ cpuModelId: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', autoDownloadMB: 1 });
    await app.generator.load();
    expect(app.generator.status).toBe('needs-confirm');
    expect(app.generator.pendingDownload?.label).toMatch(/MB download/);
    // meanwhile the instant generator answers (ui-instant.test.ts): nothing waits for the download
    expect(app.answer.whyNot).toBeNull();
    await app.generator.pendingDownload!.go();
    expect(app.generator.status).toBe('ready');
    expect(app.generator.info?.id).toBe('onnx-community/Qwen2.5-Coder-0.5B-Instruct');
  });

  test('an embedder that fails to load leaves the index idle, with the error shown', async () => {
    const t = await makeTestApp();
    t.script.embedFails = 'model file missing';
    await t.app.boot('', false);
    expect(t.app.embedder.status).toBe('error');
    expect(t.app.embedder.error).toBe('model file missing');
    expect(t.app.indexes.status).toBe('idle');
    // questions are still answered, from the corpus's lexical (BM25) indexes
    t.app.answer.question = 'How many customers?';
    expect(t.app.answer.whyNot).toBeNull();
    await t.app.answer.ask();
    expect(t.app.answer.error).toBeNull();
    expect(t.app.answer.retrievalNote).toMatch(/while the search index loads/);
  });
});

describe('lexical indexes', () => {
  test('the corpus’s lexical indexes are requested when it loads, before the first question', async () => {
    const t = await makeTestApp();
    const asked: string[] = [];
    const forCorpus = t.services.lexical.forCorpus.bind(t.services.lexical);
    t.services.lexical.forCorpus = (c) => {
      asked.push(c.hash);
      return forCorpus(c);
    };
    await t.app.boot('', false);
    expect(asked.length).toBeGreaterThan(0);
    expect(new Set(asked)).toEqual(new Set([DEMO_CORPUS.hash]));
    expect(t.calls.generate).toBe(0);
  });
});

describe('asking', () => {
  test('ask runs retrieval, generation and execution, and tells the hooks', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    const events: string[] = [];
    app.answer.setHooks({
      beforeAsk: async () => void events.push('before'),
      followUp: () => null,
      answered: (e) => events.push(`${e.kind}:${e.sql}:${e.result?.rows.length}`),
    });
    app.settings.update({ retriever: 'dense' });
    app.answer.question = 'Which customers are from France?';
    await app.answer.ask();
    expect(app.answer.error).toBeNull();
    expect(app.answer.retrieved[0].example.question).toBe('Which customers are from France?');
    expect(app.answer.prompt?.examplesUsed).toBe(3);
    expect(app.answer.sqlText).toBe('SELECT count(*) FROM customers');
    expect(app.answer.result?.rows).toEqual([[3]]);
    expect(app.answer.running).toBe(false);
    expect(events).toEqual(['before', 'ask:SELECT count(*) FROM customers:1']);
  });

  test('stop ends a running question with "stopped" and interrupts the model', async () => {
    const t = await makeTestApp();
    await t.app.boot('', false);
    let release!: () => void;
    t.script.hold = new Promise((r) => (release = r));
    t.app.answer.question = 'How many customers?';
    const p = t.app.answer.ask();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.app.answer.running).toBe(true);
    expect(t.app.answer.canAsk).toBe(false);
    t.app.answer.stop();
    release();
    await p;
    expect(t.calls.interrupt).toBe(1);
    expect(t.app.answer.error).toEqual({ stage: 'question', message: 'stopped' });
    expect(t.app.answer.result).toBeNull();
  });

  test('stop during execution shows "stopped", no result, and tells the hooks nothing (the turn is not saved)', async () => {
    const t = await makeTestApp();
    await t.app.boot('', false);
    const answered: string[] = [];
    t.app.answer.setHooks({ beforeAsk: async () => {}, followUp: () => null, answered: (e) => answered.push(e.sql) });
    t.app.answer.question = 'How many customers?';
    await t.app.answer.ask();
    expect(answered).toEqual(['SELECT count(*) FROM customers']);
    let release!: () => void;
    t.script.execHold = new Promise((r) => (release = r));
    t.script.reply = () => 'SELECT name FROM customers';
    t.app.answer.question = 'Names of customers?';
    const p = t.app.answer.ask();
    await vi.waitFor(() => expect(t.app.answer.sqlText).toBe('SELECT name FROM customers'));
    const t0 = performance.now();
    t.app.answer.stop();
    await p;
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(500);
    expect(t.app.answer.running).toBe(false);
    expect(t.app.answer.error).toEqual({ stage: 'question', message: 'stopped' });
    expect(t.app.answer.result).toBeNull();
    expect(answered).toEqual(['SELECT count(*) FROM customers']);
    release();
  });

  test('stop during retrieval ends the question before the model is asked', async () => {
    const t = await makeTestApp();
    await t.app.boot('', false);
    const answered: string[] = [];
    t.app.answer.setHooks({ beforeAsk: async () => {}, followUp: () => null, answered: (e) => answered.push(e.sql) });
    t.app.settings.update({ retriever: 'dense' });
    const embed = t.services.embedder.embed.bind(t.services.embedder);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    t.services.embedder.embed = async (...a) => {
      await held;
      return embed(...a);
    };
    t.app.answer.question = 'How many customers?';
    const p = t.app.answer.ask();
    await new Promise((r) => setTimeout(r, 20));
    t.app.answer.stop();
    await p;
    release();
    expect(t.app.answer.error).toEqual({ stage: 'question', message: 'stopped' });
    expect(t.calls.generate).toBe(0);
    expect(t.app.answer.retrieved).toEqual([]);
    expect(answered).toEqual([]);
  });

  test('runSql reports an SQL error at the execute stage, and show() puts a stored answer back', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.answer.runSql('SELECT nope FROM customers');
    expect(app.answer.error?.stage).toBe('execute');
    expect(app.answer.error?.message).toMatch(/no such column/);
    app.answer.show({ sql: 'SELECT 1', result: { columns: ['1'], rows: [[1]], ms: 1 }, error: null, prompt: null });
    expect(app.answer.sqlText).toBe('SELECT 1');
    expect(app.answer.error).toBeNull();
    expect(app.answer.retrieved).toEqual([]);
  });
});

describe('retrieval over the current corpus', () => {
  test('the Retrieval is kept while nothing changes, and replaced when the adapter or corpus changes', async () => {
    const { app, served } = await makeTestApp();
    await app.boot('', false);
    const r1 = app.indexes.retrieval;
    expect(r1).not.toBeNull();
    expect(app.indexes.retrieval).toBe(r1);
    app.settings.update({ k: 4 }); // unrelated setting
    expect(app.indexes.retrieval).toBe(r1);
    app.adapter.setOn(false);
    const r2 = app.indexes.retrieval;
    expect(r2).not.toBe(r1);
    served.set(
      'http://data.test/c.jsonl',
      [
        { question: 'Count the customers', query: 'SELECT count(*) FROM customers' },
        { question: 'Customer names', query: 'SELECT name FROM customers' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    await app.corpus.loadUrl('http://data.test/c.jsonl');
    expect(app.corpus.error).toBeNull();
    expect(app.corpus.current?.name).toBe('c.jsonl (2)');
    expect(app.indexes.retrieval).not.toBe(r2);
    // the new corpus got its own index
    expect(app.indexes.status).toBe('ready');
    expect(app.indexes.index?.record.meta.count).toBe(2);
  });

  test('a strategy that needs the masked-question index builds it, as its own job', async () => {
    const { app } = await makeTestApp();
    app.settings.update({ retriever: 'dense' });
    await app.boot('', false);
    expect(app.indexes.needsMasked()).toBe(false);
    expect(app.indexes.maskedStage.status).toBe('idle');
    await app.indexes.setRetriever('vote');
    expect(app.settings.value.retriever).toBe('vote');
    expect(app.indexes.needsMasked()).toBe(true);
    expect(app.indexes.maskedStage.status).toBe('ready');
    expect(app.indexes.masked?.record.meta.textMode).toBe('masked-question');
    await expect(app.indexes.setRetriever('nonsense' as RetrieverName)).rejects.toThrow();
    expect(app.settings.value.retriever).toBe('vote');
  });
});

describe('indexing is one job with both phases', () => {
  test('the question and masked-question indexes are built as steps 1 and 2 of one job, with an ETA', async () => {
    const { app } = await makeTestApp();
    expect(app.indexes.needsMasked()).toBe(true); // the default strategy uses both indexes
    const started: string[] = [];
    const events: JobProgress[] = [];
    const start = app.jobs.start.bind(app.jobs);
    vi.spyOn(app.jobs, 'start').mockImplementation((key, label, cancel) => {
      started.push(key);
      const on = start(key, label, cancel);
      return (p) => {
        if (key === 'index') events.push(p);
        on(p);
      };
    });
    await app.boot('', false);
    expect(app.indexes.status).toBe('ready');
    expect(app.indexes.maskedStage.status).toBe('ready');
    expect(app.indexes.embedRuns).toBe(2);
    expect(started.filter((k) => k === 'index' || k === 'masked')).toEqual(['index']);
    const n = DEMO_CORPUS.examples.length;
    expect(events.map((e) => [e.step, e.steps])).toContainEqual([1, 2]);
    expect(events.map((e) => [e.step, e.steps])).toContainEqual([2, 2]);
    expect(events.every((e) => e.total === 2 * n)).toBe(true);
    // one bar that never goes back
    for (let i = 1; i < events.length; i++) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    expect(events.at(-1)!.done).toBe(2 * n);
    expect(events.find((e) => e.step === 2)!.phase).toMatch(/^step 2 of 2, masked-question index/);
    expect(events.some((e) => e.etaMs != null)).toBe(true);
    expect(app.jobs.list).toEqual([]);
  });
});

describe('offline after one visit', () => {
  test('an offline reload finds the local models from the last visit and never picks Hub models', async () => {
    const first = await makeTestApp({ dbName: 'coderag-ui-offline' });
    await first.app.boot('', false);
    expect(first.app.models.localSource).toBe('server');
    // offline, the server gone: the list from the first visit is used
    const second = await makeTestApp({ dbName: 'coderag-ui-offline', storage: first.storage });
    second.network.offline = true;
    await second.app.boot('', false);
    expect(second.app.models.offline).toBe(true);
    expect(second.app.models.localSource).toBe('remembered');
    expect(second.app.models.localModels).toEqual(['universal-sentence-encoder-lite', 'tiny-sql-lm']);
    expect(second.app.embedder.info?.id).toBe('universal-sentence-encoder-lite');
    expect(second.app.generator.info?.id).toBe('tiny-sql-lm');
    expect(second.app.generator.pendingDownload).toBeNull();
    expect(second.app.indexes.index?.origin).toBe('restored');
    second.app.answer.question = 'How many customers?';
    await second.app.answer.ask();
    expect(second.app.answer.result?.rows).toEqual([[3]]);
  });

  test('a fresh offline browser with no list gets no download offer, but a clear message', async () => {
    const t = await makeTestApp();
    t.network.offline = true;
    t.services.generator.loadCpu = (async () => {
      throw new Error('Failed to fetch');
    }) as never;
    await t.app.boot('', false);
    expect(t.app.models.localModels).toEqual([]);
    expect(t.app.generator.status).not.toBe('needs-confirm');
    expect(t.app.generator.pendingDownload).toBeNull();
    expect(t.app.generator.error).toMatch(/^you are offline, and .* is not stored in this browser \(Failed to fetch\)/);
  });

  test('a server that answers with no local models is remembered as none', async () => {
    const first = await makeTestApp({ dbName: 'coderag-ui-offline-none' });
    first.served.set('http://app.test/models/index.json', JSON.stringify({ models: [] }));
    await first.app.models.discoverLocalModels();
    expect(first.app.models.localModels).toEqual([]);
    first.network.offline = true;
    await first.app.models.discoverLocalModels();
    expect(first.app.models.localModels).toEqual([]);
    expect(first.app.models.localSource).toBe('none');
  });
});

describe('database and corpus', () => {
  test('a database opened from a URL is reopened after a reload; a failed URL keeps the current one', async () => {
    const first = await makeTestApp({ dbName: 'coderag-ui-db' });
    await first.app.boot('', false);
    // the hint the page's entry reads before the app loads (src/main.ts: open the demo early or not)
    expect(first.storage.get(START_DB_HINT_KEY)).toBe('demo');
    first.served.set('http://data.test/missing.sqlite', '');
    first.served.delete('http://data.test/missing.sqlite');
    await first.app.database.openUrl('http://data.test/missing.sqlite');
    expect(first.app.database.error).toBe('HTTP 404 fetching http://data.test/missing.sqlite');
    expect(first.app.database.info?.name).toBe('Demo shop');
    await first.app.database.openContext('CREATE TABLE t (a INTEGER);');
    expect(first.app.database.info?.name).toBe('Schema context');
    expect(first.app.database.origin).toBeNull();
    expect(first.app.database.tables.map((t) => t.name)).toEqual(['t']);
    expect(first.storage.get(START_DB_HINT_KEY)).toBe('other');
    const second = await makeTestApp({ dbName: 'coderag-ui-db', storage: first.storage });
    await second.app.boot('', false);
    expect(second.app.database.info?.name).toBe('Schema context');
    expect(second.app.database.isDemo).toBe(false);
  });

  test('a bad corpus file never replaces the current corpus', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.corpus.loadFiles([new File(['{}'], 'tables.json')]);
    expect(app.corpus.error).toBe('choose a questions file, not only tables.json');
    await app.corpus.loadFiles([new File(['not,a\ncorpus,file'], 'bad.csv')]);
    expect(app.corpus.error).toMatch(/bad\.csv/);
    expect(app.corpus.current?.name).toBe(DEMO_CORPUS.name);
  });

  test('the Storage page lists what is saved under readable labels', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.database.openContext('CREATE TABLE t (a INTEGER);');
    const saved = await app.saved.list();
    expect(saved).toContainEqual({ key: 'db:current', label: 'Opened database (used after a reload)' });
    await app.saved.delete('db:current');
    expect((await app.saved.list()).map((s) => s.key)).not.toContain('db:current');
  });
});

describe('share links', () => {
  test('the link carries the real question, database, corpus, models and k', async () => {
    const { app, served } = await makeTestApp();
    await app.boot('', false);
    served.set('http://data.test/c.jsonl', JSON.stringify({ question: 'Count', query: 'SELECT 1' }));
    await app.corpus.loadUrl('http://data.test/c.jsonl');
    app.answer.question = 'How many customers?';
    app.settings.update({ k: 2 });
    const { url, notes } = app.share.make();
    expect(url.startsWith('http://app.test/?')).toBe(true);
    expect(app.share.url).toBe(url);
    expect(notes).toEqual([]);
    const st = decodeShare(new URL(url).search).state;
    expect(st).toMatchObject({
      question: 'How many customers?',
      db: { kind: 'demo' },
      corpus: { kind: 'url', url: 'http://data.test/c.jsonl' },
      embedder: 'universal-sentence-encoder-lite',
      generator: { engine: 'cpu', id: 'tiny-sql-lm' },
      k: 2,
    });
  });

  test('a local database and corpus are named in the notes', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    await app.database.openContext('CREATE TABLE t (a INTEGER);');
    await app.corpus.loadFiles([new File(['question,sql\nCount,SELECT 1\n'], 'mine.csv')]);
    const { notes } = app.share.make();
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/database is a local file/);
    expect(notes[1]).toMatch(/corpus is a local file/);
  });

  test('opening a link applies its settings and runs its question once everything is ready', async () => {
    const t = await makeTestApp();
    const search = '?q=Which%20customers%20are%20from%20France%3F&k=1&gen=cpu:tiny-sql-lm&adapter=1&bogus=1';
    t.script.reply = () => "SELECT name FROM customers WHERE country = 'France'";
    await t.app.boot(search, false);
    expect(t.app.settings.value.k).toBe(1);
    expect(t.app.settings.value.engine).toBe('cpu');
    expect(t.app.share.errors).toEqual([
      'unknown link parameter "bogus" (ignored)',
      'this link asks for a query adapter, but none is trained in this browser yet; running without it',
    ]);
    // the question starts when the last piece is ready (the index or the model), not with boot()
    await vi.waitFor(() => expect(t.app.answer.vote).not.toBeNull());
    expect(t.app.answer.result?.rows).toEqual([['Ann'], ['Cy']]);
    // asked once: the greedy generation and the pool's samples (candidates per question)
    expect(t.calls.generate).toBe(t.app.answer.candidateCount);
    expect(t.app.share.pendingRun).toBe(false);
    t.app.share.dismissErrors();
    expect(t.app.share.errors).toEqual([]);
  });
});

describe('the query adapter is applied only when it beats none', () => {
  test('a worse adapter is kept but switched off, with the numbers; a better one is switched on', async () => {
    const { app } = await makeTestApp();
    await app.boot('', false);
    expect(app.settings.value.adapterOn).toBe(true); // the default
    const worse = await app.adapter.save(adapterJson(scores(0.691, 0.685)));
    expect(worse.on).toBe(false);
    expect(app.adapter.current).not.toBeNull(); // kept
    expect(app.settings.value.adapterOn).toBe(false);
    expect(app.adapter.active).toBe(false);
    expect(app.adapter.decision?.message).toMatch(/not better than none.*0\.691 without it, 0\.685 with it.*off/);
    const equal = await app.adapter.save(adapterJson(scores(0.7, 0.7)));
    expect(equal.on).toBe(false);
    const better = await app.adapter.save(adapterJson(scores(0.685, 0.691)));
    expect(better).toMatchObject({ on: true, base: 0.685, adapted: 0.691 });
    expect(app.adapter.active).toBe(true);
    // no held-out scores: nothing shows it helps, so it stays off
    expect((await app.adapter.save(adapterJson())).on).toBe(false);
    expect(app.adapter.active).toBe(false);
  });
});

describe('share links reproduce the adapter and say what differs', () => {
  test('the link carries the real adapter state, and adapter=0 turns the adapter off', async () => {
    const sender = await makeTestApp();
    await sender.app.boot('', false);
    await sender.app.adapter.save(adapterJson(scores(0.5, 0.6)));
    expect(sender.app.adapter.active).toBe(true);
    let made = sender.app.share.make();
    expect(decodeShare(new URL(made.url).search).state.adapter).toBe(true);
    expect(made.notes.join(' ')).toMatch(/adapter is on/);
    sender.app.adapter.setOn(false);
    made = sender.app.share.make();
    expect(decodeShare(new URL(made.url).search).state.adapter).toBe(false);

    // a recipient with an adapter switched on opens adapter=0: it is switched off
    const recipient = await makeTestApp({ dbName: 'coderag-ui-share-adapter' });
    await recipient.app.boot('', false);
    await recipient.app.adapter.save(adapterJson(scores(0.5, 0.6)));
    expect(recipient.app.adapter.active).toBe(true);
    const again = await makeTestApp({ dbName: 'coderag-ui-share-adapter', storage: recipient.storage });
    await again.app.boot(new URL(made.url).search, false);
    expect(again.app.adapter.current).not.toBeNull();
    expect(again.app.adapter.active).toBe(false);
    expect(again.app.share.errors).toEqual([]);
    // and adapter=1 switches it back on, with nothing to report
    const on = await makeTestApp({ dbName: 'coderag-ui-share-adapter', storage: recipient.storage });
    await on.app.boot('?adapter=1', false);
    expect(on.app.adapter.active).toBe(true);
    expect(on.app.share.errors).toEqual([]);
  });

  test('a local database and corpus are named in the link; the recipient is told and nothing runs', async () => {
    const sender = await makeTestApp();
    await sender.app.boot('', false);
    const SQL = await sqlJs();
    const db = new SQL.Database();
    db.run('CREATE TABLE t (a INTEGER)');
    await sender.app.database.openFile(new File([new Uint8Array(db.export())], 'mine.sqlite'));
    expect(sender.app.database.info?.name).toBe('mine.sqlite');
    await sender.app.corpus.loadFiles([new File(['question,sql\nCount,SELECT 1\n'], 'mine.csv')]);
    sender.app.answer.question = 'How many?';
    const { url } = sender.app.share.make();
    const st = decodeShare(new URL(url).search).state;
    expect(st.db).toEqual({ kind: 'local', name: 'mine.sqlite' });
    expect(st.corpus).toEqual({ kind: 'local', name: 'mine.csv (1)' });

    // a recipient who last used another database: it stays open, and the difference is named
    const r = await makeTestApp({ dbName: 'coderag-ui-share-local' });
    await r.app.boot('', false);
    await r.app.database.openContext('CREATE TABLE other (b TEXT);');
    const r2 = await makeTestApp({ dbName: 'coderag-ui-share-local', storage: r.storage });
    await r2.app.boot(new URL(url).search, false);
    expect(r2.app.database.info?.name).toBe('Schema context'); // the recipient's own, not silently the demo
    expect(r2.app.database.tables.map((t) => t.name)).toEqual(['other']);
    expect(r2.app.share.errors).toHaveLength(2);
    expect(r2.app.share.errors[0]).toMatch(/sender's database was a local file \("mine\.sqlite"\)/);
    expect(r2.app.share.errors[0]).toMatch(/your database "Schema context" instead/);
    expect(r2.app.share.errors[0]).toMatch(/question was not run/);
    expect(r2.app.share.errors[1]).toMatch(/sender's example corpus was a local file \("mine\.csv \(1\)"\)/);
    expect(r2.app.answer.question).toBe('How many?');
    expect(r2.app.share.pendingRun).toBe(false);
    await new Promise((res) => setTimeout(res, 30));
    expect(r2.calls.generate).toBe(0);
  });
});

describe('a share link whose database or corpus fails runs nothing elsewhere', () => {
  const cases: [string, (served: Map<string, string>, url: string) => void, RegExp][] = [
    ['an unreachable host', () => {}, /could not be opened \(.*(fetch|reach)/i],
    ['a 404 HTML page', () => {}, /HTTP 404/],
    ['an HTML page served as 200', (s, u) => s.set(u, '<!DOCTYPE html><html><body>Not here</body></html>'), /SQLite/i],
    [
      'random bytes',
      (s, u) =>
        s.set(u, 'x'.repeat(300) + String.fromCharCode(...Array.from({ length: 200 }, (_, i) => (i * 37) % 251))),
      /SQLite|database/i,
    ],
    ['a zero-byte file', (s, u) => s.set(u, ''), /empty/],
  ];
  for (const [what, serve, msg] of cases) {
    test(`db= ${what}: the failure is shown and the question is not run`, async () => {
      const t = await makeTestApp();
      const host = what === 'an unreachable host' ? 'db.unreachable.test' : 'data.test';
      const url = `http://${host}/shared.sqlite`;
      serve(t.served, url);
      await t.app.boot(`?db=${encodeURIComponent(url)}&q=How%20many%20customers%3F`, false);
      expect(t.app.bootError).toBeNull();
      expect(t.app.share.errors).toHaveLength(1);
      expect(t.app.share.errors[0]).toContain(`the link's database ${url} could not be opened`);
      expect(t.app.share.errors[0]).toMatch(msg);
      expect(t.app.share.errors[0]).toMatch(/question was not run/);
      // the page still works on the user's own database, which is named, and nothing is saved over it
      expect(t.app.share.errors[0]).toContain('your database "Demo shop" instead');
      expect(t.app.database.origin).toEqual({ kind: 'demo' });
      await new Promise((res) => setTimeout(res, 30));
      expect(t.calls.generate).toBe(0);
      expect(t.app.answer.result).toBeNull();
      expect(t.app.answer.question).toBe('How many customers?');
    });
  }

  test('corpus= failures reach the share banner, and the question waits', async () => {
    const t = await makeTestApp();
    await t.app.boot('?corpus=http%3A%2F%2Fdata.test%2Fgone.jsonl&q=How%20many%20customers%3F', false);
    expect(t.app.share.errors).toHaveLength(1);
    expect(t.app.share.errors[0]).toMatch(
      /example corpus http:\/\/data\.test\/gone\.jsonl could not be loaded \(HTTP 404/,
    );
    expect(t.app.share.errors[0]).toContain(`your corpus "${DEMO_CORPUS.name}" instead`);
    await new Promise((res) => setTimeout(res, 30));
    expect(t.calls.generate).toBe(0);
  });

  test('a link to the demo database runs its question', async () => {
    const t = await makeTestApp();
    await t.app.boot('?db=demo&q=How%20many%20customers%3F', false);
    await vi.waitFor(() => expect(t.app.answer.result?.rows).toEqual([[3]]));
    expect(t.app.share.errors).toEqual([]);
  });
});

test('makeCorpus hashes its examples (fixtures differ by content)', () => {
  expect(makeCorpus('a', [['q', 's']]).hash).not.toBe(makeCorpus('a', [['q', 't']]).hash);
});

describe('ready offline is said only when it is true', () => {
  test('shell, both models and the index must be stored', async () => {
    const { app } = await makeTestApp();
    let shell = false;
    let stored: string[] = [];
    const offline = new OfflineReadiness({
      embedder: app.embedder,
      generator: app.generator,
      indexes: app.indexes,
      shellReady: () => shell,
      listStored: async () => stored,
    });
    expect(offline.ready).toBe(false); // not checked yet
    await app.boot('', false);
    await offline.check();
    expect(offline.ready).toBe(false);
    expect(offline.missing).toEqual([
      'the app itself (the service worker has not stored it yet)',
      'the embedder universal-sentence-encoder-lite (its files are not stored)',
      'the SQL model tiny-sql-lm (its files are not stored)',
    ]);
    shell = true;
    stored = ['universal-sentence-encoder-lite'];
    await offline.check();
    expect(offline.missing).toEqual(['the SQL model tiny-sql-lm (its files are not stored)']);
    stored = ['universal-sentence-encoder-lite', 'tiny-sql-lm'];
    await offline.check();
    expect(offline.ready).toBe(true);
    await app.indexes.delete(app.indexes.index!.record.key);
    expect(offline.ready).toBe(false);
    expect(offline.missing).toEqual(['the example index (not built yet)']);
  });

  test('cached model ids match by name (WebLLM models live under their organisation)', () => {
    expect(sameModel('mlc-ai/Qwen2.5-0.5B-Instruct-q4f16_1-MLC', 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC')).toBe(true);
    expect(sameModel('tiny-sql-lm', 'tiny-sql-lm')).toBe(true);
    expect(sameModel('Xenova/all-MiniLM-L6-v2', 'Xenova/all-MiniLM-L12-v2')).toBe(false);
  });
});
