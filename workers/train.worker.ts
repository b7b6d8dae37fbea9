/**
 * Training worker: rule-based pair generation and validation (sql.js), and adapter training
 * (MNRL, Adam) with progress; the page embeds texts with the embed worker and sends vectors here.
 */
import * as Comlink from 'comlink';
import { registerErrorTransfer } from '../src/lib/errors-transfer.ts';
import initSqlJs from 'sql.js';
import sqlWasm from 'sql.js/dist/sql-wasm-browser.wasm?url';
import type { Example } from '../src/lib/types.ts';
import {
  dedupePairs,
  generatePairs,
  schemaLookup,
  validatePairs,
  type Pair,
  type TaskKind,
} from '../src/lib/train/pairs.ts';
import { datasetFromPairs, fitAdapter, type PairDataset } from '../src/lib/train/dataset.ts';
import { groupSplit, randomSplit } from '../src/lib/train/split.ts';
import { serializeAdapter } from '../src/lib/train/adapter.ts';
import { fnv1a64Hex } from '../src/lib/corpus/hash.ts';
import type { TrainProgress } from '../src/lib/train/trainer.ts';

const sqlPromise = initSqlJs({ locateFile: () => sqlWasm });
let abort: AbortController | null = null;

export interface FitRequest {
  pairs: Pair[];
  queryVecs: Float32Array;
  docVecs: Float32Array;
  dim: number;
  embedderId: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Held-out share for the test split (by database when pairs carry one). */
  heldOut: number;
}

const api = {
  /** Generate rule-based pairs from a corpus, validate SQL against each example's schema, dedupe. */
  async generate(examples: Example[], tasks: TaskKind[], seed: number) {
    const raw = generatePairs(examples, { tasks, seed });
    const SQL = await sqlPromise;
    const v = validatePairs(raw, { SQL, schemaFor: schemaLookup(examples) });
    const d = dedupePairs(v.pairs);
    return {
      pairs: d.pairs,
      generated: raw.length,
      dropped: v.dropped,
      unchecked: v.unchecked,
      duplicates: d.removed,
      issues: v.issues.slice(0, 50),
    };
  },
  /** Validate (sql.js) and de-duplicate pairs made elsewhere (e.g. written by the model). */
  async validate(pairs: Pair[], examples: Example[]) {
    const SQL = await sqlPromise;
    const v = validatePairs(pairs, { SQL, schemaFor: schemaLookup(examples) });
    const d = dedupePairs(v.pairs);
    return { pairs: d.pairs, dropped: v.dropped, duplicates: d.removed, issues: v.issues.slice(0, 50) };
  },
  /** The texts to embed for a pair set: one query per pair, and the distinct documents. */
  texts(pairs: Pair[]): { queries: string[]; docs: string[] } {
    const ds = datasetFromPairs(pairs);
    return { queries: ds.queries, docs: ds.docs };
  },
  async fit(req: FitRequest, onProgress: (p: TrainProgress) => void) {
    abort = new AbortController();
    const ds: PairDataset = datasetFromPairs(req.pairs);
    const n = req.pairs.length;
    const byDb = req.pairs.some((p) => p.dbId);
    const split = byDb
      ? groupSplit(n, (i) => req.pairs[i].dbId, req.heldOut, req.seed)
      : randomSplit(n, req.heldOut, req.seed);
    // A validation slice of the training side, for early stopping.
    const inner = randomSplit(split.train.length, 0.1, req.seed + 1);
    const trainIdx = inner.train.map((i) => split.train[i]);
    const valIdx = inner.test.map((i) => split.train[i]);
    const res = await fitAdapter({
      dataset: ds,
      dim: req.dim,
      queryVecs: req.queryVecs,
      docVecs: req.docVecs,
      trainIdx,
      valIdx,
      testIdx: split.test,
      epochs: req.epochs,
      batchSize: req.batchSize,
      lr: req.lr,
      seed: req.seed,
      signal: abort.signal,
      onProgress,
    });
    const splitText = `${byDb ? 'by database' : 'random'}, ${Math.round(req.heldOut * 100)} % held out, seed ${req.seed}`;
    const dataHash = fnv1a64Hex(req.pairs.map((p) => `${p.query}\u0001${p.pos}\u0001${p.neg ?? ''}`).join('\u0002'));
    const json = serializeAdapter(res.train.adapter, {
      embedderId: req.embedderId,
      dim: req.dim,
      dataHash,
      createdAt: new Date().toISOString(),
      config: res.train.config,
      metrics: { ...res.metrics, split: splitText },
      bestEpoch: res.train.bestEpoch,
    });
    abort = null;
    return {
      json,
      history: res.train.history,
      ms: res.train.ms,
      bestEpoch: res.train.bestEpoch,
      metrics: { ...res.metrics, split: splitText },
      train: trainIdx.length,
      val: valIdx.length,
      test: split.test.length,
    };
  },
  cancel() {
    abort?.abort();
  },
};

export type TrainApi = typeof api;
registerErrorTransfer();
Comlink.expose(api);
