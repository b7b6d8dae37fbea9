/**
 * The cross-encoder reranker: the parts that need no weights (pair building, truncation, ordering
 * by score, the fallback to MMR with its reason), loading through the real loader (which fails
 * with a clear message when the model is absent), and a real model from ../shared/models when one
 * is there.
 */
import { describe, expect, test } from 'vitest';
import { findReranker, RERANKERS } from '../../src/lib/config.ts';
import { estimateTokens } from '../../src/lib/code/chunk.ts';
import {
  crossEncoderReranker,
  cutToTokens,
  pairInputs,
  withFallback,
  type PairScorer,
} from '../../src/lib/code/rerank.ts';
import { CodeIndex, mmrReranker, type CodeHit } from '../../src/lib/code/search.ts';
import { LocalCodeCollections } from '../../src/lib/code/service.ts';
import type { Chunk } from '../../src/lib/code/types.ts';
import { loadNodeReranker, localReranker, nodeRerankerLoader } from '../../src/node/code/reranker.ts';

const chunk = (name: string, text: string): Chunk => ({
  path: `src/${name}.ts`,
  startLine: 1,
  endLine: text.split('\n').length,
  kind: 'function',
  symbols: [name],
  header: `src/${name}.ts:1-${text.split('\n').length} function ${name}`,
  text,
});

/** A word-overlap scorer: the number of the question's words found in the passage (a real PairScorer). */
function overlapScorer(calls: number[] = []): PairScorer {
  return {
    id: 'overlap',
    async score(queries, passages) {
      calls.push(queries.length);
      return queries.map((q, i) => {
        const words = new Set(passages[i].toLowerCase().split(/\W+/));
        return q
          .toLowerCase()
          .split(/\W+/)
          .filter((w) => w && words.has(w)).length;
      });
    },
  };
}

const CHUNKS = [
  chunk('parseDate', 'export function parseDate(s) {\n  return new Date(s);\n}'),
  chunk('sendEmail', 'export function sendEmail(to, body) {\n  // send an email message to a user\n}'),
  chunk('formatMoney', 'export function formatMoney(x) {\n  return x.toFixed(2);\n}'),
  chunk('retryEmail', 'export function retryEmail(to) {\n  // retry sending the email message\n}'),
];
const hits = (rows: number[]): CodeHit[] =>
  rows.map((row, i) => ({ row, score: rows.length - i, similarity: 0.1 * (row + 1) }));

describe('pairs and truncation', () => {
  test('cutToTokens keeps short texts, cuts long ones within the budget at a line end', () => {
    expect(cutToTokens('a short text', 50)).toBe('a short text');
    const long = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i});`).join('\n');
    const cut = cutToTokens(long, 100);
    expect(estimateTokens(cut)).toBeLessThanOrEqual(100);
    expect(estimateTokens(cut)).toBeGreaterThan(80);
    expect(long.startsWith(cut)).toBe(true);
    expect(long[cut.length]).toBe('\n');
    expect(cutToTokens(long, 0)).toBe('');
  });

  test('every pair fits the model: the question takes at most a quarter, the passage starts with the header', () => {
    const big = chunk(
      'huge',
      Array.from({ length: 400 }, (_, i) => `line ${i} of a very long function body`).join('\n'),
    );
    const question = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const { queries, passages } = pairInputs(question, [CHUNKS[0], big], 128);
    expect(queries).toHaveLength(2);
    expect(estimateTokens(queries[0])).toBeLessThanOrEqual(32);
    expect(passages[0]).toBe(`${CHUNKS[0].header}\n${CHUNKS[0].text}`);
    expect(passages[1].startsWith(big.header + '\nline 0 of')).toBe(true);
    for (const p of passages) expect(estimateTokens(queries[0]) + estimateTokens(p)).toBeLessThanOrEqual(128);
  });
});

describe('crossEncoderReranker', () => {
  test('orders the candidates by the model score, ties in fused order, in batches, keeping similarity', async () => {
    const calls: number[] = [];
    const rr = crossEncoderReranker((r) => CHUNKS[r], overlapScorer(calls), { batchSize: 3 });
    const out = await rr.rerank('retry sending an email message', hits([0, 1, 2, 3]), 3);
    expect(out.map((h) => h.row)).toEqual([3, 1, 0]);
    expect(out[0].score).toBeGreaterThan(out[1].score);
    expect(out[0].similarity).toBeCloseTo(0.4);
    expect(calls).toEqual([3, 1]);
  });

  test('reads only the first `depth` candidates; the rest follow in fused order', async () => {
    const calls: number[] = [];
    const rr = crossEncoderReranker((r) => CHUNKS[r], overlapScorer(calls), { depth: 2 });
    const out = await rr.rerank('email', hits([0, 1, 2, 3]), 4);
    expect(out.map((h) => h.row)).toEqual([1, 0, 2, 3]);
    expect(calls).toEqual([2]);
  });

  test('a scorer that fails falls back to MMR for that question, with the reason', async () => {
    const broken: PairScorer = {
      id: 'broken',
      async score() {
        throw new Error('session crashed');
      },
    };
    const vectors = new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]);
    const index = new CodeIndex(CHUNKS, vectors, 2);
    const reasons: string[] = [];
    const rr = withFallback(
      crossEncoderReranker((r) => CHUNKS[r], broken),
      mmrReranker(index),
      (r) => reasons.push(r),
    );
    const out = await rr.rerank('email', hits([1, 3, 0]), 2);
    const mmr = await mmrReranker(index).rerank('email', hits([1, 3, 0]), 2);
    expect(out.map((h) => h.row)).toEqual(mmr.map((h) => h.row));
    expect(reasons).toEqual(['cross-encoder broken failed (session crashed); reranked with mmr']);
  });

  test('a scorer giving the wrong number of scores is an error (then MMR), not a silent misorder', async () => {
    const short: PairScorer = { id: 'short', score: async (q) => q.slice(1).map(() => 1) };
    const rr = crossEncoderReranker((r) => CHUNKS[r], short);
    await expect(rr.rerank('x', hits([0, 1]), 2)).rejects.toThrow(/1 scores for 2 pairs/);
  });
});

describe('the reranker in the code service', () => {
  const ID = RERANKERS[0].id;
  const spec = findReranker(ID)!;

  test('MMR by default; a model that cannot be loaded leaves MMR with a clear reason', async () => {
    if (localReranker(spec)) return; // the model is there: the next test loads it
    const svc = new LocalCodeCollections(null, nodeRerankerLoader());
    expect(await svc.rerankerStatus()).toEqual({ active: 'mmr' });
    const st = await svc.useReranker(ID, null);
    expect(st.active).toBe('mmr');
    expect(st.fallbackReason).toMatch(new RegExp(`could not load model "${ID}".*MMR reranks instead`));
    // search still works, reranked by MMR
    await svc.open('c', CHUNKS, new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), 2);
    const out = await svc.search('c', 'email message', new Float32Array([0, 1]), 2, 'hybrid+rerank');
    expect(out).toHaveLength(2);
    expect((await svc.useReranker(null, null)).active).toBe('mmr');
  }, 60_000);

  test('no loader (or an unknown id): MMR, and why', async () => {
    const svc = new LocalCodeCollections(null);
    expect((await svc.useReranker(ID, null)).fallbackReason).toMatch(/no cross-encoder can be loaded here/);
    expect((await svc.useReranker('nope/model', null)).fallbackReason).toMatch(/unknown reranker "nope\/model"/);
  });

  test('a real cross-encoder from ../shared/models ranks the answering chunk first', async (ctx) => {
    if (!localReranker(spec)) {
      ctx.skip(
        `${ID} is not in ../shared/models (no Hub here): the real cross-encoder is not tested; put it there to run this test`,
      );
      return;
    }
    const scorer = await loadNodeReranker(spec);
    const rr = crossEncoderReranker((r) => CHUNKS[r], scorer, { maxTokens: spec.maxTokens });
    const out = await rr.rerank('how do I format an amount of money with two decimals?', hits([0, 1, 2, 3]), 4);
    expect(out[0].row).toBe(2);
    await scorer.dispose?.();
  }, 120_000);
});
