import { mulberry32 } from '../../src/lib/eval/stats.ts';

/** Small deterministic RNG for tests (the core's mulberry32). */
export const mulberry = mulberry32;

/** n seeded random unit vectors of width dim, row-major. */
export function randomUnit(n: number, dim: number, seed: number): Float32Array {
  const r = mulberry(seed);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const x = r() * 2 - 1;
      v[i * dim + j] = x;
      s += x * x;
    }
    const norm = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j] /= norm;
  }
  return v;
}
