/**
 * `npm run eval` end to end on a 5-question Spider subset, with the real models (tiny-sql-lm,
 * USE-Lite) and the real databases from ../shared. Skipped, with a message, without ../shared.
 *
 * The retrieval corpus is dev.json itself (fast to embed, and it exercises the rule that a question
 * is never retrieved for itself).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEvalCli, type CliIO } from '../../src/node/eval-cli.ts';
import { localModelsDir, spiderDir } from '../../src/node/host.ts';

const spider = spiderDir();
const models = localModelsDir();
const ready =
  !!spider &&
  !!models &&
  existsSync(path.join(models, 'tiny-sql-lm')) &&
  existsSync(path.join(models, 'universal-sentence-encoder-lite'));
if (!ready)
  console.warn(
    'eval-spider: skipped, needs ../shared/data/spider and ../shared/models (tiny-sql-lm, universal-sentence-encoder-lite) beside the repo',
  );

const quietIO: CliIO = { log: () => {}, err: () => {} };
const isRate = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;
const isInterval = (x: unknown) => {
  const i = x as { lo: number; hi: number };
  return !!i && isRate(i.lo) && isRate(i.hi) && i.lo <= i.hi;
};

describe.skipIf(!ready)('npm run eval on real Spider data', () => {
  const tmp = ready ? mkdtempSync(path.join(os.tmpdir(), 'coderag-eval-')) : '';
  const devJson = ready ? path.join(spider!, 'dev.json') : '';

  test('--limit 5 --k 0,3: JSON shape, rates in [0,1] and consistent with the examples', async () => {
    const out = path.join(tmp, 'eval.json');
    const ret = await runEvalCli(
      [
        '--spider',
        spider!,
        '--limit',
        '5',
        '--seed',
        '7',
        '--k',
        '0,3',
        '--corpus',
        devJson,
        '--out',
        out,
        '--quiet',
        '--no-cache',
      ],
      quietIO,
    );
    expect(ret).not.toBeNull();
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report).sort()).toEqual(['config', 'runs']);
    expect(report.config).toMatchObject({
      mode: 'generate',
      seed: 7,
      limit: 5,
      ks: [0, 3],
      text_mode: 'question',
      models: { generator: { id: 'tiny-sql-lm' }, embedder: { id: 'universal-sentence-encoder-lite' } },
      corpus: { size: 662, format: 'spider-json' },
    });
    expect(report.config.partial).toBeUndefined();
    expect(typeof report.config.wall_time_s).toBe('number');
    expect(report.config.machine.cpus).toBeGreaterThan(0);
    expect(typeof report.config.date).toBe('string');

    const dev = JSON.parse(readFileSync(devJson, 'utf8')) as { question: string; query: string }[];
    expect(report.runs.map((r: { k: number }) => r.k)).toEqual([0, 3]);
    const ids0 = report.runs[0].examples.map((e: { id: string }) => e.id);
    for (const run of report.runs) {
      expect(run.n).toBe(5);
      expect(run.examples).toHaveLength(5);
      expect(run.examples.map((e: { id: string }) => e.id)).toEqual(ids0);
      const share = (f: (e: Record<string, unknown>) => boolean) => run.examples.filter(f).length / run.n;
      for (const key of ['ex', 'em', 'skeleton_match', 'executes']) {
        expect(isRate(run[key])).toBe(true);
        expect(isInterval(run.intervals[key])).toBe(true);
        expect(run[key]).toBeCloseTo(
          share((e) => e[key] === true),
          10,
        );
      }
      for (const e of run.examples) {
        expect(Object.keys(e)).toEqual(
          expect.arrayContaining([
            'id',
            'db_id',
            'question',
            'gold',
            'predicted',
            'em',
            'ex',
            'skeleton_match',
            'retrieved',
            'latency_ms',
          ]),
        );
        expect(Object.keys(e.latency_ms).sort()).toEqual(['embed', 'execute', 'generate', 'search']);
        const n = Number(e.id.replace('spider-dev-', ''));
        expect(e.question).toBe(dev[n].question);
        expect(e.gold).toBe(dev[n].query);
        if (!e.ex) expect(typeof e.ex_reason).toBe('string');
        if (e.em) expect(e.skeleton_match).toBe(true);
      }
      if (run.k === 0) {
        expect(run.skeleton_top1).toBeNull();
        expect(run.skeleton_topk).toBeNull();
        expect(run.examples.every((e: { retrieved: unknown[] }) => e.retrieved.length === 0)).toBe(true);
      } else {
        expect(isRate(run.skeleton_top1) && isRate(run.skeleton_topk)).toBe(true);
        expect(isInterval(run.intervals.skeleton_top1) && isInterval(run.intervals.skeleton_topk)).toBe(true);
        expect(run.skeleton_top1).toBeLessThanOrEqual(run.skeleton_topk);
        expect(run.skeleton_top1).toBeCloseTo(
          share((e) => (e.retrieved as { skeleton_match: boolean }[])[0]?.skeleton_match === true),
          10,
        );
        expect(run.skeleton_topk).toBeCloseTo(
          share((e) => (e.retrieved as { skeleton_match: boolean }[]).some((r) => r.skeleton_match)),
          10,
        );
        for (const e of run.examples) {
          expect(e.retrieved).toHaveLength(3);
          // dev.json loaded as a corpus has ids spider-<n>: a question never retrieves itself
          const own = `spider-${e.id.replace('spider-dev-', '')}`;
          expect(e.retrieved.map((r: { id: string }) => r.id)).not.toContain(own);
          for (const r of e.retrieved) {
            const row = dev[Number(r.id.replace('spider-', ''))];
            expect(row.question === e.question && row.query === e.gold).toBe(false);
          }
        }
      }
    }
  }, 300_000); // real models and databases: slow on a busy 2-core machine

  test('--retrieval-only with two text modes', async () => {
    const out = path.join(tmp, 'modes.json');
    // A 4-example corpus keeps this fast; the test above covers a real corpus and self-exclusion.
    const mini = fileURLToPath(new URL('../fixtures/corpus/spider-mini.csv', import.meta.url));
    await runEvalCli(
      [
        '--spider',
        spider!,
        '--retrieval-only',
        '--text-mode',
        'question,question+sql',
        '--limit',
        '30',
        '--corpus',
        mini,
        '--out',
        out,
        '--quiet',
        '--no-cache',
      ],
      quietIO,
    );
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.config.mode).toBe('retrieval-only');
    expect(report.config.corpus).toMatchObject({ size: 4, format: 'spider-csv' });
    expect(report.runs.map((r: { text_mode: string; k: number }) => `${r.text_mode}@${r.k}`)).toEqual([
      'question@3',
      'question+sql@3',
    ]);
    for (const run of report.runs) {
      expect(run.n).toBe(30);
      for (const key of ['skeleton_top1', 'skeleton_topk', 'skeleton_in_corpus']) {
        expect(isRate(run[key])).toBe(true);
        expect(isInterval(run.intervals[key])).toBe(true);
      }
      expect(run.skeleton_topk).toBeLessThanOrEqual(run.skeleton_in_corpus);
      expect(run.mrr.n).toBe(run.examples.filter((e: { relevant: number }) => e.relevant > 0).length);
      for (const e of run.examples) expect(e.retrieved).toHaveLength(3);
    }
  }, 300_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
});
