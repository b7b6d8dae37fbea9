/**
 * `npm run eval -- --generator instant` (issue 12 item 3) over a small sample of the shared Spider
 * dev set: no model is loaded for generation, every question gets the instant generator's SQL or
 * its clear abstention, and the report names the generator. Skips without ../shared.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVAL_USAGE, parseEvalArgs, runEvalCli } from '../../src/node/eval-cli.ts';
import { checkEvalArgs } from '../../src/node/eval/args.ts';
import { localModelsDir, spiderDir } from '../../src/node/host.ts';
import { runCaptured } from './cli-helpers.ts';

test('--generator instant passes the argument checks (no model, no dtype); a made-up one does not', () => {
  const spider = spiderDir();
  if (!spider) return;
  expect(() => checkEvalArgs(parseEvalArgs(['--spider', spider, '--generator', 'instant', '--k', '3']))).not.toThrow();
  expect(() => checkEvalArgs(parseEvalArgs(['--spider', spider, '--generator', 'instantly']))).toThrow(
    /unknown --generator "instantly".*instant only/,
  );
});

describe.skipIf(!spiderDir() || !localModelsDir())('eval --generator instant on shared Spider dev', () => {
  test('a sample of dev: SQL or a clear abstention for every question, some right', async () => {
    const spider = spiderDir()!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-eval-instant-'));
    // A slice of the train corpus keeps the embedding short (the full corpus is cached elsewhere).
    const lines = readFileSync(path.join(spider, 'train', 'train_queries.spiderman.csv'), 'utf8').split('\n');
    const corpus = path.join(dir, 'corpus.csv');
    writeFileSync(corpus, [lines[0], ...lines.slice(1, 1500).filter((_, i) => i % 3 === 0)].join('\n') + '\n');
    const out = path.join(dir, 'report.json');
    const argv = ['--spider', spider, '--corpus', corpus, '--generator', 'instant', '--retriever', 'bm25'];
    argv.push('--k', '3', '--limit', '16', '--seed', '3', '--no-cache', '--quiet', '--out', out);
    const r = await runCaptured('eval', EVAL_USAGE, (io) => runEvalCli(argv, io));
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.config.models.generator).toMatchObject({ id: 'instant', format: 'instant' });
    const [run] = report.runs;
    expect(run.k).toBe(3);
    expect(run.examples).toHaveLength(16);
    for (const e of run.examples) {
      if (e.predicted === null) expect(e.error).toMatch(/^generate: no example could be adapted to this database/);
      else expect(e.predicted).toMatch(/^SELECT /i);
    }
    const answered = run.examples.filter((e: { predicted: string | null }) => e.predicted !== null);
    expect(answered.length).toBeGreaterThan(8);
    expect(answered.every((e: { executes: boolean }) => e.executes)).toBe(true);
    expect(run.examples.filter((e: { ex: boolean }) => e.ex).length).toBeGreaterThan(0);
    rmSync(dir, { recursive: true });
  }, 300_000);
});
