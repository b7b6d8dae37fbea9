/**
 * Measures the instant generator (src/lib/instant) on Spider dev, with the Spider train corpus as
 * the retrieval pool. Dev is a TEST here: nothing is tuned on it.
 *
 *   npx tsx scripts/instant-lab.ts [--retriever vote,dense] [--k 3,10] [--limit N] [--no-dense]
 *                                  [--budget MS] [--show N] [--train-check N]
 *
 * --no-dense      retrieval without the embedder (the vote pool is masked BM25 only)
 * --train-check N fill N train questions from examples of OTHER databases (retrieval excludes the
 *                 question's own database) and report skeleton match of the filled SQL: the
 *                 databases of train have no .sqlite files here, so only the shape can be checked
 *                 (a value index cannot be built; linking uses names only)
 *
 * Reports EX with 95% Wilson intervals, EX on questions with a non-trivial gold result (more than
 * one row, or not a single number), skeleton match, the abstention share and latency.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTestEmbedderId, loadEmbedder, spiderDir, sqlJs, repoRoot } from '../src/node/host.ts';
import { embedCached } from '../src/node/embed-cache.ts';
import { loadCorpus, loadSpiderDev, spiderTables } from '../src/node/eval-data.ts';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { Retrieval, type DenseSide, type RetrieverName } from '../src/lib/retrieve/strategies.ts';
import { selfRows } from '../src/lib/eval/runner.ts';
import { median, percentile, wilson } from '../src/lib/eval/stats.ts';
import { scoreExample, type ExecOutcome } from '../src/lib/eval/score.ts';
import { SqlEngine } from '../src/lib/sql/engine.ts';
import { sqlSkeleton } from '../src/lib/sql/normalize.ts';
import { InstantGenerator } from '../src/lib/instant/generator.ts';
import type { QueryResult, TableInfo } from '../src/lib/types.ts';

const { values: args } = parseArgs({
  strict: true,
  options: {
    retriever: { type: 'string', default: 'vote' },
    k: { type: 'string', default: '3,10' },
    limit: { type: 'string' },
    'no-dense': { type: 'boolean', default: false },
    budget: { type: 'string', default: '2000' },
    show: { type: 'string', default: '0' },
    'train-check': { type: 'string' },
  },
});

const dir = spiderDir();
if (!dir) throw new Error('needs ../shared/data/spider (dev.json, tables.json, database/, train/)');
const tj = spiderTables(dir)!;
const dev = loadSpiderDev(dir);
const corpus = (await loadCorpus(path.join(dir, 'train/train_queries.spiderman.csv'), tj.json, 'spider-train')).corpus;
const ks = args.k!.split(',').map(Number);
const retrievers = args.retriever!.split(',') as RetrieverName[];
const budgetMs = Number(args.budget);

let dense: DenseSide | undefined;
let maskedDense: DenseSide | undefined;
const r0 = new Retrieval({ corpus });
if (!args['no-dense']) {
  const emb = await loadEmbedder(defaultTestEmbedderId());
  const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'instant-lab');
  const docs = await embedCached(
    emb,
    corpus.examples.map((e) => e.question),
    { role: 'doc', cacheDir },
  );
  const mdocs = await embedCached(emb, r0.maskedCorpus(), { role: 'doc', cacheDir });
  const side = (ix: FlatIndex): DenseSide => ({
    embed: async (t: string) => await emb.embed([t], { role: 'query' }),
    search: (v: Float32Array, k: number, ex?: number[]) => {
      const s = new Set(ex);
      return { hits: ix.search(v, k, (i) => s.has(i)) };
    },
  });
  dense = side(new FlatIndex(docs.vectors, emb.dim));
  maskedDense = side(new FlatIndex(mdocs.vectors, emb.dim));
}
const retrieval = new Retrieval({ corpus, dense, maskedDense });
const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(1)}%`;

if (args['train-check']) {
  await trainCheck(Number(args['train-check']));
  process.exit(0);
}

const SQL = await sqlJs();
const engines = new Map<string, SqlEngine>();
const engineFor = (dbId: string): SqlEngine => {
  let e = engines.get(dbId);
  if (!e) {
    e = new SqlEngine(SQL);
    e.open(dev.source(dbId));
    engines.set(dbId, e);
  }
  return e;
};
const run = (e: SqlEngine, sql: string): ExecOutcome => {
  try {
    return { ok: true, result: e.exec(sql, { timeoutMs: 5000 }) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
};
const trivial = (r: QueryResult) =>
  r.rows.length <= 1 &&
  (r.rows[0]?.length ?? 0) <= 1 &&
  (r.rows.length === 0 || typeof r.rows[0][0] === 'number' || r.rows[0][0] === null);

const items = args.limit ? dev.items.slice(0, Number(args.limit)) : dev.items;
const show = Number(args.show);
const ci = (x: number, n: number) => {
  const w = wilson(x, n);
  return `[${(100 * w.lo).toFixed(1)}, ${(100 * w.hi).toFixed(1)}]`;
};

console.log(`dev ${items.length} questions, corpus ${corpus.examples.length}, dense ${dense ? 'yes' : 'no'}`);
for (const name of retrievers) {
  for (const k of ks) {
    const gens = new Map<string, InstantGenerator>();
    let ex = 0;
    let exHard = 0;
    let hard = 0;
    let skel = 0;
    let abst = 0;
    let shapeInK = 0;
    const lat: number[] = [];
    let shown = 0;
    for (const item of items) {
      const e = engineFor(item.dbId);
      let gen = gens.get(item.dbId);
      if (!gen) gens.set(item.dbId, (gen = new InstantGenerator({ sql: e })));
      const tables: TableInfo[] = e.current!.tables;
      const r = await retrieval.retrieve(name, item.question, k, {
        exclude: selfRows(corpus, item),
        tables: dev.tables(item.dbId) ?? tables,
      });
      const examples = r.hits.map((h) => ({ ...corpus.examples[h.row], score: h.score }));
      const gold = sqlSkeleton(item.gold);
      if (examples.some((x) => sqlSkeleton(x.sql) === gold)) shapeInK++;
      const ans = await gen.answer({ question: item.question, tables, examples, budgetMs, dbKey: item.dbId });
      lat.push(ans.ms);
      const goldExec = run(e, item.gold);
      const predExec = ans.sql ? run(e, ans.sql) : undefined;
      const s = scoreExample({ gold: item.gold, predicted: ans.sql, goldExec, predExec, predError: ans.reason });
      const isHard = goldExec.ok && !trivial(goldExec.result);
      if (isHard) hard++;
      if (s.ex) ex++;
      if (s.ex && isHard) exHard++;
      if (s.skeleton_match) skel++;
      if (ans.abstained) abst++;
      if (shown < show && !s.ex) {
        shown++;
        console.log(
          `\n? ${item.question}\n  gold ${item.gold}\n  pred ${ans.sql ?? '(abstained: ' + ans.reason + ')'}\n  ${s.ex_reason}`,
        );
        for (const x of examples.slice(0, 3)) console.log(`  ex  ${x.sql}`);
      }
    }
    const n = items.length;
    console.log(
      `${name} k=${k}: EX ${pct(ex, n)} ${ci(ex, n)} | EX non-trivial ${pct(exHard, hard)} ${ci(exHard, hard)} (n=${hard}) | skeleton ${pct(skel, n)} | gold shape in top-k ${pct(shapeInK, n)} | abstain ${pct(abst, n)} | p50 ${median(lat).toFixed(1)} ms p90 ${percentile(lat, 90).toFixed(1)} ms`,
    );
  }
}

/**
 * Train check: no train databases exist here, so fill each sampled train question from the
 * examples of OTHER databases (retrieval excludes its own database) with name-only linking over
 * its tables.json schema, and report how often the filled SQL has the gold skeleton.
 */
async function trainCheck(n: number): Promise<void> {
  const { sampleIndices } = await import('../src/lib/eval/stats.ts');
  const rows = sampleIndices(corpus.examples.length, n, 7);
  const noDb = { exec: () => Promise.reject(new Error('no database here')) };
  const gen = new InstantGenerator({ sql: noDb, dryRun: true });
  let ok = 0;
  let inK = 0;
  for (const row of rows) {
    const ex = corpus.examples[row];
    const tables = tj.tables[ex.dbId ?? ''] ?? [];
    const exclude = corpus.examples.flatMap((x, i) => (x.dbId === ex.dbId ? [i] : []));
    const r = await retrieval.retrieve('vote', ex.question, 3, { exclude, tables });
    const examples = r.hits.map((h) => ({ ...corpus.examples[h.row], score: h.score }));
    const gold = sqlSkeleton(ex.sql);
    if (examples.some((x) => sqlSkeleton(x.sql) === gold)) inK++;
    // Without a database nothing executes: dryRun ranks the fillings only.
    const a = await gen.answer({ question: ex.question, tables, examples, dbKey: ex.dbId });
    const best = a.sql;
    if (best && sqlSkeleton(best) === gold) ok++;
  }
  console.log(
    `train check (${rows.length}): gold shape in top-3 ${pct(inK, rows.length)}, filled skeleton match ${pct(ok, rows.length)}`,
  );
}
