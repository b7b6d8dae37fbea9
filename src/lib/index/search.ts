/**
 * A `VectorSearch` (src/lib/services.ts) over one in-memory vector index, for hosts that keep an
 * index without the index service (the eval CLI over cached vectors, tests). Like the service, it
 * refuses a search for another corpus than the one the index was built from.
 */
import type { VectorSearch } from '../services.ts';
import type { VectorIndex } from './vector-index.ts';
import { IndexMismatchError } from '../errors.ts';

export function searchOver(index: VectorIndex, corpusHash: string, label = 'index'): VectorSearch {
  return {
    async search(query, k, o = {}) {
      if (o.corpusHash !== undefined && o.corpusHash !== corpusHash) throw new IndexMismatchError(label);
      const t0 = performance.now();
      const ex = o.exclude?.length ? new Set(o.exclude) : null;
      const hits = index.search(query, k, ex ? (i) => ex.has(i) : undefined);
      return { hits, ms: performance.now() - t0 };
    },
  };
}
