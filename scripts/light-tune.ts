/**
 * Light query encoders, the "internal" way (issue 17, item 5 of the app brief): tune the static
 * piece table itself on the corpus questions instead of mapping it afterwards.
 *
 *   npx tsx scripts/light-tune.ts [--lambdas 0.01,0.1,1] [--iters 60] [--out docs/light-tune.json]
 *
 * Table E (V+1 rows × D, in the teacher's space; the last row is a bias every question adds) is
 * the ridge solution of   min ‖A E − Y‖² + λ ‖E − E0‖²   where row i of A holds 1/nᵢ for each of
 * the nᵢ pieces of question i (mean pooling), Y the teacher's vectors of the questions and E0 the
 * distilled start (each piece's own teacher vector × its SIF weight). Solved matrix-free by
 * conjugate gradients on the normal equations (AᵀA + λI) E = AᵀY + λE0, one column system per
 * output dimension, all at once. At query time: mean of the piece rows + bias, normalized — the
 * same cost as a static encoder without a map.
 *
 * λ is chosen on a split of the train corpus BY DATABASE (fit on 80 % of the databases, score on
 * the rest); the Spider dev questions are a test, scored once with the chosen λ refitted on all of
 * train. Recall@10 / nDCG@10 against the teacher fp32's own top 10 over the train questions.
 * Teacher vectors come from the project's embedding cache (run scripts/light-lab.ts first).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { groupSplit } from '../src/lib/train/split.ts';
import { pieceText } from '../src/lib/embed/static-encoder.ts';
import { loadPieceTokenizer } from '../src/lib/embed/piece-tokenizer.ts';
import { median } from '../src/lib/eval/stats.ts';
import { defaultTestEmbedderId, loadEmbedder, spiderDir, transformers } from '../src/node/host.ts';
import { EMBED_CACHE_DIR, cachingEmbedder } from '../src/node/embed-cache.ts';
import { loadCorpus, loadSpiderDev, spiderTables } from '../src/node/eval-data.ts';
import { writeAtomic } from '../src/node/cli/output.ts';

const { values: flags } = parseArgs({
  options: {
    lambdas: { type: 'string', default: '0.01,0.1' },
    iters: { type: 'string', default: '60' },
    'sif-a': { type: 'string', default: '0.1' },
    out: { type: 'string', default: 'docs/light-tune.json' },
  },
  strict: true,
});
const lambdas = flags.lambdas.split(',').map(Number);
const iters = Number(flags.iters);
const sifA = Number(flags['sif-a']);
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

const dir = spiderDir();
if (!dir) throw new Error('needs ../shared/data/spider');
const teacherId = defaultTestEmbedderId();
const tables = spiderTables(dir)!;
const dev = loadSpiderDev(dir).items;
const corpus = (await loadCorpus(path.join(dir, 'train/train_queries.spiderman.csv'), tables.json, 'spider-train'))
  .corpus;
const docTexts = corpus.examples.map((e) => e.question);
const devTexts = dev.map((d) => d.question);
const fp32 = cachingEmbedder(await loadEmbedder(teacherId, 'fp32'), EMBED_CACHE_DIR);
const D = fp32.dim;
const docs = await fp32.embed(docTexts, { role: 'doc' });
const trainY = docs; // USE-Lite: no query/doc prefixes, as in light-lab
const devY = await fp32.embed(devTexts, { role: 'query' });
log(`docs ${docTexts.length}, dev ${devTexts.length}`);

// The distilled start: each piece's own teacher vector (the same call as the distillation, so cached).
const tok = await loadPieceTokenizer(await transformers(), teacherId);
const V = tok.vocab.length;
const special = new Set(tok.specialIds);
const ids: number[] = [];
const texts: string[] = [];
for (let id = 0; id < V; id++) {
  const t = special.has(id) ? '' : pieceText(tok.vocab[id] ?? '');
  if (t) {
    ids.push(id);
    texts.push(t);
  }
}
const pieceVecs = await fp32.embed(texts, { role: 'doc', batchSize: 64 });
log(`piece vectors ${ids.length}`);

/** Piece ids of each text (capped at the teacher's 128 tokens, unknown ids dropped). */
const encodeAll = (ts: string[]) =>
  ts.map((t) =>
    tok
      .encode(t)
      .slice(0, 128)
      .filter((id) => id >= 0 && id < V && !special.has(id)),
  );
const docIds = encodeAll(docTexts);
const devIds = encodeAll(devTexts);

function startTable(fitRows: number[]): Float32Array {
  const counts = new Float64Array(V);
  let total = 0;
  for (const r of fitRows)
    for (const id of docIds[r]) {
      counts[id]++;
      total++;
    }
  const E0 = new Float32Array((V + 1) * D);
  ids.forEach((id, k) => {
    const w = sifA > 0 ? sifA / (sifA + counts[id] / total) : 1;
    for (let j = 0; j < D; j++) E0[id * D + j] = pieceVecs[k * D + j] * w;
  });
  return E0; // bias row (V) starts at 0
}

/** out = Aᵀ A x + λ x over the fit rows (x, out: (V+1)×D). */
function normalOp(rows: number[], x: Float32Array, lambda: number, out: Float32Array) {
  out.fill(0);
  const p = new Float32Array(D);
  for (const r of rows) {
    const t = docIds[r];
    const inv = 1 / Math.max(1, t.length);
    p.set(x.subarray(V * D, V * D + D)); // bias
    for (const id of t) for (let j = 0; j < D; j++) p[j] += inv * x[id * D + j];
    for (const id of t) for (let j = 0; j < D; j++) out[id * D + j] += inv * p[j];
    for (let j = 0; j < D; j++) out[V * D + j] += p[j];
  }
  for (let i = 0; i < x.length; i++) out[i] += lambda * x[i];
}

/** Conjugate gradients per output column, all columns at once. */
function solve(rows: number[], lambda: number): Float32Array {
  const E0 = startTable(rows);
  const b = new Float32Array((V + 1) * D);
  for (const r of rows) {
    const t = docIds[r];
    const inv = 1 / Math.max(1, t.length);
    for (const id of t) for (let j = 0; j < D; j++) b[id * D + j] += inv * trainY[r * D + j];
    for (let j = 0; j < D; j++) b[V * D + j] += trainY[r * D + j];
  }
  for (let i = 0; i < b.length; i++) b[i] += lambda * E0[i];
  const x = E0.slice();
  const Ax = new Float32Array(x.length);
  normalOp(rows, x, lambda, Ax);
  const res = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) res[i] = b[i] - Ax[i];
  const dir = res.slice();
  const Ad = new Float32Array(x.length);
  const colDot = (u: Float32Array, v: Float32Array) => {
    const s = new Float64Array(D);
    for (let i = 0; i < u.length; i++) s[i % D] += u[i] * v[i];
    return s;
  };
  let rr = colDot(res, res);
  const rr0 = rr.reduce((a, c) => a + c, 0);
  for (let it = 0; it < iters; it++) {
    normalOp(rows, dir, lambda, Ad);
    const dAd = colDot(dir, Ad);
    const alpha = rr.map((v, j) => (dAd[j] > 0 ? v / dAd[j] : 0));
    for (let i = 0; i < x.length; i++) {
      const j = i % D;
      x[i] += alpha[j] * dir[i];
      res[i] -= alpha[j] * Ad[i];
    }
    const rrNew = colDot(res, res);
    const beta = rrNew.map((v, j) => (rr[j] > 0 ? v / rr[j] : 0));
    for (let i = 0; i < x.length; i++) dir[i] = res[i] + beta[i % D] * dir[i];
    rr = rrNew;
    if (it % 10 === 9)
      log(`  λ ${lambda} iter ${it + 1}: residual ${Math.sqrt(rr.reduce((a, c) => a + c, 0) / rr0).toExponential(2)}`);
  }
  return x;
}

function encode(E: Float32Array, list: number[][]): Float32Array {
  const out = new Float32Array(list.length * D);
  list.forEach((t, i) => {
    const o = i * D;
    const inv = 1 / Math.max(1, t.length);
    for (let j = 0; j < D; j++) out[o + j] = E[V * D + j];
    for (const id of t) for (let j = 0; j < D; j++) out[o + j] += inv * E[id * D + j];
    let s = 0;
    for (let j = 0; j < D; j++) s += out[o + j] ** 2;
    const n = Math.sqrt(s) || 1;
    for (let j = 0; j < D; j++) out[o + j] /= n;
  });
  return out;
}

const index = new FlatIndex(docs, D);
const norm = (s: string) => s.trim().toLowerCase();
const byQ = new Map<string, number[]>();
docTexts.forEach((t, i) => byQ.set(norm(t), [...(byQ.get(norm(t)) ?? []), i]));
const IDCG = Array.from({ length: 10 }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0);
/** The teacher's own top 10 for each reference vector (computed once per query set). */
function tops(ref: Float32Array, exclude: (i: number) => Set<number>): number[][] {
  const n = ref.length / D;
  return Array.from({ length: n }, (_, i) => {
    const ex = exclude(i);
    return index.search(ref.subarray(i * D, (i + 1) * D), 10, (r) => ex.has(r)).map((h) => h.row);
  });
}
function score(q: Float32Array, ref: number[][], exclude: (i: number) => Set<number>) {
  const n = q.length / D;
  let recall = 0,
    ndcg = 0;
  for (let i = 0; i < n; i++) {
    const ex = exclude(i);
    const want = new Set(ref[i]);
    const got = index.search(q.subarray(i * D, (i + 1) * D), 10, (r) => ex.has(r)).map((h) => h.row);
    let hit = 0,
      dcg = 0;
    got.forEach((r, k) => {
      if (!want.has(r)) return;
      hit++;
      dcg += 1 / Math.log2(k + 2);
    });
    recall += hit / Math.max(1, want.size);
    ndcg += dcg / IDCG;
  }
  return { recall10: recall / n, ndcg10: ndcg / n };
}
const rowsOf = (m: Float32Array, rows: number[]) => {
  const out = new Float32Array(rows.length * D);
  rows.forEach((r, i) => out.set(m.subarray(r * D, (r + 1) * D), i * D));
  return out;
};

const split = groupSplit(docTexts.length, (i) => corpus.examples[i].dbId, 0.2, 1);
// Every third held-out question is scored (search over 6,726 vectors is the slow part here).
const heldRows = split.test.filter((_, i) => i % 3 === 0);
const heldIds = heldRows.map((r) => docIds[r]);
const heldEx = (i: number) => new Set([heldRows[i], ...(byQ.get(norm(docTexts[heldRows[i]])) ?? [])]);
const devEx = (i: number) => new Set(byQ.get(norm(devTexts[i])) ?? []);
const heldY = tops(rowsOf(trainY, heldRows), heldEx);
const devRef = tops(devY, devEx);
log(`split: fit ${split.train.length}, held-out ${split.test.length} (${split.testGroups?.length} databases)`);

const tuning: { lambda: number; heldOut: { recall10: number; ndcg10: number }; fitMs: number }[] = [];
const start = score(encode(startTable(split.train), heldIds), heldY, heldEx);
log(`untuned start (SIF ${sifA}, no map): held-out R@10 ${start.recall10.toFixed(3)}`);
for (const lambda of lambdas) {
  const t0 = performance.now();
  const E = solve(split.train, lambda);
  const fitMs = performance.now() - t0;
  const s = score(encode(E, heldIds), heldY, heldEx);
  log(
    `λ ${lambda}: held-out R@10 ${s.recall10.toFixed(3)} nDCG@10 ${s.ndcg10.toFixed(3)} (${(fitMs / 1000).toFixed(1)} s)`,
  );
  tuning.push({ lambda, heldOut: s, fitMs });
}
const best = tuning.reduce((a, b) => (b.heldOut.recall10 > a.heldOut.recall10 ? b : a));
const all = Array.from({ length: docTexts.length }, (_, i) => i);
const t0 = performance.now();
const E = solve(all, best.lambda);
const fitMs = performance.now() - t0;
const devScore = score(encode(E, devIds), devRef, devEx);
log(`dev (test) with λ ${best.lambda}: R@10 ${devScore.recall10.toFixed(3)} nDCG@10 ${devScore.ndcg10.toFixed(3)}`);

// p50 of one query: tokenize + mean of the rows, like StaticEncoder.embed.
const ms: number[] = [];
for (let i = 0; i < Math.min(300, devTexts.length); i++) {
  const t1 = performance.now();
  const t = tok.encode(devTexts[i]);
  encode(E, [t.filter((id) => id >= 0 && id < V && !special.has(id))]);
  ms.push(performance.now() - t1);
}
const out = {
  createdAt: new Date().toISOString(),
  teacher: teacherId,
  host: `Node ${process.version}`,
  method:
    'piece table tuned by ridge toward the distilled table (CG on the normal equations), mean pooling + bias, 512-d, no map',
  settings: { lambdas, iters, sifA },
  split: {
    fit: split.train.length,
    heldOut: split.test.length,
    heldOutScored: heldRows.length,
    databases: split.testGroups?.length,
  },
  untuned: { heldOut: start },
  tuning,
  chosen: { lambda: best.lambda, dev: devScore, fitMsAllTrain: Math.round(fitMs) },
  p50ms: median(ms),
  bytes: (V + 1) * D * 4,
};
writeAtomic(flags.out, JSON.stringify(out, null, 2) + '\n');
log(`p50 ${median(ms).toFixed(3)} ms; wrote ${flags.out}`);
