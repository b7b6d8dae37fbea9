import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { FlatIndex, flatFactory } from '../../src/lib/index/flat.ts';
import {
  Int8Index,
  createInt8Factory,
  int8Factory,
  int8KernelBytes,
  quantizeRow,
  readProbeBytes,
  selectInto,
  wasmSimdAvailable,
} from '../../src/lib/index/int8.ts';
import { TopK } from '../../src/lib/index/vector-index.ts';
import { CTRL, STALL_MS, type SpawnScanHelper } from '../../src/lib/index/int8-threads.ts';
import { IndexStore, type IndexMeta } from '../../src/lib/index/store.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { mulberry, randomUnit } from './helpers.ts';

/** Vectors with cluster structure, closer to real embeddings than uniform noise. */
function clustered(n: number, dim: number, seed: number): Float32Array {
  const r = mulberry(seed);
  const centers = randomUnit(20, dim, seed + 1);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 20);
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = centers[c * dim + j] + 0.08 * (r() * 2 - 1);
      v[i * dim + j] = x;
      s += x * x;
    }
    const norm = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j] /= norm;
  }
  return v;
}

function recallAt(k: number, exact: { row: number }[], got: { row: number }[]): number {
  const want = new Set(exact.slice(0, k).map((h) => h.row));
  return got.slice(0, k).filter((h) => want.has(h.row)).length / k;
}

describe('int8 kernel', () => {
  test('the hand-assembled WASM module validates here', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(WebAssembly.validate(int8KernelBytes())).toBe(true);
  });

  test('quantizeRow keeps the largest component at ±127 and handles a zero vector', () => {
    const v = new Float32Array([0.5, -1, 0.25, 0]);
    const out = new Int8Array(4);
    const s = quantizeRow(v, 0, 4, out, 0);
    expect(Array.from(out)).toEqual([64, -127, 32, 0]);
    expect(s).toBeCloseTo(1 / 127, 7);
    const z = new Int8Array(4).fill(9);
    expect(quantizeRow(new Float32Array(4), 0, 4, z, 0)).toBe(0);
    expect(Array.from(z)).toEqual([0, 0, 0, 0]);
  });
});

// Exact scores, order, exclude, k = 0 / k > n and width errors are checked for both kernels by the
// contract suite in vector-index.contract.test.ts; this file keeps what is particular to int8.
describe('int8 kernel variants, the read probe and the selection', () => {
  type K = { memory: WebAssembly.Memory; i8dot(q: number, p: number, n: number, st: number, out: number): void };
  const kernel = (v: 'simple' | 'blocked') => {
    const k = new WebAssembly.Instance(new WebAssembly.Module(int8KernelBytes(v)), {}).exports as K;
    k.memory.grow(4);
    return k;
  };

  test('the blocked kernel gives the simple kernel’s dot products for every row count (4-row groups and the tail)', () => {
    const [a, b] = [kernel('simple'), kernel('blocked')];
    const r = mulberry(5);
    for (const stride of [32, 64, 512]) {
      const rows = 1024;
      const bytes = stride + 37 * stride;
      const src = Int8Array.from({ length: bytes }, () => Math.round(r() * 254 - 127));
      new Int8Array(a.memory.buffer).set(src);
      new Int8Array(b.memory.buffer).set(src);
      for (const n of [0, 1, 3, 4, 5, 8, 37]) {
        const out = rows + 37 * stride;
        a.i8dot(0, stride, n, stride, out);
        b.i8dot(0, stride, n, stride, out);
        const want = new Int32Array(a.memory.buffer, out, n);
        // the reference: plain integer dot products
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < stride; j++) s += src[j] * src[stride + i * stride + j];
          expect(want[i]).toBe(s);
        }
        expect(Array.from(new Int32Array(b.memory.buffer, out, n))).toEqual(Array.from(want));
        new Int32Array(b.memory.buffer, out, 40).fill(-7);
      }
    }
  });

  test('the read probe reads the whole range (its result is the OR of every 32-bit lane 0)', () => {
    const p = new WebAssembly.Instance(new WebAssembly.Module(readProbeBytes()), {}).exports as {
      memory: WebAssembly.Memory;
      read(p: number, bytes: number): number;
    };
    const u = new Int32Array(p.memory.buffer);
    expect(p.read(0, 4096)).toBe(0);
    u[4096 / 4 - 4] = 1 << 9; // lane 0 of the last 16 bytes
    expect(p.read(0, 4096)).toBe(1 << 9);
    expect(p.read(0, 4032)).toBe(0); // stops before it
  });

  test('selectInto keeps what pushing every kept row would keep', () => {
    const r = mulberry(9);
    const n = 5000;
    const raw = Int32Array.from({ length: n }, () => Math.round((r() - 0.5) * 1e6));
    const scales = Float32Array.from({ length: n }, () => r());
    const order = Uint32Array.from({ length: n }, (_, i) => (i * 7919) % n);
    for (const exclude of [undefined, (row: number) => row % 3 === 0]) {
      for (const rowOf of [null, order]) {
        const want = new TopK(64);
        for (let p = 0; p < n; p++) {
          const row = rowOf ? rowOf[p] : p;
          if (!exclude?.(row)) want.push(row, raw[p] * scales[p]);
        }
        const got = new TopK(64);
        selectInto(got, raw, scales, 0, 2000, rowOf, exclude);
        selectInto(got, raw, scales, 2000, n, rowOf, exclude);
        expect(got.hits).toEqual(want.hits);
      }
    }
  });
});

describe('Int8Index', () => {
  test('recall@10 vs the exact flat scan is ≥ 0.99 on random and clustered 512-d vectors', () => {
    for (const [name, v] of [
      ['random', randomUnit(3000, 512, 1)],
      ['clustered', clustered(3000, 512, 2)],
    ] as const) {
      const flat = new FlatIndex(v, 512);
      const idx = new Int8Index(v, 512);
      expect(idx.engine).toBe('wasm-simd');
      const qs = name === 'random' ? randomUnit(40, 512, 50) : clustered(40, 512, 51);
      let r = 0;
      for (let i = 0; i < 40; i++) {
        const q = qs.subarray(i * 512, (i + 1) * 512);
        r += recallAt(10, flat.search(q, 10), idx.search(q, 10));
      }
      expect(r / 40, name).toBeGreaterThanOrEqual(0.99);
    }
  });

  test('the JS fallback gives the same results as the WASM kernel', () => {
    const dim = 100; // not a multiple of 32: exercises the zero padding
    const v = randomUnit(800, dim, 4);
    const a = new Int8Index(v, dim);
    const b = new Int8Index(v, dim, { wasm: false });
    expect(b.engine).toBe('js');
    expect(a.stride).toBe(128);
    const qs = randomUnit(10, dim, 60);
    for (let i = 0; i < 10; i++) {
      const q = qs.subarray(i * dim, (i + 1) * dim);
      expect(a.search(q, 10)).toEqual(b.search(q, 10));
    }
  });

  test('a small candidate pool still re-ranks exactly (pool is at least 4·k)', () => {
    const v = randomUnit(2000, 256, 6);
    const flat = new FlatIndex(v, 256);
    const idx = createInt8Factory({ candidates: 1 }).build(v, 256) as Int8Index;
    const q = randomUnit(1, 256, 61);
    expect(recallAt(10, flat.search(q, 10), idx.search(q, 10))).toBeGreaterThanOrEqual(0.9);
  });

  test('persists through IndexService like the flat index (codes rebuilt on restore)', async () => {
    const store = await IndexStore.open(`int8-test-${Math.random()}`);
    const svc = new IndexService(store, { flat: flatFactory, int8: int8Factory });
    const dim = 128;
    const v = randomUnit(300, dim, 7);
    const meta: IndexMeta = {
      slot: 's',
      embedderId: 'e',
      dtype: 'q8',
      dim,
      corpusHash: 'h',
      count: 300,
      kind: 'int8',
      textMode: 'question',
    };
    const rec = await svc.build(meta, v.slice(), 0);
    expect(rec.meta.kind).toBe('int8');
    const svc2 = new IndexService(store, { flat: flatFactory, int8: int8Factory });
    const r = await svc2.restore(meta);
    expect(r.status).toBe('restored');
    const q = v.slice(42 * dim, 43 * dim);
    expect((await svc2.search(q, 1)).hits[0].row).toBe(42);
    store.close();
  });
});

describe('Int8Index on scan threads', () => {
  test('a helper that joins and then never answers: the scan finishes alone, correct, and drops the threads', () => {
    const dim = 64;
    const v = randomUnit(500, dim, 21);
    const mute: SpawnScanHelper = (init) => {
      Atomics.add(new Int32Array(init.ctrl), CTRL.READY, 1); // registers, never scores
      return { terminate: () => {} };
    };
    const index = new Int8Index(v, dim, { threads: { count: 2, spawn: mute } });
    expect(index.scanThreads).toBe(2);
    const q = randomUnit(1, dim, 22);
    const t0 = performance.now();
    const hits = index.search(q, 10);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(STALL_MS - 50);
    expect(hits).toEqual(new Int8Index(v, dim).search(q, 10));
    expect(index.scanThreads).toBe(1);
    expect(index.search(q, 10)).toEqual(hits);
    index.dispose();
  });
});
