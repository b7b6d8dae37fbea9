/**
 * `npm run pack`: load a corpus with the app's loaders, embed it (through the one embedding cache)
 * in the chosen text mode and as masked questions, and write a pack with the core writer.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { IvfIndex } from '../../lib/index/ivf.ts';
import { writeIvfShards } from '../../lib/index/ivf-shards.ts';
import type { Embedder } from '../../lib/embed/embedder.ts';
import { writePack } from '../../lib/pack/write.ts';
import { readPack } from '../../lib/pack/read.ts';
import { docText, type TextMode } from '../../lib/rag/doc-text.ts';
import type { Corpus } from '../../lib/types.ts';
import { processIO, type CliIO } from '../cli/args.ts';
import { writeAtomic } from '../cli/output.ts';
import { corpusIdPrefix, loadCorpus, readVectors, writeVectors, type VectorKey } from '../eval-data.ts';
import { loadEmbedder } from '../host.ts';
import { PACK_USAGE, parsePackArgs } from './args.ts';

/** Texts per embedder call; the same as `npm run eval`, so the two share cached vectors. */
export const PACK_DOC_BATCH = 32;

/** The corpus vectors in `textMode`, from the cache or the embedder (loaded on the first miss). */
async function corpusVectors(
  corpus: Corpus,
  textMode: TextMode,
  embedder: () => Promise<Embedder>,
  cacheDir: string | null,
  io: CliIO,
): Promise<Float32Array> {
  const e = await embedder();
  const key: VectorKey = {
    embedderId: e.id,
    dtype: e.dtype,
    dim: e.dim,
    textMode,
    corpusHash: corpus.hash,
    count: corpus.examples.length,
    batch: PACK_DOC_BATCH,
  };
  const hit = cacheDir ? readVectors(cacheDir, key) : null;
  if (hit) {
    io.err(`pack: ${textMode} vectors from the cache`);
    return hit;
  }
  const texts = corpus.examples.map((ex) => docText(ex, textMode, corpus.schemas));
  const t0 = performance.now();
  let last = 0;
  const v = await e.embed(texts, {
    role: 'doc',
    batchSize: PACK_DOC_BATCH,
    onProgress: (p) => {
      if (performance.now() - last < 2000 && p.done < p.total) return;
      last = performance.now();
      io.err(`pack: embedding ${textMode}: ${p.done}/${p.total}`);
    },
  });
  io.err(`pack: embedded ${texts.length} ${textMode} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (cacheDir) writeVectors(cacheDir, key, v);
  return v;
}

export async function runPack(argv: string[], io: CliIO = processIO): Promise<void> {
  const a = parsePackArgs(argv);
  if (a.help) {
    io.log(PACK_USAGE.trimEnd());
    return;
  }
  const tablesJson = a.tables ? (JSON.parse(readFileSync(a.tables, 'utf8')) as unknown) : undefined;
  const loaded = await loadCorpus(a.corpus, tablesJson, corpusIdPrefix(a.corpus));
  const corpus = loaded.corpus;
  io.err(`pack: ${corpus.name}, ${loaded.format}${loaded.issues ? `, ${loaded.issues} rows skipped` : ''}`);
  let emb: Embedder | null = null;
  const embedder = async () => (emb ??= await loadEmbedder(a.embedder, a.dtype));
  const primary = await corpusVectors(corpus, a.textMode, embedder, a.cacheDir, io);
  const masked = a.masked ? await corpusVectors(corpus, 'masked-question', embedder, a.cacheDir, io) : undefined;
  const e = await embedder();
  const bytes = writePack({
    corpus,
    embedder: { id: e.id, dtype: e.dtype, dim: e.dim },
    primary: { textMode: a.textMode, vectors: primary },
    ...(masked ? { masked: { textMode: 'masked-question' as const, vectors: masked } } : {}),
    includeFloat: a.float,
    createdAt: new Date().toISOString(),
  });
  // Read back with the app's reader before replacing anything: a pack that fails it is never written.
  readPack(bytes.buffer, { embedder: { id: e.id, dtype: e.dtype, dim: e.dim } });
  writeAtomic(a.outFile, bytes);
  if (a.ivf) {
    const t0 = performance.now();
    const index = new IvfIndex(primary, e.dim, a.ivf.nlist ? { nlist: a.ivf.nlist } : {});
    const sh = writeIvfShards(index, {
      embedder: { id: e.id, dtype: e.dtype, dim: e.dim },
      textMode: a.textMode,
      corpusHash: corpus.hash,
    });
    for (const [name, b] of Object.entries(sh.files)) writeAtomic(path.join(a.outDir, 'ivf', name), b);
    io.log(
      `${path.join(a.outDir, 'ivf')}: ${sh.header.nlist} lists, ${(sh.header.shards.bytes / 1e6).toFixed(2)} MB of shards, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const mb = (statSync(a.outFile).size / 1e6).toFixed(2);
  io.log(
    `${a.outFile}: ${corpus.examples.length} examples, ${e.id} (${e.dtype}, ${e.dim}-d), ${a.textMode}${masked ? ' + masked-question' : ''}, ${mb} MB`,
  );
  await e.dispose?.();
}
