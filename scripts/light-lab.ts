/**
 * Light query encoders (issue 17): measure each query-encoder variant against the teacher.
 *
 *   npx tsx scripts/light-lab.ts [--dims 32,64,128,256,512] [--lambda 1e-3] [--rank R] [--sif-a 0.1]
 *                                [--latency-n 300] [--out light-lab.json] [--no-cache] [--latency-only]
 *
 * Documents: the Spider train corpus questions, embedded once by the teacher in fp32 (never
 * touched). Queries: the Spider dev questions. For each variant (teacher fp32, teacher q8,
 * q8 + map, static-k + map): Recall@10 and nDCG@10 against the teacher fp32's own top 10,
 * skeleton@3 against the gold SQL, p50 single-query latency in Node, and size. Every map is
 * fitted on the train corpus questions only (no labels: light(x) → teacher(x)); a second set of
 * numbers fits on 80 % of the train databases and queries with the other 20 % ("unseen
 * databases"). Teacher vectors are cached in the project's one embedding cache.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Embedder } from '../src/lib/embed/embedder.ts';
import { findEmbedder } from '../src/lib/config.ts';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { sqlSkeleton } from '../src/lib/sql/normalize.ts';
import { median } from '../src/lib/eval/stats.ts';
import { groupSplit } from '../src/lib/train/split.ts';
import { distillStaticEncoders, serializeStaticEncoder } from '../src/lib/embed/static-encoder.ts';
import { fitLinearMap, serializeLinearMap, withLinearMap, type LinearMap } from '../src/lib/embed/linear-map.ts';
import { loadPieceTokenizer } from '../src/lib/embed/piece-tokenizer.ts';
import { defaultTestEmbedderId, loadEmbedder, localModelsDir, spiderDir, transformers } from '../src/node/host.ts';
import { EMBED_CACHE_DIR, cachingEmbedder } from '../src/node/embed-cache.ts';
import { loadCorpus, loadSpiderDev, spiderTables } from '../src/node/eval-data.ts';
import { writeAtomic } from '../src/node/cli/output.ts';

const { values: flags } = parseArgs({
  options: {
    dims: { type: 'string', default: '32,64,128,256,512' },
    lambda: { type: 'string', default: '1e-3' },
    rank: { type: 'string' },
    'sif-a': { type: 'string', default: '0.1' },
    'latency-n': { type: 'string', default: '300' },
    out: { type: 'string', default: 'light-lab.json' },
    'no-cache': { type: 'boolean', default: false },
    'latency-only': { type: 'boolean', default: false },
  },
  strict: true,
});
const dims = flags.dims.split(',').map(Number);
const lambda = Number(flags.lambda);
const rank = flags.rank ? Number(flags.rank) : undefined;
const cacheDir = flags['no-cache'] ? null : EMBED_CACHE_DIR;
const latencyN = Number(flags['latency-n']);

const dir = spiderDir();
if (!dir) throw new Error('needs ../shared/data/spider');
const teacherId = defaultTestEmbedderId();
const spec = findEmbedder(teacherId)!;
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

const tables = spiderTables(dir)!;
const dev = loadSpiderDev(dir).items;
const corpus = (await loadCorpus(path.join(dir, 'train/train_queries.spiderman.csv'), tables.json, 'spider-train'))
  .corpus;
const docTexts = corpus.examples.map((e) => e.question);
const devTexts = dev.map((d) => d.question);
const trainDbs = new Set(corpus.examples.map((e) => e.dbId));
log(
  `teacher ${teacherId}; docs ${docTexts.length} (train corpus); dev ${dev.length}; dev databases also in train: ${new Set(dev.filter((d) => trainDbs.has(d.dbId)).map((d) => d.dbId)).size}`,
);

const fp32 = await loadEmbedder(teacherId, 'fp32');
const q8 = await loadEmbedder(teacherId, 'q8');

/** The embedder, read through the embedding cache (same batch and role as asked). */
const cached = (e: Embedder): Embedder => cachingEmbedder(e, cacheDir);
const progress = (what: string) => {
  let last = 0;
  return (p: { done: number; total: number }) => {
    if (p.done - last >= 1000 || p.done === p.total) {
      last = p.done;
      log(`${what} ${p.done}/${p.total}`);
    }
  };
};
const cFp32 = cached(fp32);
const cQ8 = cached(q8);
const docs = await cFp32.embed(docTexts, { role: 'doc', onProgress: progress('docs fp32') });
// USE-Lite (and any model without prefixes) embeds a question the same way in both roles.
const samePrefix = (spec.queryPrefix ?? '') === (spec.docPrefix ?? '');
const trainY = samePrefix ? docs : await cFp32.embed(docTexts, { role: 'query', onProgress: progress('train q fp32') });
const devFp32 = await cFp32.embed(devTexts, { role: 'query', onProgress: progress('dev fp32') });
const devQ8 = await cQ8.embed(devTexts, { role: 'query', onProgress: progress('dev q8') });
const trainQ8 = await cQ8.embed(docTexts, { role: 'query', onProgress: progress('train q8') });

const D = fp32.dim;
const index = new FlatIndex(docs, D);
const norm = (s: string) => s.trim().toLowerCase();
const byQuestion = new Map<string, number[]>();
docTexts.forEach((t, i) => byQuestion.set(norm(t), [...(byQuestion.get(norm(t)) ?? []), i]));

/** Top-k rows for each query row, excluding the rows `exclude(i)` gives. */
function searchAll(q: Float32Array, exclude: (i: number) => Set<number>): number[][] {
  const n = q.length / D;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ex = exclude(i);
    out.push(index.search(q.subarray(i * D, (i + 1) * D), 10, (r) => ex.has(r)).map((h) => h.row));
  }
  return out;
}
const IDCG = Array.from({ length: 10 }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0);
function agreement(ref: number[][], got: number[][]) {
  let recall = 0,
    ndcg = 0;
  ref.forEach((r, i) => {
    const rel = new Set(r);
    const g = got[i];
    let hit = 0,
      dcg = 0;
    g.forEach((row, rank) => {
      if (rel.has(row)) {
        hit++;
        dcg += 1 / Math.log2(rank + 2);
      }
    });
    recall += hit / Math.max(1, r.length);
    ndcg += dcg / IDCG;
  });
  return { recall10: recall / ref.length, ndcg10: ndcg / ref.length };
}
const devExclude = (i: number) => new Set(byQuestion.get(norm(devTexts[i])) ?? []);
const devGold = dev.map((d) => sqlSkeleton(d.gold));
const docSkeleton = corpus.examples.map((e) => sqlSkeleton(e.sql));
function skeleton3(got: number[][], gold: string[]) {
  let ok = 0;
  got.forEach((g, i) => {
    if (g.slice(0, 3).some((row) => docSkeleton[row] === gold[i])) ok++;
  });
  return ok / got.length;
}

// Held-out split of the train corpus by database: maps fit on `split.train`, queried with `split.test`.
const split = groupSplit(docTexts.length, (i) => corpus.examples[i].dbId, 0.2, 1);
const heldTexts = split.test.map((i) => docTexts[i]);
const heldRows = (m: Float32Array, w: number) => {
  const out = new Float32Array(split.test.length * w);
  split.test.forEach((r, i) => out.set(m.subarray(r * w, (r + 1) * w), i * w));
  return out;
};
const heldExclude = (i: number) => new Set([split.test[i], ...(byQuestion.get(norm(heldTexts[i])) ?? [])]);
const heldGold = split.test.map((r) => docSkeleton[r]);
const refDev = flags['latency-only'] ? [] : searchAll(devFp32, devExclude);
const refHeld = flags['latency-only'] ? [] : searchAll(heldRows(trainY, D), heldExclude);
log(
  `held-out split: ${split.train.length} train / ${split.test.length} test questions, ${split.testGroups?.length} databases`,
);

/**
 * p50 ms of one single-question `embed` call per variant over the first `latencyN` dev questions,
 * after a warm-up. The variants take turns on each question, so a busy machine slows them alike.
 */
async function latencies(list: Embedder[]): Promise<number[]> {
  const qs = devTexts.slice(0, latencyN);
  for (const e of list) for (const q of qs.slice(0, 20)) await e.embed([q], { role: 'query' });
  const ms: number[][] = list.map(() => []);
  for (const q of qs)
    for (let v = 0; v < list.length; v++) {
      const t0 = performance.now();
      await list[v].embed([q], { role: 'query' });
      ms[v].push(performance.now() - t0);
    }
  return ms.map((m) => median(m));
}
const timed: Embedder[] = [];

interface Row {
  variant: string;
  kind: 'teacher' | 'compact' | 'external' | 'static+map';
  dev: { recall10: number; ndcg10: number; skeleton3: number };
  heldOut: { recall10: number; ndcg10: number; skeleton3: number };
  p50ms: number;
  bytes: number;
  note?: string;
  fitMs?: number;
  fitCosine?: number;
}
const rows: Row[] = [];
const skipped = { recall10: NaN, ndcg10: NaN, skeleton3: NaN };
const measure = (devQ: Float32Array, heldQ: Float32Array) => {
  if (flags['latency-only']) return { dev: skipped, heldOut: skipped };
  const gd = searchAll(devQ, devExclude);
  const gh = searchAll(heldQ, heldExclude);
  return {
    dev: { ...agreement(refDev, gd), skeleton3: skeleton3(gd, devGold) },
    heldOut: { ...agreement(refHeld, gh), skeleton3: skeleton3(gh, heldGold) },
  };
};
const modelsDir = localModelsDir()!;
const fileBytes = (f: string) => statSync(path.join(modelsDir, teacherId, f)).size;
const r4 = (x: number) => Math.round(x * 10000) / 10000;

log('teacher fp32 / q8');
timed.push(fp32);
rows.push({
  variant: `${teacherId} fp32`,
  kind: 'teacher',
  ...measure(devFp32, heldRows(trainY, D)),
  p50ms: NaN,
  bytes: fileBytes('onnx/model.onnx'),
});
timed.push(q8);
rows.push({
  variant: `${teacherId} q8 (fp32 docs)`,
  kind: 'compact',
  ...measure(devQ8, heldRows(trainQ8, D)),
  p50ms: NaN,
  bytes: fileBytes('onnx/model_quantized.onnx'),
});

/** Fit a map on all train questions (dev numbers) and on the training databases (held-out numbers). */
function fitBoth(x: Float32Array, source: Embedder) {
  const opts = {
    source: { id: source.id, dim: source.dim },
    teacher: { id: fp32.id, dtype: fp32.dtype, dim: D },
    lambda,
    rank,
  };
  const t0 = performance.now();
  const all = fitLinearMap(x, trainY, opts);
  const fitMs = performance.now() - t0;
  const held = fitLinearMap(x, trainY, { ...opts, rows: split.train });
  return { all, held, fitMs };
}
const applyHeld = (map: LinearMap, x: Float32Array) => map.applyBatch(heldRows(x, map.inDim));

log('q8 + map');
{
  const { all, held, fitMs } = fitBoth(trainQ8, q8);
  const mapped = withLinearMap(q8, all);
  timed.push(mapped);
  rows.push({
    variant: `${teacherId} q8 + map 512→512`,
    kind: 'external',
    ...measure(all.applyBatch(devQ8), applyHeld(held, trainQ8)),
    p50ms: NaN,
    bytes: fileBytes('onnx/model_quantized.onnx') + serializeLinearMap(all).length,
    fitMs,
    fitCosine: all.meta.fitCosine,
  });
}

log('distilling static encoders');
const tokenizer = await loadPieceTokenizer(await transformers(), teacherId);
const t0 = performance.now();
const statics = await distillStaticEncoders({
  teacher: cFp32,
  tokenizer,
  corpus: docTexts,
  dims,
  sifA: Number(flags['sif-a']),
  onProgress: (p) => (p.phase === 'PCA' && p.detail ? log(`PCA ${p.detail}`) : undefined),
});
const distillMs = performance.now() - t0;
log(`distilled ${dims.join(', ')} in ${(distillMs / 1000).toFixed(1)} s (vocabulary vectors may come from the cache)`);
for (const st of statics) {
  const xTrain = await st.embed(docTexts);
  const xDev = await st.embed(devTexts);
  const { all, held, fitMs } = fitBoth(xTrain, st);
  const mapped = withLinearMap(st, all);
  timed.push(mapped);
  rows.push({
    variant: `static-${st.dim} + map ${st.dim}→${D}`,
    kind: 'static+map',
    ...measure(all.applyBatch(xDev), applyHeld(held, xTrain)),
    p50ms: NaN,
    bytes: serializeStaticEncoder(st).length + serializeLinearMap(all).length,
    note: `PCA keeps ${(st.meta.explained * 100).toFixed(1)} % of the piece variance; + tokenizer.json ${fileBytes('tokenizer.json')} B`,
    fitMs,
    fitCosine: all.meta.fitCosine,
  });
  log(`static-${st.dim} done`);
}

const lat = await latencies(timed);
rows.forEach((r, i) => (r.p50ms = lat[i]));
const base = rows[0];
const table = rows.map((r) => ({
  ...r,
  dev: { recall10: r4(r.dev.recall10), ndcg10: r4(r.dev.ndcg10), skeleton3: r4(r.dev.skeleton3) },
  heldOut: { recall10: r4(r.heldOut.recall10), ndcg10: r4(r.heldOut.ndcg10), skeleton3: r4(r.heldOut.skeleton3) },
  p50ms: r4(r.p50ms),
  speedup: r4(base.p50ms / r.p50ms),
  recallKept: r4(r.dev.recall10 / base.dev.recall10),
  fitMs: r.fitMs !== undefined ? Math.round(r.fitMs) : undefined,
  fitCosine: r.fitCosine !== undefined ? r4(r.fitCosine) : undefined,
}));
const goal = table.filter(
  (r) => r.kind !== 'teacher' && r.kind !== 'compact' && r.recallKept >= 0.95 && r.speedup >= 5,
);
const report = {
  createdAt: new Date().toISOString(),
  teacher: teacherId,
  host: `Node ${process.version}, ${process.platform}/${process.arch}, onnxruntime-node CPU`,
  docs: docTexts.length,
  devQuestions: dev.length,
  heldOut: { questions: split.test.length, databases: split.testGroups?.length, fitQuestions: split.train.length },
  settings: { dims, lambda, rank: rank ?? null, sifA: Number(flags['sif-a']), latencyN },
  distillMs: Math.round(distillMs),
  table,
  goal: {
    text: 'a static or external variant keeping ≥ 0.95 of the teacher Recall@10 at ≥ 5× lower p50 latency',
    met: goal.length > 0,
    by: goal.map((r) => r.variant),
  },
};
writeAtomic(flags.out, JSON.stringify(report, null, 1));
console.log(
  [
    '| variant | R@10 dev | nDCG@10 dev | skel@3 dev | R@10 unseen dbs | skel@3 unseen dbs | p50 ms | speed-up | size |',
    '|---|---|---|---|---|---|---|---|---|',
    ...table.map(
      (r) =>
        `| ${r.variant} | ${r.dev.recall10.toFixed(3)} | ${r.dev.ndcg10.toFixed(3)} | ${r.dev.skeleton3.toFixed(3)} | ${r.heldOut.recall10.toFixed(3)} | ${r.heldOut.skeleton3.toFixed(3)} | ${r.p50ms.toFixed(3)} | ${r.speedup.toFixed(1)}× | ${(r.bytes / 1e6).toFixed(2)} MB |`,
    ),
  ].join('\n'),
);
console.log(`goal met: ${report.goal.met}${goal.length ? ` (${report.goal.by.join(', ')})` : ''}; wrote ${flags.out}`);
