/** `npm run bench` section `train`: adapter training time in Node and in a browser worker. */
import type { Page } from '@playwright/test';
import type { TrainRun } from '../../../bench/common.ts';
import { nativeTrain } from '../../../bench/native.ts';
import { ratio } from '../../../bench/report.ts';
import { SEED, type BenchRun } from '../run.ts';
import { evaluate } from '../serve.ts';

function trainMetrics(rec: BenchRun, r: TrainRun, host: string) {
  const { S, add, failed } = rec;
  const T = S.train;
  const params = { pairs: T.pairs, epochs: T.epochs, dim: T.dim, batchSize: T.batchSize, steps: r.steps };
  if (r.skipped || r.error) {
    failed(
      'train',
      `train.${host}`,
      `adapter ${T.pairs} pairs × ${T.epochs} epochs`,
      host,
      'ms',
      (r.skipped ?? r.error)!,
      Boolean(r.skipped),
    );
    return;
  }
  add({
    id: `train.${host}.total`,
    group: 'train',
    name: `adapter ${T.pairs} pairs × ${T.epochs} epochs, d=${T.dim}: total`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: [r.ms ?? NaN],
    params,
  });
  add({
    id: `train.${host}.epoch`,
    group: 'train',
    name: `  · per epoch`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: r.epochMs ?? [],
    params,
    note: 'runs = each epoch',
  });
}

export async function sectionTrain(rec: BenchRun, page: Page) {
  const { S, metrics, ratios, notes, log } = rec;
  const T = S.train;
  const req = { pairs: T.pairs, epochs: T.epochs, dim: T.dim, batchSize: T.batchSize, seed: SEED };
  log(`train adapter (native): ${T.pairs} pairs × ${T.epochs} epochs`);
  const native = await nativeTrain(req);
  log('train adapter (browser worker)');
  const browser = await evaluate(page, (b, a) => b.train(a), { ...req, timeoutMs: 400_000 });
  trainMetrics(rec, browser, 'browser-worker');
  trainMetrics(rec, native, 'node');
  if (native.skipped || browser.skipped) notes.push(`train: ${native.skipped ?? browser.skipped}`);
  ratios.push(
    ratio(
      metrics,
      'train.browser-vs-node',
      'adapter epoch: browser / Node',
      'train.browser-worker.epoch',
      'train.node.epoch',
      'time ratio; > 1 = browser slower',
    ),
  );
}
