/**
 * One interface for vector search over L2-normalised vectors (inner product = cosine).
 * Implementations: an exact flat scan, an int8 scan, IVF, HNSW (hnswlib-wasm), voy-search (WASM k-d tree).
 */
export type IndexKind = 'flat' | 'voy' | 'int8' | 'ivf' | 'hnsw';

export interface SearchHit {
  /** Row of the vector (= position of the example in the corpus). */
  row: number;
  /** Inner product with the query. */
  score: number;
}

export interface VectorIndex {
  readonly kind: IndexKind;
  readonly dim: number;
  readonly size: number;
  /** Top-k by inner product, best first. `exclude` drops rows (e.g. a question's own entry). */
  search(query: Float32Array, k: number, exclude?: (row: number) => boolean): SearchHit[];
  /** The vectors (n×dim), kept by every implementation for exact scores and persistence. */
  readonly vectors: Float32Array;
  /** Implementation-specific serialized state (voy's index JSON), if any. */
  serializeExtra(): string | undefined;
  dispose?(): void;
}

export interface IndexFactory {
  kind: IndexKind;
  build(vectors: Float32Array, dim: number): Promise<VectorIndex> | VectorIndex;
  restore(vectors: Float32Array, dim: number, extra: string | undefined): Promise<VectorIndex> | VectorIndex;
}

/** Keeps the best k of a stream of (row, score) in a small sorted array. */
export class TopK {
  readonly hits: SearchHit[] = [];
  constructor(private readonly k: number) {}
  get worst(): number {
    return this.hits.length < this.k ? -Infinity : this.hits[this.hits.length - 1].score;
  }
  push(row: number, score: number): void {
    if (this.k <= 0 || score <= this.worst) return;
    const h = this.hits;
    let i = h.length < this.k ? h.length : h.length - 1;
    if (h.length < this.k) h.push({ row, score });
    // insertion step: shift worse hits down
    while (i > 0 && h[i - 1].score < score) {
      h[i] = h[i - 1];
      i--;
    }
    h[i] = { row, score };
  }
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s +=
      a[i] * b[bOffset + i] +
      a[i + 1] * b[bOffset + i + 1] +
      a[i + 2] * b[bOffset + i + 2] +
      a[i + 3] * b[bOffset + i + 3];
  }
  for (; i < n; i++) s += a[i] * b[bOffset + i];
  return s;
}
