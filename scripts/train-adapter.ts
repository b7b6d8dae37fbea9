/**
 * Train a query-side linear adapter (MNRL) in Node, with the same core the browser uses.
 *
 *   npm run train-adapter -- --pairs FILE.csv --out adapter.json
 *   npm run train-adapter -- --from-spider ../shared/data/spider --out adapter.json
 *
 * Options:
 *   --pairs FILE.csv        pairs (query,pos[,neg,task,db_id,source]); see src/lib/train/pairs.ts
 *   --from-spider DIR       derive text2code pairs from DIR/train/train_queries.spiderman.csv
 *                           (question -> SQL document) with schemas from DIR/tables.json
 *   --doc sql|schema+sql|sql+schema   document text for --from-spider (default sql)
 *   --write-pairs FILE.csv  also write the pairs that were used (all of them, before the split)
 *   --out FILE              adapter file to write (default adapter.json)
 *   --epochs N --batch N --lr X --scale X --seed N --patience N --wd X   training settings
 *                           (defaults 10, 64, 1e-3, 40, 1, 5, 0: chosen on Spider with USE-Lite by
 *                           validation nDCG@10; see src/lib/train/trainer.ts TRAIN_DEFAULTS)
 *   --split-seed N          seed of the held-out split (default: --seed)
 *   --val F                 held-out fraction for the reported metrics (default 0.2); split by
 *                           database when the pairs carry one (always for --from-spider)
 *   --es-val F              fraction of the training part kept for early stopping (default 0.1)
 *   --no-mine               do not mine hard negatives for pairs without one
 *   --eval-pool test|all    rank held-out queries against held-out documents only (default), or
 *                           against every document
 *   --limit N               train on at most N pairs (a seeded subset of the training part)
 *   --grid "lr=1e-3,3e-4 batch=32,64"  try every combination, keep the best by validation nDCG@10
 *   --repeat N              train N times and report the median training time
 *   --embedder ID --dtype D --models DIR   embedder (default USE-Lite when the models folder has it,
 *                           else Xenova/all-MiniLM-L6-v2 from the Hub)
 *   --cache DIR             embedding cache (default node_modules/.cache/coderag-train; "none" = off)
 *   --json FILE             write a machine-readable summary
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fnv1a64Hex } from '../src/lib/corpus/hash.ts';
import { parseSpiderCsv, parseSpiderTables } from '../src/lib/corpus/spider.ts';
import type { Dtype } from '../src/lib/config.ts';
import { median } from '../src/lib/eval/stats.ts';
import { serializeAdapter, type AdapterMeta } from '../src/lib/train/adapter.ts';
import {
  exampleDataset,
  datasetFromPairs,
  fitAdapter,
  DOC_MODES,
  type DocMode,
  type FitResult,
  type PairDataset,
} from '../src/lib/train/dataset.ts';
import { formatCI, type RetrievalMetrics } from '../src/lib/train/evaluate.ts';
import { dedupePairs, pairsToCsv, parsePairsCsv } from '../src/lib/train/pairs.ts';
import { groupSplit, randomSplit } from '../src/lib/train/split.ts';
import { TRAIN_DEFAULTS } from '../src/lib/train/trainer.ts';
import { seededShuffle } from '../src/lib/eval/stats.ts';
import { embedCached } from '../src/node/embed-cache.ts';
import { repoRoot } from '../src/node/host.ts';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string' },
    'from-spider': { type: 'string' },
    doc: { type: 'string', default: 'sql' },
    'write-pairs': { type: 'string' },
    out: { type: 'string', default: 'adapter.json' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'split-seed': { type: 'string' },
    patience: { type: 'string' },
    wd: { type: 'string' },
    val: { type: 'string', default: '0.2' },
    'es-val': { type: 'string', default: '0.1' },
    'no-mine': { type: 'boolean', default: false },
    'eval-pool': { type: 'string', default: 'test' },
    limit: { type: 'string' },
    grid: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    embedder: { type: 'string' },
    dtype: { type: 'string' },
    models: { type: 'string' },
    cache: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

function usage(msg?: string): never {
  const text = readFileSync(new URL(import.meta.url), 'utf8')
    .split('*/')[0]
    .replace(/^\/\*\*?\n?/, '')
    .replace(/^ \* ?/gm, '');
  if (msg) console.error(`error: ${msg}\n`);
  console.error(text.trim());
  process.exit(msg ? 2 : 0);
}

if (args.help) usage();
if (!args.pairs === !args['from-spider']) usage('give exactly one of --pairs FILE.csv or --from-spider DIR');

const num = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x)) usage(`--${name} must be a number, got "${v}"`);
  return x;
};
const seed = num('seed', args.seed, 1);
const splitSeed = num('split-seed', args['split-seed'], seed);
const valFraction = num('val', args.val, 0.2);
const esFraction = num('es-val', args['es-val'], 0.1);
const docMode = args.doc as DocMode;
if (!DOC_MODES.includes(docMode)) usage(`--doc must be one of ${DOC_MODES.join(', ')}`);
if (args['eval-pool'] !== 'test' && args['eval-pool'] !== 'all') usage('--eval-pool must be test or all');

// Models: --models DIR is honoured through the host's CODERAG_MODELS setting.
if (args.models) {
  if (!existsSync(args.models)) usage(`--models folder "${args.models}" does not exist`);
  process.env.CODERAG_MODELS = path.resolve(args.models);
}
const host = await import('../src/node/host.ts');
const embedderId = args.embedder ?? host.defaultTestEmbedderId();
const cacheDir =
  args.cache === 'none' ? null : path.resolve(args.cache ?? path.join(repoRoot, 'node_modules/.cache/coderag-train'));

const log = (s = '') => process.stderr.write(s + '\n');

// ---------------------------------------------------------------------------------------------
// Data

let ds: PairDataset;
let source: string;
if (args['from-spider']) {
  const dir = path.resolve(args['from-spider']);
  const csvPath = path.join(dir, 'train', 'train_queries.spiderman.csv');
  const tablesPath = path.join(dir, 'tables.json');
  if (!existsSync(csvPath)) usage(`${csvPath} not found`);
  const tables = existsSync(tablesPath) ? parseSpiderTables(JSON.parse(readFileSync(tablesPath, 'utf8'))) : undefined;
  const loaded = parseSpiderCsv(readFileSync(csvPath, 'utf8'), { idPrefix: 'spider-train', tables });
  if (loaded.issues.length)
    log(
      `spider: ${loaded.issues.length} rows skipped (first: row ${loaded.issues[0].row}: ${loaded.issues[0].reason})`,
    );
  ds = exampleDataset(loaded.examples, docMode, loaded.schemas);
  source = `Spider train (${loaded.examples.length} questions, ${new Set(loaded.examples.map((e) => e.dbId)).size} databases), doc=${docMode}`;
} else {
  const file = path.resolve(args.pairs!);
  const parsed = parsePairsCsv(readFileSync(file, 'utf8'));
  for (const i of parsed.issues.slice(0, 10)) log(`${path.basename(file)} row ${i.row}: ${i.reason}`);
  if (parsed.issues.length > 10) log(`... ${parsed.issues.length - 10} more row issues`);
  const { pairs, removed } = dedupePairs(parsed.pairs);
  if (removed) log(`${removed} duplicate pairs dropped`);
  ds = datasetFromPairs(pairs);
  source = `${path.basename(file)} (${pairs.length} pairs)`;
}
const n = ds.pairs.length;
if (n < 10) usage(`only ${n} usable pairs: need at least 10`);
if (args['write-pairs']) {
  writeFileSync(args['write-pairs'], pairsToCsv(ds.pairs));
  log(`wrote ${n} pairs to ${args['write-pairs']}`);
}

// Split: held-out test (reported), then an early-stopping part of the rest; by database when known.
const groups = ds.pairs.map((p) => p.dbId);
const distinctGroups = new Set(groups.filter((g) => g !== undefined)).size;
const byGroup = distinctGroups >= 5 && groups.every((g) => g !== undefined);
const split = byGroup
  ? groupSplit(n, (i) => groups[i], valFraction, splitSeed)
  : randomSplit(n, valFraction, splitSeed);
const rest = split.train;
const inner = byGroup
  ? groupSplit(rest.length, (t) => groups[rest[t]], esFraction, splitSeed + 1)
  : randomSplit(rest.length, esFraction, splitSeed + 1);
let trainIdx = inner.train.map((t) => rest[t]);
const valIdx = inner.test.map((t) => rest[t]);
const testIdx = split.test;
if (args.limit) {
  const lim = num('limit', args.limit, n);
  trainIdx = seededShuffle(trainIdx, splitSeed + 2)
    .slice(0, lim)
    .sort((a, b) => a - b);
}
const splitText = byGroup
  ? `by database: ${testIdx.length} held-out questions from ${split.testGroups!.length} databases not seen in training (seed ${splitSeed})`
  : `random: ${testIdx.length} held-out pairs (${Math.round(valFraction * 100)} %, seed ${splitSeed})`;
log(`data: ${source}`);
log(
  `split: ${splitText}; ${trainIdx.length} train, ${valIdx.length} early-stopping, ${ds.docs.length} distinct documents`,
);

// ---------------------------------------------------------------------------------------------
// Embeddings

const embedder = await host.loadEmbedder(embedderId, args.dtype as Dtype | undefined);
const dim = embedder.dim;
log(`embedder: ${embedder.id} (${embedder.dtype}, ${dim}-d)`);
const embedAll = async (texts: string[], role: 'query' | 'doc') => {
  const t0 = performance.now();
  let last = 0;
  const r = await embedCached(embedder, texts, {
    role,
    cacheDir,
    onProgress: (p) => {
      if (p.done - last >= 1000 || p.done === p.total) {
        last = p.done;
        log(`  embedding ${role === 'query' ? 'queries' : 'docs'} ${p.done}/${p.total}`);
      }
    },
  });
  log(
    `${role === 'query' ? 'queries' : 'docs'}: ${texts.length} vectors ${r.cached ? 'from cache' : `in ${((performance.now() - t0) / 1000).toFixed(1)} s`}`,
  );
  return r.vectors;
};
const queryVecs = await embedAll(ds.queries, 'query');
const docVecs = await embedAll(ds.docs, 'doc');
await embedder.dispose?.();

// ---------------------------------------------------------------------------------------------
// Training

interface Setting {
  epochs: number;
  batchSize: number;
  lr: number;
  scale: number;
  patience: number;
  weightDecay: number;
}
const baseSetting: Setting = {
  epochs: num('epochs', args.epochs, TRAIN_DEFAULTS.epochs),
  batchSize: num('batch', args.batch, TRAIN_DEFAULTS.batchSize),
  lr: num('lr', args.lr, TRAIN_DEFAULTS.lr),
  scale: num('scale', args.scale, TRAIN_DEFAULTS.scale),
  patience: num('patience', args.patience, TRAIN_DEFAULTS.patience),
  weightDecay: num('wd', args.wd, TRAIN_DEFAULTS.weightDecay),
};
const GRID_KEYS: Record<string, keyof Setting> = {
  lr: 'lr',
  batch: 'batchSize',
  epochs: 'epochs',
  scale: 'scale',
  wd: 'weightDecay',
  patience: 'patience',
};
let settings: Setting[] = [baseSetting];
if (args.grid) {
  for (const part of args.grid.trim().split(/\s+/)) {
    const [k, vs] = part.split('=');
    const key = GRID_KEYS[k];
    if (!key || !vs) usage(`--grid entries look like lr=1e-3,3e-4 (keys: ${Object.keys(GRID_KEYS).join(', ')})`);
    const values = vs.split(',').map((v) => num(`grid ${k}`, v, NaN));
    settings = settings.flatMap((s) => values.map((v) => ({ ...s, [key]: v })));
  }
}
const testExtraDocs = args['eval-pool'] === 'all' ? Array.from({ length: ds.docs.length }, (_, i) => i) : [];
const repeat = Math.max(1, Math.floor(num('repeat', args.repeat, 1)));

const fmtSetting = (s: Setting) =>
  `epochs=${s.epochs} batch=${s.batchSize} lr=${s.lr} scale=${s.scale}${s.weightDecay ? ` wd=${s.weightDecay}` : ''}`;
const row = (label: string, m: RetrievalMetrics) =>
  `${label.padEnd(8)} R@1 ${formatCI(m.recall1)}  R@3 ${formatCI(m.recall3)}  R@10 ${formatCI(m.recall10)}  MRR@10 ${formatCI(m.mrr10)}  nDCG@10 ${formatCI(m.ndcg10)}`;

interface Run {
  setting: Setting;
  fit: FitResult;
  bestVal: number;
  trainMs: number[];
  totalMs: number[];
}
const runs: Run[] = [];
for (const s of settings) {
  const times: number[] = [];
  const totals: number[] = [];
  let fit: FitResult | undefined;
  for (let r = 0; r < repeat; r++) {
    const f = await fitAdapter({
      dataset: ds,
      dim,
      queryVecs,
      docVecs,
      trainIdx,
      valIdx,
      testIdx,
      testExtraDocs,
      mine: !args['no-mine'],
      seed,
      ...s,
      onProgress: (p) => {
        if (p.phase === 'epoch' && r === 0) {
          log(
            `  epoch ${String(p.epoch).padStart(2)}  loss ${p.loss.toFixed(4)}  val R@3 ${(p.valRecall3 ?? NaN).toFixed(3)}  val nDCG@10 ${(p.valNdcg10 ?? NaN).toFixed(3)}`,
          );
        }
      },
    });
    times.push(f.train.ms - f.train.valMs);
    totals.push(f.train.ms);
    fit ??= f;
  }
  const bestVal = fit!.train.history.find((h) => h.epoch === fit!.train.bestEpoch)!.valNdcg10;
  runs.push({ setting: s, fit: fit!, bestVal, trainMs: times, totalMs: totals });
  log(
    `${fmtSetting(s)}: best epoch ${fit!.train.bestEpoch}, val nDCG@10 ${bestVal.toFixed(4)}, test R@3 ${fit!.adapted.recall3.mean.toFixed(4)} nDCG@10 ${fit!.adapted.ndcg10.mean.toFixed(4)}, ` +
      `train ${(median(times) / 1000).toFixed(1)} s without validation, ${(median(totals) / 1000).toFixed(1)} s with it (median of ${times.length}: ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s), ` +
      `${fit!.train.history.length - 1} epochs, ${fit!.withNegatives}/${trainIdx.length} with hard negatives`,
  );
}

// Pick by validation nDCG@10 (never by the held-out test numbers).
const best = runs.reduce((a, b) => (b.bestVal > a.bestVal ? b : a));
const fit = best.fit;
console.log(`\n${source}`);
console.log(`split ${splitText}`);
console.log(`ranked against ${fit.base.docs} documents; ${fit.base.n} queries; 95 % bootstrap intervals`);
if (runs.length > 1) {
  console.log('\nsetting                                   best ep  val nDCG@10  test R@3  test nDCG@10  train s');
  for (const r of runs) {
    console.log(
      `${fmtSetting(r.setting).padEnd(42)} ${String(r.fit.train.bestEpoch).padStart(7)}  ${r.bestVal.toFixed(4).padStart(11)}  ${r.fit.adapted.recall3.mean.toFixed(4).padStart(8)}  ${r.fit.adapted.ndcg10.mean.toFixed(4).padStart(12)}  ${(median(r.trainMs) / 1000).toFixed(1).padStart(7)}${r === best ? '  <- chosen' : ''}`,
    );
  }
}
console.log(
  `\nchosen: ${fmtSetting(best.setting)}, best epoch ${fit.train.bestEpoch}${fit.train.stoppedEarly ? ' (stopped early)' : ''}`,
);
console.log(row('base', fit.base));
console.log(row('adapted', fit.adapted));

const meta: AdapterMeta = {
  embedderId: embedder.id,
  dim,
  dataHash: fnv1a64Hex(trainIdx.map((i) => `${ds.queries[i]}\u0001${ds.docs[ds.pos[i]]}`).join('\u0002')),
  createdAt: new Date().toISOString(),
  config: {
    ...best.setting,
    seed,
    splitSeed,
    val: valFraction,
    esVal: esFraction,
    mine: !args['no-mine'],
    doc: args['from-spider'] ? docMode : undefined,
    trainPairs: trainIdx.length,
    source,
  },
  metrics: { ...fit.metrics, split: splitText },
  bestEpoch: fit.train.bestEpoch,
};
writeFileSync(args.out!, serializeAdapter(fit.train.adapter, meta));
console.log(`wrote ${args.out}`);
if (args.json) {
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        source,
        split: splitText,
        embedder: embedder.id,
        dim,
        docs: fit.base.docs,
        runs: runs.map((r) => ({
          setting: r.setting,
          bestEpoch: r.fit.train.bestEpoch,
          valNdcg10: r.bestVal,
          trainMs: r.trainMs,
          totalMs: r.totalMs,
          base: r.fit.metrics.base,
          adapted: r.fit.metrics.adapted,
          history: r.fit.train.history,
        })),
        chosen: best.setting,
      },
      null,
      1,
    ),
  );
}
