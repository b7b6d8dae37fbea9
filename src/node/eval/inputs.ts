/**
 * `npm run eval`: the questions to evaluate (Spider dev or a gretel file, sampled with --limit and
 * --seed) and the retrieval corpus. A file that cannot be read or parsed is a UsageError: found
 * before any model loads.
 */
import path from 'node:path';
import { corpusHash } from '../../lib/corpus/hash.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { EvalItem } from '../../lib/eval/runner.ts';
import { sampleIndices } from '../../lib/eval/stats.ts';
import type { Corpus } from '../../lib/types.ts';
import { UsageError } from '../cli/args.ts';
import {
  corpusIdPrefix,
  loadCorpus,
  loadGretelDataset,
  loadSpiderDev,
  spiderTables,
  type EvalDataset,
  type LoadedCorpus,
} from '../eval-data.ts';
import type { EvalCliOptions } from './args.ts';

export interface EvalInputs {
  dataset: EvalDataset;
  /** Every question of the dataset. */
  allItems: EvalItem[];
  /** The questions evaluated (a --limit sample, or all). */
  items: EvalItem[];
  /** Some k > 0: retrieval needs a corpus and the embedder. */
  needCorpus: boolean;
  loaded: LoadedCorpus | null;
  corpus: Corpus | null;
}

/** Load the questions and the corpus of a run. */
export async function loadEvalInputs(o: EvalCliOptions): Promise<EvalInputs> {
  try {
    return await load(o);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(errorMessage(e), { cause: e });
  }
}

async function load(o: EvalCliOptions): Promise<EvalInputs> {
  const tSpider = o.spider ? spiderTables(o.spider) : null;
  let dataset: EvalDataset;
  let gretelCorpus: LoadedCorpus | null = null;
  if (o.gretel) {
    const g = await loadGretelDataset(o.gretel);
    dataset = g.dataset;
    gretelCorpus = {
      corpus: { hash: '', name: path.basename(o.gretel), examples: g.examples },
      path: path.resolve(o.gretel),
      format: g.format,
      issues: 0,
    };
  } else {
    dataset = loadSpiderDev(o.spider!);
  }
  const allItems = dataset.items;
  const items: EvalItem[] = o.limit
    ? sampleIndices(allItems.length, o.limit, o.seed).map((i) => allItems[i])
    : allItems;
  if (!items.length) throw new Error(`${dataset.name}: no questions to evaluate`);

  const needCorpus = o.ks.some((k) => k > 0);
  let loaded: LoadedCorpus | null = null;
  if (needCorpus) {
    const corpusFile = o.corpus ?? (o.spider ? path.join(o.spider, 'train', 'train_queries.spiderman.csv') : null);
    if (corpusFile) loaded = await loadCorpus(corpusFile, tSpider?.json, corpusIdPrefix(corpusFile));
    else if (gretelCorpus) {
      gretelCorpus.corpus.hash = corpusHash(gretelCorpus.corpus.examples);
      gretelCorpus.corpus.name = `${gretelCorpus.corpus.name} (${gretelCorpus.corpus.examples.length})`;
      loaded = gretelCorpus;
    }
  }
  const corpus = loaded?.corpus ?? null;
  return { dataset, allItems, items, needCorpus, loaded, corpus };
}
