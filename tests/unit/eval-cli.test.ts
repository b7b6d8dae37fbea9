/** The Node side of `npm run eval`: argument parsing, the adapter hook, SQL with a hard timeout. */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EVAL_USAGE, loadQueryAdapter, parseEvalArgs, runEvalCli } from '../../src/node/eval-cli.ts';
import { runCaptured, STACK_LINE } from './cli-helpers.ts';
import { nodeSqlClient } from '../../src/node/sql-thread.ts';
import { localModelsDir, repoRoot, spiderDir } from '../../src/node/host.ts';
import { SqlError, SqlTimeoutError } from '../../src/lib/errors.ts';

describe('parseEvalArgs', () => {
  test('defaults', () => {
    const o = parseEvalArgs(['--spider', 'x']);
    expect(o).toMatchObject({
      spider: 'x',
      ks: [0, 3],
      seed: 1,
      textModes: ['question'],
      retrievalOnly: false,
      retriever: 'dense',
      maxNewTokens: 128,
      timeoutMs: 5000,
      cache: true,
      resume: false,
    });
    expect(o.limit).toBeUndefined();
  });

  test('flags', () => {
    const o = parseEvalArgs([
      '--spider',
      'x',
      '--k',
      '3, 0,3',
      '--limit',
      '100',
      '--seed',
      '42',
      '--dtype',
      'fp32',
      '--retrieval-only',
      '--text-mode',
      'question,schema+sql,question+sql,mix',
      '--timeout-ms',
      '900',
      '--max-new-tokens',
      '64',
      '--no-cache',
      '--adapter',
      'a.json',
    ]);
    expect(o).toMatchObject({
      ks: [3, 0],
      limit: 100,
      seed: 42,
      dtype: 'fp32',
      retrievalOnly: true,
      textModes: ['question', 'schema+sql', 'question+sql', 'mix'],
      timeoutMs: 900,
      maxNewTokens: 64,
      cache: false,
      adapter: 'a.json',
    });
  });

  test('readable errors', () => {
    expect(() => parseEvalArgs([])).toThrow(/--spider/);
    expect(() => parseEvalArgs(['--spider', 'x', '--text-mode', 'sql'])).toThrow(/unknown --text-mode "sql"/);
    expect(() => parseEvalArgs(['--spider', 'x', '--text-mode', 'question,mix'])).toThrow(/--retrieval-only/);
    expect(() => parseEvalArgs(['--spider', 'x', '--k', 'three'])).toThrow(/--k/);
    expect(() => parseEvalArgs(['--spider', 'x', '--limit', '0'])).toThrow(/--limit/);
    expect(() => parseEvalArgs(['--spider', 'x', '--dtype', 'int3'])).toThrow(/--dtype/);
    expect(() => parseEvalArgs(['--spider', 'x', '--resume'])).toThrow(/--out/);
    expect(() => parseEvalArgs(['--spider', 'x', '--retrieval-only', '--k', '0'])).toThrow(/k > 0/);
    expect(() => parseEvalArgs(['--spider', 'x', '--bogus'])).toThrow();
    expect(() => parseEvalArgs(['--spider', 'x', '--retriever', 'magic'])).toThrow(/unknown retriever "magic"/);
    expect(parseEvalArgs(['--spider', 'x', '--retriever', 'vote+mmr']).retriever).toBe('vote+mmr');
  });
});

describe('--adapter', () => {
  const moduleExists = existsSync(path.join(repoRoot, 'src/lib/train/adapter.ts'));
  test('a file that is not JSON is refused', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-adapter-'));
    const f = path.join(dir, 'bad.json');
    writeFileSync(f, 'not json');
    await expect(loadQueryAdapter(f)).rejects.toThrow(/cannot read it as JSON/);
    rmSync(dir, { recursive: true, force: true });
  });
  test.skipIf(!moduleExists)(
    'with src/lib/train/adapter.ts: an identity adapter loads and applies; a wrong dim is refused',
    async () => {
      const mod = await import(/* @vite-ignore */ path.join(repoRoot, 'src/lib/train/adapter.ts'));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-adapter-'));
      const f = path.join(dir, 'id.json');
      writeFileSync(
        f,
        mod.serializeAdapter(mod.LinearAdapter.identity(4), {
          embedderId: 'e',
          dim: 4,
          dataHash: 'h',
          createdAt: '2026-01-01T00:00:00Z',
          config: {},
        }),
      );
      const a = await loadQueryAdapter(f, { expectDim: 4, expectEmbedderId: 'e' });
      const v = a.apply(new Float32Array([3, 0, 4, 0]));
      expect([...v].map((x) => Math.round(x * 1000) / 1000)).toEqual([0.6, 0, 0.8, 0]);
      await expect(loadQueryAdapter(f, { expectDim: 512 })).rejects.toThrow(/--adapter .*512/);
      rmSync(dir, { recursive: true, force: true });
    },
  );
  test.skipIf(moduleExists)('without src/lib/train/adapter.ts: "adapter support not built yet"', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-adapter-'));
    const f = path.join(dir, 'a.json');
    writeFileSync(f, '{"kind":"linear"}');
    await expect(loadQueryAdapter(f)).rejects.toThrow(/adapter support not built yet/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('SQL in a worker thread (hard timeout)', () => {
  test('an endless aggregate is killed, the worker respawned with the database reopened', async () => {
    const c = nodeSqlClient(400);
    try {
      await c.open({ kind: 'sql', sql: 'CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2.0);', name: 'ctx' });
      expect((await c.exec('SELECT a FROM t')).rows).toEqual([[1], [2]]);
      const t0 = performance.now();
      // One step that never ends: the engine's between-rows check cannot stop it, only terminate() can.
      await expect(
        c.exec('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r'),
      ).rejects.toBeInstanceOf(SqlTimeoutError);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(c.restarts).toBe(1);
      expect((await c.exec('SELECT count(*) FROM t')).rows).toEqual([[2]]);
      await expect(c.exec('SELECT nope FROM t')).rejects.toBeInstanceOf(SqlError);
      await expect(c.exec('DELETE FROM t')).rejects.toThrow(/read-only/);
    } finally {
      c.dispose();
    }
  });
});

describe('bad invocations exit 2 with the usage text, before any model loads (issue 18 item 23)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-eval-cli-'));
  const empty = path.join(dir, 'empty.csv');
  const garbage = path.join(dir, 'garbage.jsonl');
  const binary = path.join(dir, 'binary.jsonl');
  const folder = path.join(dir, 'folder');
  const aFile = path.join(dir, 'a-file');
  writeFileSync(empty, '');
  writeFileSync(garbage, 'not a dataset {{{\n');
  writeFileSync(binary, '\u0000\u0001 not a dataset {{{\n');
  writeFileSync(aFile, 'x');
  mkdirSync(folder);
  // A Spider-shaped folder whose dev.json is fine but whose default corpus is missing.
  const spider = path.join(dir, 'spider');
  mkdirSync(spider);
  writeFileSync(path.join(spider, 'dev.json'), '[]');
  const real = spiderDir() ?? spider;

  const bad: [string, string[], RegExp][] = [
    ['unknown flag', ['--spider', real, '--bogus'], /Unknown option '--bogus'/],
    ['a typo of a flag', ['--spider', real, '--retrival-only'], /Unknown option/],
    ['missing value', ['--spider', real, '--out'], /argument missing/],
    ['empty value', ['--spider', real, '--out='], /needs a value/],
    ['a stray word', ['--spider', real, 'extra'], /positional/],
    ['no data', [], /--spider/],
    ['--limit 0', ['--spider', real, '--limit', '0'], /--limit/],
    ['--k garbage', ['--spider', real, '--k', '1,x'], /--k/],
    ['--timeout-ms -5', ['--spider', real, '--timeout-ms', '-5'], /--timeout-ms/],
    ['bogus embedder', ['--spider', real, '--embedder', 'no/such-model'], /unknown --embedder "no\/such-model"/],
    ['bogus generator', ['--spider', real, '--generator', 'gpt-9'], /unknown --generator "gpt-9"/],
    ['a dtype the embedder lacks', ['--spider', real, '--embedder-dtype', 'q4f16'], /has no dtype q4f16/],
    ['missing --spider folder', ['--spider', path.join(dir, 'nope')], /folder not found/],
    ['--spider is a file', ['--spider', aFile], /is a file, not a folder/],
    ['--spider without dev.json', ['--spider', folder], /dev\.json: file not found/],
    ['missing default corpus', ['--spider', spider, '--k', '3'], /train_queries\.spiderman\.csv: file not found/],
    ['missing --corpus', ['--spider', real, '--corpus', path.join(dir, 'nope.csv')], /--corpus .*file not found/],
    ['empty --corpus', ['--spider', real, '--corpus', empty], /--corpus .*empty/],
    ['folder --corpus', ['--spider', real, '--corpus', folder], /--corpus .*is a folder/],
    ['empty --gretel', ['--gretel', empty], /--gretel .*empty/],
    ['garbage --gretel', ['--gretel', garbage, '--k', '0'], /no JSON object found/],
    ['binary --gretel', ['--gretel', binary, '--k', '0'], /binary file, not text/],
    ['missing --adapter', ['--spider', real, '--adapter', path.join(dir, 'nope.json')], /--adapter .*file not found/],
    ['--out is a folder', ['--spider', real, '--out', folder], /--out .*is a folder/],
    [
      '--out in a file, not a folder',
      ['--spider', real, '--out', path.join(aFile, 'x.json')],
      /is a file, not a folder/,
    ],
    ['--out in an unwritable place', ['--spider', real, '--out', '/proc/coderag-nope/x.json'], /cannot create files/],
    ['--models missing', ['--spider', real, '--models', path.join(dir, 'nope')], /--models .*folder not found/],
  ];
  test.each(bad)('%s', async (_label, argv, message) => {
    const r = await runCaptured('eval', EVAL_USAGE, (io) => runEvalCli(argv, io));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage: npm run eval');
    expect(r.err).not.toMatch(STACK_LINE);
    // Nothing was loaded: no model line, no output table.
    expect(r.err).not.toContain('[eval] models from');
    expect(r.out).toBe('');
  });

  test('nothing is left in the folder of a refused --out', async () => {
    await runCaptured('eval', EVAL_USAGE, (io) => runEvalCli(['--spider', real, '--out', folder], io));
    expect(readdirSync(dir).filter((f) => /tmp|probe/.test(f))).toEqual([]);
    expect(readdirSync(folder)).toEqual([]);
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await runCaptured('eval', EVAL_USAGE, (io) => runEvalCli(['--help'], io));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run eval');
  });

  test('the real script: an unknown flag exits 2 with the usage and no stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', '--spider', real, '--nope'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--nope'");
    expect(r.stderr).toContain('Usage: npm run eval');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe.skipIf(!spiderDir() || !localModelsDir())('a finished report is never lost', () => {
  test('--out that breaks during the run: the report goes to the temporary folder, and the run says where', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-eval-out-'));
    const corpus = path.join(dir, 'corpus.csv');
    writeFileSync(
      corpus,
      'database,question,sql\n' +
        Array.from(
          { length: 8 },
          (_, i) => `concert_singer,How many singers are older than ${i}?,SELECT count(*) FROM singer WHERE age > ${i}`,
        ).join('\n') +
        '\n',
    );
    const outDir = path.join(dir, 'out');
    mkdirSync(outDir);
    const out = path.join(outDir, 'report.json');
    const argv = [
      '--spider',
      spiderDir()!,
      '--corpus',
      corpus,
      '--retrieval-only',
      '--k',
      '3',
      '--limit',
      '2',
      '--no-cache',
      '--out',
      out,
    ];
    // After every check passed, while the models load, the output folder becomes a file.
    const r = await runCaptured(
      'eval',
      EVAL_USAGE,
      (io) => runEvalCli(argv, io),
      (line) => {
        if (line.startsWith('[eval] models from')) {
          rmSync(outDir, { recursive: true });
          writeFileSync(outDir, 'now a file');
        }
      },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('skel top-1');
    expect(r.out).toContain(`JSON: ${os.tmpdir()}`);
    const m = r.err.match(/saved it to (\S+) instead/);
    expect(m).not.toBeNull();
    const saved = m![1]!;
    expect(path.dirname(saved)).toBe(os.tmpdir());
    const report = JSON.parse(readFileSync(saved, 'utf8'));
    expect(report.config).toMatchObject({ mode: 'retrieval-only', limit: 2, ks: [3] });
    expect(report.runs).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(['corpus.csv', 'out']);
    rmSync(saved);
    rmSync(dir, { recursive: true });
  }, 120_000);
});
