import { describe, expect, it } from 'vitest';
import { choleskySolve, fitPca, ridgeFit, symmetricEigen } from '../../src/lib/embed/linalg.ts';
import { mulberry } from './helpers.ts';

/** A random orthonormal d×d basis (rows), by Gram-Schmidt on seeded random vectors. */
function orthonormal(d: number, seed: number): Float64Array {
  const r = mulberry(seed);
  const Q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) Q[i * d + j] = r() * 2 - 1;
    for (let k = 0; k < i; k++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += Q[i * d + j] * Q[k * d + j];
      for (let j = 0; j < d; j++) Q[i * d + j] -= dot * Q[k * d + j];
    }
    let n = 0;
    for (let j = 0; j < d; j++) n += Q[i * d + j] ** 2;
    for (let j = 0; j < d; j++) Q[i * d + j] /= Math.sqrt(n);
  }
  return Q;
}

describe('symmetricEigen', () => {
  it('finds the eigenvalues and eigenvectors of a known symmetric matrix', () => {
    const d = 6;
    const Q = orthonormal(d, 3);
    const lambda = [9, 4, 2.5, 1, -0.5, -3];
    // A = Σ λ_i q_i q_iᵀ
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) A[a * d + b] += lambda[i] * Q[i * d + a] * Q[i * d + b];
    const { values, vectors } = symmetricEigen(A, d);
    for (let i = 0; i < d; i++) expect(values[i]).toBeCloseTo(lambda[i], 9);
    for (let i = 0; i < d; i++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vectors[i * d + j] * Q[i * d + j];
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
    }
  });

  it('handles the 2×2 case exactly', () => {
    const { values } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
  });

  it('stops when aborted', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => symmetricEigen([2, 1, 1, 2], 2, { signal: ac.signal })).toThrow(/cancelled/);
  });
});

describe('fitPca', () => {
  it('recovers the directions and variances of data built along known axes', () => {
    const d = 8;
    const Q = orthonormal(d, 11);
    const r = mulberry(5);
    const n = 4000;
    const sd = [10, 4, 1];
    const mean = Array.from({ length: d }, (_, j) => j - 3);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      // Gaussian-ish by summing uniforms (variance 1 each after scaling).
      const g = () => (r() + r() + r() + r() - 2) * Math.sqrt(3);
      const c = sd.map((s) => s * g());
      for (let j = 0; j < d; j++) {
        let v = mean[j] + 0.01 * g();
        for (let k = 0; k < 3; k++) v += c[k] * Q[k * d + j];
        x[i * d + j] = v;
      }
    }
    const pca = fitPca(x, d, 3);
    for (let k = 0; k < 3; k++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += pca.components[k * d + j] * Q[k * d + j];
      expect(Math.abs(dot)).toBeGreaterThan(0.999);
      expect(pca.variances[k] / sd[k] ** 2).toBeGreaterThan(0.9);
      expect(pca.variances[k] / sd[k] ** 2).toBeLessThan(1.1);
    }
    for (let j = 0; j < d; j++) expect(pca.mean[j]).toBeCloseTo(mean[j], 0);
    expect(pca.explained).toBeGreaterThan(0.999);
    // Deterministic sign: the largest entry of each component is positive.
    for (let k = 0; k < 3; k++) {
      const row = Array.from(pca.components.subarray(k * d, (k + 1) * d));
      const big = row.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it('rejects a width outside 1..dim', () => {
    expect(() => fitPca(new Float32Array(8), 4, 5)).toThrow(RangeError);
  });
});

describe('choleskySolve / ridgeFit', () => {
  it('solves a small SPD system and refuses an indefinite one', () => {
    const S = Float64Array.from([4, 2, 2, 3]);
    const x = choleskySolve(S, 2, Float64Array.from([6, 5]), 1);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(1, 12);
    expect(() => choleskySolve(Float64Array.from([1, 2, 2, 1]), 2, Float64Array.from([1, 1]), 1)).toThrow(
      /positive definite/,
    );
  });

  it('recovers a known affine map from noiseless data', () => {
    const p = 5,
      q = 7,
      n = 200;
    const r = mulberry(9);
    const W = Float64Array.from({ length: q * p }, () => r() * 2 - 1);
    const b = Float64Array.from({ length: q }, () => r() * 2 - 1);
    const x = Float32Array.from({ length: n * p }, () => r() * 2 - 1);
    const y = new Float32Array(n * q);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < q; c++) {
        let s = b[c];
        for (let k = 0; k < p; k++) s += W[c * p + k] * x[i * p + k];
        y[i * q + c] = s;
      }
    const fit = ridgeFit(x, p, y, q, { lambda: 1e-9 });
    for (let i = 0; i < q * p; i++) expect(fit.W[i]).toBeCloseTo(W[i], 4);
    for (let c = 0; c < q; c++) expect(fit.b[c]).toBeCloseTo(b[c], 4);
    // A strong ridge shrinks the weights.
    const shrunk = ridgeFit(x, p, y, q, { lambda: 10 });
    const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, a) => s + a * a, 0));
    expect(norm(shrunk.W)).toBeLessThan(0.5 * norm(fit.W));
  });

  it('reduced rank keeps a rank-2 map and drops a full-rank one to rank 2', () => {
    const p = 6,
      q = 6,
      n = 300;
    const r = mulberry(2);
    const U = Float64Array.from({ length: q * 2 }, () => r() * 2 - 1);
    const V = Float64Array.from({ length: 2 * p }, () => r() * 2 - 1);
    const W = new Float64Array(q * p);
    for (let c = 0; c < q; c++) for (let k = 0; k < p; k++) W[c * p + k] = U[c * 2] * V[k] + U[c * 2 + 1] * V[p + k];
    const x = Float32Array.from({ length: n * p }, () => r() * 2 - 1);
    const y = new Float32Array(n * q);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < q; c++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += W[c * p + k] * x[i * p + k];
        y[i * q + c] = s;
      }
    const fit = ridgeFit(x, p, y, q, { lambda: 1e-9, rank: 2 });
    for (let i = 0; i < q * p; i++) expect(fit.W[i]).toBeCloseTo(W[i], 3);
    const full = ridgeFit(x, p, y, q, { lambda: 1e-9, rank: 1 });
    let err = 0;
    for (let i = 0; i < q * p; i++) err += (full.W[i] - W[i]) ** 2;
    expect(err).toBeGreaterThan(1e-3);
  });
});
