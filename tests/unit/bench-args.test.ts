/** `npm run bench`: strict flags, checked before anything is built or measured. */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_BUILD_DIR,
  BENCH_USAGE,
  FULL_ONLY_SECTIONS,
  OPT_IN_SECTIONS,
  SECTIONS,
  parseBenchArgs,
} from '../../src/node/bench/args.ts';
import { runBench } from '../../src/node/bench/main.ts';
import { repoRoot } from '../../src/node/host.ts';
import { runCaptured, STACK_LINE } from './cli-helpers.ts';

describe('parseBenchArgs', () => {
  test('defaults: every section but the opt-in ones, rebuild when stale, the private build', () => {
    const o = parseBenchArgs([]);
    expect(o).toMatchObject({ quick: false, build: 'auto', webgpuFp32: false, dist: BENCH_BUILD_DIR });
    expect(o.sections).toEqual(SECTIONS.filter((s) => !OPT_IN_SECTIONS.includes(s)));
    expect(o.out).toBeUndefined();
  });

  test('--only and --skip pick sections in their usual order', () => {
    expect(parseBenchArgs(['--only', 'train,embed']).sections).toEqual(['embed', 'train']);
    expect(parseBenchArgs(['--skip', 'coldstart,render', '--quick']).sections).toEqual([
      'shell',
      'embed',
      'index',
      'query',
      'generate',
      'train',
    ]);
    expect(parseBenchArgs(['--only=embed,index', '--skip', 'index']).sections).toEqual(['embed']);
    // codeindex is long: only when named
    expect(parseBenchArgs([]).sections).not.toContain('codeindex');
    expect(parseBenchArgs(['--only', 'codeindex']).sections).toEqual(['codeindex']);
    // spider is in a full run, not in a quick one unless named
    expect(FULL_ONLY_SECTIONS).toEqual(['spider']);
    expect(parseBenchArgs([]).sections).toContain('spider');
    expect(parseBenchArgs(['--quick']).sections).not.toContain('spider');
    expect(parseBenchArgs(['--quick', '--only', 'spider,coldstart']).sections).toEqual(['coldstart', 'spider']);
    expect(parseBenchArgs(['--build']).build).toBe('force');
    expect(parseBenchArgs(['--no-build']).build).toBe('skip');
  });
});

describe('bad invocations exit 2 with the usage text, before anything runs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-bench-cli-'));
  const bad: [string, string[], RegExp][] = [
    ['a typo of a flag (once silently ignored)', ['--quik'], /Unknown option '--quik'/],
    ['unknown section', ['--only', 'embed,gpu'], /unknown section "gpu"/],
    ['unknown skipped section', ['--skip', 'cold'], /unknown section "cold"/],
    ['missing value', ['--only'], /argument missing/],
    ['a value for a switch', ['--quick=yes'], /does not take an argument/],
    ['a stray word', ['quick'], /positional/],
    ['no section left', ['--only', 'embed', '--skip', 'embed'], /no section to run/],
    ['--build with --no-build', ['--build', '--no-build'], /not both/],
    ['--out is a folder', ['--out', dir], /--out .*is a folder/],
    ['--out in an unwritable place', ['--out', '/proc/coderag-nope/r.json'], /cannot create files/],
  ];
  test.each(bad)('%s', async (_label, argv, message) => {
    const r = await runCaptured('bench', BENCH_USAGE, (io) => runBench(argv, io));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage: npm run bench');
    expect(r.err).not.toMatch(STACK_LINE);
    expect(r.out).toBe('');
  });

  test('the real script: a misspelt flag exits 2 with the usage, before anything is built', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--qiuck'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--qiuck'");
    expect(r.stderr).toContain('Usage: npm run bench');
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).not.toContain('vite build');
  });
});
