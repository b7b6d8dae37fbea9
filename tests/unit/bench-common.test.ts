/** src/bench/common.ts: recall@k of one query and its mean over queries (the bench and the index scripts). */
import { describe, expect, it } from 'vitest';
import { meanRecallAtK, recallAtK } from '../../src/bench/common.ts';

describe('bench recall', () => {
  it('recall@k counts the exact top k found among the first k rows', () => {
    expect(recallAtK([1, 2, 3, 4], [4, 9, 1, 2], 2)).toBe(0); // want {1,2}, got {4,9}
    expect(recallAtK([1, 2, 3, 4], [4, 9, 1, 2], 4)).toBe(0.75);
    expect(recallAtK([], [1], 10)).toBe(1);
  });

  it('the mean over queries pairs each query with its own truth; no queries give 0', () => {
    const want = [
      [1, 2],
      [3, 4],
    ];
    expect(
      meanRecallAtK(
        want,
        [
          [1, 2],
          [3, 9],
        ],
        2,
      ),
    ).toBe(0.75);
    expect(
      meanRecallAtK(
        want,
        [
          [3, 4],
          [1, 2],
        ],
        2,
      ),
    ).toBe(0);
    expect(meanRecallAtK(want, [], 2)).toBe(0);
  });
});
