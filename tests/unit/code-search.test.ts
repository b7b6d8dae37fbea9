import { describe, expect, it, beforeAll } from 'vitest';
import { buildCollection } from '../../src/lib/code/collection.ts';
import { chooseThreshold, covers, evaluateCode, scoreQuestion, thresholdCurve } from '../../src/lib/code/eval.ts';
import { CodeParsers } from '../../src/lib/code/parsers.ts';
import { codeTokens, CodeSearch, isConfident, type CodeHit } from '../../src/lib/code/search.ts';
import type { Chunk, SourceFile } from '../../src/lib/code/types.ts';
import type { Embedder } from '../../src/lib/embed/embedder.ts';
import { nodeGrammarLoader } from '../../src/node/code/files.ts';
import { defaultTestEmbedderId, loadEmbedder } from '../../src/node/host.ts';

const chunk = (path: string, symbols: string[]): Chunk => ({
  path,
  startLine: 1,
  endLine: 2,
  kind: 'function',
  symbols,
  header: path,
  text: '',
});
const hit = (row: number, similarity = 0.5): CodeHit => ({ row, score: 1, similarity });

describe('code-aware tokens', () => {
  it('splits camelCase, PascalCase, snake_case and acronyms and keeps the whole identifier', () => {
    expect(codeTokens('parseHTTPResponse read_only_sql CodeRAG x')).toEqual([
      'parsehttpresponse',
      'parse',
      'http',
      'response',
      'read_only_sql',
      'read',
      'only',
      'sql',
      'coderag',
      'code',
      'rag',
    ]);
    expect(codeTokens('How is the value of it?')).toEqual(['value']);
  });
});

describe('retrieval metrics over gold symbols', () => {
  const chunks = [chunk('a.ts', ['A', 'A.m']), chunk('a.ts', ['f']), chunk('b.ts', ['f']), chunk('a.ts', ['A', 'A.n'])];
  it('a chunk covers a symbol, or a part of it, in the same file only', () => {
    expect(covers(chunks[0], { path: 'a.ts', symbol: 'A' })).toBe(true);
    expect(covers(chunks[0], { path: 'a.ts', symbol: 'A.m' })).toBe(true);
    expect(covers(chunks[0], { path: 'a.ts', symbol: 'A.n' })).toBe(false);
    expect(covers(chunks[2], { path: 'a.ts', symbol: 'f' })).toBe(false);
  });
  it('computes precision, recall, reciprocal rank and nDCG by hand', () => {
    const gold = [{ path: 'a.ts', symbol: 'A' }];
    // relevant chunks: rows 0 and 3; ranking 2, 0, 1, 3
    const s = scoreQuestion(chunks, [hit(2), hit(0), hit(1), hit(3)], gold, 2, 10);
    expect(s.precision).toBe(0.5);
    expect(s.recall).toBe(1);
    expect(s.rr).toBe(0.5);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3);
    expect(s.ndcg).toBeCloseTo(dcg / idcg, 10);
    expect(scoreQuestion(chunks, [hit(1), hit(2)], gold, 2)).toEqual({ precision: 0, recall: 0, rr: 0, ndcg: 0 });
  });
  it('chooses the threshold with the best balanced accuracy', () => {
    const curve = thresholdCurve([0.8, 0.7, 0.6, 0.3], [0.2, 0.35, 0.5]);
    const t = chooseThreshold(curve);
    expect(t.threshold).toBe(0.6);
    expect(t.answered).toBe(0.75);
    expect(t.refused).toBe(1);
    expect(isConfident([hit(0, 0.59)], 0.6)).toBe(false);
    expect(isConfident([hit(0, 0.2), hit(1, 0.61)], 0.6)).toBe(true);
  });
});

describe('search over a small real collection', () => {
  let embedder: Embedder;
  let search: CodeSearch;
  const files: SourceFile[] = [
    {
      path: 'src/money.ts',
      text: '/** Converts an amount between currencies using a rate table. */\nexport function convertCurrency(amount: number, rate: number): number {\n  return amount * rate;\n}\n',
    },
    {
      path: 'src/dates.ts',
      text: '/** Formats a calendar date as day, month and year. */\nexport function formatDate(d: Date): string {\n  return d.toISOString().slice(0, 10);\n}\n',
    },
    {
      path: 'src/retry.py',
      text: 'def retry_with_backoff(fn, attempts=3):\n    """Call fn again after a failure, waiting longer each time."""\n    for i in range(attempts):\n        try:\n            return fn()\n        except Exception:\n            sleep(2 ** i)\n',
    },
    {
      path: 'docs/guide.md',
      text: '# Guide\n\n## Installing\nRun npm install and then npm start.\n\n## Testing\nRun npm test.\n',
    },
  ];
  beforeAll(async () => {
    embedder = await loadEmbedder(defaultTestEmbedderId());
    const built = await buildCollection(files, {
      parsers: new CodeParsers(nodeGrammarLoader()),
      embedder,
    });
    search = new CodeSearch(built.index, embedder);
  }, 120_000);

  it('finds a function by what it does, with every method', async () => {
    for (const m of ['dense', 'bm25', 'hybrid', 'hybrid+rerank'] as const) {
      const hits = await search.search('retry a call with exponential backoff after failures', 3, m);
      expect(search.index.chunks[hits[0].row].symbols, m).toContain('retry_with_backoff');
      expect(hits[0].similarity).toBeGreaterThan(0);
    }
    // coverage: the IDF-weighted share of the question's code tokens found in the given chunks
    const money = search.index.chunks.findIndex((c) => c.symbols.includes('convertCurrency'));
    expect(search.index.coverage('convert currency rate', [money])).toBe(1);
    expect(search.index.coverage('kubernetes ingress', [money])).toBe(0);
    const half = search.index.coverage('convert kubernetes', [money]);
    expect(half).toBeGreaterThan(0);
    expect(half).toBeLessThan(1);
    const code = await search.search('return amount * rate', 1, 'hybrid');
    expect(search.index.chunks[code[0].row].symbols).toContain('convertCurrency');
  });

  it('evaluates a question set and a threshold that refuses an off-topic question', async () => {
    const report = await evaluateCode(
      search,
      [
        { id: '1', question: 'how do I run the tests', gold: [{ path: 'docs/guide.md', symbol: 'Testing' }] },
        { id: '2', question: 'format a date', gold: [{ path: 'src/dates.ts', symbol: 'formatDate' }] },
        { id: '3', question: 'which kubernetes ingress controller is deployed', gold: [] },
      ],
      { k: 3 },
    );
    expect(report.questions).toEqual({ answerable: 2, unanswerable: 1 });
    const hybrid = report.methods.find((m) => m.method === 'hybrid')!;
    expect(hybrid.mrr.mean).toBeGreaterThan(0.5);
    expect(hybrid.recall.mean).toBe(1);
    expect(report.threshold.curve.length).toBeGreaterThan(0);
  });
});
