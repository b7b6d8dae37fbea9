/**
 * `npm run train-adapter`: the pairs (from a pairs CSV or Spider train) and their split into
 * training, early-stopping and held-out parts. A file that yields too few usable pairs is a
 * UsageError, found before any model loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpiderCsv, parseSpiderTables } from '../../lib/corpus/spider.ts';
import { errorMessage } from '../../lib/errors.ts';
import { seededShuffle } from '../../lib/eval/stats.ts';
import { exampleDataset, datasetFromPairs, type PairDataset } from '../../lib/train/dataset.ts';
import { dedupePairs, parsePairsCsv } from '../../lib/train/pairs.ts';
import { groupSplit, randomSplit } from '../../lib/train/split.ts';
import { UsageError } from '../cli/args.ts';
import type { TrainCliOptions } from './args.ts';

/** Fewer usable pairs than this is refused. */
export const MIN_PAIRS = 10;

export interface TrainData {
  ds: PairDataset;
  /** One line that names the data. */
  source: string;
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot read it (${errorMessage(e)})`, { cause: e });
  }
}

/** Load the pairs of --pairs or --from-spider. */
export function loadTrainData(o: TrainCliOptions, log: (s: string) => void): TrainData {
  let data: TrainData;
  if (o.fromSpider) {
    const dir = path.resolve(o.fromSpider);
    const csvPath = path.join(dir, 'train', 'train_queries.spiderman.csv');
    const tablesPath = path.join(dir, 'tables.json');
    let tables;
    if (existsSync(tablesPath)) {
      try {
        tables = parseSpiderTables(JSON.parse(readText('--from-spider', tablesPath)));
      } catch (e) {
        throw new UsageError(`--from-spider: ${tablesPath} is not a Spider tables.json (${errorMessage(e)})`, {
          cause: e,
        });
      }
    }
    let loaded;
    try {
      loaded = parseSpiderCsv(readText('--from-spider', csvPath), { idPrefix: 'spider-train', tables });
    } catch (e) {
      throw new UsageError(`--from-spider: ${csvPath}: ${errorMessage(e)}`, { cause: e });
    }
    const first = loaded.issues[0];
    if (first) log(`spider: ${loaded.issues.length} rows skipped (first: row ${first.row}: ${first.reason})`);
    const dbs = new Set(loaded.examples.map((e) => e.dbId)).size;
    data = {
      ds: exampleDataset(loaded.examples, o.doc, loaded.schemas),
      source: `Spider train (${loaded.examples.length} questions, ${dbs} databases), doc=${o.doc}`,
    };
  } else {
    const file = path.resolve(o.pairs!);
    let parsed;
    try {
      parsed = parsePairsCsv(readText('--pairs', file));
    } catch (e) {
      throw new UsageError(`--pairs ${o.pairs}: ${errorMessage(e)}`, { cause: e });
    }
    for (const i of parsed.issues.slice(0, 10)) log(`${path.basename(file)} row ${i.row}: ${i.reason}`);
    if (parsed.issues.length > 10) log(`... ${parsed.issues.length - 10} more row issues`);
    const { pairs, removed } = dedupePairs(parsed.pairs);
    if (removed) log(`${removed} duplicate pairs dropped`);
    data = { ds: datasetFromPairs(pairs), source: `${path.basename(file)} (${pairs.length} pairs)` };
  }
  const n = data.ds.pairs.length;
  if (n < MIN_PAIRS) throw new UsageError(`only ${n} usable pairs: need at least ${MIN_PAIRS}`);
  return data;
}

export interface TrainSplit {
  trainIdx: number[];
  valIdx: number[];
  testIdx: number[];
  /** How the held-out part was chosen, for the report. */
  splitText: string;
}

/** Held-out test (reported), then an early-stopping part of the rest; by database when known. */
export function splitPairs(ds: PairDataset, o: TrainCliOptions): TrainSplit {
  const n = ds.pairs.length;
  const groups = ds.pairs.map((p) => p.dbId);
  const distinctGroups = new Set(groups.filter((g) => g !== undefined)).size;
  const byGroup = distinctGroups >= 5 && groups.every((g) => g !== undefined);
  const split = byGroup ? groupSplit(n, (i) => groups[i], o.val, o.splitSeed) : randomSplit(n, o.val, o.splitSeed);
  const rest = split.train;
  const inner = byGroup
    ? groupSplit(rest.length, (t) => groups[rest[t]], o.esVal, o.splitSeed + 1)
    : randomSplit(rest.length, o.esVal, o.splitSeed + 1);
  let trainIdx = inner.train.map((t) => rest[t]);
  const valIdx = inner.test.map((t) => rest[t]);
  const testIdx = split.test;
  if (o.limit) {
    trainIdx = seededShuffle(trainIdx, o.splitSeed + 2)
      .slice(0, o.limit)
      .sort((a, b) => a - b);
  }
  if (!trainIdx.length || !valIdx.length || !testIdx.length)
    throw new UsageError(
      `the split leaves ${trainIdx.length} training, ${valIdx.length} early-stopping and ${testIdx.length} held-out pairs; ` +
        'each needs at least one (change --val, --es-val or --limit, or give more pairs)',
    );
  const splitText = byGroup
    ? `by database: ${testIdx.length} held-out questions from ${split.testGroups!.length} databases not seen in training (seed ${o.splitSeed})`
    : `random: ${testIdx.length} held-out pairs (${Math.round(o.val * 100)} %, seed ${o.splitSeed})`;
  return { trainIdx, valIdx, testIdx, splitText };
}
