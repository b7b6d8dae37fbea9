import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/lib/code/chunk.ts';
import {
  acronymsOf,
  chunkEmbedText,
  chunkWindows,
  CodeIndex,
  definesBehaviour,
  MODEL_TOKENS_PER_ESTIMATE,
  pathRole,
  stem,
  stemmedTokens,
  type CodeIndexOptions,
} from '../../src/lib/code/search.ts';
import type { Chunk, ChunkKind } from '../../src/lib/code/types.ts';

const chunk = (path: string, symbols: string[], text: string, kind: ChunkKind = 'function'): Chunk => ({
  path,
  startLine: 1,
  endLine: text.split('\n').length,
  kind,
  symbols,
  header: `${path}:1-${text.split('\n').length}`,
  text,
});

/** An index over `chunks` with 2-d unit vectors (only the lexical side is under test). */
function index(chunks: Chunk[], o: CodeIndexOptions = {}): CodeIndex {
  const v = new Float32Array(chunks.length * 2);
  for (let i = 0; i < chunks.length; i++) v[2 * i] = 1;
  return new CodeIndex(chunks, v, 2, o);
}
const q0 = new Float32Array([1, 0]);
const top = (ix: CodeIndex, query: string) => ix.chunks[ix.lexical(query, q0, 5)[0].row];

describe('light stemmer', () => {
  it('meets plurals, -ing, -ed and -er forms of a word at one stem', () => {
    for (const w of ['chunk', 'chunks', 'chunking', 'chunked']) expect(stem(w), w).toBe('chunk');
    for (const w of ['embed', 'embeds', 'embedded', 'embedding', 'embedder']) expect(stem(w), w).toBe('embed');
    expect(stem('queries')).toBe(stem('query'));
    expect(stem('normalization')).toBe(stem('normalize'));
    expect(stem('parser')).toBe(stem('parsing'));
    expect(stem('running')).toBe('run');
  });
  it('leaves short words, too-short stems and non-words alone', () => {
    for (const w of ['sql', 'order', 'user', 'status', 'class', 'fusion', 'int8', 'a_b']) expect(stem(w), w).toBe(w);
    expect(stem('ordered')).toBe('order');
  });
  it('stems every code token, whole identifiers and their parts', () => {
    expect(stemmedTokens('chunkingWindows')).toEqual(['chunkingwindow', 'chunk', 'window']);
  });
});

describe('query acronyms', () => {
  it('gives the initials of runs of three and four words, never two', () => {
    const a = acronymsOf('How is the multiple negatives ranking loss computed?');
    expect(a).toContain('mnrl');
    expect(a).toContain('mnr');
    expect(a.every((x) => x.length >= 3 && x.length <= 4)).toBe(true);
    expect(acronymsOf('rank fusion')).toEqual([]);
  });
});

describe('chunk shape and path roles', () => {
  it('tells behaviour from declarations', () => {
    expect(definesBehaviour(chunk('a.ts', ['f'], 'function f() {}'))).toBe(true);
    expect(definesBehaviour(chunk('a.ts', ['A'], 'class A { m() {} }', 'class'))).toBe(true);
    expect(definesBehaviour(chunk('a.ts', ['I'], '/** doc */\nexport interface I { x: number }', 'class'))).toBe(false);
    expect(definesBehaviour(chunk('a.ts', ['X'], 'export const X = 1;', 'declaration'))).toBe(false);
    expect(definesBehaviour(chunk('a.ts', [], 'import x from "y";', 'window'))).toBe(false);
  });
  it('knows tests and docs by path', () => {
    expect(pathRole('tests/unit/x.test.ts')).toBe('test');
    expect(pathRole('src/lib/x.spec.ts')).toBe('test');
    expect(pathRole('docs/guide.md')).toBe('doc');
    expect(pathRole('src/lib/x.ts')).toBe('code');
  });
});

describe('BM25 settings', () => {
  it('stemming lets a question about "chunking" find the `chunk` function', () => {
    const cs = [
      chunk('src/a.ts', ['splitText'], 'function splitText(chunk) { return chunk; }'),
      chunk('src/b.ts', ['other'], 'function other() { return windows; }'),
    ];
    expect(top(index(cs, { stem: true, acronyms: false }), 'how does chunking work').symbols).toEqual(['splitText']);
    expect(index(cs, { stem: false, acronyms: false }).lexical('how does chunking work', q0, 5)).toEqual([]);
  });
  it('acronyms let "multiple negatives ranking loss" find `mnrlLoss`', () => {
    const cs = [
      chunk('src/train/loss.ts', ['mnrlLoss'], 'export function mnrlLoss(a, b) { return a - b; }'),
      chunk('src/train/rank.ts', ['rankItems'], 'export function rankItems(xs) { return xs; } // ranking'),
    ];
    const q = 'How is the multiple negatives ranking loss computed?';
    expect(top(index(cs, { acronyms: true }), q).symbols).toEqual(['mnrlLoss']);
    expect(top(index(cs, { acronyms: false }), q).symbols).toEqual(['rankItems']);
  });
  it('the shape prior scales declarations, interfaces and loose code, not functions', () => {
    const cs = [
      chunk('src/a.ts', ['ScoreOptions'], 'export interface ScoreOptions { score: number; weight: number }', 'class'),
      chunk('src/a.ts', ['score'], 'export function score(weight, items) { return items.map((x) => x * weight); }'),
      chunk('src/b.ts', [], 'const weights = loadScore();', 'window'),
    ];
    const q = 'how is the score weight computed';
    const at = (o: CodeIndexOptions) => {
      const hits = index(cs, { fileLift: 0, ...o }).lexical(q, q0, 5);
      return (row: number) => hits.find((h) => h.row === row)!.score;
    };
    const half = at({ shapePrior: 0.5 });
    const one = at({ shapePrior: 1 });
    expect(half(0)).toBeCloseTo(one(0) / 2, 8);
    expect(half(2)).toBeCloseTo(one(2) / 2, 8);
    expect(half(1)).toBeCloseTo(one(1), 8);
  });
  it('the test prior ranks source above its test', () => {
    const cs = [
      chunk('tests/unit/merge.test.ts', ['mergeLists'], 'it("merges lists", () => mergeLists(a, b))'),
      chunk('src/merge.ts', ['mergeLists'], 'export function mergeLists(a, b) { return [...a, ...b].sort(); }'),
    ];
    expect(top(index(cs, { testPrior: 0.5 }), 'merge lists').path).toBe('src/merge.ts');
    expect(top(index(cs, { testPrior: 1 }), 'merge lists').path).toBe('tests/unit/merge.test.ts');
  });
  it('file lift adds a share of the rest of the file to each of its chunks', () => {
    const cs = [
      chunk('src/a.ts', ['f'], 'function f() { return parse(cache); }'),
      chunk('src/a.ts', ['g'], 'function g() { return cache; }'),
      chunk('src/b.ts', ['h'], 'function h() { return parse(cache); }'),
    ];
    const plain = index(cs, { fileLift: 0 }).lexical('parse cache', q0, 5);
    const lifted = index(cs, { fileLift: 0.5 }).lexical('parse cache', q0, 5);
    const s = (hits: typeof plain, row: number) => hits.find((h) => h.row === row)!.score;
    expect(s(lifted, 0)).toBeCloseTo(s(plain, 0) + 0.5 * s(plain, 1), 8);
    expect(s(lifted, 2)).toBeCloseTo(s(plain, 2), 8);
    expect(lifted[0].row).toBe(0);
  });
});

describe('embedding windows', () => {
  const long = Array.from({ length: 60 }, (_, i) => `  const value${i} = compute(input${i}, weight${i});`).join('\n');
  const cs = [
    chunk('src/long.ts', ['big'], `function big() {\n${long}\n}`),
    chunk('src/s.ts', ['s'], 'function s() {}'),
  ];

  it('cuts chunks longer than the model reads into windows that fit, each with the header', () => {
    const w = chunkWindows(cs, 128);
    expect(w.rows.length).toBeGreaterThan(2);
    expect(w.rows.every((r) => r === 0)).toBe(true);
    const budget = Math.floor(128 / MODEL_TOKENS_PER_ESTIMATE);
    for (const t of w.texts) {
      expect(t.startsWith(cs[0].header + '\n')).toBe(true);
      expect(estimateTokens(t)).toBeLessThanOrEqual(budget + 2);
    }
    // the windows and the chunk's own first window cover its last line
    expect(w.texts[w.texts.length - 1]).toContain('weight59');
    // a wider model needs fewer windows
    expect(chunkWindows(cs, 512).rows.length).toBeLessThan(w.rows.length);
    expect(chunkEmbedText(cs[1])).toContain('function s()');
  });

  it('scores a chunk by its best window', () => {
    const v = new Float32Array([1, 0, 0.6, 0.8]);
    const windows = { rows: [0], vectors: new Float32Array([0, 1]) };
    const q = new Float32Array([0, 1]);
    expect(new CodeIndex(cs, v, 2).similarity(q, 0)).toBeCloseTo(0, 6);
    const ix = new CodeIndex(cs, v, 2, { windows });
    expect(ix.similarity(q, 0)).toBeCloseTo(1, 6);
    expect(ix.dense(q, 2).map((h) => h.row)).toEqual([0, 1]);
    expect(() => new CodeIndex(cs, v, 2, { windows: { rows: [0, 1], vectors: new Float32Array(2) } })).toThrow();
  });
});
