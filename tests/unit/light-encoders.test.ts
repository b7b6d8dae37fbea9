import { describe, expect, it } from 'vitest';
import type { Embedder, EmbedOptions } from '../../src/lib/embed/embedder.ts';
import { LightFormatError, packLight } from '../../src/lib/embed/light-file.ts';
import {
  chooseQueryEncoder,
  fitLinearMap,
  loadLinearMap,
  mapFitRefusal,
  serializeLinearMap,
  withLinearMap,
  withQueryEncoder,
} from '../../src/lib/embed/linear-map.ts';
import {
  distillStaticEncoders,
  loadStaticEncoder,
  pieceText,
  serializeStaticEncoder,
  type PieceTokenizer,
} from '../../src/lib/embed/static-encoder.ts';
import { runDistillJob } from '../../src/lib/embed/distill-job.ts';
import { mulberry, randomUnit } from './helpers.ts';

/** The Embedder contract every light encoder keeps: dim, unit rows, finite values, role passed on. */
async function checkEmbedderContract(e: Embedder, texts: string[]) {
  const v = await e.embed(texts, { role: 'query' });
  expect(v).toBeInstanceOf(Float32Array);
  expect(v.length).toBe(texts.length * e.dim);
  for (let i = 0; i < texts.length; i++) {
    let s = 0;
    for (let j = 0; j < e.dim; j++) {
      expect(Number.isFinite(v[i * e.dim + j])).toBe(true);
      s += v[i * e.dim + j] ** 2;
    }
    expect(Math.sqrt(s)).toBeCloseTo(1, 5);
  }
  expect(await e.embed([], { role: 'query' })).toHaveLength(0);
  expect(typeof e.id).toBe('string');
  expect(typeof e.dtype).toBe('string');
}

/** A deterministic toy teacher: a text's vector is a fixed random projection of its letter counts. */
function toyTeacher(id = 'toy-teacher', dim = 16): Embedder & { calls: { texts: string[]; opts?: EmbedOptions }[] } {
  const r = mulberry(7);
  const P = Float32Array.from({ length: 26 * dim }, () => r() * 2 - 1);
  const calls: { texts: string[]; opts?: EmbedOptions }[] = [];
  return {
    id,
    dim,
    dtype: 'fp32',
    device: 'cpu',
    calls,
    async embed(texts, opts) {
      calls.push({ texts, opts });
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => {
        for (const ch of t.toLowerCase()) {
          const c = ch.charCodeAt(0) - 97;
          if (c < 0 || c >= 26) continue;
          for (let j = 0; j < dim; j++) out[i * dim + j] += P[c * dim + j];
        }
        let s = 0;
        for (let j = 0; j < dim; j++) s += out[i * dim + j] ** 2;
        s = Math.sqrt(s) || 1;
        for (let j = 0; j < dim; j++) out[i * dim + j] /= s;
        if (s === 1 && out[i * dim] === 0) out[i * dim] = 1;
      });
      return out;
    },
  };
}

/** A word-level toy tokenizer over a fixed vocabulary (id 0 = unknown). */
function toyTokenizer(): PieceTokenizer {
  const words = ['<unk>', '▁how', '▁many', '▁singers', '▁are', '▁there', '▁list', '▁all', '▁names', '▁of'];
  const more = 'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => `▁${c}${c}${c}`);
  const vocab = [...words, ...more, 'ing', '▁'];
  const byPiece = new Map(vocab.map((p, i) => [p, i]));
  return {
    vocab,
    specialIds: [0],
    encode: (text) =>
      text
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => byPiece.get(`▁${w}`) ?? 0),
  };
}

const corpus = ['how many singers are there', 'list all names of singers', 'how many are there', 'list all names'];

describe('static encoder', () => {
  it('maps pieces to teacher texts', () => {
    expect(pieceText('▁the')).toBe('the');
    expect(pieceText('ing')).toBe('ing');
    expect(pieceText('▁')).toBe('');
  });

  it('distils deterministically, skips special and empty pieces, and keeps the Embedder contract', async () => {
    const teacher = toyTeacher();
    const tok = toyTokenizer();
    const [a8, a4] = await distillStaticEncoders({ teacher, tokenizer: tok, corpus, dims: [8, 4] });
    const [b8] = await distillStaticEncoders({ teacher: toyTeacher(), tokenizer: tok, corpus, dims: [8] });
    expect(Array.from(a8.table)).toEqual(Array.from(b8.table));
    expect(a8.dim).toBe(8);
    expect(a4.dim).toBe(4);
    expect(a8.id).not.toBe(a4.id);
    // The 4-d table is the prefix of the 8-d one (one PCA).
    for (let id = 0; id < tok.vocab.length; id++)
      for (let j = 0; j < 4; j++) expect(a4.table[id * 4 + j]).toBe(a8.table[id * 8 + j]);
    // Unknown id 0 and the bare '▁' piece got no vector and were never sent to the teacher.
    const sent = teacher.calls.flatMap((c) => c.texts);
    expect(sent).not.toContain('<unk>');
    expect(sent).not.toContain('');
    expect(sent).toContain('singers');
    expect(a8.table.subarray(0, 8).every((v) => v === 0)).toBe(true);
    expect(a8.meta.pieces).toBe(tok.vocab.length - 2);
    await checkEmbedderContract(a8, ['how many singers', 'zzz qqq', '', 'ing']);
    const v1 = await a8.embed(['how many singers']);
    const v2 = await a8.embed(['how many singers']);
    expect(Array.from(v1)).toEqual(Array.from(v2));
  });

  it('weights frequent pieces down (SIF)', async () => {
    const tok = toyTokenizer();
    const [w] = await distillStaticEncoders({ teacher: toyTeacher(), tokenizer: tok, corpus, dims: [8], sifA: 0.01 });
    const [u] = await distillStaticEncoders({ teacher: toyTeacher(), tokenizer: tok, corpus, dims: [8], sifA: 0 });
    const norm = (t: Float32Array, id: number) => Math.hypot(...t.subarray(id * 8, id * 8 + 8));
    const many = tok.vocab.indexOf('▁many'); // in the corpus
    const aaa = tok.vocab.indexOf('▁aaa'); // not in the corpus
    expect(norm(w.table, aaa)).toBeCloseTo(norm(u.table, aaa), 6);
    expect(norm(w.table, many)).toBeLessThan(0.5 * norm(u.table, many));
  });

  it('round-trips through its stored form and refuses damaged or foreign data', async () => {
    const tok = toyTokenizer();
    const [enc] = await distillStaticEncoders({ teacher: toyTeacher(), tokenizer: tok, corpus, dims: [6] });
    const blob = serializeStaticEncoder(enc);
    const back = loadStaticEncoder(blob, tok, { teacherId: 'toy-teacher' });
    expect(back.meta).toEqual(enc.meta);
    const texts = ['how many singers', 'list names'];
    expect(Array.from(await back.embed(texts))).toEqual(Array.from(await enc.embed(texts)));
    // Also from an unaligned copy (IndexedDB hands back any ArrayBuffer).
    const shifted = new Uint8Array(blob.length + 1);
    shifted.set(blob, 1);
    expect(loadStaticEncoder(shifted.subarray(1), tok).dim).toBe(6);

    const flipped = blob.slice();
    flipped[flipped.length - 3] ^= 0x40;
    expect(() => loadStaticEncoder(flipped, tok)).toThrow(/checksum/);
    expect(() => loadStaticEncoder(blob.slice(0, blob.length - 4), tok)).toThrow(/truncated/);
    expect(() => loadStaticEncoder(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), tok)).toThrow(LightFormatError);
    expect(() => loadStaticEncoder(blob, tok, { teacherId: 'other-model' })).toThrow(/distilled from "toy-teacher"/);
    const otherTok = { ...tok, vocab: [...tok.vocab.slice(0, -1), '▁zzz'] };
    expect(() => loadStaticEncoder(blob, otherTok)).toThrow(/another vocabulary/);
    const newer = packLight({ kind: 'coderag-static-encoder', version: 99 }, []);
    expect(() => loadStaticEncoder(newer, tok)).toThrow(/newer than this app reads/);
  });

  it('cancels when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(
      distillStaticEncoders({ teacher: toyTeacher(), tokenizer: toyTokenizer(), corpus, dims: [4], signal: ac.signal }),
    ).rejects.toThrow(/cancelled/);
  });
});

/** n random inputs (p-d) and their images under a random affine map into q-d. */
function mappedData(n: number, p: number, q: number, seed: number) {
  const r = mulberry(seed);
  const x = randomUnit(n, p, seed + 1);
  const W = Float32Array.from({ length: q * p }, () => r() * 2 - 1);
  const b = Float32Array.from({ length: q }, () => r() - 0.5);
  const y = new Float32Array(n * q);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < q; c++) {
      let s = b[c];
      for (let k = 0; k < p; k++) s += W[c * p + k] * x[i * p + k];
      y[i * q + c] = s;
    }
  return { x, y, W, b };
}

const ids = { source: { id: 'light', dim: 4 }, teacher: { id: 'big', dtype: 'fp32', dim: 6 } };

describe('linear query map', () => {
  it('recovers a known linear map with its bias', () => {
    const { x, y, W, b } = mappedData(100, 4, 6, 1);
    const map = fitLinearMap(x, y, { ...ids, lambda: 1e-10 });
    for (let i = 0; i < W.length; i++) expect(map.W[i]).toBeCloseTo(W[i], 4);
    for (let i = 0; i < b.length; i++) expect(map.b[i]).toBeCloseTo(b[i], 4);
    expect(map.meta.fitCosine).toBeGreaterThan(0.9999);
    expect(map.meta.n).toBe(100);
    // Fitting on a subset of rows uses only those.
    const sub = fitLinearMap(x, y, { ...ids, lambda: 1e-10, rows: Array.from({ length: 20 }, (_, i) => i * 5) });
    expect(sub.meta.n).toBe(20);
    expect(sub.W[0]).toBeCloseTo(W[0], 4);
  });

  it('refuses to fit with fewer examples than dimensions, with the reason', () => {
    const { x, y } = mappedData(4, 4, 6, 2);
    expect(mapFitRefusal(4, 4)).toMatch(/4 examples, at least 5 needed/);
    expect(mapFitRefusal(5, 4)).toBeNull();
    expect(() => fitLinearMap(x, y, ids)).toThrow(/too few questions to fit a 4-d query map/);
  });

  it('round-trips, and refuses maps for another teacher, dim or encoder, and damaged ones', () => {
    const { x, y } = mappedData(50, 4, 6, 3);
    const map = fitLinearMap(x, y, { ...ids, rank: 3, dataHash: 'abc' });
    const blob = serializeLinearMap(map);
    const back = loadLinearMap(blob, { teacherId: 'big', teacherDim: 6, sourceId: 'light', sourceDim: 4 });
    expect(back.meta).toEqual(map.meta);
    expect(Array.from(back.W)).toEqual(Array.from(map.W));
    expect(() => loadLinearMap(blob, { teacherId: 'other' })).toThrow(/fitted for "big", but the index uses "other"/);
    expect(() => loadLinearMap(blob, { teacherDim: 384 })).toThrow(/writes 6-d vectors/);
    expect(() => loadLinearMap(blob, { sourceId: 'static-64' })).toThrow(/reads vectors of "light"/);
    expect(() => loadLinearMap(blob, { sourceDim: 8 })).toThrow(/reads 4-d vectors/);
    const bad = blob.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => loadLinearMap(bad)).toThrow(/checksum/);
    expect(() => loadLinearMap(new TextEncoder().encode('{"format":"x"}'))).toThrow(/CRLQ/);
    const wrongKind = packLight({ kind: 'coderag-static-encoder', version: 1 }, []);
    expect(() => loadLinearMap(wrongKind)).toThrow(/not a query map/);
    const nan = packLight({ kind: 'coderag-query-map', version: 1, ...map.meta }, [
      Float32Array.from({ length: 30 }, (_, i) => (i === 7 ? NaN : 0)),
    ]);
    expect(() => loadLinearMap(nan)).toThrow(/non-finite weight at 7/);
    const short = packLight({ kind: 'coderag-query-map', version: 1, ...map.meta }, [new Float32Array(10)]);
    expect(() => loadLinearMap(short)).toThrow(/needs 30/);
  });

  it('decorates embedders: the mapped light encoder and the query-only swap keep the contract', async () => {
    const teacher = toyTeacher('big', 6);
    const light = toyTeacher('light', 4);
    const texts = ['how many singers', 'list all the names', 'abc', 'zebra count'];
    const x = await light.embed(corpus.concat(texts, ['more text here', 'yet another question', 'q']));
    const y = await teacher.embed(corpus.concat(texts, ['more text here', 'yet another question', 'q']));
    const map = fitLinearMap(x, y, ids);
    const mapped = withLinearMap(light, map);
    expect(mapped.dim).toBe(6);
    expect(mapped.spaceId).toBe('big');
    await checkEmbedderContract(mapped, texts);

    const swapped = withQueryEncoder(teacher, mapped);
    expect(swapped.id).toBe('big');
    expect(swapped.dim).toBe(6);
    await checkEmbedderContract(swapped, texts);
    const q = await swapped.embed(texts, { role: 'query' });
    expect(Array.from(q)).toEqual(Array.from(await mapped.embed(texts)));
    const d = await swapped.embed(texts, { role: 'doc' });
    expect(Array.from(d)).toEqual(Array.from(await teacher.embed(texts)));

    // Wrong pairings are refused.
    expect(() => withLinearMap(toyTeacher('other-light', 4), map)).toThrow(/not of "other-light"/);
    expect(() => withQueryEncoder(toyTeacher('other-big', 6), mapped)).toThrow(/not of the index's "other-big"/);
    expect(() => withQueryEncoder(teacher, toyTeacher('big', 4))).toThrow(/4-d vectors/);
    // Same model, another dtype (compact) is accepted.
    const q8 = { ...toyTeacher('big', 6), dtype: 'q8' };
    expect(withQueryEncoder(teacher, q8).queryEncoder).toBe(q8);
  });

  it('falls back to the big encoder with the reason when the light one cannot be used', async () => {
    const teacher = toyTeacher('big', 6);
    const { x, y } = mappedData(50, 4, 6, 4);
    const blob = serializeLinearMap(fitLinearMap(x, y, { ...ids, teacher: { ...ids.teacher, id: 'elsewhere' } }));
    const light = toyTeacher('light', 4);
    const res = await chooseQueryEncoder(teacher, () =>
      withLinearMap(light, loadLinearMap(blob, { teacherId: teacher.id, teacherDim: teacher.dim })),
    );
    expect(res.light).toBe(false);
    expect(res.embedder).toBe(teacher);
    expect(res.fallbackReason).toMatch(/fitted for "elsewhere"/);
    const ok = await chooseQueryEncoder(teacher, () => ({ ...toyTeacher('big', 6), dtype: 'q8' }));
    expect(ok.light).toBe(true);
    expect(ok.fallbackReason).toBeUndefined();
  });
});

describe('distillation job', () => {
  it('returns stored encoders and maps that load back, and refuses a map on too few questions', async () => {
    const tok = toyTokenizer();
    const questions = Array.from(
      { length: 40 },
      (_, i) => `${['how many', 'list all', 'are there'][i % 3]} ${tok.vocab[10 + (i % 26)].slice(1)} singers`,
    );
    const teacher = toyTeacher('big', 16);
    const phases = new Set<string>();
    const res = await runDistillJob(
      { questions, dims: [4, 8], lambda: 1e-2 },
      { teacher, tokenizer: tok },
      { onProgress: (p) => phases.add(p.phase) },
    );
    expect(res.encoders.map((e) => e.dim)).toEqual([4, 8]);
    expect([...phases]).toEqual(expect.arrayContaining(['Embedding vocabulary', 'PCA', 'Fitting map']));
    for (const e of res.encoders) {
      const enc = loadStaticEncoder(e.encoder, tok, { teacherId: 'big' });
      const map = loadLinearMap(e.map!, { teacherId: 'big', teacherDim: 16, sourceId: enc.id, sourceDim: enc.dim });
      const swapped = withQueryEncoder(teacher, withLinearMap(enc, map));
      await checkEmbedderContract(swapped, questions.slice(0, 3));
      expect(e.fitCosine).toBeGreaterThan(0.5);
    }
    const few = await runDistillJob({ questions: questions.slice(0, 6), dims: [8] }, { teacher, tokenizer: tok });
    expect(few.encoders[0].map).toBeUndefined();
    expect(few.encoders[0].mapRefused).toMatch(/6 examples, at least 9 needed/);
  });
});
