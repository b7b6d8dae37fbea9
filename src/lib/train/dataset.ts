/**
 * From pairs and their embeddings to what the trainer needs: distinct documents, positive and
 * negative document indices per pair, mined hard negatives, training matrices, eval sets, and one
 * high-level `fitAdapter` that trains on a split and measures base vs adapted retrieval on the
 * held-out pairs. Used by the Node CLI (scripts/train-adapter.ts) and meant for the training
 * worker as well: it only needs vectors, never a model.
 */
import { oneLine } from '../llm/prompts.ts';
import { exampleSchemaText } from '../rag/doc-text.ts';
import { normalizeSql } from '../sql/normalize.ts';
import { FlatIndex } from '../index/flat.ts';
import type { Example, TableInfo } from '../types.ts';
import type { AdapterMetrics } from './adapter.ts';
import { evaluateRetrieval, metricBlock, type EvalSet, type RetrievalMetrics } from './evaluate.ts';
import { mineHardNegatives, type Pair } from './pairs.ts';
import { trainAdapter, type TrainAdapterOptions, type TrainResult } from './trainer.ts';

/** Pairs over a list of distinct documents. */
export interface PairDataset {
  pairs: Pair[];
  /** Query text of each pair. */
  queries: string[];
  /** Distinct document texts (positives and negatives). */
  docs: string[];
  /** Document index of each pair's positive. */
  pos: Int32Array;
  /** Document index of each pair's given negative, or -1. */
  neg: Int32Array;
  /** Identity of each document (equal keys = the same document); defaults to its text. */
  docKeys: string[];
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Index the documents of `pairs`. `keyOf` names a document's identity (default: its text with
 * whitespace squashed): two texts with the same key are one document (the first text is kept).
 */
export function datasetFromPairs(
  pairs: readonly Pair[],
  keyOf: (text: string, pair: Pair) => string = (t) => squash(t),
): PairDataset {
  const byKey = new Map<string, number>();
  const docs: string[] = [];
  const docKeys: string[] = [];
  const add = (text: string, p: Pair): number => {
    const key = keyOf(text, p);
    let i = byKey.get(key);
    if (i === undefined) {
      i = docs.length;
      byKey.set(key, i);
      docs.push(text);
      docKeys.push(key);
    }
    return i;
  };
  const pos = new Int32Array(pairs.length);
  const neg = new Int32Array(pairs.length).fill(-1);
  pairs.forEach((p, i) => {
    pos[i] = add(p.pos, p);
    if (p.neg) neg[i] = add(p.neg, p);
  });
  return { pairs: pairs.slice(), queries: pairs.map((p) => p.query), docs, pos, neg, docKeys };
}

export type DocMode = 'sql' | 'schema+sql' | 'sql+schema';
export const DOC_MODES: readonly DocMode[] = ['sql', 'schema+sql', 'sql+schema'];

/** Document text of an example for retrieval training. */
export function exampleDocText(ex: Example, mode: DocMode, schemas?: Record<string, TableInfo[]>): string {
  const sql = oneLine(ex.sql);
  if (mode === 'sql') return sql;
  const schema = exampleSchemaText(ex, schemas);
  if (!schema) return sql;
  return mode === 'schema+sql' ? `${schema}\n${sql}` : `${sql}\n${schema}`;
}

/**
 * text2code pairs from solved examples (question -> document text of its SQL), with a document
 * key that makes equal SQL on the same database one document even when written differently.
 */
export function exampleDataset(
  examples: readonly Example[],
  mode: DocMode,
  schemas?: Record<string, TableInfo[]>,
): PairDataset {
  const keyBySource = new Map<string, string>();
  const pairs: Pair[] = examples.map((ex) => {
    keyBySource.set(ex.id, `${ex.dbId ?? ''}\u0000${normalizeSql(ex.sql)}`);
    return {
      query: oneLine(ex.question),
      pos: exampleDocText(ex, mode, schemas),
      task: 'text2code',
      source: ex.id,
      ...(ex.dbId ? { dbId: ex.dbId } : {}),
    };
  });
  return datasetFromPairs(pairs, (text, p) =>
    p.source !== undefined && text === p.pos ? keyBySource.get(p.source)! : squash(text),
  );
}

/** Rows `idx` of an n×dim matrix, as a new matrix. */
export function gatherRows(mat: Float32Array, dim: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let t = 0; t < idx.length; t++) out.set(mat.subarray(idx[t] * dim, (idx[t] + 1) * dim), t * dim);
  return out;
}

/**
 * Mined hard negatives for the pairs `idx`: the nearest document (base vectors) among `pool`
 * that is not the pair's positive (by document key). Returns a document index per entry of idx
 * (-1 when none).
 */
export function mineNegatives(
  ds: PairDataset,
  queryVecs: Float32Array,
  docVecs: Float32Array,
  dim: number,
  idx: readonly number[],
  pool: readonly number[],
): Int32Array {
  const index = new FlatIndex(gatherRows(docVecs, dim, pool), dim);
  const q = gatherRows(queryVecs, dim, idx);
  const found = mineHardNegatives(q, index, (t, row) => ds.docKeys[pool[row]] === ds.docKeys[ds.pos[idx[t]]]);
  return Int32Array.from(found, (row) => (row < 0 ? -1 : pool[row]));
}

/** Documents used by the pairs `idx` (positives and negatives), ascending. */
export function docsOf(ds: PairDataset, idx: readonly number[]): number[] {
  const s = new Set<number>();
  for (const i of idx) {
    s.add(ds.pos[i]);
    if (ds.neg[i] >= 0) s.add(ds.neg[i]);
  }
  return [...s].sort((a, b) => a - b);
}

/**
 * An eval set for the pairs `idx`: every query ranks the distinct positives of these pairs plus
 * `extraDocs` (document indices; duplicates of a positive are dropped).
 */
export function evalSetFor(
  ds: PairDataset,
  queryVecs: Float32Array,
  docVecs: Float32Array,
  dim: number,
  idx: readonly number[],
  extraDocs: readonly number[] = [],
): EvalSet {
  const rowOf = new Map<number, number>();
  const rows: number[] = [];
  for (const i of idx) {
    const d = ds.pos[i];
    if (!rowOf.has(d)) {
      rowOf.set(d, rows.length);
      rows.push(d);
    }
  }
  for (const d of extraDocs) {
    if (!rowOf.has(d)) {
      rowOf.set(d, rows.length);
      rows.push(d);
    }
  }
  return {
    dim,
    queries: gatherRows(queryVecs, dim, idx),
    docs: gatherRows(docVecs, dim, rows),
    relevant: idx.map((i) => [rowOf.get(ds.pos[i])!]),
  };
}

export interface FitOptions extends Omit<
  TrainAdapterOptions,
  'dim' | 'trainQ' | 'trainP' | 'trainN' | 'trainPosKey' | 'trainNegKey' | 'val' | 'valQ' | 'valP' | 'valKeys'
> {
  dataset: PairDataset;
  dim: number;
  /** n×dim query vectors (one per pair) and m×dim document vectors (one per dataset doc). */
  queryVecs: Float32Array;
  docVecs: Float32Array;
  /** Pairs to train on, pairs for early stopping, held-out pairs to report. */
  trainIdx: readonly number[];
  valIdx: readonly number[];
  testIdx: readonly number[];
  /** Mine a hard negative for every training pair without one (default true). */
  mine?: boolean;
  /** Extra distractor documents for the test ranking (e.g. every training document). */
  testExtraDocs?: readonly number[];
  /** Bootstrap seed for the intervals. */
  bootstrapSeed?: number;
}

export interface FitResult {
  train: TrainResult;
  base: RetrievalMetrics;
  adapted: RetrievalMetrics;
  /** As stored in the adapter file. */
  metrics: AdapterMetrics;
  /** Training pairs that got a hard negative (given or mined). */
  withNegatives: number;
}

/** Train on `trainIdx`, stop early on `valIdx`, report base vs adapted on `testIdx`. */
export async function fitAdapter(opts: FitOptions): Promise<FitResult> {
  const { dataset: ds, dim, queryVecs, docVecs, trainIdx, valIdx, testIdx } = opts;
  const negOf = Int32Array.from(trainIdx, (i) => ds.neg[i]);
  if (opts.mine ?? true) {
    const missing = trainIdx.map((i, t) => (negOf[t] < 0 ? t : -1)).filter((t) => t >= 0);
    if (missing.length) {
      const mined = mineNegatives(
        ds,
        queryVecs,
        docVecs,
        dim,
        missing.map((t) => trainIdx[t]),
        docsOf(ds, trainIdx),
      );
      missing.forEach((t, k) => (negOf[t] = mined[k]));
    }
  }
  const trainN = new Float32Array(trainIdx.length * dim);
  let withNegatives = 0;
  negOf.forEach((doc, t) => {
    if (doc >= 0) {
      trainN.set(docVecs.subarray(doc * dim, (doc + 1) * dim), t * dim);
      withNegatives++;
    }
  });
  const posDocs = Int32Array.from(trainIdx, (i) => ds.pos[i]);
  const val = valIdx.length ? evalSetFor(ds, queryVecs, docVecs, dim, valIdx) : undefined;
  const train = await trainAdapter({
    ...opts,
    dim,
    trainQ: gatherRows(queryVecs, dim, trainIdx),
    trainP: gatherRows(docVecs, dim, posDocs),
    trainN,
    trainPosKey: posDocs,
    trainNegKey: negOf,
    val,
  });
  const test = evalSetFor(ds, queryVecs, docVecs, dim, testIdx, opts.testExtraDocs);
  const boot = { seed: opts.bootstrapSeed ?? 1 };
  const base = evaluateRetrieval(test, null, { bootstrap: boot, signal: opts.signal });
  const adapted = evaluateRetrieval(test, train.adapter, { bootstrap: boot, signal: opts.signal });
  const metrics: AdapterMetrics = { base: metricBlock(base), adapted: metricBlock(adapted), docs: base.docs };
  return { train, base, adapted, metrics, withNegatives };
}
