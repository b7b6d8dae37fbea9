/**
 * Compare example-selection strategies on Spider dev (skeleton match @1 and @3, latency).
 * Usage: npm exec tsx scripts/retrieval-lab.ts -- [--retrievers a,b,c] [--pools 50,100] [--vote-c 3,5] [--no-masked-dense]
 */
import path from 'node:path';
import { loadEmbedder, spiderDir, defaultTestEmbedderId } from '../src/node/host.ts';
import { embedCached } from '../src/node/embed-cache.ts';
import { loadSpiderDev, spiderTables, loadCorpus, DEFAULT_CACHE_DIR } from '../src/node/eval-data.ts';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { Retrieval, RETRIEVERS, type RetrieverName } from '../src/lib/retrieve/strategies.ts';
import { searchOver } from '../src/lib/index/search.ts';
import { sqlSkeleton } from '../src/lib/sql/normalize.ts';
import { selfRows } from '../src/lib/eval/runner.ts';
import { median } from '../src/lib/eval/stats.ts';

const args = process.argv.slice(2);
const dir = spiderDir();
if (!dir) throw new Error('needs ../shared/data/spider');
const names = (
  args.includes('--retrievers') ? args[args.indexOf('--retrievers') + 1].split(',') : [...RETRIEVERS]
) as RetrieverName[];
const tables = spiderTables(dir)!;
const dev = loadSpiderDev(dir);
const corpus = (await loadCorpus(path.join(dir, 'train/train_queries.spiderman.csv'), tables.json)).corpus;
const emb = await loadEmbedder(defaultTestEmbedderId());
const r0 = new Retrieval({ corpus });
const docs = await embedCached(
  emb,
  corpus.examples.map((e) => e.question),
  { role: 'doc', cacheDir: DEFAULT_CACHE_DIR },
);
const mdocs = await embedCached(emb, await r0.maskedCorpus(), { role: 'doc', cacheDir: DEFAULT_CACHE_DIR });
const idx = new FlatIndex(docs.vectors, emb.dim);
const midx = new FlatIndex(mdocs.vectors, emb.dim);
const side = (ix: FlatIndex) => ({ embedder: emb, index: searchOver(ix, corpus.hash) });
const retrieval = new Retrieval({
  corpus,
  dense: side(idx),
  ...(args.includes('--no-masked-dense') ? {} : { maskedDense: side(midx) }),
});
console.log(`dev ${dev.items.length}, corpus ${corpus.examples.length}`);
const pools = args.includes('--pools') ? args[args.indexOf('--pools') + 1].split(',').map(Number) : [50];
const cs = args.includes('--vote-c') ? args[args.indexOf('--vote-c') + 1].split(',').map(Number) : [5];
for (const name of names)
  for (const pool of pools)
    for (const c of cs) {
      let top1 = 0,
        top3 = 0;
      const lat: number[] = [];
      for (const item of dev.items) {
        const gold = sqlSkeleton(item.gold);
        const res = await retrieval.retrieve(name, item.question, 3, {
          exclude: selfRows(corpus, item),
          tables: tables.tables[item.dbId],
          pool,
          voteC: c,
        });
        lat.push(res.ms);
        const sk = res.hits.map((h) => sqlSkeleton(corpus.examples[h.row].sql));
        if (sk[0] === gold) top1++;
        if (sk.includes(gold)) top3++;
      }
      const n = dev.items.length;
      console.log(
        `${name.padEnd(20)} pool ${pool} c ${c} top1 ${(top1 / n).toFixed(3)}  top3 ${(top3 / n).toFixed(3)}  p50 ${median(lat).toFixed(1)} ms`,
      );
    }
