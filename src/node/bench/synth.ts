/**
 * Synthetic clustered unit vectors for the index benchmarks (scripts/ivf-bench.ts,
 * scripts/scan-bench.ts): `n` vectors around `clusters` random unit centres, each centre plus
 * Gaussian noise of norm ≈ `noise`, normalised. Seeded; pass `centres` to draw queries around the
 * same centres as a corpus.
 */
import { mulberry32 } from '../../lib/eval/stats.ts';

export function synthClustered(
  n: number,
  dim: number,
  clusters: number,
  noise: number,
  seed: number,
  centres?: Float32Array,
): { v: Float32Array; centres: Float32Array } {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const cs = centres ?? new Float32Array(clusters * dim);
  if (!centres)
    for (let c = 0; c < clusters; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (cs[c * dim + j] = gauss()) ** 2;
      for (let j = 0; j < dim; j++) cs[c * dim + j] /= Math.sqrt(s);
    }
  const v = new Float32Array(n * dim);
  const sd = noise / Math.sqrt(dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * clusters);
    let s = 0;
    for (let j = 0; j < dim; j++) s += (v[i * dim + j] = cs[c * dim + j] + sd * gauss()) ** 2;
    const norm = Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[i * dim + j] /= norm;
  }
  return { v, centres: cs };
}
