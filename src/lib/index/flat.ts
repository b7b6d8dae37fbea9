import { TopK, dot, type IndexFactory, type SearchHit, type VectorIndex } from './vector-index.ts';

/** Exact search: one pass of dot products over a contiguous Float32Array. */
export class FlatIndex implements VectorIndex {
  readonly kind = 'flat' as const;
  readonly size: number;
  constructor(
    readonly vectors: Float32Array,
    readonly dim: number,
  ) {
    if (vectors.length % dim !== 0)
      throw new Error(`vector buffer of ${vectors.length} is not a multiple of dim ${dim}`);
    this.size = vectors.length / dim;
  }
  search(query: Float32Array, k: number, exclude?: (row: number) => boolean): SearchHit[] {
    if (query.length !== this.dim) throw new Error(`query has ${query.length} dims, index has ${this.dim}`);
    const top = new TopK(Math.min(k, this.size));
    const v = this.vectors;
    const d = this.dim;
    for (let i = 0, off = 0; i < this.size; i++, off += d) {
      if (exclude?.(i)) continue;
      top.push(i, dot(query, v, off));
    }
    return top.hits;
  }
  serializeExtra(): undefined {
    return undefined;
  }
}

export const flatFactory: IndexFactory = {
  kind: 'flat',
  build: (vectors, dim) => new FlatIndex(vectors, dim),
  restore: (vectors, dim) => new FlatIndex(vectors, dim),
};
