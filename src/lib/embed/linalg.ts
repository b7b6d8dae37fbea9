/**
 * Small dense linear algebra for the light query encoders, in plain TypeScript (no DOM, no
 * native code): a symmetric eigendecomposition (cyclic Jacobi), PCA on top of it, a Cholesky
 * solve, and ridge regression through the d×d normal equations. Matrices are row-major; sums
 * run in float64 and the results come back as float32 where they are stored.
 */
import { CancelledError } from '../errors.ts';

export interface LinalgJobOptions {
  signal?: AbortSignal;
  /** Called after each Jacobi sweep with the off-diagonal norm left. */
  onSweep?: (sweep: number, offNorm: number) => void;
}

/**
 * Eigenvalues and eigenvectors of a symmetric d×d matrix (row-major, only its values are read).
 * Returns the eigenvalues in descending order and the eigenvectors as the ROWS of `vectors`
 * (row i belongs to value i). Cyclic Jacobi: slow per flop but exact and simple; d = 512 takes
 * a few seconds.
 */
export function symmetricEigen(
  a: ArrayLike<number>,
  d: number,
  opts: LinalgJobOptions & { maxSweeps?: number; tol?: number } = {},
): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== d * d) throw new RangeError(`matrix has ${a.length} values, ${d}×${d} needs ${d * d}`);
  const A = Float64Array.from(a);
  // Symmetrise (the caller's rounding may leave tiny asymmetries).
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const m = 0.5 * (A[i * d + j] + A[j * d + i]);
      A[i * d + j] = m;
      A[j * d + i] = m;
    }
  // V holds eigenvectors as rows (V = Qᵀ), so each rotation touches two contiguous rows.
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  let total = 0;
  for (let i = 0; i < d * d; i++) total += A[i] * A[i];
  const tol = (opts.tol ?? 1e-12) * Math.max(total, 1e-300);
  const maxSweeps = opts.maxSweeps ?? 60;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += 2 * A[i * d + j] * A[i * d + j];
    opts.onSweep?.(sweep, Math.sqrt(off));
    if (off <= tol) break;
    if (opts.signal?.aborted) throw new CancelledError('eigendecomposition');
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (apq === 0) continue;
        const app = A[p * d + p];
        const aqq = A[q * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q.
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        const rp = p * d;
        const rq = q * d;
        for (let k = 0; k < d; k++) {
          const apk = A[rp + k];
          const aqk = A[rq + k];
          A[rp + k] = c * apk - s * aqk;
          A[rq + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vpk = V[rp + k];
          const vqk = V[rq + k];
          V[rp + k] = c * vpk - s * vqk;
          V[rq + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((x, y) => A[y * d + y] - A[x * d + x]);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((src, dst) => {
    values[dst] = A[src * d + src];
    vectors.set(V.subarray(src * d, (src + 1) * d), dst * d);
  });
  return { values, vectors };
}

/** A fitted PCA: `project(x) = components · (x − mean)`. */
export interface Pca {
  /** Input width. */
  dim: number;
  /** Output width (number of components kept). */
  k: number;
  mean: Float64Array;
  /** k×dim, row i = i-th principal direction (unit length). */
  components: Float64Array;
  /** Variance along each kept component, descending. */
  variances: Float64Array;
  /** Share of the total variance the k components keep (0..1). */
  explained: number;
}

/**
 * PCA of the rows of an n×dim matrix, keeping k components. `rows` (optional) restricts the fit
 * to some rows (for example those with a vector). Sign of each component is fixed so that its
 * largest-magnitude entry is positive: the result is deterministic.
 */
export function fitPca(
  x: Float32Array | Float64Array,
  dim: number,
  k: number,
  opts: LinalgJobOptions & { rows?: readonly number[] } = {},
): Pca {
  if (x.length % dim !== 0) throw new RangeError(`matrix of ${x.length} values is not n×${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new RangeError(`PCA needs 1 ≤ k ≤ ${dim}, got ${k}`);
  const rows = opts.rows ?? Array.from({ length: x.length / dim }, (_, i) => i);
  const n = rows.length;
  if (n < 2) throw new RangeError(`PCA needs at least 2 rows, got ${n}`);
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j] += x[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (const r of rows) {
    if (opts.signal?.aborted) throw new CancelledError('PCA');
    for (let j = 0; j < dim; j++) c[j] = x[r * dim + j] - mean[j];
    for (let i = 0; i < dim; i++) {
      const ci = c[i];
      if (ci === 0) continue;
      const o = i * dim;
      for (let j = i; j < dim; j++) cov[o + j] += ci * c[j];
    }
  }
  for (let i = 0; i < dim; i++)
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j] / (n - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  const { values, vectors } = symmetricEigen(cov, dim, opts);
  const components = new Float64Array(k * dim);
  for (let i = 0; i < k; i++) {
    const row = vectors.subarray(i * dim, (i + 1) * dim);
    let big = 0;
    for (let j = 0; j < dim; j++) if (Math.abs(row[j]) > Math.abs(big)) big = row[j];
    const sign = big < 0 ? -1 : 1;
    for (let j = 0; j < dim; j++) components[i * dim + j] = sign * row[j];
  }
  let total = 0;
  for (let i = 0; i < dim; i++) total += Math.max(0, values[i]);
  let kept = 0;
  for (let i = 0; i < k; i++) kept += Math.max(0, values[i]);
  return {
    dim,
    k,
    mean,
    components,
    variances: values.slice(0, k),
    explained: total > 0 ? kept / total : 0,
  };
}

/** Project one row `x[off..off+dim)` into `out[oo..oo+k)`. */
export function pcaProject(pca: Pca, x: ArrayLike<number>, off: number, out: Float32Array, oo = 0): void {
  const { dim, k, mean, components } = pca;
  for (let i = 0; i < k; i++) {
    let s = 0;
    const co = i * dim;
    for (let j = 0; j < dim; j++) s += components[co + j] * (x[off + j] - mean[j]);
    out[oo + i] = s;
  }
}

/**
 * Solve S X = B for a symmetric positive definite p×p S and p×m B (row-major) by Cholesky.
 * Throws a RangeError when S is not positive definite.
 */
export function choleskySolve(S: Float64Array, p: number, B: Float64Array, m: number): Float64Array {
  if (S.length !== p * p) throw new RangeError(`S has ${S.length} values, ${p}×${p} needs ${p * p}`);
  if (B.length !== p * m) throw new RangeError(`B has ${B.length} values, ${p}×${m} needs ${p * m}`);
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError('matrix is not positive definite (add more ridge)');
        L[i * p + i] = Math.sqrt(s);
      } else L[i * p + j] = s / L[j * p + j];
    }
  }
  // Forward: L Y = B; back: Lᵀ X = Y. Column by column over m right-hand sides, rows kept contiguous.
  const X = Float64Array.from(B);
  for (let i = 0; i < p; i++) {
    const xi = i * m;
    for (let k = 0; k < i; k++) {
      const l = L[i * p + k];
      if (l === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= l * X[xk + c];
    }
    const inv = 1 / L[i * p + i];
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
  }
  for (let i = p - 1; i >= 0; i--) {
    const xi = i * m;
    for (let k = i + 1; k < p; k++) {
      const l = L[k * p + i];
      if (l === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) X[xi + c] -= l * X[xk + c];
    }
    const inv = 1 / L[i * p + i];
    for (let c = 0; c < m; c++) X[xi + c] *= inv;
  }
  return X;
}

export interface RidgeOptions extends LinalgJobOptions {
  /**
   * Ridge strength, relative: the penalty added to the diagonal of the centred XᵀX is
   * `lambda × trace(XᵀX) / p`, so one value suits inputs of any scale. Default 1e-3.
   */
  lambda?: number;
  /** Keep only the top `rank` directions of the fitted outputs (reduced-rank regression). */
  rank?: number;
  /** Rows of x / y to fit on (default all). */
  rows?: readonly number[];
}

export interface RidgeFit {
  /** q×p row-major: y ≈ W x + b. */
  W: Float32Array;
  b: Float32Array;
  p: number;
  q: number;
  /** Examples used. */
  n: number;
}

/**
 * Ridge regression of y (n×q) on x (n×p) with an unpenalised bias: centre both, solve
 * (XcᵀXc + λI) B = XcᵀYc on the p×p normal equations, W = Bᵀ, b = ȳ − W x̄. With `rank`, B is
 * projected onto the top principal directions of the fitted values (reduced-rank regression).
 * The caller checks there are enough examples (see linear-map.ts); here n ≥ 2 is required.
 */
export function ridgeFit(
  x: Float32Array | Float64Array,
  p: number,
  y: Float32Array | Float64Array,
  q: number,
  opts: RidgeOptions = {},
): RidgeFit {
  if (x.length % p !== 0) throw new RangeError(`x of ${x.length} values is not n×${p}`);
  if (y.length % q !== 0) throw new RangeError(`y of ${y.length} values is not n×${q}`);
  if (x.length / p !== y.length / q) throw new RangeError(`x has ${x.length / p} rows, y has ${y.length / q}`);
  const rows = opts.rows ?? Array.from({ length: x.length / p }, (_, i) => i);
  const n = rows.length;
  if (n < 2) throw new RangeError(`ridge regression needs at least 2 examples, got ${n}`);
  const mx = new Float64Array(p);
  const my = new Float64Array(q);
  for (const r of rows) {
    for (let j = 0; j < p; j++) mx[j] += x[r * p + j];
    for (let j = 0; j < q; j++) my[j] += y[r * q + j];
  }
  for (let j = 0; j < p; j++) mx[j] /= n;
  for (let j = 0; j < q; j++) my[j] /= n;
  const S = new Float64Array(p * p);
  const C = new Float64Array(p * q);
  const xc = new Float64Array(p);
  const yc = new Float64Array(q);
  for (const r of rows) {
    if (opts.signal?.aborted) throw new CancelledError('map fit');
    for (let j = 0; j < p; j++) xc[j] = x[r * p + j] - mx[j];
    for (let j = 0; j < q; j++) yc[j] = y[r * q + j] - my[j];
    for (let i = 0; i < p; i++) {
      const xi = xc[i];
      if (xi === 0) continue;
      const so = i * p;
      for (let j = i; j < p; j++) S[so + j] += xi * xc[j];
      const co = i * q;
      for (let j = 0; j < q; j++) C[co + j] += xi * yc[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < p; i++) {
    trace += S[i * p + i];
    for (let j = i + 1; j < p; j++) S[j * p + i] = S[i * p + j];
  }
  const ridge = (opts.lambda ?? 1e-3) * (trace > 0 ? trace / p : 1);
  for (let i = 0; i < p; i++) S[i * p + i] += ridge > 0 ? ridge : 1e-12;
  let B = choleskySolve(S, p, C, q); // p×q
  if (opts.rank !== undefined && opts.rank < Math.min(p, q)) {
    if (!Number.isInteger(opts.rank) || opts.rank < 1) throw new RangeError(`rank must be ≥ 1, got ${opts.rank}`);
    // Covariance of the fitted values Ŷ = Xc B is Bᵀ (XcᵀXc) B; its top directions span the kept outputs.
    const G = new Float64Array(q * q);
    const SB = new Float64Array(p * q);
    for (let i = 0; i < p; i++)
      for (let k = 0; k < p; k++) {
        const s = S[i * p + k] - (i === k ? ridge : 0);
        if (s === 0) continue;
        for (let c = 0; c < q; c++) SB[i * q + c] += s * B[k * q + c];
      }
    for (let a = 0; a < q; a++)
      for (let c = a; c < q; c++) {
        let s = 0;
        for (let i = 0; i < p; i++) s += B[i * q + a] * SB[i * q + c];
        G[a * q + c] = s;
        G[c * q + a] = s;
      }
    const { vectors } = symmetricEigen(G, q, opts);
    const r = opts.rank;
    const P = new Float64Array(q * q); // Σ_i v_i v_iᵀ over the top r.
    for (let i = 0; i < r; i++)
      for (let a = 0; a < q; a++) {
        const va = vectors[i * q + a];
        if (va === 0) continue;
        for (let c = 0; c < q; c++) P[a * q + c] += va * vectors[i * q + c];
      }
    const Br = new Float64Array(p * q);
    for (let i = 0; i < p; i++)
      for (let a = 0; a < q; a++) {
        const bia = B[i * q + a];
        if (bia === 0) continue;
        for (let c = 0; c < q; c++) Br[i * q + c] += bia * P[a * q + c];
      }
    B = Br;
  }
  const W = new Float32Array(q * p);
  const b = new Float32Array(q);
  for (let c = 0; c < q; c++) {
    let s = my[c];
    for (let i = 0; i < p; i++) {
      const w = B[i * q + c];
      W[c * p + i] = w;
      s -= w * mx[i];
    }
    b[c] = s;
  }
  return { W, b, p, q, n };
}
