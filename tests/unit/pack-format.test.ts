import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import {
  PackError,
  crc32,
  packFloatVectors,
  quantizeAll,
  readPack,
  readPackHeader,
  writePack,
  type PackInput,
} from '../../src/lib/pack/index.ts';
import type { Corpus, Example } from '../../src/lib/types.ts';
import { mulberry, randomUnit } from './helpers.ts';

const DIM = 24;
const EMB = { id: 'test/embedder', dtype: 'q8', dim: DIM };

function corpus(n: number): Corpus {
  const shared = 'CREATE TABLE t (id INT, name TEXT)';
  const examples: Example[] = Array.from({ length: n }, (_, i) => {
    const e: Example = {
      id: `ex-${i}`,
      question: `How many rows in table ${i}? é中文`,
      sql: `SELECT count(*) FROM t${i}`,
    };
    if (i % 3 === 0) e.schema = shared;
    else if (i % 3 === 1) e.schema = `CREATE TABLE u${i} (x INT)`;
    if (i % 2 === 0) e.dbId = `db${i % 4}`;
    return e;
  });
  examples[n - 1].schema = ''; // empty and absent schemas must stay apart
  return {
    name: `Test corpus (${n})`,
    hash: corpusHash(examples),
    examples,
    schemas: { db0: [{ name: 't', columns: ['id', 'name'], types: ['INT', 'TEXT'] }] },
  };
}

function input(n = 30, extra: Partial<PackInput> = {}): PackInput {
  return {
    corpus: corpus(n),
    embedder: EMB,
    primary: { textMode: 'question', vectors: randomUnit(n, DIM, 1) },
    masked: { textMode: 'masked-question', vectors: randomUnit(n, DIM, 2) },
    ...extra,
  };
}

const buf = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

function packError(f: () => unknown): PackError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PackError);
    return e as PackError;
  }
  throw new Error('expected a PackError');
}

describe('crc32', () => {
  test('equals zlib on random data, in one run or continued', () => {
    const r = mulberry(5);
    for (const len of [0, 1, 7, 1000, 65537]) {
      const b = new Uint8Array(len).map(() => Math.floor(r() * 256));
      expect(crc32(b)).toBe(zlibCrc32(b));
      const cut = Math.floor(len / 3);
      expect(crc32(b.subarray(cut), crc32(b.subarray(0, cut)))).toBe(zlibCrc32(b));
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('pack format', () => {
  test('round trip: examples, schemas, hash, embedder, int8 codes and scales, masked set', () => {
    const inp = input();
    const bytes = writePack(inp);
    const p = readPack(buf(bytes), { embedder: EMB });
    expect(p.corpus).toEqual(inp.corpus);
    expect(p.header.corpusHash).toBe(inp.corpus.hash);
    expect(p.header.embedder).toEqual(EMB);
    expect(p.header.textMode).toBe('question');
    expect(p.header.totalBytes).toBe(bytes.byteLength);
    const q = quantizeAll(inp.primary.vectors, DIM);
    expect(Array.from(p.primary.codes)).toEqual(Array.from(q.codes));
    expect(Array.from(p.primary.scales)).toEqual(Array.from(q.scales));
    expect(p.primary.float).toBeUndefined();
    expect(p.masked?.textMode).toBe('masked-question');
    expect(Array.from(p.masked!.codes)).toEqual(Array.from(quantizeAll(inp.masked!.vectors, DIM).codes));
    // every section starts on a 16-byte boundary and the shared schema is stored once
    for (const s of p.header.sections) expect(s.offset % 16).toBe(0);
    const text = new TextDecoder().decode(bytes);
    expect(text.split('CREATE TABLE t (id INT, name TEXT)').length - 1).toBe(1);
  });

  test('float vectors come back exactly when included; else int8 dequantised is close', () => {
    const inp = input(20, { includeFloat: true, masked: undefined });
    const p = readPack(buf(writePack(inp)));
    expect(p.masked).toBeUndefined();
    expect(Array.from(p.primary.float!)).toEqual(Array.from(inp.primary.vectors));
    expect(Array.from(packFloatVectors(p.primary, DIM))).toEqual(Array.from(inp.primary.vectors));
    const p2 = readPack(buf(writePack({ ...inp, includeFloat: false })));
    const approx = packFloatVectors(p2.primary, DIM);
    for (let i = 0; i < 20; i++) {
      let c = 0;
      for (let j = 0; j < DIM; j++) c += approx[i * DIM + j] * inp.primary.vectors[i * DIM + j];
      expect(c).toBeGreaterThan(0.999);
    }
  });

  test('the writer refuses vectors of the wrong size and a corpus whose hash is stale', () => {
    const inp = input(10);
    expect(() => writePack({ ...inp, primary: { textMode: 'question', vectors: new Float32Array(9 * DIM) } })).toThrow(
      /expected 10×24/,
    );
    expect(() => writePack({ ...inp, corpus: { ...inp.corpus, hash: '0000000000000000' } })).toThrow(/hash/);
  });

  test('a truncated pack says so, wherever it is cut', () => {
    const bytes = writePack(input());
    for (const len of [0, 10, 30, bytes.byteLength - 1, Math.floor(bytes.byteLength / 2)]) {
      const e = packError(() => readPack(buf(bytes.subarray(0, len))));
      expect(e.problem, `cut at ${len}`).toBe('truncated');
      expect(e.message).toMatch(/truncated/);
    }
  });

  test('a tampered byte in any section or in the header fails its checksum, naming the section', () => {
    const bytes = writePack(input());
    const header = readPackHeader(buf(bytes));
    for (const s of header.sections) {
      const t = bytes.slice();
      t[s.offset + Math.floor(s.length / 2)] ^= 0x01;
      const e = packError(() => readPack(buf(t)));
      expect(e.problem).toBe('checksum');
      expect(e.message).toContain(`section ${s.name} fails its checksum`);
    }
    const t = bytes.slice();
    t[40] ^= 0x20; // inside the header JSON
    const e = packError(() => readPack(buf(t)));
    expect(e.problem).toBe('checksum');
    expect(e.message).toMatch(/header fails its checksum/);
  });

  test('examples that do not hash to the header’s corpus hash are refused (checksums re-made by hand)', () => {
    const a = input(12);
    const b = input(12);
    b.corpus.examples[3] = { ...b.corpus.examples[3], question: b.corpus.examples[3].question.replace('3', '9') };
    b.corpus.hash = corpusHash(b.corpus.examples);
    const pa = writePack(a);
    const pb = writePack(b);
    const ha = readPackHeader(buf(pa));
    const hb = readPackHeader(buf(pb));
    const sa = ha.sections.find((s) => s.name === 'examples')!;
    const sb = hb.sections.find((s) => s.name === 'examples')!;
    expect(sb.length).toBe(sa.length);
    // B's examples with their own CRC inside A's pack, and the header's CRC made to match
    const forged = pa.slice();
    forged.set(pb.subarray(sb.offset, sb.offset + sb.length), sa.offset);
    const hLen = new DataView(forged.buffer).getUint32(12, true);
    const json = new TextDecoder().decode(forged.subarray(24, 24 + hLen)).replace(sa.crc32, sb.crc32);
    const hBytes = new TextEncoder().encode(json);
    expect(hBytes.byteLength).toBe(hLen);
    forged.set(hBytes, 24);
    new DataView(forged.buffer).setUint32(16, crc32(hBytes), true);
    const e = packError(() => readPack(buf(forged)));
    expect(e.problem).toBe('checksum');
    expect(e.message).toMatch(/examples do not match the pack's corpus hash/);
  });

  test('another embedder is named: built with X, you use Y', () => {
    const bytes = buf(writePack(input()));
    const e = packError(() => readPack(bytes, { embedder: { id: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', dim: 384 } }));
    expect(e.problem).toBe('embedder');
    expect(e.message).toContain('built with test/embedder (q8, 24-d), you use Xenova/all-MiniLM-L6-v2 (q8, 384-d)');
    expect(packError(() => readPack(bytes, { embedder: { ...EMB, dtype: 'fp32' } })).problem).toBe('embedder');
  });

  test('not a pack, a newer version, and trailing bytes are clear format errors', () => {
    const bytes = writePack(input());
    expect(
      packError(() => readPack(buf(new TextEncoder().encode('{"examples": []} and some more text')))).message,
    ).toMatch(/CRAGPACK/);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(8, 2, true);
    const e = packError(() => readPack(buf(v2)));
    expect(e.problem).toBe('version');
    expect(e.message).toMatch(/version 2; this app reads version 1/);
    const longer = new Uint8Array(bytes.byteLength + 3);
    longer.set(bytes);
    expect(packError(() => readPack(buf(longer))).message).toMatch(/3 bytes follow/);
  });
});
