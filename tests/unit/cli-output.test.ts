/** Results of the CLIs are written atomically and never lost; the one embedding cache. */
import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveResult, savedNote, writeAtomic } from '../../src/node/cli/output.ts';
import { cacheFile, cachedVectors, textsHash, type EmbedCacheKey } from '../../src/node/embed-cache.ts';

const fresh = () => mkdtempSync(path.join(os.tmpdir(), 'coderag-out-'));

describe('writeAtomic and saveResult', () => {
  test('writes the file, making missing folders, and leaves no temporary file', () => {
    const dir = fresh();
    const f = path.join(dir, 'a', 'b', 'r.json');
    writeAtomic(f, '{"x":1}');
    expect(readFileSync(f, 'utf8')).toBe('{"x":1}');
    expect(readdirSync(path.dirname(f))).toEqual(['r.json']);
    rmSync(dir, { recursive: true });
  });

  test('a failed write removes its temporary file', () => {
    const dir = fresh();
    const target = path.join(dir, 'target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep'), 'x');
    // The rename onto a non-empty folder fails after the temporary file was written.
    expect(() => writeAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
    rmSync(dir, { recursive: true });
  });

  test('when the target cannot be written, the result goes to the temporary folder and says so', () => {
    const dir = fresh();
    const blocker = path.join(dir, 'blocker');
    writeFileSync(blocker, 'a file where a folder should be');
    const target = path.join(blocker, 'report.json');
    const r = saveResult(target, '{"runs":[]}', 'coderag-test');
    expect(r.fallbackReason).toBeTruthy();
    expect(path.dirname(r.path)).toBe(os.tmpdir());
    expect(path.basename(r.path)).toMatch(/^coderag-test-.*\.json$/);
    expect(readFileSync(r.path, 'utf8')).toBe('{"runs":[]}');
    expect(savedNote('the report', target, r)).toContain(r.path);
    expect(readdirSync(dir)).toEqual(['blocker']);
    rmSync(r.path);
    rmSync(dir, { recursive: true });
  });

  test('a writable target is used as is', () => {
    const dir = fresh();
    const r = saveResult(path.join(dir, 'ok.json'), 'x');
    expect(r).toEqual({ path: path.join(dir, 'ok.json') });
    rmSync(dir, { recursive: true });
  });
});

describe('the one embedding cache', () => {
  const key: EmbedCacheKey = {
    embedderId: 'org/model',
    dtype: 'q8',
    dim: 2,
    mode: 'doc',
    batch: 64,
    content: textsHash(['a', 'b']),
    count: 2,
  };

  test('computes once, then reads the same vectors back', async () => {
    const dir = fresh();
    let calls = 0;
    const compute = async () => {
      calls++;
      return new Float32Array([1, 2, 3, 4]);
    };
    const a = await cachedVectors(dir, key, compute);
    const b = await cachedVectors(dir, key, compute);
    expect(calls).toBe(1);
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(true);
    expect([...b.vectors]).toEqual([1, 2, 3, 4]);
    expect(readdirSync(dir)).toEqual([path.basename(cacheFile(dir, key))]);
    // No cache folder: always computed.
    await cachedVectors(null, key, compute);
    expect(calls).toBe(2);
    rmSync(dir, { recursive: true });
  });

  test('every part of the key names a different file; a file of the wrong size is ignored', async () => {
    const dir = fresh();
    const variants: Partial<EmbedCacheKey>[] = [
      { embedderId: 'org/other' },
      { dtype: 'fp32' },
      { dim: 4, count: 1 },
      { mode: 'query' },
      { mode: 'doc:question' },
      { batch: 32 },
      { content: textsHash(['a', 'c']) },
    ];
    const files = new Set([cacheFile(dir, key), ...variants.map((v) => cacheFile(dir, { ...key, ...v }))]);
    expect(files.size).toBe(variants.length + 1);
    writeFileSync(cacheFile(dir, key), new Uint8Array(3));
    const r = await cachedVectors(dir, key, async () => new Float32Array([5, 6, 7, 8]));
    expect(r.cached).toBe(false);
    expect(readFileSync(cacheFile(dir, key)).byteLength).toBe(16);
    rmSync(dir, { recursive: true });
  });

  test('the content hash depends on every text and their order', () => {
    expect(textsHash(['a', 'b'])).not.toBe(textsHash(['b', 'a']));
    expect(textsHash(['ab'])).not.toBe(textsHash(['a', 'b']));
  });
});
