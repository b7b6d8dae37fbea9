/**
 * `npm run train-adapter`: its usage text, and the parsing and checking of its command line. Every
 * check runs before any data is embedded or any model is loaded.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findEmbedder, type Dtype } from '../../lib/config.ts';
import { DOC_MODES, type DocMode } from '../../lib/train/dataset.ts';
import { TRAIN_DEFAULTS } from '../../lib/train/trainer.ts';
import {
  DTYPES,
  UsageError,
  inputDir,
  inputFile,
  intArg,
  numArg,
  oneOf,
  outputFile,
  parseStrict,
} from '../cli/args.ts';
import { EMBED_CACHE_DIR } from '../embed-cache.ts';
import { defaultTestEmbedderId, repoRoot } from '../host.ts';

export const TRAIN_USAGE = `Usage: npm run train-adapter -- (--pairs FILE.csv | --from-spider DIR) [options]

Trains a query-side linear adapter (MNRL) in Node, with the same core the browser uses.

  npm run train-adapter -- --pairs FILE.csv --out adapter.json
  npm run train-adapter -- --from-spider ../shared/data/spider --out adapter.json

Data
  --pairs FILE.csv        pairs (query,pos[,neg,task,db_id,source]); see src/lib/train/pairs.ts
  --from-spider DIR       derive text2code pairs from DIR/train/train_queries.spiderman.csv
                          (question -> SQL document) with schemas from DIR/tables.json
  --doc sql|schema+sql|sql+schema   document text for --from-spider (default sql)
  --write-pairs FILE.csv  also write the pairs that were used (all of them, before the split)
  --limit N               train on at most N pairs (a seeded subset of the training part)

Training
  --epochs N --batch N --lr X --scale X --seed N --patience N --wd X   training settings
                          (defaults ${TRAIN_DEFAULTS.epochs}, ${TRAIN_DEFAULTS.batchSize}, ${TRAIN_DEFAULTS.lr}, ${TRAIN_DEFAULTS.scale}, ${TRAIN_DEFAULTS.seed}, ${TRAIN_DEFAULTS.patience}, ${TRAIN_DEFAULTS.weightDecay}: chosen on Spider with USE-Lite by
                          validation nDCG@10; see src/lib/train/trainer.ts TRAIN_DEFAULTS)
  --split-seed N          seed of the held-out split (default: --seed)
  --val F                 held-out fraction for the reported metrics, 0 < F < 1 (default 0.2);
                          split by database when the pairs carry one (always for --from-spider)
  --es-val F              fraction of the training part kept for early stopping, 0 < F < 1 (default 0.1)
  --no-mine               do not mine hard negatives for pairs without one
  --eval-pool test|all    rank held-out queries against held-out documents only (default), or
                          against every document
  --grid "lr=1e-3,3e-4 batch=32,64"  try every combination, keep the best by validation nDCG@10
  --repeat N              train N times and report the median training time

Models
  --embedder ID --dtype D --models DIR   embedder from the registry (src/lib/config.ts; default
                          USE-Lite when the models folder has it, else Xenova/all-MiniLM-L6-v2
                          from the Hub)
  --cache DIR             embedding cache (default ${path.relative(repoRoot, EMBED_CACHE_DIR)}; "none" = off)

Output
  --out FILE              adapter file to write (default adapter.json); if it cannot be written
                          at the end, the adapter goes to a file in the temporary folder (printed)
  --json FILE             write a machine-readable summary
  --help
`;

/** The training settings a grid varies. */
export interface Setting {
  epochs: number;
  batchSize: number;
  lr: number;
  scale: number;
  patience: number;
  weightDecay: number;
}

export interface TrainCliOptions {
  pairs?: string;
  fromSpider?: string;
  doc: DocMode;
  writePairs?: string;
  out: string;
  seed: number;
  splitSeed: number;
  val: number;
  esVal: number;
  mine: boolean;
  evalPool: 'test' | 'all';
  limit?: number;
  /** Every setting to try (one without --grid). */
  settings: Setting[];
  repeat: number;
  embedderId: string;
  dtype?: Dtype;
  models?: string;
  /** Embedding cache folder; null = off. */
  cacheDir: string | null;
  json?: string;
  help: boolean;
}

/** What `--grid` may vary, and how each value is checked. */
const GRID_KEYS: Record<string, { key: keyof Setting; check: (name: string, v: string) => number | undefined }> = {
  lr: { key: 'lr', check: (n, v) => numArg(n, v, 0, Infinity, 'lo') },
  batch: { key: 'batchSize', check: (n, v) => intArg(n, v, 1) },
  epochs: { key: 'epochs', check: (n, v) => intArg(n, v, 1) },
  scale: { key: 'scale', check: (n, v) => numArg(n, v, 0, Infinity, 'lo') },
  wd: { key: 'weightDecay', check: (n, v) => numArg(n, v, 0) },
  patience: { key: 'patience', check: (n, v) => intArg(n, v, 0) },
};

/**
 * Parse and check the command line (argv without the node and script paths): flags, values and
 * every path. Throws UsageError. Reads no data and loads no model.
 */
export function parseTrainArgs(argv: string[]): TrainCliOptions {
  const v = parseStrict(argv, {
    pairs: { type: 'string' },
    'from-spider': { type: 'string' },
    doc: { type: 'string' },
    'write-pairs': { type: 'string' },
    out: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string' },
    'split-seed': { type: 'string' },
    patience: { type: 'string' },
    wd: { type: 'string' },
    val: { type: 'string' },
    'es-val': { type: 'string' },
    'no-mine': { type: 'boolean' },
    'eval-pool': { type: 'string' },
    limit: { type: 'string' },
    grid: { type: 'string' },
    repeat: { type: 'string' },
    embedder: { type: 'string' },
    dtype: { type: 'string' },
    models: { type: 'string' },
    cache: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const help = v.help ?? false;
  const seed = intArg('seed', v.seed, -(2 ** 31)) ?? 1;
  const base: Setting = {
    epochs: intArg('epochs', v.epochs, 1) ?? TRAIN_DEFAULTS.epochs,
    batchSize: intArg('batch', v.batch, 1) ?? TRAIN_DEFAULTS.batchSize,
    lr: numArg('lr', v.lr, 0, Infinity, 'lo') ?? TRAIN_DEFAULTS.lr,
    scale: numArg('scale', v.scale, 0, Infinity, 'lo') ?? TRAIN_DEFAULTS.scale,
    patience: intArg('patience', v.patience, 0) ?? TRAIN_DEFAULTS.patience,
    weightDecay: numArg('wd', v.wd, 0) ?? TRAIN_DEFAULTS.weightDecay,
  };
  let settings: Setting[] = [base];
  if (v.grid !== undefined) {
    const parts = v.grid.trim().split(/\s+/).filter(Boolean);
    if (!parts.length) throw new UsageError('--grid is empty');
    for (const part of parts) {
      const [k, vs, extra] = part.split('=');
      const g = k === undefined ? undefined : GRID_KEYS[k];
      if (!g || !vs || extra !== undefined)
        throw new UsageError(`--grid entries look like lr=1e-3,3e-4 (keys: ${Object.keys(GRID_KEYS).join(', ')})`);
      const values = vs.split(',').map((x) => g.check(`grid ${k}`, x)!);
      settings = settings.flatMap((s) => values.map((x) => ({ ...s, [g.key]: x })));
    }
  }
  const dtype = v.dtype === undefined ? undefined : oneOf('dtype', v.dtype, DTYPES);
  const opts: TrainCliOptions = {
    pairs: v.pairs,
    fromSpider: v['from-spider'],
    doc: oneOf('doc', v.doc ?? 'sql', DOC_MODES),
    writePairs: v['write-pairs'],
    out: v.out ?? 'adapter.json',
    seed,
    splitSeed: intArg('split-seed', v['split-seed'], -(2 ** 31)) ?? seed,
    val: numArg('val', v.val, 0, 1, 'both') ?? 0.2,
    esVal: numArg('es-val', v['es-val'], 0, 1, 'both') ?? 0.1,
    mine: !(v['no-mine'] ?? false),
    evalPool: oneOf('eval-pool', v['eval-pool'] ?? 'test', ['test', 'all'] as const),
    limit: intArg('limit', v.limit, 1),
    settings,
    repeat: intArg('repeat', v.repeat, 1) ?? 1,
    embedderId: v.embedder ?? '',
    dtype,
    models: v.models,
    cacheDir: v.cache === 'none' ? null : path.resolve(v.cache ?? EMBED_CACHE_DIR),
    json: v.json,
    help,
  };
  if (help) return opts;

  // Paths, all before any work.
  if (!opts.pairs === !opts.fromSpider)
    throw new UsageError('give exactly one of --pairs FILE.csv or --from-spider DIR');
  if (opts.pairs) inputFile('--pairs', opts.pairs);
  if (opts.fromSpider) {
    inputDir('--from-spider', opts.fromSpider);
    inputFile('--from-spider', path.join(opts.fromSpider, 'train', 'train_queries.spiderman.csv'));
  }
  if (opts.models) inputDir('--models', opts.models);
  const outs: [string, string | undefined][] = [
    ['--out', opts.out],
    ['--json', opts.json],
    ['--write-pairs', opts.writePairs],
  ];
  for (const [flag, file] of outs) if (file) outputFile(flag, file);
  const named = outs.filter(([, f]) => f).map(([, f]) => path.resolve(f!));
  if (new Set(named).size < named.length)
    throw new UsageError('--out, --json and --write-pairs must be different files');
  if (opts.cacheDir && existsSync(opts.cacheDir)) inputDir('--cache', opts.cacheDir);

  // The embedder: one of the registry's, with the dtype it offers.
  const modelsDir = opts.models ? path.resolve(opts.models) : undefined;
  opts.embedderId = v.embedder ?? defaultTestEmbedderId(modelsDir ?? undefined);
  const spec = findEmbedder(opts.embedderId);
  if (!spec) throw new UsageError(`unknown --embedder "${opts.embedderId}" (see src/lib/config.ts EMBEDDERS)`);
  if (dtype && !spec.dtypes.includes(dtype))
    throw new UsageError(`embedder ${spec.id} has no dtype ${dtype} (${spec.dtypes.join(', ')})`);
  return opts;
}
