import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ShardedIvf, type IvfShardHeader } from '../../src/lib/index/ivf-shards.ts';
import { packFloatVectors, readPack } from '../../src/lib/pack/read.ts';
import { docText } from '../../src/lib/rag/doc-text.ts';
import { loadCorpus } from '../../src/node/eval-data.ts';
import { loadEmbedder, localModelsDir, repoRoot } from '../../src/node/host.ts';
import { PACK_FILE, PACK_USAGE } from '../../src/node/pack/args.ts';
import { runPack } from '../../src/node/pack/run.ts';
import { runCaptured } from './cli-helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pack-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sample = path.join(repoRoot, 'tests/fixtures/corpus/demo-sample.jsonl');
const run = (argv: string[]) => runCaptured('pack', PACK_USAGE, (io) => runPack(argv, io));

describe('npm run pack: the command line', () => {
  test('a bad command line exits 2 with the usage, before any model loads', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    for (const [argv, msg] of [
      [['--corpus', sample, '--out', tmp, '--bogus'], /Unknown option '--bogus'/],
      [['--out', tmp], /--corpus FILE is required/],
      [['--corpus', sample], /--out DIR is required/],
      [['--corpus', path.join(tmp, 'missing.jsonl'), '--out', tmp], /file not found/],
      [['--corpus', sample, '--out', tmp, '--embedder', 'no/such-model'], /not in the registry/],
      [['--corpus', sample, '--out', tmp, '--text-mode', 'sql'], /--text-mode must be one of/],
      [['--corpus', sample, '--out', file], /is a file, not a folder/],
      [['--corpus', sample, '--out', tmp, '--nlist', '4'], /--nlist needs --ivf/],
      [['--corpus', sample, '--out', tmp, '--ivf', '--nlist', '0'], /--nlist must be an integer >= 1/],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain('Usage: npm run pack');
    }
  });
});

describe.skipIf(!localModelsDir())('npm run pack: a real pack', () => {
  test('writes a pack the reader accepts, with the embedder’s own vectors, and reuses the cache', async () => {
    const out = path.join(tmp, 'out');
    const cache = path.join(tmp, 'cache');
    const argv = ['--corpus', sample, '--embedder', 'universal-sentence-encoder-lite', '--out', out, '--cache', cache];
    argv.push('--ivf', '--nlist', '2');
    const r = await run(argv);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(PACK_FILE);
    const bytes = readFileSync(path.join(out, PACK_FILE));
    const emb = await loadEmbedder('universal-sentence-encoder-lite');
    const pack = readPack(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
      embedder: { id: emb.id, dtype: emb.dtype, dim: emb.dim },
    });
    const n = pack.corpus.examples.length;
    expect(pack.corpus).toEqual((await loadCorpus(sample)).corpus);
    expect(n).toBeGreaterThan(3);
    expect(pack.header.textMode).toBe('question');
    expect(pack.masked?.textMode).toBe('masked-question');
    // the stored int8 rows are the embedder's vectors of the app's document texts
    for (const [set, mode] of [
      [pack.primary, 'question'],
      [pack.masked!, 'masked-question'],
    ] as const) {
      const fresh = await emb.embed(
        pack.corpus.examples.map((ex) => docText(ex, mode, pack.corpus.schemas)),
        { role: 'doc', batchSize: 32 },
      );
      for (let i = 0; i < n; i++) {
        let c = 0;
        let s = 0;
        for (let j = 0; j < emb.dim; j++) {
          const x = set.codes[i * emb.dim + j] * set.scales[i];
          c += x * fresh[i * emb.dim + j];
          s += x * x;
        }
        expect(c / Math.sqrt(s)).toBeGreaterThan(0.999);
      }
    }
    // the sharded layout of the same vectors: header, centroids and shards that the client opens
    const header = JSON.parse(readFileSync(path.join(out, 'ivf', 'ivf.json'), 'utf8')) as IvfShardHeader;
    expect(header.nlist).toBe(2);
    expect(header.count).toBe(n);
    expect(header.corpusHash).toBe(pack.corpus.hash);
    expect(header.embedder).toEqual(pack.header.embedder);
    const files = new Map(
      ['ivf.json', 'centroids.bin', 'shards.bin'].map((f) => [f, readFileSync(path.join(out, 'ivf', f))]),
    );
    const sharded = await ShardedIvf.open({
      baseUrl: 'http://files.test/',
      fetch: (u) => Promise.resolve(new Response(files.get(u.replace('http://files.test/', '')))),
      nprobe: 2,
    });
    const row0 = packFloatVectors(pack.primary, emb.dim).subarray(0, emb.dim);
    expect((await sharded.search(row0, 1))[0].row).toBe(0);
    const again = await run(argv);
    expect(again.code).toBe(0);
    expect(again.err).toContain('question vectors from the cache');
    expect(again.err).toContain('masked-question vectors from the cache');
    const b2 = readFileSync(path.join(out, PACK_FILE));
    const pack2 = readPack(b2.buffer.slice(b2.byteOffset, b2.byteOffset + b2.byteLength) as ArrayBuffer);
    expect(pack2.primary.codes).toEqual(pack.primary.codes);
    expect(pack2.masked!.scales).toEqual(pack.masked!.scales);
    await emb.dispose?.();
  }, 120_000);
});
