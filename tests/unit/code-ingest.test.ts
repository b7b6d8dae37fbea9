import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GitIgnore } from '../../src/lib/code/gitignore.ts';
import { checkContent, ingest, normalisePath, zipEntries, type FileEntry } from '../../src/lib/code/ingest.ts';
import { folderEntries } from '../../src/node/code/files.ts';

const enc = new TextEncoder();
const entry = (p: string, data: string | Uint8Array): FileEntry => {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return { path: p, size: bytes.length, read: async () => bytes };
};

describe('gitignore', () => {
  it('matches names at any depth, anchored paths, folders only, globs and negation', () => {
    const g = new GitIgnore();
    g.add('', '# comment\n*.log\n/build\ndist/\n!keep.log\ndocs/**/*.tmp\n');
    g.add('pkg', 'secret.txt\n');
    expect(g.ignores('a/b/c.log')).toBe(true);
    expect(g.ignores('keep.log')).toBe(false);
    expect(g.ignores('build/x.js')).toBe(true);
    expect(g.ignores('src/build/x.js')).toBe(false); // anchored to the root
    expect(g.ignores('dist', true)).toBe(true);
    expect(g.ignores('src/dist/a.js')).toBe(true); // a file below an ignored folder
    expect(g.ignores('dist')).toBe(false); // `dist/` names folders only
    expect(g.ignores('docs/a/b/c.tmp')).toBe(true);
    expect(g.ignores('docs/c.md')).toBe(false);
    expect(g.ignores('pkg/secret.txt')).toBe(true);
    expect(g.ignores('secret.txt')).toBe(false); // the rule lives in pkg/.gitignore
  });
});

describe('ingestion', () => {
  it('keeps source text and lists every skipped file with its reason', async () => {
    const big = 'x'.repeat(2_000);
    const minified = ('var a=1;'.repeat(400) + '\n').repeat(3);
    const r = await ingest(
      [
        entry('src/a.ts', 'export const a = 1;\n'),
        entry('.gitignore', 'out/\n*.secret\n'),
        entry('out/b.js', 'x'),
        entry('k.secret', 'x'),
        entry('node_modules/p/index.js', 'x'),
        entry('package-lock.json', '{}'),
        entry('logo.png', new Uint8Array([137, 80, 78, 71])),
        entry('data.bin', new Uint8Array([1, 0, 2, 3])),
        entry('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])),
        entry('app.min.js', 'x'),
        entry('bundle.js', minified),
        entry('huge.md', big),
        entry('../escape.ts', 'x'),
      ],
      { limits: { maxFileBytes: 1_000 } },
    );
    expect(r.files.map((f) => f.path)).toEqual(['.gitignore', 'src/a.ts']);
    const why = Object.fromEntries(r.skipped.map((s) => [s.path, s.reason]));
    expect(why['out/b.js']).toBe('ignored by .gitignore');
    expect(why['k.secret']).toBe('ignored by .gitignore');
    expect(why['node_modules/p/index.js']).toMatch(/node_modules/);
    expect(why['package-lock.json']).toBe('lockfile');
    expect(why['logo.png']).toBe('binary file type');
    expect(why['data.bin']).toMatch(/binary/);
    expect(why['latin1.txt']).toBe('not UTF-8 text');
    expect(why['app.min.js']).toMatch(/minified/);
    expect(why['bundle.js']).toMatch(/larger than|minified/);
    expect(why['huge.md']).toMatch(/larger than/);
    expect(why['../escape.ts']).toMatch(/outside/);
  });

  it('stops at the total size cap and says so', async () => {
    const files = Array.from({ length: 5 }, (_, i) => entry(`f${i}.ts`, 'a'.repeat(400)));
    const r = await ingest(files, { limits: { maxTotalBytes: 1_000 } });
    expect(r.files).toHaveLength(2);
    expect(r.skipped.filter((s) => /collection cap/.test(s.reason))).toHaveLength(3);
  });

  it('detects minified content and binaries by content', () => {
    expect(checkContent(enc.encode('a\nb\n'))).toEqual({ text: 'a\nb\n' });
    expect(checkContent(enc.encode('x'.repeat(5000)))).toEqual({ reason: 'minified (very long lines)' });
    expect(checkContent(new Uint8Array([65, 0, 66]))).toEqual({ reason: 'binary content' });
  });

  it('normalises paths and refuses ones that climb out', () => {
    expect(normalisePath('./a\\b//c.ts')).toBe('a/b/c.ts');
    expect(normalisePath('a/../../b')).toBeNull();
  });

  it('reads a zip and caps what a zip bomb would expand to', async () => {
    const zero = new Uint8Array(1_000_000); // compresses to about a kB
    const zip = zipSync({
      'src/a.ts': enc.encode('export const a = 1;\n'),
      'z1.txt': zero,
      'z2.txt': zero,
      'z3.txt': zero,
    });
    expect(zip.length).toBeLessThan(100_000);
    const { entries, skipped } = zipEntries(zip, { maxFileBytes: 10_000_000, maxZipBytes: 1_500_000 });
    const expanded = entries.reduce((n, e) => n + e.size, 0);
    expect(expanded).toBeLessThanOrEqual(1_500_000);
    expect(skipped.some((s) => /expands past/.test(s.reason))).toBe(true);
    const r = await ingest(entries);
    expect(r.files.map((f) => f.path)).toContain('src/a.ts');
    expect(() => zipEntries(enc.encode('not a zip at all'))).toThrow(/cannot be read/);
  });

  it('walks a folder without following symbolic links (a loop cannot trap it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'code-walk-'));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src', 'a.ts'), 'export const a = 1;\n');
    mkdirSync(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'node_modules', 'x.js'), 'x');
    symlinkSync(dir, path.join(dir, 'src', 'loop'));
    const { entries, skipped } = folderEntries(dir);
    expect(entries.map((e) => e.path)).toEqual(['src/a.ts']);
    expect(skipped.map((s) => s.path).sort()).toEqual(['node_modules/', 'src/loop']);
    const r = await ingest(entries);
    expect(r.files[0].text).toBe('export const a = 1;\n');
  });
});
