/**
 * The Evaluate page's code retrieval section and the Storage tab's collections, over the same
 * CodeSpaceState as the Code & docs page, with the in-process code service (the one the code
 * worker runs), the test app's hashing embedder and store.
 */
import { describe, expect, test } from 'vitest';
import { CodeParsers } from '../../src/lib/code/parsers.ts';
import { evaluateCode } from '../../src/lib/code/eval.ts';
import { parseCodeQuestions } from '../../src/lib/code/questions.ts';
import { CodeIndex, CodeSearch } from '../../src/lib/code/search.ts';
import { LocalCodeCollections, type CodeInput } from '../../src/lib/code/service.ts';
import { CodeSpaceState, collectionInputs } from '../../src/ui/state/code.svelte.ts';
import { BUNDLED_NAME, CodeEvalState } from '../../src/ui/state/code-eval.svelte.ts';
import { nodeGrammarLoader } from '../../src/node/code/files.ts';
import { makeTestApp } from './ui-fakes.ts';

const enc = new TextEncoder();
const file = (path: string, text: string): CodeInput => ({ path, data: enc.encode(text) });
const FILES = [
  file(
    'repo/src/money.ts',
    '/** Convert money between currencies. */\nexport function convertCurrency(amount: number, rate: number) {\n  return amount * rate;\n}\n',
  ),
  file(
    'repo/src/dates.ts',
    '/** Format a calendar date. */\nexport function formatDate(d: Date) {\n  return d.toISOString();\n}\n',
  ),
  file('repo/docs/GUIDE.md', '# Guide\n\n## Installing\nRun npm install first.\n\n## Testing\nRun npm test.\n'),
];
const QUESTIONS = {
  questions: [
    {
      id: 'a',
      question: 'convert money between currencies',
      gold: [{ path: 'src/money.ts', symbol: 'convertCurrency' }],
    },
    { id: 'b', question: 'format a calendar date', gold: [{ path: 'src/dates.ts', symbol: 'formatDate' }] },
    { id: 'c', question: 'how do I install it', gold: [{ path: 'docs/GUIDE.md', symbol: 'Installing' }] },
    // renamed away: reported, not silently counted
    { id: 'd', question: 'parse a date string', gold: [{ path: 'src/dates.ts', symbol: 'parseDate' }] },
    { id: 'u', question: 'kubernetes ingress helm chart', gold: [] },
  ],
};
const questionsFile = (doc: unknown, name = 'q.json') => new File([JSON.stringify(doc)], name);

async function setup(bundled: () => Promise<string> = async () => JSON.stringify(QUESTIONS)) {
  const t = await makeTestApp();
  await t.app.boot('', false);
  const service = new LocalCodeCollections(new CodeParsers(nodeGrammarLoader()));
  const code = new CodeSpaceState({
    settings: t.app.settings,
    jobs: t.app.jobs,
    kv: t.kv,
    code: service,
    embedder: t.services.embedder,
    embedderInfo: () => t.app.embedder.info,
    generator: t.services.generator,
    generatorReady: () => t.app.generator.ready,
  });
  const ce = new CodeEvalState({
    code,
    api: service,
    embedder: t.services.embedder,
    embedderInfo: () => t.app.embedder.info,
    jobs: t.app.jobs,
    settings: t.app.settings,
    bundled,
  });
  return { ...t, code, ce, service };
}

async function addRepo(code: CodeSpaceState, name = '') {
  const picked = collectionInputs(FILES, name);
  await code.add(picked.name, picked.inputs);
  expect(code.error).toBeNull();
}

describe('CodeEvalState', () => {
  test('scores every method with intervals, reports a missing gold symbol and the "I don\'t know" curve', async () => {
    const { code, ce, app } = await setup();
    await addRepo(code);
    await ce.loadFile(questionsFile(QUESTIONS));
    expect(ce.questionSet).toMatchObject({ name: 'q.json', answerable: 4, bundled: false });
    expect(ce.blocked).toBeNull();
    await ce.run();
    expect(ce.error).toBeNull();
    const r = ce.result!.report;
    expect(r.methods.map((m) => m.method)).toEqual(['dense', 'bm25', 'hybrid', 'hybrid+rerank']);
    expect(r.questions).toEqual({ answerable: 4, unanswerable: 1 });
    for (const m of r.methods) {
      expect(m.n).toBe(4);
      expect(m.ndcg10.lo).toBeLessThanOrEqual(m.ndcg10.mean);
      expect(m.ndcg10.hi).toBeGreaterThanOrEqual(m.ndcg10.mean);
    }
    // BM25 finds the three present symbols first; the renamed one can never be found
    const bm25 = r.methods.find((m) => m.method === 'bm25')!;
    expect(bm25.recall.mean).toBeCloseTo(3 / 4);
    expect(r.missingGold).toEqual([{ id: 'd', path: 'src/dates.ts', symbol: 'parseDate', fileIndexed: true }]);
    expect(r.coverageThreshold.curve.length).toBeGreaterThan(1);
    // the off-topic question shares no word with the code: refused at the app's threshold
    expect(ce.atThreshold(app.settings.value.codeThreshold)!.refused).toBe(1);
    expect(app.jobs.get('code-eval')).toBeUndefined();
    const json = JSON.parse(ce.exportJson());
    expect(json.config).toMatchObject({ collection: 'repo', questions: 'q.json', k: 10, host: 'browser' });
    expect(json.methods).toHaveLength(4);
  });

  test('scores exactly as the Node eval does (evaluateCode with the embedder), from the stored collection', async () => {
    const { code, ce, kv, services } = await setup();
    await addRepo(code);
    await ce.loadFile(questionsFile(QUESTIONS));
    await ce.run();
    const stored = (await (await kv()).getKv('code:repo'))!;
    const direct = await evaluateCode(
      new CodeSearch(new CodeIndex(stored.chunks, stored.vectors, stored.dim), services.embedder),
      parseCodeQuestions(JSON.stringify(QUESTIONS), 'q.json'),
    );
    const { ms: _a, missingGold: _m, ...page } = ce.result!.report;
    const { ms: _b, ...node } = direct;
    expect(page).toEqual(node);
  });

  test('the questions file, when the collection holds it, is left out of the evaluation', async () => {
    const { code, ce, kv } = await setup();
    const text = JSON.stringify(QUESTIONS, null, 1);
    const picked = collectionInputs([...FILES, file('repo/eval/q.json', text)]);
    await code.add(picked.name, picked.inputs);
    const stored = (await (await kv()).getKv('code:repo'))!;
    const own = stored.chunks.filter((c) => c.path === 'eval/q.json').length;
    expect(own).toBeGreaterThan(0);
    await ce.loadFile(new File([text], 'q.json'));
    await ce.run();
    expect(ce.result!.config.excluded).toEqual(['eval/q.json']);
    expect(ce.result!.report.chunks).toBe(stored.chunks.length - own);
    // with the file searched, the unanswerable question would find all its words in it
    expect(ce.atThreshold(0.34)!.refused).toBe(1);
  });

  test('Cancel stops the job, keeps the previous report and ends the job', async () => {
    const { code, ce, app } = await setup();
    await addRepo(code);
    await ce.loadFile(questionsFile(QUESTIONS));
    await ce.run();
    const first = ce.result;
    const p = ce.run();
    expect(ce.running).toBe(true);
    expect(app.jobs.get('code-eval')).toBeDefined();
    ce.cancel();
    await p;
    expect(ce.error).toMatch(/cancelled; the previous results are kept/);
    expect(ce.result).toBe(first);
    expect(ce.running).toBe(false);
    expect(app.jobs.get('code-eval')).toBeUndefined();
  });

  test('the service stops between questions when cancelled', async () => {
    const { code, service, services } = await setup();
    await addRepo(code);
    await code.ensureOpen('repo');
    const qs = Array.from({ length: 40 }, (_, i) => ({ id: String(i), question: `convert money ${i}`, gold: [] }));
    const vecs = await services.embedder.embed(
      qs.map((q) => q.question),
      { role: 'query' },
    );
    let seen = 0;
    const p = service.evaluate('repo', qs, vecs, {}, (pr) => {
      seen = pr.done;
      if (pr.done === 2) service.cancelEvaluate();
    });
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen).toBeLessThan(5);
  });

  test('the bundled set is the default only for a collection that holds its gold files', async () => {
    const { code, ce } = await setup();
    await addRepo(code);
    await ce.init();
    expect(ce.collection).toBe('repo');
    expect(ce.questionSet?.name).toBe(BUNDLED_NAME);
    // another source: no default, but the set can still be chosen
    await code.add('other', [file('lib/x.py', 'def other():\n    return 1\n')]);
    await ce.selectCollection('other');
    expect(ce.questionSet).toBeNull();
    expect(ce.blocked).toBe('choose a questions file');
    await ce.useBundled();
    expect(ce.questionSet?.bundled).toBe(true);
    // chosen, not suggested: changing the collection keeps it
    await ce.selectCollection('repo');
    await ce.selectCollection('other');
    expect(ce.questionSet?.bundled).toBe(true);
    await ce.run();
    // every gold symbol is missing there, and each is listed with its question
    expect(ce.result!.report.missingGold.map((m) => m.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  test('a file chosen while the default is being looked up is kept', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const { code, ce } = await setup(async () => {
      await held;
      return JSON.stringify(QUESTIONS);
    });
    await addRepo(code);
    const looking = ce.suggestBundled();
    await ce.loadFile(questionsFile(QUESTIONS, 'mine.json'));
    release();
    await looking;
    expect(ce.questionSet?.name).toBe('mine.json');
  });

  test('a bad questions file is refused with the reason and the current set kept', async () => {
    const { ce } = await setup();
    await ce.loadFile(questionsFile(QUESTIONS, 'good.json'));
    await ce.loadFile(new File(['{"questions": [{"question": "x"}]}'], 'bad.json'));
    expect(ce.setError).toMatch(/bad\.json: question 1 needs "question".*"gold"/);
    expect(ce.questionSet?.name).toBe('good.json');
    await ce.loadFile(new File(['not json'], 'worse.json'));
    expect(ce.setError).toMatch(/worse\.json: not JSON/);
  });

  test('refuses a collection embedded by another model, and says so', async () => {
    const { code, ce, kv } = await setup();
    await addRepo(code);
    const k = await kv();
    await k.setKv('code:repo', { ...(await k.getKv('code:repo'))!, embedderId: 'other-model' });
    await code.refreshList();
    await ce.loadFile(questionsFile(QUESTIONS));
    expect(ce.blocked).toMatch(/indexed with other-model/);
    await ce.run();
    expect(ce.result).toBeNull();
  });
});

describe('Collections in Storage (the same CodeSpaceState)', () => {
  test('are listed with files, chunks, sizes, embedder and date', async () => {
    const { code, app } = await setup();
    await addRepo(code);
    const [c] = code.collections;
    expect(c).toMatchObject({ name: 'repo', files: 3, embedderId: app.embedder.info!.id });
    expect(c.bytes).toBe(FILES.reduce((n, f) => n + (f.data as Uint8Array).length, 0));
    expect(c.storedBytes).toBeGreaterThan(c.chunks * 16 * 4);
    expect(Date.now() - c.created).toBeLessThan(60_000);
    // not listed a second time among the saved data
    expect((await app.saved.list()).some((s) => s.key.startsWith('code:'))).toBe(false);
  });

  test('a delete waits for the confirmation', async () => {
    const { code, kv } = await setup();
    await addRepo(code);
    code.askRemove('repo');
    expect(code.confirmingDelete).toBe('repo');
    code.cancelRemove();
    expect(code.confirmingDelete).toBeNull();
    await code.confirmRemove();
    expect(code.collections).toHaveLength(1);
    code.askRemove('repo');
    await code.confirmRemove();
    expect(code.collections).toHaveLength(0);
    expect(await (await kv()).getKv('code:repo')).toBeUndefined();
  });

  test('a refresh from the folder picked again embeds only the changed file', async () => {
    const { code, calls, kv } = await setup();
    await addRepo(code, 'my name');
    const before = (await (await kv()).getKv('code:my-name'))!;
    expect(before.files.map((f) => f.path)).toContain('src/money.ts');
    const embeds = calls.embedDocs;
    await code.refresh('my-name', [
      FILES[0],
      file(
        'repo/src/dates.ts',
        '/** Format a date. */\nexport function formatDate(d: Date) {\n  return String(d);\n}\n',
      ),
      FILES[2],
    ]);
    expect(code.error).toBeNull();
    expect(calls.embedDocs).toBe(embeds + 1);
    const after = (await (await kv()).getKv('code:my-name'))!;
    expect(code.reused).toBe(after.chunks.length - 1);
    expect(after.files.map((f) => f.path).sort()).toEqual(before.files.map((f) => f.path).sort());
  });
});
