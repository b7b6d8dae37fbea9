/**
 * Seeded train/held-out splits: by item, or by group (e.g. database) so that no group appears on
 * both sides, which measures transfer to unseen databases rather than memorisation.
 */
import { seededShuffle } from '../eval/stats.ts';

export interface Split {
  /** Indices of the training items, ascending. */
  train: number[];
  /** Indices of the held-out items, ascending. */
  test: number[];
  /** Held-out groups (split by group only), in the order they were drawn. */
  testGroups?: string[];
}

/** Hold out round(fraction × n) items chosen by a seeded shuffle. */
export function randomSplit(n: number, fraction: number, seed: number): Split {
  const order = seededShuffle(
    Array.from({ length: n }, (_, i) => i),
    seed,
  );
  const k = Math.min(n, Math.max(0, Math.round(n * fraction)));
  const test = new Set(order.slice(0, k));
  const train: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < n; i++) (test.has(i) ? held : train).push(i);
  return { train, test: held };
}

/**
 * Hold out whole groups, drawn in a seeded order (groups sorted by name first, so the input order
 * does not matter), until at least fraction × n items are held out. Items without a group
 * (`groupOf` gives undefined) each form their own group.
 */
export function groupSplit(
  n: number,
  groupOf: (i: number) => string | undefined,
  fraction: number,
  seed: number,
): Split {
  const members = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groupOf(i) ?? `\u0000item-${i}`;
    let list = members.get(g);
    if (!list) members.set(g, (list = []));
    list.push(i);
  }
  const groups = seededShuffle([...members.keys()].sort(), seed);
  const want = Math.round(n * fraction);
  const testGroups: string[] = [];
  const test = new Set<number>();
  for (const g of groups) {
    if (test.size >= want) break;
    testGroups.push(g);
    for (const i of members.get(g)!) test.add(i);
  }
  const train: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < n; i++) (test.has(i) ? held : train).push(i);
  return { train, test: held, testGroups };
}
