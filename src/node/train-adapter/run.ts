/**
 * `npm run train-adapter`: check the command line and the data, embed (through the one embedding
 * cache), train every setting, report, and save the adapter so that it is never lost (a fallback
 * file in the temporary folder when --out cannot be written at the end).
 */
import path from 'node:path';
import type { Dtype } from '../../lib/config.ts';
import { fnv1a64Hex } from '../../lib/corpus/hash.ts';
import { median } from '../../lib/eval/stats.ts';
import { serializeAdapter, type AdapterMeta } from '../../lib/train/adapter.ts';
import { fitAdapter, type FitResult } from '../../lib/train/dataset.ts';
import { formatCI, type RetrievalMetrics } from '../../lib/train/evaluate.ts';
import { pairsToCsv } from '../../lib/train/pairs.ts';
import { processIO, type CliIO } from '../cli/args.ts';
import { saveResult, savedNote } from '../cli/output.ts';
import { embedCached } from '../embed-cache.ts';
import { TRAIN_USAGE, parseTrainArgs, type Setting } from './args.ts';
import { loadTrainData, splitPairs } from './data.ts';

interface Run {
  setting: Setting;
  fit: FitResult;
  bestVal: number;
  trainMs: number[];
  totalMs: number[];
}

const fmtSetting = (s: Setting) =>
  `epochs=${s.epochs} batch=${s.batchSize} lr=${s.lr} scale=${s.scale}${s.weightDecay ? ` wd=${s.weightDecay}` : ''}`;
const row = (label: string, m: RetrievalMetrics) =>
  `${label.padEnd(8)} R@1 ${formatCI(m.recall1)}  R@3 ${formatCI(m.recall3)}  R@10 ${formatCI(m.recall10)}  MRR@10 ${formatCI(m.mrr10)}  nDCG@10 ${formatCI(m.ndcg10)}`;

/** Run the CLI on `argv` (without the node and script paths). Throws UsageError on a bad command line. */
export async function runTrainAdapter(argv: string[], io: CliIO = processIO): Promise<void> {
  const o = parseTrainArgs(argv);
  if (o.help) {
    io.log(TRAIN_USAGE);
    return;
  }
  const log = io.err;

  // ---- data (read and checked before the model loads)
  const { ds, source } = loadTrainData(o, log);
  const n = ds.pairs.length;
  const { trainIdx, valIdx, testIdx, splitText } = splitPairs(ds, o);
  if (o.writePairs) log(savedNote(`${n} pairs`, o.writePairs, saveResult(o.writePairs, pairsToCsv(ds.pairs), 'pairs')));
  log(`data: ${source}`);
  log(
    `split: ${splitText}; ${trainIdx.length} train, ${valIdx.length} early-stopping, ${ds.docs.length} distinct documents`,
  );

  // ---- embeddings. --models DIR is honoured through the host's CODERAG_MODELS setting.
  if (o.models) process.env.CODERAG_MODELS = path.resolve(o.models);
  const host = await import('../host.ts');
  const embedder = await host.loadEmbedder(o.embedderId, o.dtype as Dtype | undefined);
  const dim = embedder.dim;
  log(`embedder: ${embedder.id} (${embedder.dtype}, ${dim}-d)`);
  const embedAll = async (texts: string[], role: 'query' | 'doc') => {
    const t0 = performance.now();
    let last = 0;
    const what = role === 'query' ? 'queries' : 'docs';
    const r = await embedCached(embedder, texts, {
      role,
      cacheDir: o.cacheDir,
      onProgress: (p) => {
        if (p.done - last >= 1000 || p.done === p.total) {
          last = p.done;
          log(`  embedding ${what} ${p.done}/${p.total}`);
        }
      },
    });
    const how = r.cached ? 'from cache' : `in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    log(`${what}: ${texts.length} vectors ${how}`);
    return r.vectors;
  };
  const queryVecs = await embedAll(ds.queries, 'query');
  const docVecs = await embedAll(ds.docs, 'doc');
  await embedder.dispose?.();

  // ---- training
  const testExtraDocs = o.evalPool === 'all' ? Array.from({ length: ds.docs.length }, (_, i) => i) : [];
  const runs: Run[] = [];
  for (const s of o.settings) {
    const times: number[] = [];
    const totals: number[] = [];
    let fit: FitResult | undefined;
    for (let r = 0; r < o.repeat; r++) {
      const f = await fitAdapter({
        dataset: ds,
        dim,
        queryVecs,
        docVecs,
        trainIdx,
        valIdx,
        testIdx,
        testExtraDocs,
        mine: o.mine,
        seed: o.seed,
        ...s,
        onProgress: (p) => {
          if (p.phase === 'epoch' && r === 0) {
            log(
              `  epoch ${String(p.epoch).padStart(2)}  loss ${p.loss.toFixed(4)}  val R@3 ${(p.valRecall3 ?? NaN).toFixed(3)}  val nDCG@10 ${(p.valNdcg10 ?? NaN).toFixed(3)}`,
            );
          }
        },
      });
      times.push(f.train.ms - f.train.valMs);
      totals.push(f.train.ms);
      fit ??= f;
    }
    const bestVal = fit!.train.history.find((h) => h.epoch === fit!.train.bestEpoch)!.valNdcg10;
    runs.push({ setting: s, fit: fit!, bestVal, trainMs: times, totalMs: totals });
    log(
      `${fmtSetting(s)}: best epoch ${fit!.train.bestEpoch}, val nDCG@10 ${bestVal.toFixed(4)}, test R@3 ${fit!.adapted.recall3.mean.toFixed(4)} nDCG@10 ${fit!.adapted.ndcg10.mean.toFixed(4)}, ` +
        `train ${(median(times) / 1000).toFixed(1)} s without validation, ${(median(totals) / 1000).toFixed(1)} s with it (median of ${times.length}: ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s), ` +
        `${fit!.train.history.length - 1} epochs, ${fit!.withNegatives}/${trainIdx.length} with hard negatives`,
    );
  }

  // ---- report: pick by validation nDCG@10 (never by the held-out test numbers)
  const best = runs.reduce((a, b) => (b.bestVal > a.bestVal ? b : a));
  const fit = best.fit;
  io.log(`\n${source}`);
  io.log(`split ${splitText}`);
  io.log(`ranked against ${fit.base.docs} documents; ${fit.base.n} queries; 95 % bootstrap intervals`);
  if (runs.length > 1) {
    io.log('\nsetting                                   best ep  val nDCG@10  test R@3  test nDCG@10  train s');
    for (const r of runs) {
      io.log(
        `${fmtSetting(r.setting).padEnd(42)} ${String(r.fit.train.bestEpoch).padStart(7)}  ${r.bestVal.toFixed(4).padStart(11)}  ${r.fit.adapted.recall3.mean.toFixed(4).padStart(8)}  ${r.fit.adapted.ndcg10.mean.toFixed(4).padStart(12)}  ${(median(r.trainMs) / 1000).toFixed(1).padStart(7)}${r === best ? '  <- chosen' : ''}`,
      );
    }
  }
  io.log(
    `\nchosen: ${fmtSetting(best.setting)}, best epoch ${fit.train.bestEpoch}${fit.train.stoppedEarly ? ' (stopped early)' : ''}`,
  );
  io.log(row('base', fit.base));
  io.log(row('adapted', fit.adapted));

  const meta: AdapterMeta = {
    embedderId: embedder.id,
    dim,
    dataHash: fnv1a64Hex(trainIdx.map((i) => `${ds.queries[i]}\u0001${ds.docs[ds.pos[i]]}`).join('\u0002')),
    createdAt: new Date().toISOString(),
    config: {
      ...best.setting,
      seed: o.seed,
      splitSeed: o.splitSeed,
      val: o.val,
      esVal: o.esVal,
      mine: o.mine,
      doc: o.fromSpider ? o.doc : undefined,
      trainPairs: trainIdx.length,
      source,
    },
    metrics: { ...fit.metrics, split: splitText },
    bestEpoch: fit.train.bestEpoch,
  };
  const saved = saveResult(o.out, serializeAdapter(fit.train.adapter, meta), 'coderag-adapter');
  if (saved.fallbackReason) io.err(savedNote('the adapter', o.out, saved));
  else io.log(`wrote ${o.out}`);
  if (o.json) {
    const summary = {
      source,
      split: splitText,
      embedder: embedder.id,
      dim,
      docs: fit.base.docs,
      runs: runs.map((r) => ({
        setting: r.setting,
        bestEpoch: r.fit.train.bestEpoch,
        valNdcg10: r.bestVal,
        trainMs: r.trainMs,
        totalMs: r.totalMs,
        base: r.fit.metrics.base,
        adapted: r.fit.metrics.adapted,
        history: r.fit.train.history,
      })),
      chosen: best.setting,
    };
    const js = saveResult(o.json, JSON.stringify(summary, null, 1), 'coderag-train-summary');
    if (js.fallbackReason) io.err(savedNote('the summary', o.json, js));
  }
  if (saved.fallbackReason) throw new Error(`--out ${o.out} could not be written; the adapter is in ${saved.path}`);
}
