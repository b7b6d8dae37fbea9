/**
 * Small, dependency-free statistics for evaluation runs: a seeded RNG (so
 * samples and bootstrap intervals are reproducible), sampling, confidence
 * intervals and order statistics.
 */

/**
 * Mulberry32: a tiny seeded PRNG with a 32-bit state. Returns a function that
 * yields floats in [0, 1). The same seed always gives the same sequence.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy of `items` (Fisher-Yates driven by `mulberry32(seed)`). The input is not changed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}

/**
 * `k` distinct indices drawn uniformly from 0..n-1, reproducibly for a seed,
 * returned in ascending order. When k >= n all indices 0..n-1 are returned;
 * k <= 0 gives [].
 */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  const size = Math.max(0, Math.floor(n));
  const want = Math.min(size, Math.max(0, Math.floor(k)));
  const idx = Array.from({ length: size }, (_, i) => i);
  const rand = mulberry32(seed);
  // Partial Fisher-Yates: the first `want` slots become a uniform sample.
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(rand() * (size - i));
    const tmp = idx[i];
    idx[i] = idx[j];
    idx[j] = tmp;
  }
  return idx.slice(0, want).sort((a, b) => a - b);
}

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * Wilson score interval for a proportion `successes / n` (z = 1.96 is 95 %).
 * Clamped to [0, 1]; n = 0 gives the uninformative {lo: 0, hi: 1}.
 */
export function wilson(successes: number, n: number, z = 1.96): Interval {
  if (n <= 0) return { lo: 0, hi: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  iters?: number;
  /** RNG seed (default 1). */
  seed?: number;
  /** 1 - confidence level (default 0.05 for a 95 % interval). */
  alpha?: number;
}

/**
 * Percentile bootstrap interval for the mean of `values`: resample with
 * replacement `iters` times and take the alpha/2 and 1-alpha/2 percentiles of
 * the resampled means. Reproducible for a seed. An empty input gives NaN bounds;
 * a single value gives {lo: v, hi: v}.
 */
export function bootstrapMean(values: readonly number[], opts: BootstrapOptions = {}): Interval {
  const { iters = 1000, seed = 1, alpha = 0.05 } = opts;
  const n = values.length;
  if (n === 0) return { lo: NaN, hi: NaN };
  const rand = mulberry32(seed);
  const means = new Array<number>(Math.max(1, iters));
  for (let b = 0; b < means.length; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(rand() * n)];
    means[b] = sum / n;
  }
  means.sort((a, b) => a - b);
  return { lo: percentileSorted(means, (alpha / 2) * 100), hi: percentileSorted(means, (1 - alpha / 2) * 100) };
}

/** Linear-interpolation percentile (numpy's default) of an already sorted array. */
function percentileSorted(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const clamped = Math.min(100, Math.max(0, p));
  const pos = (clamped / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * The p-th percentile (p in 0..100, clamped) with linear interpolation between
 * closest ranks, like numpy's default. NaN for an empty input. Does not modify
 * the input.
 */
export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(
    values.slice().sort((a, b) => a - b),
    p,
  );
}

/** The median (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Exact (binomial) two-sided McNemar test for paired yes/no outcomes: `b` pairs where only the
 * first system is right, `c` where only the second is. Under the null each discordant pair is a
 * fair coin, so p = min(1, 2 · P[Binomial(b + c, ½) ≤ min(b, c)]). No discordant pair gives 1.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n <= 0) return 1;
  const k = Math.min(b, c);
  // log C(n, i) built up term by term; the sum in log space stays finite for any n.
  let logC = 0;
  const terms: number[] = [];
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    terms.push(logC - n * Math.LN2);
  }
  const max = Math.max(...terms);
  let s = 0;
  for (const t of terms) s += Math.exp(t - max);
  return Math.min(1, 2 * Math.exp(max + Math.log(s)));
}
