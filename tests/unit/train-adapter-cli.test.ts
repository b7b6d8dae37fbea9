/** `npm run train-adapter`: strict flags checked up front (issue 18 item 23), and the adapter never lost. */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TRAIN_USAGE, parseTrainArgs } from '../../src/node/train-adapter/args.ts';
import { runTrainAdapter } from '../../src/node/train-adapter/run.ts';
import { localModelsDir, repoRoot } from '../../src/node/host.ts';
import { TRAIN_DEFAULTS } from '../../src/lib/train/trainer.ts';
import { loadAdapterJson } from '../../src/lib/train/adapter.ts';
import { runCaptured, STACK_LINE } from './cli-helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'coderag-train-cli-'));
const pairsCsv = (n: number) =>
  'query,pos\n' +
  Array.from({ length: n }, (_, i) => `how many rows in table ${i},SELECT count(*) FROM t${i} WHERE x > ${i}`).join(
    '\n',
  ) +
  '\n';
const good = path.join(dir, 'pairs.csv');
const few = path.join(dir, 'few.csv');
const empty = path.join(dir, 'empty.csv');
const garbage = path.join(dir, 'garbage.csv');
const folder = path.join(dir, 'folder');
const aFile = path.join(dir, 'a-file');
writeFileSync(good, pairsCsv(30));
writeFileSync(few, pairsCsv(4));
writeFileSync(empty, '');
writeFileSync(garbage, '\u0000\u0001\u0002 {{{ not a csv\n\u00ff\u00fe');
writeFileSync(aFile, 'x');
mkdirSync(folder);

describe('parseTrainArgs', () => {
  test('defaults', () => {
    const o = parseTrainArgs(['--pairs', good]);
    expect(o).toMatchObject({
      pairs: good,
      doc: 'sql',
      out: 'adapter.json',
      seed: 1,
      splitSeed: 1,
      val: 0.2,
      esVal: 0.1,
      mine: true,
      evalPool: 'test',
      repeat: 1,
    });
    expect(o.settings).toEqual([
      {
        epochs: TRAIN_DEFAULTS.epochs,
        batchSize: TRAIN_DEFAULTS.batchSize,
        lr: TRAIN_DEFAULTS.lr,
        scale: TRAIN_DEFAULTS.scale,
        patience: TRAIN_DEFAULTS.patience,
        weightDecay: TRAIN_DEFAULTS.weightDecay,
      },
    ]);
  });

  test('flags and a grid', () => {
    const o = parseTrainArgs([
      '--pairs',
      good,
      '--seed',
      '7',
      '--epochs',
      '3',
      '--val',
      '0.3',
      '--cache',
      'none',
      '--grid',
      'lr=1e-3,3e-4 batch=32,64',
      '--no-mine',
    ]);
    expect(o.splitSeed).toBe(7);
    expect(o.cacheDir).toBeNull();
    expect(o.mine).toBe(false);
    expect(o.settings.map((s) => [s.lr, s.batchSize, s.epochs])).toEqual([
      [1e-3, 32, 3],
      [1e-3, 64, 3],
      [3e-4, 32, 3],
      [3e-4, 64, 3],
    ]);
  });
});

describe('bad invocations exit 2 with the usage text, before any model loads', () => {
  const bad: [string, string[], RegExp][] = [
    ['unknown flag', ['--pairs', good, '--epoch', '3'], /Unknown option '--epoch'/],
    ['missing value', ['--pairs', good, '--out'], /argument missing/],
    ['no data', [], /exactly one of --pairs/],
    ['both data sources', ['--pairs', good, '--from-spider', folder], /exactly one of --pairs/],
    ['missing pairs file', ['--pairs', path.join(dir, 'nope.csv')], /--pairs .*file not found/],
    ['empty pairs file', ['--pairs', empty], /--pairs .*empty/],
    ['garbage pairs file', ['--pairs', garbage], /--pairs .*(columns query and pos|usable pairs)/],
    ['folder pairs file', ['--pairs', folder], /--pairs .*is a folder/],
    ['too few pairs', ['--pairs', few], /only 4 usable pairs/],
    ['--from-spider without the csv', ['--from-spider', folder], /train_queries\.spiderman\.csv: file not found/],
    ['bogus embedder', ['--pairs', good, '--embedder', 'no/such-model'], /unknown --embedder "no\/such-model"/],
    ['bogus dtype', ['--pairs', good, '--dtype', 'int3'], /--dtype must be one of/],
    ['--batch 0', ['--pairs', good, '--batch', '0'], /--batch must be an integer >= 1/],
    ['--epochs -1', ['--pairs', good, '--epochs=-1'], /--epochs must be an integer >= 1/],
    ['--epochs 2.5', ['--pairs', good, '--epochs', '2.5'], /--epochs/],
    ['--val 1.5', ['--pairs', good, '--val', '1.5'], /--val must be a number > 0 and < 1/],
    ['--val 0', ['--pairs', good, '--val', '0'], /--val/],
    ['--es-val x', ['--pairs', good, '--es-val', 'x'], /--es-val/],
    ['--lr 0', ['--pairs', good, '--lr', '0'], /--lr must be a number > 0/],
    ['--limit 0', ['--pairs', good, '--limit', '0'], /--limit must be an integer >= 1/],
    ['--repeat 0', ['--pairs', good, '--repeat', '0'], /--repeat/],
    ['--doc bogus', ['--pairs', good, '--doc', 'html'], /--doc must be one of/],
    ['--eval-pool bogus', ['--pairs', good, '--eval-pool', 'some'], /--eval-pool must be one of test, all/],
    ['--grid unknown key', ['--pairs', good, '--grid', 'momentum=0.9'], /--grid entries look like/],
    ['--grid bad value', ['--pairs', good, '--grid', 'batch=32,0'], /--grid batch/],
    ['--out is a folder', ['--pairs', good, '--out', folder], /--out .*is a folder/],
    ['--out in an unwritable place', ['--pairs', good, '--out', '/proc/coderag-nope/a.json'], /cannot create files/],
    ['--json is a folder', ['--pairs', good, '--json', folder], /--json .*is a folder/],
    ['--out and --json the same', ['--pairs', good, '--out', 'x.json', '--json', 'x.json'], /different files/],
    ['--models missing', ['--pairs', good, '--models', path.join(dir, 'nope')], /--models .*folder not found/],
    ['a split with no held-out pair', ['--pairs', good, '--val', '0.001'], /held-out pairs; each needs at least one/],
  ];
  test.each(bad)('%s', async (_label, argv, message) => {
    const r = await runCaptured('train-adapter', TRAIN_USAGE, (io) => runTrainAdapter(argv, io));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage: npm run train-adapter');
    expect(r.err).not.toMatch(STACK_LINE);
    expect(r.err).not.toContain('embedder:');
    expect(r.out).toBe('');
  });

  test('the real script: --batch 0 exits 2 with the usage and no stack trace', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/train-adapter.ts', '--pairs', good, '--batch', '0'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--batch must be an integer >= 1');
    expect(r.stderr).toContain('Usage: npm run train-adapter');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe.skipIf(!localModelsDir())('a finished adapter is never lost', () => {
  test('--out that breaks during the run: the adapter goes to the temporary folder, and the run says where', async () => {
    const outDir = path.join(dir, 'out');
    mkdirSync(outDir);
    const out = path.join(outDir, 'adapter.json');
    const argv = ['--pairs', good, '--out', out, '--cache', 'none', '--epochs', '2', '--no-mine'];
    // Once the model is loaded (after every check passed), the output folder becomes a file.
    const r = await runCaptured(
      'train-adapter',
      TRAIN_USAGE,
      (io) => runTrainAdapter(argv, io),
      (line) => {
        if (line.startsWith('embedder:')) {
          rmSync(outDir, { recursive: true });
          writeFileSync(outDir, 'now a file');
        }
      },
    );
    expect(r.code).toBe(1);
    const m = r.err.match(/saved it to (\S+) instead/);
    expect(m).not.toBeNull();
    const saved = m![1]!;
    expect(saved.startsWith(os.tmpdir())).toBe(true);
    // The saved file is a whole adapter the app and `npm run eval -- --adapter` load.
    const adapter = loadAdapterJson(JSON.parse(readFileSync(saved, 'utf8')), {
      expectEmbedderId: 'universal-sentence-encoder-lite',
    });
    expect(adapter.dim).toBe(512);
    expect(r.out).toContain('adapted');
    expect(existsSync(out)).toBe(false);
    // No temporary file left beside the failed target or in the temporary folder.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('coderag-adapter-') && f.endsWith('.tmp'))).toEqual([]);
    rmSync(saved);
  }, 120_000);
});
