/**
 * MNRL loss and gradient (analytic vs central finite differences, in float64), Adam, and
 * training on a synthetic problem with a known answer.
 */
import { describe, expect, test } from 'vitest';
import { Adam, MnrlWorkspace, mnrlLoss, type MnrlInput } from '../../src/lib/train/mnrl.ts';
import { trainAdapter } from '../../src/lib/train/trainer.ts';
import { evalSetFromPairs, evaluateRetrieval } from '../../src/lib/train/evaluate.ts';
import { CancelledError } from '../../src/lib/errors.ts';
import { mulberry } from './helpers.ts';

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function randomUnitRows(
  n: number,
  d: number,
  rand: () => number,
  Ctor: Float32ArrayConstructor | Float64ArrayConstructor = Float64Array,
) {
  const m = new Ctor(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) {
      const v = gaussian(rand);
      m[i * d + k] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) m[i * d + k] *= inv;
  }
  return m;
}

/** A random orthogonal d×d matrix (Gram-Schmidt on Gaussian rows). */
function randomRotation(d: number, rand: () => number): Float64Array {
  const R = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) R[i * d + k] = gaussian(rand);
    for (let j = 0; j < i; j++) {
      let p = 0;
      for (let k = 0; k < d; k++) p += R[i * d + k] * R[j * d + k];
      for (let k = 0; k < d; k++) R[i * d + k] -= p * R[j * d + k];
    }
    let s = 0;
    for (let k = 0; k < d; k++) s += R[i * d + k] ** 2;
    for (let k = 0; k < d; k++) R[i * d + k] /= Math.sqrt(s);
  }
  return R;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2 + b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den / 2);
}

describe('mnrlLoss gradient', () => {
  const d = 8;
  const B = 4;
  const rand = mulberry(7);
  const input: MnrlInput = {
    dim: d,
    queries: randomUnitRows(B, d, rand),
    positives: randomUnitRows(B, d, rand),
    negatives: randomUnitRows(3, d, rand),
    scale: 20,
  };
  // A non-identity W and non-zero b.
  const W = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) W[i] = (i % (d + 1) === 0 ? 1 : 0) + 0.3 * gaussian(rand);
  const b = new Float64Array(d);
  for (let i = 0; i < d; i++) b[i] = 0.1 * gaussian(rand);

  function numericGrad(inp: MnrlInput, h = 1e-6) {
    const gW = new Float64Array(d * d);
    const gb = new Float64Array(d);
    for (const [x, g] of [
      [W, gW],
      [b, gb],
    ] as const) {
      for (let i = 0; i < x.length; i++) {
        const keep = x[i];
        x[i] = keep + h;
        const up = mnrlLoss(W, b, inp);
        x[i] = keep - h;
        const down = mnrlLoss(W, b, inp);
        x[i] = keep;
        g[i] = (up - down) / (2 * h);
      }
    }
    return { gW, gb };
  }

  test('matches central finite differences (d=8, B=4, 3 hard negatives, non-identity W)', () => {
    const gW = new Float64Array(d * d);
    const gb = new Float64Array(d);
    const loss = mnrlLoss(W, b, input, { W: gW, b: gb });
    expect(loss).toBeGreaterThan(0);
    const num = numericGrad(input);
    expect(relErr(gW, num.gW)).toBeLessThan(1e-3);
    expect(relErr(gb, num.gb)).toBeLessThan(1e-3);
    // Not a vacuous pass: the gradient is far from zero.
    expect(Math.max(...gW.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  test('matches with excluded candidates, and a reused workspace gives the same answer', () => {
    const M = B + 3;
    const exclude = new Uint8Array(B * M);
    exclude[0 * M + 2] = 1;
    exclude[3 * M + B + 1] = 1;
    const inp = { ...input, exclude };
    const ws = new MnrlWorkspace();
    const gW = new Float64Array(d * d);
    const gb = new Float64Array(d);
    mnrlLoss(W, b, input, { W: gW, b: gb }, ws); // dirty the workspace first
    const loss = mnrlLoss(W, b, inp, { W: gW, b: gb }, ws);
    expect(loss).toBeCloseTo(mnrlLoss(W, b, inp), 12);
    const num = numericGrad(inp);
    expect(relErr(gW, num.gW)).toBeLessThan(1e-3);
    expect(relErr(gb, num.gb)).toBeLessThan(1e-3);
  });

  test('matches for a batch that exercises the blocked kernels (B = 11: 8 + 3)', () => {
    const r = mulberry(21);
    const inp: MnrlInput = {
      dim: d,
      queries: randomUnitRows(11, d, r),
      positives: randomUnitRows(11, d, r),
      negatives: randomUnitRows(5, d, r),
      scale: 20,
    };
    const gW = new Float64Array(d * d);
    const gb = new Float64Array(d);
    mnrlLoss(W, b, inp, { W: gW, b: gb });
    const num = numericGrad(inp);
    expect(relErr(gW, num.gW)).toBeLessThan(1e-3);
    expect(relErr(gb, num.gb)).toBeLessThan(1e-3);
  });

  test('float32 path agrees with float64 to float precision', () => {
    const gW = new Float64Array(d * d);
    const gb = new Float64Array(d);
    const l64 = mnrlLoss(W, b, input, { W: gW, b: gb });
    const f = (x: Float64Array) => Float32Array.from(x);
    const gW32 = new Float32Array(d * d);
    const gb32 = new Float32Array(d);
    const l32 = mnrlLoss(
      f(W),
      f(b),
      {
        ...input,
        queries: f(input.queries as Float64Array),
        positives: f(input.positives as Float64Array),
        negatives: f(input.negatives as Float64Array),
      },
      { W: gW32, b: gb32 },
    );
    expect(Math.abs(l32 - l64)).toBeLessThan(1e-4);
    expect(relErr(gW32, gW)).toBeLessThan(1e-4);
  });

  test('identical query and positive with orthogonal candidates gives a loss near zero', () => {
    const e = (k: number) => Float64Array.from({ length: 4 }, (_, i) => (i === k ? 1 : 0));
    const q = new Float64Array([...e(0), ...e(1)]);
    const I = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const loss = mnrlLoss(I, new Float64Array(4), { dim: 4, queries: q, positives: q, scale: 20 });
    expect(loss).toBeCloseTo(Math.log(1 + Math.exp(-20)), 10);
  });
});

describe('Adam', () => {
  test('minimises a quadratic, and weight decay pulls toward the identity', () => {
    const x = new Float32Array([5, -3]);
    const opt = new Adam(2, { lr: 0.1 });
    for (let t = 0; t < 500; t++) opt.step(x, new Float32Array([2 * (x[0] - 1), 2 * (x[1] + 2)]));
    expect(x[0]).toBeCloseTo(1, 2);
    expect(x[1]).toBeCloseTo(-2, 2);
    // Zero gradient: only the decay acts, toward I for a 2×2 matrix.
    const W = new Float32Array([3, 3, 3, 3]);
    const dec = new Adam(4, { lr: 0.1, weightDecay: 1 });
    for (let t = 0; t < 200; t++) dec.step(W, new Float32Array(4), 2);
    expect(Array.from(W).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 0, 0, 1]);
  });
});

/** Queries are a fixed rotation of their positives (plus noise): a linear adapter can undo it. */
function rotationProblem(n: number, d: number, seed: number, noise = 0.05) {
  const rand = mulberry(seed);
  const R = randomRotation(d, rand);
  const P = randomUnitRows(n, d, rand, Float32Array) as Float32Array;
  const Q = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let r = 0; r < d; r++) {
      let v = noise * gaussian(rand);
      for (let k = 0; k < d; k++) v += R[r * d + k] * P[i * d + k];
      Q[i * d + r] = v;
      s += v * v;
    }
    for (let r = 0; r < d; r++) Q[i * d + r] /= Math.sqrt(s);
  }
  return { Q, P };
}

describe('trainAdapter', () => {
  const d = 32;
  const train = rotationProblem(600, d, 11);
  // Same rotation, new points: generalisation, not memorisation.
  const all = rotationProblem(800, d, 11);
  const valQ = all.Q.slice(600 * d, 700 * d);
  const valP = all.P.slice(600 * d, 700 * d);
  const testQ = all.Q.slice(700 * d);
  const testP = all.P.slice(700 * d);

  test('learns to undo a rotation: Recall@1 on unseen pairs rises from near chance to near 1', async () => {
    const test = evalSetFromPairs(d, testQ, testP);
    const base = evaluateRetrieval(test, null, { intervals: false });
    const res = await trainAdapter({
      dim: d,
      trainQ: all.Q.slice(0, 600 * d),
      trainP: all.P.slice(0, 600 * d),
      valQ,
      valP,
      epochs: 30,
      batchSize: 32,
      lr: 1e-2,
      seed: 3,
      patience: 5,
    });
    const after = evaluateRetrieval(test, res.adapter, { intervals: false });
    expect(base.recall1.mean).toBeLessThan(0.2);
    expect(after.recall1.mean).toBeGreaterThan(0.9);
    expect(res.history[0].epoch).toBe(0);
    expect(res.history.at(-1)!.loss).toBeLessThan(res.history[0].loss);
    expect(res.bestEpoch).toBeGreaterThan(0);
  });

  test('is deterministic for a seed', async () => {
    const run = () =>
      trainAdapter({
        dim: d,
        trainQ: train.Q.slice(0, 200 * d),
        trainP: train.P.slice(0, 200 * d),
        valQ,
        valP,
        epochs: 2,
        batchSize: 16,
        lr: 1e-2,
        seed: 5,
      });
    const [a, b] = [await run(), await run()];
    expect(a.adapter.W).toEqual(b.adapter.W);
    expect(a.history.map((h) => h.loss)).toEqual(b.history.map((h) => h.loss));
  });

  test('hard negatives and keys are accepted; an all-zero negative row means none', async () => {
    const n = 100;
    const N = new Float32Array(n * d);
    // Every other pair gets the next pair's positive as a hard negative.
    for (let i = 0; i < n; i += 2) N.set(train.P.subarray((i + 1) * d, (i + 2) * d), i * d);
    const keys = Int32Array.from({ length: n }, (_, i) => i);
    const negKeys = Int32Array.from({ length: n }, (_, i) => i + 1);
    const res = await trainAdapter({
      dim: d,
      trainQ: train.Q.slice(0, n * d),
      trainP: train.P.slice(0, n * d),
      trainN: N,
      trainPosKey: keys,
      trainNegKey: negKeys,
      epochs: 3,
      batchSize: 10,
      lr: 1e-2,
    });
    expect(res.history).toHaveLength(4);
    expect(res.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    expect(res.history[3].loss).toBeLessThan(res.history[0].loss);
  });

  test('cancel between batches throws CancelledError; an aborted signal stops before training', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const run = trainAdapter({
      dim: d,
      trainQ: train.Q,
      trainP: train.P,
      epochs: 5,
      batchSize: 16,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'batch') seen.push(p.done);
        if (p.done === 3) ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(Math.max(...seen)).toBe(3);
    const again = trainAdapter({ dim: d, trainQ: train.Q, trainP: train.P, signal: ac.signal });
    await expect(again).rejects.toBeInstanceOf(CancelledError);
  });

  test('an abort sent from a timer while training is seen (the loop yields)', async () => {
    const ac = new AbortController();
    const big = rotationProblem(3000, 64, 5);
    setTimeout(() => ac.abort(), 20);
    const t0 = performance.now();
    await expect(
      trainAdapter({
        dim: 64,
        trainQ: big.Q,
        trainP: big.P,
        epochs: 200,
        batchSize: 32,
        signal: ac.signal,
        yieldMs: 10,
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
