/**
 * Train a query-side LinearAdapter with MNRL (mnrl.ts) and Adam: seeded shuffles, validation
 * after every epoch (and before the first, so the identity is a candidate), early stopping on
 * validation nDCG@10 keeping the best weights, and cancellation through an AbortSignal checked
 * between batches. The loop yields to the event loop every few tens of milliseconds so a worker
 * can receive the abort message while it trains.
 */
import { CancelledError } from '../errors.ts';
import { mulberry32 } from '../eval/stats.ts';
import type { Progress } from '../types.ts';
import { LinearAdapter } from './adapter.ts';
import { evalSetFromPairs, evaluateRetrieval, type EvalSet } from './evaluate.ts';
import { Adam, MnrlWorkspace, mnrlLoss } from './mnrl.ts';
import { nextTask } from '../tasks.ts';

export interface TrainProgress extends Progress {
  /** 'batch' after each step, 'epoch' after each validation. done/total count steps. */
  phase: 'batch' | 'epoch';
  epoch: number;
  epochs: number;
  /** Loss of the last batch ('batch') or the epoch's mean loss ('epoch'). */
  loss: number;
  valRecall3?: number;
  valNdcg10?: number;
}

export interface TrainHistoryEntry {
  /** 0 = before training (the identity). */
  epoch: number;
  /** Optimiser steps so far. */
  step: number;
  /** Mean training loss over the epoch (epoch 0: of the identity over all batches). */
  loss: number;
  valRecall3: number;
  valNdcg10: number;
  /** Wall time since the start, ms. */
  ms: number;
}

export interface TrainAdapterOptions {
  dim: number;
  /** n×d base query vectors (unit length). */
  trainQ: Float32Array;
  /** n×d positive document vectors. */
  trainP: Float32Array;
  /** n×d hard negatives; an all-zero row means "none" for that pair. */
  trainN?: Float32Array;
  /**
   * Document identity of each positive (and negative): a candidate whose key equals query i's
   * positive key is left out of query i's softmax (it is the same document, not a negative).
   */
  trainPosKey?: ArrayLike<number>;
  trainNegKey?: ArrayLike<number>;
  /** Validation: an eval set, or held-out pairs (valQ, valP, optional valKeys to merge equal docs). */
  val?: EvalSet;
  valQ?: Float32Array;
  valP?: Float32Array;
  valKeys?: readonly (string | number)[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  scale?: number;
  seed?: number;
  /** Epochs without a better val nDCG@10 before stopping (default 5; 0 = never stop early). */
  patience?: number;
  /** Decoupled weight decay toward the identity (default 0). */
  weightDecay?: number;
  /** Start from these weights instead of the identity. */
  init?: LinearAdapter;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Yield to the event loop after this many ms of work (default 30; 0 = never). */
  yieldMs?: number;
}

export interface TrainResult {
  /** The weights with the best validation nDCG@10 (possibly the identity, epoch 0). */
  adapter: LinearAdapter;
  history: TrainHistoryEntry[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Training wall time, ms (validation included). */
  ms: number;
  /** Part of `ms` spent on validation. */
  valMs: number;
  /** The settings used, defaults filled in (to store in the adapter file). */
  config: {
    epochs: number;
    batchSize: number;
    lr: number;
    scale: number;
    seed: number;
    patience: number;
    weightDecay: number;
  };
}

/**
 * Defaults measured on Spider train (question -> SQL, USE-Lite 512-d, 4,778 training questions,
 * held-out databases): lr 1e-3 beat 3e-3 (noisy, peaks by epoch 2-3) and 3e-4 (slower); batch
 * 32/64/128 were within noise, 64 is the cheaper of the good ones; scale 10 < 20 < 30 <= 40..80
 * (a plateau from 40); weight decay toward I did not help; validation nDCG@10 is noisy, so
 * patience 5 (3 stopped one seed at epoch 3).
 */
export const TRAIN_DEFAULTS = { epochs: 10, batchSize: 64, lr: 1e-3, scale: 40, seed: 1, patience: 5, weightDecay: 0 };

function isZeroRow(m: Float32Array, off: number, d: number): boolean {
  for (let k = 0; k < d; k++) if (m[off + k] !== 0) return false;
  return true;
}

export async function trainAdapter(opts: TrainAdapterOptions): Promise<TrainResult> {
  const t0 = performance.now();
  const d = opts.dim;
  const config = {
    epochs: opts.epochs ?? TRAIN_DEFAULTS.epochs,
    batchSize: opts.batchSize ?? TRAIN_DEFAULTS.batchSize,
    lr: opts.lr ?? TRAIN_DEFAULTS.lr,
    scale: opts.scale ?? TRAIN_DEFAULTS.scale,
    seed: opts.seed ?? TRAIN_DEFAULTS.seed,
    patience: opts.patience ?? TRAIN_DEFAULTS.patience,
    weightDecay: opts.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
  };
  const { trainQ, trainP, trainN, signal } = opts;
  if (trainQ.length % d !== 0) throw new RangeError(`trainQ of ${trainQ.length} values is not n×${d}`);
  const n = trainQ.length / d;
  if (trainP.length !== trainQ.length) throw new RangeError('trainP must have as many rows as trainQ');
  if (trainN && trainN.length !== trainQ.length)
    throw new RangeError('trainN must have as many rows as trainQ (zero rows for none)');
  if (n < 2) throw new RangeError('need at least 2 training pairs');
  if (config.batchSize < 2) throw new RangeError('batch size must be at least 2 (in-batch negatives)');
  const val: EvalSet | undefined =
    opts.val ?? (opts.valQ && opts.valP ? evalSetFromPairs(d, opts.valQ, opts.valP, opts.valKeys) : undefined);

  const hasNeg = new Uint8Array(n);
  if (trainN) for (let i = 0; i < n; i++) hasNeg[i] = isZeroRow(trainN, i * d, d) ? 0 : 1;
  const posKey = opts.trainPosKey;
  const negKey = opts.trainNegKey;

  const adapter = opts.init ? opts.init.clone() : LinearAdapter.identity(d);
  const { W, b } = adapter;
  const gW = new Float32Array(d * d);
  const gb = new Float32Array(d);
  const optW = new Adam(d * d, { lr: config.lr, weightDecay: config.weightDecay });
  const optB = new Adam(d, { lr: config.lr, weightDecay: config.weightDecay });
  const ws = new MnrlWorkspace();

  const B = Math.min(config.batchSize, n);
  const Qb = new Float32Array(B * d);
  const Pb = new Float32Array(B * d);
  const Nb = new Float32Array(B * d);
  const exclude = new Uint8Array(B * 2 * B);
  const rows = new Int32Array(B);
  const negRows = new Int32Array(B);
  const stepsPerEpoch = Math.ceil(n / B) - (n % B === 1 ? 1 : 0);
  const totalSteps = stepsPerEpoch * config.epochs;
  const yieldMs = opts.yieldMs ?? 30;
  let lastYield = performance.now();

  const cancelled = () => new CancelledError('adapter training');
  const maybeYield = async () => {
    if (yieldMs > 0 && performance.now() - lastYield > yieldMs) {
      await nextTask();
      lastYield = performance.now();
    }
    if (signal?.aborted) throw cancelled();
  };

  /** Gather a batch; returns the number of hard negatives. */
  const gather = (order: Int32Array, start: number, size: number): number => {
    let h = 0;
    for (let t = 0; t < size; t++) {
      const i = order[start + t];
      rows[t] = i;
      Qb.set(trainQ.subarray(i * d, (i + 1) * d), t * d);
      Pb.set(trainP.subarray(i * d, (i + 1) * d), t * d);
      if (trainN && hasNeg[i]) {
        Nb.set(trainN.subarray(i * d, (i + 1) * d), h * d);
        negRows[h++] = i;
      }
    }
    const M = size + h;
    if (posKey || negKey) {
      exclude.fill(0, 0, size * M);
      for (let a = 0; a < size; a++) {
        const ka = posKey ? posKey[rows[a]] : NaN;
        for (let j = 0; j < size; j++) if (j !== a && posKey && posKey[rows[j]] === ka) exclude[a * M + j] = 1;
        for (let e = 0; e < h; e++) if (negKey && negKey[negRows[e]] === ka) exclude[a * M + size + e] = 1;
      }
    }
    return h;
  };
  const batchInput = (size: number, h: number) => ({
    dim: d,
    queries: Qb.subarray(0, size * d),
    positives: Pb.subarray(0, size * d),
    negatives: h ? Nb.subarray(0, h * d) : undefined,
    exclude: posKey || negKey ? exclude.subarray(0, size * (size + h)) : undefined,
    scale: config.scale,
  });
  /** Batches of an epoch as [start, size]; a final batch of one pair (no negatives) is skipped. */
  const batches = (): [number, number][] => {
    const out: [number, number][] = [];
    for (let s = 0; s < n; s += B) {
      const size = Math.min(B, n - s);
      if (size >= 2) out.push([s, size]);
    }
    return out;
  };

  let valMs = 0;
  const validate = () => {
    if (!val) return { r3: NaN, ndcg: NaN };
    const tv = performance.now();
    const m = evaluateRetrieval(val, adapter, { intervals: false, signal });
    valMs += performance.now() - tv;
    return { r3: m.recall3.mean, ndcg: m.ndcg10.mean };
  };

  const history: TrainHistoryEntry[] = [];
  const rand = mulberry32(config.seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const shuffle = () => {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  };

  // Epoch 0: the identity, measured on the same footing as every later epoch.
  if (signal?.aborted) throw cancelled();
  let baseLoss = 0;
  let baseCount = 0;
  for (const [s, size] of batches()) {
    const h = gather(order, s, size);
    baseLoss += mnrlLoss(W, b, batchInput(size, h), undefined, ws);
    baseCount++;
    await maybeYield();
  }
  const v0 = validate();
  history.push({
    epoch: 0,
    step: 0,
    loss: baseLoss / Math.max(1, baseCount),
    valRecall3: v0.r3,
    valNdcg10: v0.ndcg,
    ms: performance.now() - t0,
  });
  opts.onProgress?.({
    phase: 'epoch',
    done: 0,
    total: totalSteps,
    epoch: 0,
    epochs: config.epochs,
    loss: history[0].loss,
    valRecall3: v0.r3,
    valNdcg10: v0.ndcg,
  });

  let best = { epoch: 0, ndcg: v0.ndcg, W: W.slice(), b: b.slice() };
  let step = 0;
  let stale = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    shuffle();
    let lossSum = 0;
    let count = 0;
    for (const [s, size] of batches()) {
      if (signal?.aborted) throw cancelled();
      const h = gather(order, s, size);
      const loss = mnrlLoss(W, b, batchInput(size, h), { W: gW, b: gb }, ws);
      optW.step(W, gW, d);
      optB.step(b, gb);
      lossSum += loss;
      count++;
      step++;
      opts.onProgress?.({ phase: 'batch', done: step, total: totalSteps, epoch, epochs: config.epochs, loss });
      await maybeYield();
    }
    const v = validate();
    const entry = {
      epoch,
      step,
      loss: lossSum / Math.max(1, count),
      valRecall3: v.r3,
      valNdcg10: v.ndcg,
      ms: performance.now() - t0,
    };
    history.push(entry);
    opts.onProgress?.({
      phase: 'epoch',
      done: step,
      total: totalSteps,
      epoch,
      epochs: config.epochs,
      loss: entry.loss,
      valRecall3: v.r3,
      valNdcg10: v.ndcg,
    });
    if (!val) {
      best = { epoch, ndcg: NaN, W: W.slice(), b: b.slice() };
    } else if (v.ndcg > best.ndcg) {
      best = { epoch, ndcg: v.ndcg, W: W.slice(), b: b.slice() };
      stale = 0;
    } else if (config.patience > 0 && ++stale >= config.patience) {
      stoppedEarly = epoch < config.epochs;
      break;
    }
  }
  const result = new LinearAdapter(d, best.W, best.b);
  return { adapter: result, history, bestEpoch: best.epoch, stoppedEarly, ms: performance.now() - t0, valMs, config };
}
