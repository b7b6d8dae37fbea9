/** Small deterministic RNG for tests. */
export function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n seeded random unit vectors of width dim, row-major. */
export function randomUnit(n: number, dim: number, seed: number): Float32Array {
  const r = mulberry(seed);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) { const x = r() * 2 - 1; v[i * dim + j] = x; s += x * x; }
    const norm = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j] /= norm;
  }
  return v;
}
