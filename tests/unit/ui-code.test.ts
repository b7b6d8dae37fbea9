/** The Code & docs state with the in-process code service, the test app's embedder and store. */
import { describe, expect, test, vi } from 'vitest';
import { CodeParsers } from '../../src/lib/code/parsers.ts';
import { LocalCodeCollections, type CodeInput } from '../../src/lib/code/service.ts';
import { CodeSpaceState, collectionId, reuseVectors } from '../../src/ui/state/code.svelte.ts';
import { nodeGrammarLoader } from '../../src/node/code/files.ts';
import { makeTestApp } from './ui-fakes.ts';
import type { Embedder } from '../../src/lib/services.ts';
import { EMBED_BATCH } from '../../src/lib/code/collection.ts';
import { RERANKERS } from '../../src/lib/config.ts';

const enc = new TextEncoder();
const file = (path: string, text: string): CodeInput => ({ path, data: enc.encode(text) });
const FILES = [
  file(
    'src/money.ts',
    '/** Convert money between currencies. */\nexport function convertCurrency(amount: number, rate: number) {\n  return amount * rate;\n}\n',
  ),
  file(
    'src/dates.ts',
    '/** Format a calendar date. */\nexport function formatDate(d: Date) {\n  return d.toISOString();\n}\n',
  ),
  file('node_modules/x/index.js', 'module.exports = 1;\n'),
];

async function setup() {
  const t = await makeTestApp();
  await t.app.boot('', false);
  const code = new CodeLocal(t);
  return { ...t, code: code.state, service: code.service };
}

class CodeLocal {
  readonly service = new LocalCodeCollections(new CodeParsers(nodeGrammarLoader()));
  readonly state: CodeSpaceState;
  constructor(t: Awaited<ReturnType<typeof makeTestApp>>, embedder: Embedder = t.services.embedder) {
    this.state = new CodeSpaceState({
      settings: t.app.settings,
      jobs: t.app.jobs,
      kv: t.kv,
      code: this.service,
      embedder,
      embedderInfo: () => t.app.embedder.info,
      generator: t.services.generator,
      generatorReady: () => t.app.generator.ready,
    });
  }
}

describe('CodeSpaceState', () => {
  test('builds, stores and lists a collection, with skipped files listed and the job ended', async () => {
    const { code, app, kv } = await setup();
    await code.add('My repo', FILES);
    expect(code.error).toBeNull();
    expect(code.collections.map((c) => [c.name, c.files, c.skipped])).toEqual([['My repo', 2, 1]]);
    expect(code.lastSkipped[0]).toEqual({ path: 'node_modules/x/index.js', reason: 'inside node_modules/' });
    expect(app.jobs.get('code')).toBeUndefined();
    const stored = await (await kv()).getKv(`code:${collectionId('My repo')}`);
    expect(stored!.vectors.length).toBe(stored!.chunks.length * stored!.dim);
  });

  test('a cancelled build stores nothing and keeps the previous collection', async () => {
    const { code, kv } = await setup();
    await code.add('repo', FILES);
    const before = await (await kv()).getKv('code:repo');
    const p = code.add('repo', [file('src/other.ts', 'export const a = 1;\n')]);
    code.cancelBuild();
    await p;
    expect(code.error).toMatch(/cancelled; nothing was saved/);
    const after = await (await kv()).getKv('code:repo');
    expect(after!.files.map((f) => f.path)).toEqual(before!.files.map((f) => f.path));
  });

  test('searchable by keywords as soon as chunked; hybrid once the vectors are stored', async () => {
    const t = await makeTestApp();
    await t.app.boot('', false);
    // an embedder that waits for the test (a worker busy with the chunks' batches): a keyword
    // question must not wait for it
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = t.services.embedder;
    const gated: Embedder = Object.create(inner, {
      embed: {
        value: async (texts: string[], o: Parameters<Embedder['embed']>[1] = {}) => {
          await gate;
          return inner.embed(texts, o);
        },
      },
    });
    const { state: code } = new CodeLocal(t, gated);
    const building = code.add('repo', FILES);
    await vi.waitFor(() => expect(code.embedding?.total).toBeGreaterThan(0));
    expect(code.busy).toBeNull();
    expect(code.collections.map((c) => [c.name, c.pending > 0])).toEqual([['repo', true]]);
    const stored = await (await t.kv()).getKv('code:repo');
    expect(stored!.pending!.length).toBe(stored!.chunks.length);
    await code.ask('convert currencies');
    expect(code.answer!.method).toBe('bm25');
    expect(code.answer!.sources[0].chunk.path).toBe('src/money.ts');
    expect(code.answer!.dontKnow).toBe(false);
    release();
    await building;
    expect(code.error).toBeNull();
    expect(code.embedding).toBeNull();
    expect(code.collections[0].pending).toBe(0);
    expect((await (await t.kv()).getKv('code:repo'))!.pending).toEqual([]);
    await code.ask('convert currencies');
    expect(code.answer!.method).toBe('hybrid+rerank');
    expect(t.app.jobs.get('code')).toBeUndefined();
  });

  test('a stop while embedding keeps the keyword-searchable collection and what was embedded; resume does the rest', async () => {
    const t = await makeTestApp();
    await t.app.boot('', false);
    const inner = t.services.embedder;
    let batches = 0;
    let texts = 0;
    const ref: { code?: CodeSpaceState } = {};
    const counting: Embedder = Object.create(inner, {
      embed: {
        value: async (x: string[], o: Parameters<Embedder['embed']>[1] = {}) => {
          const v = await inner.embed(x, o);
          if ((o.role ?? 'doc') === 'doc') {
            batches++;
            texts += x.length;
            if (batches === 1) ref.code!.cancelBuild(); // stopped while the first batch was embedded
          }
          return v;
        },
      },
    });
    const code = new CodeLocal(t, counting).state;
    ref.code = code;
    const many = Array.from({ length: EMBED_BATCH + 8 }, (_, i) =>
      file(`src/f${i}.ts`, `/** Step number ${i}. */\nexport function step${i}(x: number) {\n  return x + ${i};\n}\n`),
    );
    await code.add('many', many);
    expect(code.error).toMatch(
      /embedding stopped: many is searchable by keywords; \d+ of \d+ chunks have no vector yet/,
    );
    const kv = await t.kv();
    const stopped = (await kv.getKv('code:many'))!;
    const n = stopped.chunks.length;
    // the first batch finished and was stored; the rest is pending
    expect(stopped.pending!.length).toBe(n - EMBED_BATCH);
    expect(code.collections[0].pending).toBe(n - EMBED_BATCH);
    const zero = (r: number) => stopped.vectors.subarray(r * 16, (r + 1) * 16).every((v) => v === 0);
    expect(stopped.pending!.every(zero)).toBe(true);
    expect(
      stopped.chunks
        .map((_, r) => r)
        .filter((r) => !stopped.pending!.includes(r))
        .some(zero),
    ).toBe(false);
    await code.ask('step number 3');
    expect(code.answer!.method).toBe('bm25');
    texts = 0;
    await code.resume('many');
    expect(code.error).toBeNull();
    expect(texts).toBe(n - EMBED_BATCH);
    expect((await kv.getKv('code:many'))!.pending).toEqual([]);
  });

  test('the opt-in cross-encoder: a model that cannot be loaded leaves MMR, and the answer says why', async () => {
    const { code, app } = await setup();
    await code.add('repo', FILES);
    await code.ask('convert currencies');
    expect(code.answer!.reranker).toEqual({ active: 'mmr' });
    app.settings.update({ codeReranker: RERANKERS[0].id });
    await code.ask('convert currencies');
    expect(code.answer!.method).toBe('hybrid+rerank');
    expect(code.answer!.reranker!.active).toBe('mmr');
    expect(code.answer!.reranker!.fallbackReason).toMatch(/no cross-encoder can be loaded here; MMR reranks/);
    expect(code.answer!.sources[0].chunk.path).toBe('src/money.ts');
    expect(app.jobs.get('code-reranker')).toBeUndefined();
  });

  test('a refresh embeds only chunks of changed files', async () => {
    const { code, calls } = await setup();
    await code.add('repo', FILES);
    const firstEmbeds = calls.embedDocs;
    await code.add('repo', [
      FILES[0],
      file('src/dates.ts', '/** Format a date. */\nexport function formatDate(d: Date) {\n  return String(d);\n}\n'),
    ]);
    expect(code.reused).toBe(1);
    expect(calls.embedDocs).toBeGreaterThan(firstEmbeds);
  });

  test('answers with sources, or "I don\'t know" below the threshold with a web-search link', async () => {
    const { code, app } = await setup();
    await code.add('repo', FILES);
    await code.ask('convert currencies');
    expect(code.answer!.dontKnow).toBe(false);
    expect(code.answer!.coverage).toBeGreaterThanOrEqual(app.settings.value.codeThreshold);
    expect(code.answer!.sources[0].chunk.path).toBe('src/money.ts');
    // tiny-sql cannot write prose: the sources alone, and why
    expect(code.answer!.note).toMatch(/writes SQL only/);
    await code.ask('kubernetes ingress');
    expect(code.answer!.coverage).toBe(0);
    expect(code.answer!.dontKnow).toBe(true);
    expect(code.answer!.note).toMatch(/I don't know/);
    expect(code.answer!.searchUrl).toBe('https://duckduckgo.com/?q=kubernetes%20ingress');
  });

  test('refuses to search a collection embedded by another model', async () => {
    const { code, kv } = await setup();
    await code.add('repo', FILES);
    const k = await kv();
    const stored = (await k.getKv('code:repo'))!;
    await k.setKv('code:repo', { ...stored, embedderId: 'other-model' });
    await code.refreshList();
    await code.ask('convert currencies');
    expect(code.error).toMatch(/indexed with other-model/);
  });
});

test('reuseVectors copies rows of identical chunks only, for the same embedder', () => {
  const c = (text: string) => ({
    path: 'a.ts',
    startLine: 1,
    endLine: 1,
    kind: 'window' as const,
    symbols: [],
    header: 'a.ts:1-1',
    text,
  });
  const prev = {
    version: 1 as const,
    id: 'x',
    name: 'x',
    created: 0,
    embedderId: 'e',
    dim: 2,
    files: [],
    chunks: [c('one'), c('two')],
    vectors: new Float32Array([1, 0, 0, 1]),
    skipped: [],
    bytes: 0,
    ms: { prepare: 0, embed: 0 },
  };
  const r = reuseVectors(prev, [c('two'), c('three')], 'e', 2);
  expect(Array.from(r.vectors)).toEqual([0, 1, 0, 0]);
  expect(r.todo).toEqual([1]);
  expect(reuseVectors(prev, [c('two')], 'other', 2).todo).toEqual([0]);
});
