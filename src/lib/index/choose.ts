/**
 * The default index kind per corpus size: a registry (data), read by `defaultIndexKind`, which is
 * what the 'auto' index setting resolves to where indexes are built (IndexState.meta in the UI).
 * The rule: the kind with the lowest p50 query latency among those with recall@10 ≥ 0.99 against
 * the exact scan, at the sizes measured in bench/results/scan-*.json and ivf-*.json
 * (scripts/scan-bench.ts, scripts/ivf-bench.ts; tables in docs/scan-bench.md and docs/packs.md);
 * see the `why` of each entry.
 */
import type { IndexKind } from './vector-index.ts';

export interface IndexBySize {
  /** Applies to corpora of at most this many vectors (the last entry: Infinity). */
  upTo: number;
  kind: IndexKind;
  /** The measurement behind the choice. */
  why: string;
}

export const INDEX_BY_SIZE: readonly IndexBySize[] = [
  {
    upTo: 50_000,
    kind: 'int8',
    why:
      'real USE-Lite vectors (Spider train, 6.5k × 512): int8 recall@10 1.00 at p50 0.69 ms; IVF reached ' +
      '0.99 only probing 64 of 162 lists (0.74 ms), HNSW at efSearch 128 (8.5 ms, built in 124 s). ' +
      'No training, and a restore only re-quantizes',
  },
  {
    upTo: Infinity,
    kind: 'ivf',
    why:
      'synthetic clustered vectors, same run each: 100k × 512, IVF recall@10 1.00 at p50 0.29 ms (nprobe 8 ' +
      'of 632, built in 28.5 s) vs HNSW (M 16, efConstruction 100) 1.00 at 1.33 ms after a 294.5 s build ' +
      'and the int8 scan at 7.08 ms; 1M × 384, IVF 0.992 at 65.9 ms (nprobe 512 of 2,000, hence the ' +
      'default nprobe of nlist/4) vs the int8 scan at 311 ms. The scan grows with n, IVF with √n. HNSW ' +
      'at 1M × 384 (a quieter run): 0.993 at 5.0 ms vs IVF 0.993 at 13.8 ms (the default 2,000 lists, ' +
      "nprobe 512) and the int8 scan at 68.6 ms, after a 67 min build against IVF's 3 min, and its graph is " +
      "not persisted (1M × 512 exceeds its 2 GiB heap). With 20,000 lists and the two-level trainer's " +
      'stray-row check (2026-11-27), IVF reached recall@10 1.00 at nprobe 4 in 0.93 ms p50 (int8 scan 41 ms ' +
      'in that run, built in 160 s): IVF is the faster kind at 1M too. The default lists and nprobe stay ' +
      'the conservative 2·√n and nlist/4 (real embeddings cluster less than the synthetic data)',
  },
];

/** The registry's kind for a corpus of `n` vectors. */
export function defaultIndexKind(n: number, table: readonly IndexBySize[] = INDEX_BY_SIZE): IndexKind {
  if (!Number.isFinite(n) || n < 0) throw new Error(`corpus size ${n} is not a count`);
  for (const e of table) if (n <= e.upTo) return e.kind;
  throw new Error('the index-by-size table has no entry up to Infinity');
}

/**
 * What the app's index setting may hold: 'auto' (the registry's kind for the corpus size) or a kind.
 * HNSW is not offered there: its graph is not persisted, so every reload would rebuild it.
 */
export type IndexSetting = 'auto' | Exclude<IndexKind, 'hnsw'>;

/** The kind to build for a corpus of `n` vectors under `setting`. */
export function resolveIndexKind(setting: IndexSetting, n: number): IndexKind {
  return setting === 'auto' ? defaultIndexKind(n) : setting;
}
