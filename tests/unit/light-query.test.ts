/**
 * The fast query encoder as a decorator of the Embedder seam (issue 17): questions through the
 * stored static encoder + map, documents through the teacher; a damaged or foreign stored encoder
 * falls back to the teacher with a reason; the query dtype is not part of an index's identity.
 */
import { describe, expect, it } from 'vitest';
import type { Embedder, EmbedOptions } from '../../src/lib/embed/embedder.ts';
import { runDistillJob } from '../../src/lib/embed/distill-job.ts';
import { withQueryEncoder } from '../../src/lib/embed/linear-map.ts';
import {
  lightQueryEmbedder,
  lightVerdict,
  measureQueryVariants,
  readStoredLight,
  splitHeldOut,
  LIGHT_RECORD_VERSION,
  type LightBlobs,
  type QueryVariant,
  type StoredLight,
} from '../../src/lib/embed/light-query.ts';
import { indexKey, staleReasons, type IndexMeta } from '../../src/lib/index/store.ts';
import { FlatIndex } from '../../src/lib/index/flat.ts';
import { hashEmbed, wordTokenizer, FAKE_WORDS } from './ui-fakes.ts';

function teacher(id = 'toy', dtype = 'fp32', dim = 16): Embedder & { roles: string[] } {
  const roles: string[] = [];
  return {
    id,
    dim,
    dtype,
    device: 'cpu',
    roles,
    async embed(texts: string[], o?: EmbedOptions) {
      roles.push(o?.role ?? 'doc');
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => out.set(hashEmbed(t, dim), i * dim));
      return out;
    },
  };
}

const QUESTIONS = [
  'how many customers are there',
  'which customers are from france',
  'list all countries',
  'show total orders per city',
  'what is the average price of products',
  'list the name of each employee',
  'how many orders are there',
  'show count of products sold',
  'which city has most customers',
  'list all employees with salary',
  'what is the highest price',
  'how many departments are there',
  'show the lowest salary per department',
  'list cities with more than one order',
];

async function blobs(t: Embedder, dim = 6): Promise<LightBlobs> {
  const res = await runDistillJob(
    { questions: QUESTIONS, dims: [dim] },
    { teacher: t, tokenizer: wordTokenizer(FAKE_WORDS) },
  );
  const e = res.encoders[0];
  expect(e.mapRefused).toBeUndefined();
  return { encoder: e.encoder, map: e.map! };
}

describe('lightQueryEmbedder (the fast query encoder decorator)', () => {
  it('sends questions through the static encoder + map and documents through the teacher', async () => {
    const t = teacher();
    const b = await blobs(t);
    const r = await lightQueryEmbedder(t, b, wordTokenizer(FAKE_WORDS));
    expect(r.light).toBe(true);
    expect(r.fallbackReason).toBeUndefined();
    // the identity an index sees is the teacher's
    expect([r.embedder.id, r.embedder.dim, r.embedder.dtype]).toEqual([t.id, t.dim, t.dtype]);
    t.roles.length = 0;
    const q = await r.embedder.embed(['how many customers'], { role: 'query' });
    expect(t.roles).toEqual([]); // no teacher call for a question
    expect(q).toHaveLength(16);
    expect(Math.hypot(...q)).toBeCloseTo(1, 5);
    const d = await r.embedder.embed(['how many customers'], { role: 'doc' });
    expect(t.roles).toEqual(['doc']);
    expect(Array.from(d)).toEqual(Array.from(hashEmbed('how many customers')));
  });

  it('falls back to the teacher with a reason for a corrupted encoder or map', async () => {
    const t = teacher();
    const b = await blobs(t);
    const bad = b.encoder.slice();
    bad[bad.length - 3] ^= 0xff;
    const r1 = await lightQueryEmbedder(t, { ...b, encoder: bad }, wordTokenizer(FAKE_WORDS));
    expect(r1.light).toBe(false);
    expect(r1.embedder).toBe(t);
    expect(r1.fallbackReason).toMatch(/damaged|checksum/);
    const r2 = await lightQueryEmbedder(t, { ...b, map: b.map.slice(0, b.map.length - 8) }, wordTokenizer(FAKE_WORDS));
    expect(r2.light).toBe(false);
    expect(r2.fallbackReason).toMatch(/truncated|damaged/);
    const r3 = await lightQueryEmbedder(t, { encoder: b.map, map: b.encoder }, wordTokenizer(FAKE_WORDS));
    expect(r3.light).toBe(false);
    expect(r3.fallbackReason).toMatch(/not a static encoder/);
  });

  it('falls back for an encoder made for another embedder, width or vocabulary', async () => {
    const b = await blobs(teacher('other-model'));
    const r = await lightQueryEmbedder(teacher('toy'), b, wordTokenizer(FAKE_WORDS));
    expect(r.light).toBe(false);
    expect(r.fallbackReason).toContain('other-model');
    const wide = await blobs(teacher('toy', 'fp32', 12));
    const r2 = await lightQueryEmbedder(teacher('toy', 'fp32', 16), wide, wordTokenizer(FAKE_WORDS));
    expect(r2.light).toBe(false);
    expect(r2.fallbackReason).toMatch(/12-d|16-d/);
    const r3 = await lightQueryEmbedder(teacher(), await blobs(teacher()), wordTokenizer(FAKE_WORDS.slice(1)));
    expect(r3.light).toBe(false);
    expect(r3.fallbackReason).toMatch(/vocabulary|pieces/);
  });
});

describe('query dtype vs document dtype in the index identity', () => {
  const meta = (dtype: string): IndexMeta => ({
    slot: 'c',
    embedderId: 'toy',
    dtype,
    dim: 16,
    corpusHash: 'h',
    count: 3,
    kind: 'flat',
    textMode: 'question',
  });
  // What IndexesState.meta() records: the embedder's dtype.
  const metaOf = (e: Embedder) => meta(e.dtype);

  it('another query dtype is the same index; another document dtype is another one', () => {
    const fp32Docs = teacher('toy', 'fp32');
    const q8Queries = teacher('toy', 'q8');
    const compact = withQueryEncoder(fp32Docs, q8Queries);
    expect(compact.dtype).toBe('fp32');
    expect(indexKey(metaOf(compact))).toBe(indexKey(metaOf(fp32Docs)));
    expect(staleReasons(metaOf(fp32Docs), metaOf(compact))).toEqual([]);
    // q8 documents: a different index, reported stale against the fp32 one
    expect(indexKey(metaOf(q8Queries))).not.toBe(indexKey(metaOf(fp32Docs)));
    expect(staleReasons(metaOf(fp32Docs), metaOf(q8Queries))).toEqual(['dtype changed (fp32 → q8)']);
  });

  it('the compact decorator routes by role', async () => {
    const docs = teacher('toy', 'fp32');
    const queries = teacher('toy', 'q8');
    const e = withQueryEncoder(docs, queries);
    await e.embed(['a'], { role: 'query' });
    await e.embed(['a'], { role: 'doc' });
    expect(docs.roles).toEqual(['doc']);
    expect(queries.roles).toEqual(['query']);
  });
});

describe('stored record', () => {
  const rec = (over: Partial<StoredLight> = {}): StoredLight => ({
    version: LIGHT_RECORD_VERSION,
    teacherId: 'toy',
    teacherDtype: 'fp32',
    teacherDim: 16,
    dim: 6,
    encoder: new Uint8Array(8),
    map: new Uint8Array(8),
    createdAt: 'x',
    distillMs: 1,
    fitMs: 1,
    fitQuestions: 14,
    ...over,
  });
  it('accepts its own and refuses another embedder, dimension, version or a damaged record', () => {
    expect(readStoredLight(rec(), { teacherId: 'toy', teacherDim: 16 }).dim).toBe(6);
    expect(() => readStoredLight(rec(), { teacherId: 'big', teacherDim: 16 })).toThrow(
      /made for toy \(16-d\), not big/,
    );
    expect(() => readStoredLight(rec(), { teacherId: 'toy', teacherDim: 384 })).toThrow(/not toy \(384-d\)/);
    expect(() => readStoredLight(rec({ version: 2 }), { teacherId: 'toy', teacherDim: 16 })).toThrow(/version 2/);
    expect(() => readStoredLight({ ...rec(), encoder: 'x' }, { teacherId: 'toy', teacherDim: 16 })).toThrow(/damaged/);
    expect(() => readStoredLight('garbage', { teacherId: 'toy', teacherDim: 16 })).toThrow(/damaged/);
  });
});

describe('held-out split and measurement', () => {
  it('splits by database: every database on one side', () => {
    const ex = Array.from({ length: 50 }, (_, i) => ({ dbId: `db${i % 10}` }));
    const s = splitHeldOut(ex, 0.2, 3);
    expect(s.split).toBe('database');
    expect(s.fit.length + s.heldOut.length).toBe(50);
    const outDbs = new Set(s.heldOut.map((i) => ex[i].dbId));
    const fitDbs = new Set(s.fit.map((i) => ex[i].dbId));
    expect(outDbs.size).toBe(2);
    for (const d of outDbs) expect(fitDbs.has(d)).toBe(false);
    expect(splitHeldOut(ex, 0.2, 3)).toEqual(s);
    expect(
      splitHeldOut(
        Array.from({ length: 50 }, () => ({})),
        0.2,
        3,
      ).split,
    ).toBe('question');
  });

  it('scores variants against the first one and computes the speed-up', async () => {
    const docs = QUESTIONS.map((q) => hashEmbed(q));
    const all = new Float32Array(docs.length * 16);
    docs.forEach((d, i) => all.set(d, i * 16));
    const index = new FlatIndex(all, 16);
    const search = {
      search: async (q: Float32Array, k: number, o?: { exclude?: number[] }) => ({
        hits: index.search(q, k, (r) => !!o?.exclude?.includes(r)),
        ms: 0,
      }),
    };
    const fixed = (
      name: string,
      kind: QueryVariant['kind'],
      ms: number,
      vec: (t: string) => Float32Array,
    ): QueryVariant => ({
      name,
      kind,
      run: async (texts) => {
        const vectors = new Float32Array(texts.length * 16);
        texts.forEach((t, i) => vectors.set(vec(t), i * 16));
        return { vectors, ms: texts.map(() => ms) };
      },
    });
    const rows = [0, 1, 2, 3, 4, 5];
    const table = await measureQueryVariants({
      questions: rows.map((r) => QUESTIONS[r]),
      rows,
      dim: 16,
      k: 3,
      chunk: 4,
      search,
      variants: [
        fixed('big', 'teacher', 10, (t) => hashEmbed(t)),
        fixed('same', 'compact', 5, (t) => hashEmbed(t)),
        fixed('noise', 'static+map', 1, (t) => hashEmbed(`${t.length} zzz qqq`)),
      ],
    });
    expect(table.map((r) => r.variant)).toEqual(['big', 'same', 'noise']);
    expect(table[0].recall10).toBe(1);
    expect(table[1]).toMatchObject({ recall10: 1, ndcg10: 1, speedup: 2, recallKept: 1 });
    expect(table[2].speedup).toBe(10);
    expect(table[2].recall10).toBeLessThan(1);
    const v = lightVerdict({ rows: table, questions: 6, split: 'question', at: '', device: 'cpu' });
    expect(v.row?.variant).toBe('noise');
    expect(v.recommended).toBe(table[2].recallKept >= 0.95);
    const good = lightVerdict({
      rows: [table[0], { ...table[2], recall10: 0.96, recallKept: 0.96, speedup: 5 }],
      questions: 6,
      split: 'question',
      at: '',
      device: 'cpu',
    });
    expect(good.recommended).toBe(true);
    expect(good.message).toMatch(/^recommended/);
    const slow = lightVerdict({
      rows: [table[0], { ...table[2], recall10: 0.99, recallKept: 0.99, speedup: 4.9 }],
      questions: 6,
      split: 'question',
      at: '',
      device: 'cpu',
    });
    expect(slow.recommended).toBe(false);
    expect(slow.message).toMatch(/not recommended.*4\.9×/);
  });
});
