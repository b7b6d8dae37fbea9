/** LinearAdapter: apply, base64 weights, file round trip and validation errors. */
import { describe, expect, test } from 'vitest';
import {
  AdapterFormatError,
  LinearAdapter,
  loadAdapterJson,
  serializeAdapter,
  toAdapterFile,
  withQueryAdapter,
  type AdapterMeta,
} from '../../src/lib/train/adapter.ts';
import { base64ToBytes, base64ToFloat32, bytesToBase64, float32ToBase64 } from '../../src/lib/train/base64.ts';
import type { Embedder } from '../../src/lib/embed/embedder.ts';
import { mulberry } from './helpers.ts';

/** Bitwise equality of two typed arrays (toEqual is slow on 262,144 elements). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function randomAdapter(d: number, seed: number): LinearAdapter {
  const rand = mulberry(seed);
  const a = LinearAdapter.identity(d);
  for (let i = 0; i < d * d; i++) a.W[i] += (rand() - 0.5) * 0.2;
  for (let i = 0; i < d; i++) a.b[i] = (rand() - 0.5) * 0.1;
  return a;
}

const meta = (dim: number): AdapterMeta => ({
  embedderId: 'universal-sentence-encoder-lite',
  dim,
  dataHash: 'abc123',
  createdAt: '2025-01-01T00:00:00.000Z',
  config: { epochs: 3, batchSize: 64, lr: 1e-3, scale: 20, seed: 1 },
  metrics: {
    base: { recall3: 0.5, ndcg10: 0.55, ci: { recall3: [0.45, 0.55] } },
    adapted: { recall3: 0.6, ndcg10: 0.65 },
    split: 'by database',
  },
  bestEpoch: 2,
});

describe('base64', () => {
  test('matches known vectors (RFC 4648) and round-trips every length', () => {
    const enc = (s: string) => bytesToBase64(new TextEncoder().encode(s));
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(enc)).toEqual([
      '',
      'Zg==',
      'Zm8=',
      'Zm9v',
      'Zm9vYg==',
      'Zm9vYmE=',
      'Zm9vYmFy',
    ]);
    const rand = mulberry(1);
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    }
    // Large input (chunked joining) and whitespace tolerance.
    const big = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7) & 255);
    const b64 = bytesToBase64(big);
    expect(same(base64ToBytes(b64), big)).toBe(true);
    expect(same(base64ToBytes(b64.replace(/(.{76})/g, '$1\n')), big)).toBe(true);
  });

  test('float32 little-endian', () => {
    const v = new Float32Array([1, -2.5, Math.PI, 0, -0, 1e-30]);
    expect(float32ToBase64(new Float32Array([1]))).toBe('AACAPw=='); // 0x3f800000 little-endian
    expect(base64ToFloat32(float32ToBase64(v))).toEqual(v);
  });

  test('bad input throws a clear error', () => {
    expect(() => base64ToBytes('ab$d')).toThrow(/invalid base64 character "\$" at position 2/);
    expect(() => base64ToBytes('abcde')).toThrow(/impossible length/);
    expect(() => base64ToFloat32('AAAA')).toThrow(/not a whole number of float32/);
  });
});

describe('LinearAdapter', () => {
  test('identity leaves unit vectors as they are; apply normalises W q + b', () => {
    const d = 4;
    const q = new Float32Array([0.5, 0.5, 0.5, 0.5]);
    expect(LinearAdapter.identity(d).apply(q)).toEqual(q);
    const a = new LinearAdapter(
      d,
      new Float32Array([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      new Float32Array([0, 1, 0, 0]),
    );
    const out = a.apply(q);
    expect(Array.from(out).map((x) => +x.toFixed(6))).toEqual([
      +(1 / Math.SQRT2).toFixed(6),
      +(1 / Math.SQRT2).toFixed(6),
      0,
      0,
    ]);
    // In place works too.
    const copy = q.slice();
    a.apply(copy, copy);
    expect(copy).toEqual(out);
  });

  test('applyBatch equals apply row by row', () => {
    const d = 16;
    const a = randomAdapter(d, 3);
    const rand = mulberry(5);
    const mat = Float32Array.from({ length: 5 * d }, () => rand() - 0.5);
    const batch = a.applyBatch(mat);
    for (let i = 0; i < 5; i++)
      expect(batch.subarray(i * d, (i + 1) * d)).toEqual(a.apply(mat.subarray(i * d, (i + 1) * d)));
    expect(a.applyBatch(mat.slice(), undefined)).toEqual(batch);
    expect(() => a.apply(new Float32Array(3))).toThrow(/3 dims/);
  });

  test('withQueryAdapter adapts queries only', async () => {
    const d = 4;
    const base: Embedder = {
      id: 'e',
      dim: d,
      dtype: 'fp32',
      device: 'cpu',
      embed: async (t) => new Float32Array(t.length * d).fill(0.5),
    };
    const a = new LinearAdapter(d, undefined, new Float32Array([1, 0, 0, 0]));
    const e = withQueryAdapter(base, a);
    expect(e.id).toBe('e');
    expect(await e.embed(['x'], { role: 'doc' })).toEqual(new Float32Array(4).fill(0.5));
    const q = await e.embed(['x'], { role: 'query' });
    expect(q[0]).toBeGreaterThan(q[1]);
    expect(() => withQueryAdapter(base, LinearAdapter.identity(8))).toThrow(AdapterFormatError);
  });
});

describe('adapter files', () => {
  test('round trip: weights bit-exact, metadata kept', () => {
    const a = randomAdapter(32, 7);
    const text = serializeAdapter(a, meta(32));
    const back = loadAdapterJson(text);
    expect(back).toBeInstanceOf(LinearAdapter);
    expect(back.dim).toBe(32);
    expect(same(back.W, a.W)).toBe(true);
    expect(same(back.b, a.b)).toBe(true);
    expect(back.meta).toEqual(meta(32));
    const parsed = JSON.parse(text);
    expect(parsed.format).toBe('coderag-linear-adapter');
    expect(parsed.version).toBe(1);
    expect(parsed.metrics.adapted.recall3).toBe(0.6);
    // The parsed object loads too, and the adapter behaves identically.
    const v = new Float32Array(32).fill(1 / Math.sqrt(32));
    expect(loadAdapterJson(parsed).apply(v)).toEqual(a.apply(v));
  });

  test('a 512-d adapter is about 1.4 MB of JSON and loads back', () => {
    const a = randomAdapter(512, 2);
    const text = serializeAdapter(a, meta(512));
    expect(text.length).toBeGreaterThan(1.3e6);
    expect(text.length).toBeLessThan(1.5e6);
    expect(
      same(loadAdapterJson(text, { expectDim: 512, expectEmbedderId: 'universal-sentence-encoder-lite' }).W, a.W),
    ).toBe(true);
  });

  test('clear errors for wrong files', () => {
    const good = toAdapterFile(randomAdapter(4, 1), meta(4));
    const err = (x: unknown, opts = {}) => {
      try {
        loadAdapterJson(x as string, opts);
      } catch (e) {
        expect(e).toBeInstanceOf(AdapterFormatError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('{not json')).toMatch(/not valid JSON/);
    expect(err('[1,2]')).toMatch(/must be a JSON object/);
    expect(err({ ...good, format: 'something-else' })).toMatch(
      /not a CodeRAG adapter file: format is "something-else"/,
    );
    expect(err({ ...good, version: 2 })).toMatch(/version 2 is newer/);
    expect(err({ ...good, dim: 0 })).toMatch(/dim must be an integer/);
    expect(err({ ...good, dim: 5 })).toMatch(/field W holds 16 values; a 5-d adapter needs 25/);
    expect(err({ ...good, W: 'AAAA$AAA' })).toMatch(/field W is not valid base64.*invalid base64 character/);
    expect(err({ ...good, b: float32ToBase64(new Float32Array([1, 2, 3, NaN])) })).toMatch(/non-finite/);
    expect(err({ ...good, embedderId: undefined })).toMatch(/lacks embedderId/);
    expect(err(good, { expectDim: 384 })).toMatch(/adapter is for 4-d embeddings but the embedder gives 384-d/);
    expect(err(good, { expectEmbedderId: 'Xenova/all-MiniLM-L6-v2' })).toMatch(
      /trained for "universal-sentence-encoder-lite"/,
    );
    expect(err(good)).toBe('no error');
  });

  test('the whole schema is checked: bad metrics and fields are refused with the field named (issue 18 item 17)', () => {
    const good = toAdapterFile(randomAdapter(4, 1), meta(4));
    const err = (x: unknown) => {
      try {
        loadAdapterJson(JSON.stringify(x));
      } catch (e) {
        expect(e).toBeInstanceOf(AdapterFormatError);
        return (e as Error).message;
      }
      return 'no error';
    };
    const base = good.metrics!.base;
    expect(err({ ...good, metrics: {} })).toMatch(/metrics\.base must be an object of scores, got undefined/);
    expect(err({ ...good, metrics: 'great' })).toMatch(/field metrics must be an object, got "great"/);
    expect(err({ ...good, metrics: { base: { recall3: '0.5', ndcg10: '0.6' }, adapted: base } })).toMatch(
      /metrics\.base\.recall3 must be a finite number, got "0\.5"/,
    );
    expect(err({ ...good, metrics: { base: { recall3: 0.5 }, adapted: base } })).toMatch(
      /metrics\.base\.ndcg10 is missing/,
    );
    expect(err({ ...good, metrics: { base, adapted: { ...base, mrr10: 'x' } } })).toMatch(/metrics\.adapted\.mrr10/);
    expect(err({ ...good, metrics: { base: { ...base, ci: { ndcg10: [0.1] } }, adapted: base } })).toMatch(
      /metrics\.base\.ci\.ndcg10 must be \[low, high\]/,
    );
    expect(err({ ...good, metrics: { base, adapted: base, split: 3 } })).toMatch(/metrics\.split must be a string/);
    // Non-finite numbers cannot be written as JSON, but an object passed in directly can hold them.
    expect(() => loadAdapterJson({ ...good, metrics: { base: { ...base, ndcg10: Infinity }, adapted: base } })).toThrow(
      /metrics\.base\.ndcg10 must be a finite number, got Infinity/,
    );
    expect(err({ ...good, bestEpoch: -1 })).toMatch(/bestEpoch must be a whole number/);
    expect(err({ ...good, createdAt: 12 })).toMatch(/createdAt must be a string, got 12/);
    expect(err({ ...good, config: 'fast' })).toMatch(/config must be an object/);
    expect(err({ ...good, W: undefined })).toMatch(/field W must be a base64 string/);
    expect(err({ ...good, dim: 4.5 })).toMatch(/dim must be an integer/);
    // Without metrics (an untrained export) the file is fine, and what loads is safe to read.
    const { metrics: _m, ...noMetrics } = good;
    expect(err(noMetrics)).toBe('no error');
    const back = loadAdapterJson(JSON.stringify(good));
    expect(back.meta.metrics!.base.ndcg10.toFixed(3)).toBe('0.550');
  });
});
