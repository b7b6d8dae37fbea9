/**
 * `npm run distill -- [--embedder ID] [--dtype fp32] [--dims 128] [--corpus FILE] [--out DIR]`
 *
 * Distils static light query encoders from an embedder (see src/lib/embed/static-encoder.ts) and
 * fits, for each, the ridge map into the embedder's space over the corpus' own questions (no
 * labels). Writes DIR/static-<k>.crlq (the encoder) and DIR/static-<k>.map.crlq (the map), the
 * blobs the app stores in IndexedDB. The teacher's vectors go through the project's embedding
 * cache, so a second run with other widths skips the model. A bad command line exits 2.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Dtype } from '../src/lib/config.ts';
import { runDistillJob } from '../src/lib/embed/distill-job.ts';
import { loadPieceTokenizer } from '../src/lib/embed/piece-tokenizer.ts';
import { EMBED_CACHE_DIR, cachingEmbedder } from '../src/node/embed-cache.ts';
import { defaultTestEmbedderId, loadEmbedder, spiderDir, transformers } from '../src/node/host.ts';
import { corpusIdPrefix, loadCorpus, spiderTables } from '../src/node/eval-data.ts';
import { writeAtomic } from '../src/node/cli/output.ts';

const USAGE = `usage: npm run distill -- [options]
  --embedder ID    teacher embedder (default: the local USE-Lite, else all-MiniLM-L6-v2)
  --dtype DTYPE    teacher dtype for the vocabulary and map targets (default fp32)
  --dims LIST      static encoder widths, comma-separated (default 128)
  --corpus FILE    corpus whose questions weight the pieces and fit the map
                   (default ../shared/data/spider/train/train_queries.spiderman.csv)
  --out DIR        output folder (default light-encoders)
  --lambda X       relative ridge strength of the map (default 1e-3)
  --rank R         reduced-rank map (default full rank)
  --sif-a X        SIF smoothing of the piece weights (default 0.1; 0 = unweighted)
  --no-map         distil only
  --no-cache       do not read or write the embedding cache`;

let flags;
try {
  flags = parseArgs({
    options: {
      embedder: { type: 'string' },
      dtype: { type: 'string', default: 'fp32' },
      dims: { type: 'string', default: '128' },
      corpus: { type: 'string' },
      out: { type: 'string', default: 'light-encoders' },
      lambda: { type: 'string', default: '1e-3' },
      rank: { type: 'string' },
      'sif-a': { type: 'string', default: '0.1' },
      'no-map': { type: 'boolean', default: false },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (name: string, v: string | undefined, int = false): number | undefined => {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x)) || x < 0) {
    console.error(`--${name} must be a ${int ? 'whole ' : ''}number ≥ 0, got "${v}"\n${USAGE}`);
    process.exit(2);
  }
  return x;
};
const dims = flags.dims.split(',').map((d) => num('dims', d, true)!);
const lambda = num('lambda', flags.lambda)!;
const rank = num('rank', flags.rank, true);
const sifA = num('sif-a', flags['sif-a'])!;
const cacheDir = flags['no-cache'] ? null : EMBED_CACHE_DIR;

let corpusFile = flags.corpus;
const spider = spiderDir();
if (!corpusFile) {
  if (!spider) {
    console.error(`--corpus is needed (no ../shared/data/spider here)\n${USAGE}`);
    process.exit(2);
  }
  corpusFile = path.join(spider, 'train/train_queries.spiderman.csv');
}
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

const teacherId = flags.embedder ?? defaultTestEmbedderId();
const teacher = await loadEmbedder(teacherId, flags.dtype as Dtype);
const tables = spider ? spiderTables(spider)?.json : undefined;
const corpus = (await loadCorpus(corpusFile, tables, corpusIdPrefix(corpusFile))).corpus;
const questions = corpus.examples.map((e) => e.question);
log(`teacher ${teacher.id} ${teacher.dtype}; corpus ${corpus.name}`);

const viaCache = cachingEmbedder(teacher, cacheDir);
let last = '';
const res = await runDistillJob(
  { questions, dims, sifA, fitMap: !flags['no-map'], lambda, rank, dataHash: corpus.hash },
  { teacher: viaCache, tokenizer: await loadPieceTokenizer(await transformers(), teacherId) },
  {
    onProgress: (p) => {
      const step = `${p.phase} ${p.total ? Math.floor((10 * p.done) / p.total) * 10 : 0} %${p.detail ? ` (${p.detail})` : ''}`;
      if (step !== last) log(step);
      last = step;
    },
  },
);
mkdirSync(flags.out, { recursive: true });
const summary = res.encoders.map((e) => {
  const file = path.join(flags.out, `static-${e.dim}.crlq`);
  writeAtomic(file, e.encoder);
  const mapFile = e.map ? path.join(flags.out, `static-${e.dim}.map.crlq`) : undefined;
  if (mapFile) writeAtomic(mapFile, e.map!);
  if (e.mapRefused) {
    log(`no map for ${e.id}: ${e.mapRefused}`);
    process.exitCode = 1;
  }
  return {
    encoder: e.id,
    file,
    bytes: e.encoder.length,
    explained: e.explained,
    ...(mapFile ? { map: mapFile, mapBytes: e.map!.length, fitMs: Math.round(e.fitMs!), fitCosine: e.fitCosine } : {}),
    ...(e.mapRefused ? { mapRefused: e.mapRefused } : {}),
  };
});
console.log(
  JSON.stringify(
    { teacher: res.teacherId, dtype: res.teacherDtype, distillMs: Math.round(res.distillMs), summary },
    null,
    1,
  ),
);
