import { describe, expect, it } from 'vitest';
import { chunkFile, estimateTokens } from '../../src/lib/code/chunk.ts';
import { CodeParsers } from '../../src/lib/code/parsers.ts';
import type { Chunk } from '../../src/lib/code/types.ts';
import { nodeGrammarLoader } from '../../src/node/code/files.ts';

const parsers = new CodeParsers(nodeGrammarLoader());
const bySymbol = (chunks: Chunk[], s: string) => chunks.filter((c) => c.symbols.includes(s));

const TS = `import { x } from './x.ts';

/** Adds two numbers. */
export function add(a: number, b: number): number {
  return a + b;
}

export const twice = (n: number) => n * 2;

export class Counter {
  private n = 0;
  /** One more. */
  inc(): number {
    this.n += 1;
    return this.n;
  }
  get value(): number {
    return this.n;
  }
}
`;

describe('chunking code along its syntax', () => {
  it('gives functions and classes their own chunks, with doc comments and line spans', async () => {
    const chunks = await chunkFile({ path: 'src/m.ts', text: TS }, parsers, { maxTokens: 512 });
    const add = bySymbol(chunks, 'add');
    expect(add).toHaveLength(1);
    expect(add[0].text.startsWith('/** Adds two numbers. */')).toBe(true);
    expect([add[0].startLine, add[0].endLine]).toEqual([3, 6]);
    expect(add[0].header).toMatch(/^src\/m\.ts:3-6 /);
    const counter = bySymbol(chunks, 'Counter');
    expect(counter).toHaveLength(1);
    expect(counter[0].kind).toBe('class');
    expect(counter[0].symbols).toEqual(expect.arrayContaining(['Counter.inc', 'Counter.value']));
    expect(bySymbol(chunks, 'twice')[0].kind).toBe('function');
    // every line of the file is in some chunk, in order
    const covered = new Set(
      chunks.flatMap((c) => Array.from({ length: c.endLine - c.startLine + 1 }, (_, i) => c.startLine + i)),
    );
    TS.split('\n').forEach((l, i) => {
      if (l.trim()) expect(covered.has(i + 1)).toBe(true);
    });
  });

  it('splits a class that does not fit into its methods, and a long function into overlapping parts', async () => {
    const methods = Array.from(
      { length: 6 },
      (_, i) => `  m${i}(): number {\n${'    this.v += 1;\n'.repeat(12)}    return this.v;\n  }`,
    ).join('\n');
    const text = `export class Big {\n  v = 0;\n${methods}\n}\n\nexport function long(): void {\n${'  console.log("line");\n'.repeat(80)}}\n`;
    const chunks = await chunkFile({ path: 'big.ts', text }, parsers, { maxTokens: 120, overlapTokens: 20 });
    for (let i = 0; i < 6; i++) expect(bySymbol(chunks, `Big.m${i}`).length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.symbols.length === 0 || c.symbols.includes('Big') || c.symbols.includes('long'))).toBe(
      true,
    );
    const parts = bySymbol(chunks, 'long');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(estimateTokens(p.text)).toBeLessThanOrEqual(120);
    for (let i = 1; i < parts.length; i++) {
      expect(parts[i].startLine).toBeLessThanOrEqual(parts[i - 1].endLine); // overlap
      expect(parts[i].startLine).toBeGreaterThan(parts[i - 1].startLine); // progress
    }
    expect(parts[0].header).toMatch(/part 1 of/);
  });

  it('knows Python and Go', async () => {
    const py = `import os\n\n@cache\ndef load(path):\n    return open(path).read()\n\nclass Store:\n    def get(self, k):\n        return k\n`;
    const p = await chunkFile({ path: 'a.py', text: py }, parsers);
    expect(bySymbol(p, 'load')[0].text).toMatch(/^@cache/);
    expect(bySymbol(p, 'Store')[0].symbols).toContain('Store.get');
    const go = `package main\n\n// Sum adds.\nfunc Sum(a, b int) int {\n\treturn a + b\n}\n\ntype Point struct {\n\tX int\n}\n\nfunc (p Point) Norm() int {\n\treturn p.X\n}\n`;
    const g = await chunkFile({ path: 'a.go', text: go }, parsers);
    expect(bySymbol(g, 'Sum')[0].text).toMatch(/^\/\/ Sum adds\./);
    expect(bySymbol(g, 'Point').length).toBe(1);
    expect(bySymbol(g, 'Norm').length).toBe(1);
  });

  it('cuts Markdown at headings (not inside code fences) and other text into windows', async () => {
    const md = '# Title\nintro\n\n## Install\nrun it\n```sh\n# not a heading\n```\n## Use\nask\n';
    const m = await chunkFile({ path: 'README.md', text: md }, parsers);
    expect(m.map((c) => c.symbols)).toEqual([['Title'], ['Title', 'Install'], ['Title', 'Use']]);
    expect(m[1].text).toContain('# not a heading');
    const txt = Array.from({ length: 300 }, (_, i) => `line ${i} of plain text`).join('\n');
    const w = await chunkFile({ path: 'notes.txt', text: txt }, parsers, { maxTokens: 100, overlapTokens: 10 });
    expect(w.length).toBeGreaterThan(10);
    expect(w.every((c) => c.kind === 'window' && c.symbols.length === 0)).toBe(true);
    expect(w[w.length - 1].endLine).toBe(300);
  });

  it('never throws on text its grammar cannot parse', async () => {
    const chunks = await chunkFile({ path: 'broken.ts', text: 'export function (((( {\n  ]]]\n' }, parsers);
    expect(chunks.length).toBeGreaterThan(0);
  });
});
