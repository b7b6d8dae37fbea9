/** Rank fusion, skeleton similarity, reranking and diversity for example selection. */

export interface Scored {
  row: number;
  score: number;
}

/**
 * Reciprocal-rank fusion of several ranked lists (Cormack et al.): sum of w / (c + rank), with a
 * weight per list (1 each by default).
 */
export function rrf(lists: Scored[][], c = 60, weights: readonly number[] = []): Scored[] {
  const acc = new Map<number, number>();
  lists.forEach((list, l) => {
    const w = weights[l] ?? 1;
    list.forEach((h, i) => acc.set(h.row, (acc.get(h.row) ?? 0) + w / (c + i + 1)));
  });
  return [...acc].map(([row, score]) => ({ row, score })).sort((a, b) => b.score - a.score || a.row - b.row);
}

/** Similarity of two skeletons in [0, 1]: 1 − token edit distance / longer length. */
export function skeletonSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const x = a.split(' '),
    y = b.split(' ');
  const n = x.length,
    m = y.length;
  if (!n || !m) return 0;
  let prev = new Array<number>(m + 1);
  let cur = new Array<number>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return 1 - prev[m] / Math.max(n, m);
}

/** Scale scores of a list to [0, 1] (max-min); a constant list maps to 1. */
export function minmax(list: Scored[]): Map<number, number> {
  const out = new Map<number, number>();
  if (!list.length) return out;
  let lo = Infinity,
    hi = -Infinity;
  for (const h of list) {
    lo = Math.min(lo, h.score);
    hi = Math.max(hi, h.score);
  }
  for (const h of list) out.set(h.row, hi > lo ? (h.score - lo) / (hi - lo) : 1);
  return out;
}

/**
 * Maximal marginal relevance: pick k rows trading relevance against similarity to the rows
 * already picked. `lambda` = 1 is pure relevance.
 */
export function mmr(pool: Scored[], k: number, sim: (a: number, b: number) => number, lambda = 0.7): Scored[] {
  const rel = minmax(pool);
  const left = pool.slice();
  const picked: Scored[] = [];
  while (picked.length < k && left.length) {
    let best = 0,
      bestVal = -Infinity;
    for (let i = 0; i < left.length; i++) {
      const r = left[i].row;
      const maxSim = picked.length ? Math.max(...picked.map((p) => sim(r, p.row))) : 0;
      const v = lambda * (rel.get(r) ?? 0) - (1 - lambda) * maxSim;
      if (v > bestVal) {
        bestVal = v;
        best = i;
      }
    }
    picked.push(left.splice(best, 1)[0]);
  }
  return picked;
}
