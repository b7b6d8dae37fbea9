import 'fake-indexeddb/auto';
import { describe, expect, test } from 'vitest';
import { corpusHash } from '../../src/lib/corpus/hash.ts';
import { flatFactory } from '../../src/lib/index/flat.ts';
import { int8Factory } from '../../src/lib/index/int8.ts';
import { IndexService } from '../../src/lib/index/service.ts';
import { IndexStore } from '../../src/lib/index/store.ts';
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../../src/lib/errors-transfer.ts';
import {
  PackError,
  decodePackVectors,
  packBuffers,
  packFloatVectors,
  readPackHere,
  type PackReader,
  type ReadPackOptions,
  packIndexMetas,
  packMismatch,
  readPack,
  restorePackIndexes,
  writePack,
} from '../../src/lib/pack/index.ts';
import type { Corpus, Example } from '../../src/lib/types.ts';
import { randomUnit } from './helpers.ts';

const DIM = 32;
const EMB = { id: 'test/embedder', dtype: 'q8', dim: DIM };
const N = 60;

function corpus(): Corpus {
  const examples: Example[] = Array.from({ length: N }, (_, i) => ({
    id: `q${i}`,
    question: `question ${i}`,
    sql: `SELECT ${i}`,
  }));
  return { name: 'Packed (60)', hash: corpusHash(examples), examples };
}

function exactTop(vectors: Float32Array, q: Float32Array, k: number): number[] {
  const s = Array.from({ length: vectors.length / DIM }, (_, r) => {
    let d = 0;
    for (let j = 0; j < DIM; j++) d += vectors[r * DIM + j] * q[j];
    return { r, d };
  });
  return s
    .sort((a, b) => b.d - a.d)
    .slice(0, k)
    .map((x) => x.r);
}

async function service(): Promise<IndexService> {
  return new IndexService(await IndexStore.open('pack-restore-' + Math.random()), {
    flat: flatFactory,
    int8: int8Factory,
  });
}

describe('restoring a pack through the index seam', () => {
  const primary = randomUnit(N, DIM, 7);
  const masked = randomUnit(N, DIM, 8);
  const bytes = writePack({
    corpus: corpus(),
    embedder: EMB,
    primary: { textMode: 'question', vectors: primary },
    masked: { textMode: 'masked-question', vectors: masked },
  });

  test('round trip: both slots are built from the pack and search like the original vectors', async () => {
    const pack = readPack(bytes.slice().buffer, { embedder: EMB });
    const svc = await service();
    const progress: string[] = [];
    const r = await restorePackIndexes(svc, pack, {
      slot: pack.corpus.name,
      kind: 'flat',
      onProgress: (p) => progress.push(p.phase),
    });
    expect(r.primary.meta).toMatchObject({ slot: 'Packed (60)', embedderId: EMB.id, dim: DIM, count: N });
    expect(r.primary.meta.corpusHash).toBe(pack.corpus.hash);
    expect(r.masked?.meta).toMatchObject({ slot: 'Packed (60)#masked', textMode: 'masked-question' });
    expect(progress.at(-1)).toBe('Restored from the pack');
    // Each original row finds itself first, in both slots; the top 5 mostly agree with the exact scan.
    const queries = randomUnit(10, DIM, 9);
    let agree = 0;
    for (let i = 0; i < 10; i++) {
      const row = i * 5;
      const own = (await svc.search(primary.subarray(row * DIM, (row + 1) * DIM), 1)).hits[0].row;
      expect(own).toBe(row);
      const ownMasked = (
        await svc.search(masked.subarray(row * DIM, (row + 1) * DIM), 1, { slot: r.masked!.meta.slot })
      ).hits[0].row;
      expect(ownMasked).toBe(row);
      const q = queries.subarray(i * DIM, (i + 1) * DIM);
      const got = (await svc.search(q, 5, { corpusHash: pack.corpus.hash })).hits.map((h) => h.row);
      const want = exactTop(primary, q, 5);
      agree += got.filter((x) => want.includes(x)).length;
    }
    expect(agree / 50).toBeGreaterThanOrEqual(0.9);
    // The restored index is stored under the identity an embedded build would have: restore finds it.
    const metas = packIndexMetas(pack, pack.corpus.name, 'flat');
    const again = await (await service()).restore(metas.primary);
    expect(again.status).toBe('missing'); // another store
    expect((await svc.restore(metas.primary)).status).toBe('restored');
  });

  test('a cancel before the build leaves the index service untouched', async () => {
    const pack = readPack(bytes.slice().buffer);
    const svc = await service();
    const ac = new AbortController();
    ac.abort();
    await expect(restorePackIndexes(svc, pack, { slot: 'x', kind: 'int8', signal: ac.signal })).rejects.toThrow(
      /cancelled/,
    );
    expect(await svc.list()).toEqual([]);
  });

  test('a tampered or truncated pack is refused before anything is built', () => {
    const tampered = bytes.slice();
    tampered[tampered.length - 5] ^= 0x40; // inside the last vector section
    expect(() => readPack(tampered.buffer)).toThrow(PackError);
    expect(() => readPack(tampered.buffer)).toThrow(/checksum/);
    const short = bytes.slice(0, bytes.length - 100);
    try {
      readPack(short.buffer);
      expect.unreachable();
    } catch (e) {
      expect((e as PackError).problem).toBe('truncated');
    }
  });

  test('mismatch: another embedder, dtype, dimension or document text is named, with the way out', () => {
    const { header } = readPack(bytes.slice().buffer);
    expect(packMismatch(header, { embedder: EMB, textMode: 'question' })).toBeNull();
    const other = packMismatch(header, { embedder: { ...EMB, id: 'other/model' }, textMode: 'question' });
    expect(other).toBeInstanceOf(PackError);
    expect(other!.problem).toBe('embedder');
    expect(other!.message).toMatch(/built with test\/embedder \(q8, 32-d\), you use other\/model/);
    expect(other!.message).toMatch(/re-embed/);
    expect(packMismatch(header, { embedder: { ...EMB, dtype: 'fp32' }, textMode: 'question' })?.message).toMatch(
      /fp32/,
    );
    expect(packMismatch(header, { embedder: { ...EMB, dim: 16 }, textMode: 'question' })).not.toBeNull();
    expect(packMismatch(header, { embedder: EMB, textMode: 'question+sql' })?.message).toMatch(
      /document text "question", you use "question\+sql"/,
    );
  });

  test('read in another thread (as the index worker does): decoded there, moved back, the same indexes', async () => {
    registerErrorTransfer();
    // The index worker's readPack, served over a MessageChannel.
    const served = {
      readPack(buf: ArrayBuffer, opts?: ReadPackOptions) {
        const p = decodePackVectors(readPack(buf, opts));
        return Comlink.transfer(p, packBuffers(p));
      },
    };
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(served, port1 as unknown as Comlink.Endpoint);
    const remote = Comlink.wrap<typeof served>(port2 as unknown as Comlink.Endpoint);
    const read: PackReader = (buf, opts) => remote.readPack(Comlink.transfer(buf, [buf]), opts);
    try {
      const here = readPack(bytes.slice().buffer);
      const buf = bytes.slice().buffer;
      const there = await read(buf);
      expect(buf.byteLength).toBe(0); // moved, not copied
      expect(there.corpus).toEqual(here.corpus);
      expect(there.header).toEqual(here.header);
      // the floats are decoded already: restoring copies them, and gets what decoding here gives
      for (const role of ['primary', 'masked'] as const) {
        expect(there[role]!.float).toBeInstanceOf(Float32Array);
        expect(packFloatVectors(there[role]!, DIM)).toEqual(packFloatVectors(here[role]!, DIM));
      }
      expect((await readPackHere(bytes.slice().buffer)).primary.float).toEqual(there.primary.float);
      const a = await restorePackIndexes(await service(), there, { slot: 's', kind: 'flat' });
      expect(a.masked?.meta.count).toBe(N);
      // a damaged pack's error keeps its class and its kind of problem across the boundary
      const tampered = bytes.slice();
      tampered[tampered.length - 5] ^= 0x40;
      const e = await read(tampered.buffer).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PackError);
      expect((e as PackError).problem).toBe('checksum');
      const other = await read(bytes.slice().buffer, { embedder: { ...EMB, dim: 16 } }).catch((x: unknown) => x);
      expect((other as PackError).problem).toBe('embedder');
    } finally {
      port1.close();
      port2.close();
    }
  });
});
