/**
 * Measures the instant generator (src/lib/instant) on Spider dev, with the Spider train corpus as
 * the retrieval pool. Dev is a TEST here: nothing is tuned on it.
 *
 *   npx tsx scripts/instant-lab.ts [--retriever vote,dense] [--k 3,10] [--limit N] [--no-dense]
 *                                  [--budget MS] [--show N] [--train-check N] [--out FILE]
 *
 * --out FILE      also write the runs as JSON (docs/instant.results.json), with EX by question kind
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
import { searchOver } from '../src/lib/index/search.ts';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
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
import { significantTokens } from '../src/lib/sql/tokenize.ts';
import { DEFAULT_WEIGHTS, InstantGenerator } from '../src/lib/instant/generator.ts';
import type { QueryResult, TableInfo } from '../src/lib/types.ts';
import type { ForeignKey } from '../src/lib/link/foreign-keys.ts';

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
    tune: { type: 'boolean', default: false },
    'edit-top': { type: 'string', default: '3' },
    out: { type: 'string' },
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
const editTop = Number(args['edit-top']);
const show = Number(args.show);

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
  const mdocs = await embedCached(emb, await r0.maskedCorpus(), { role: 'doc', cacheDir });
  const side = (ix: FlatIndex, name: string): DenseSide => ({
    embedder: emb,
    index: searchOver(ix, corpus.hash, name),
  });
  dense = side(new FlatIndex(docs.vectors, emb.dim), 'questions');
  maskedDense = side(new FlatIndex(mdocs.vectors, emb.dim), 'masked questions');
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
const ci = (x: number, n: number) => {
  const w = wilson(x, n);
  return `[${(100 * w.lo).toFixed(1)}, ${(100 * w.hi).toFixed(1)}]`;
};

/** The kind of a gold query, for the per-kind table: the first that applies. */
function queryKind(sql: string): string {
  const s = sql.toLowerCase();
  if (/\b(union|intersect|except)\b/.test(s)) return 'set operation';
  if ((s.match(/\bselect\b/g) ?? []).length > 1) return 'nested';
  if (/\bjoin\b/.test(s)) return 'join';
  if (/\bgroup by\b/.test(s)) return 'group by';
  if (/\border by\b/.test(s)) return 'order by';
  if (/\bwhere\b/.test(s)) return 'where';
  return 'plain';
}

const results: Record<string, unknown>[] = [];
const tLab = Date.now();
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
    const kinds = new Map<string, { n: number; ex: number; abstain: number }>();
    for (const item of items) {
      const e = engineFor(item.dbId);
      let gen = gens.get(item.dbId);
      if (!gen) gens.set(item.dbId, (gen = new InstantGenerator({ sql: e, editTop })));
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
      const kind = queryKind(item.gold);
      const kc = kinds.get(kind) ?? { n: 0, ex: 0, abstain: 0 };
      kc.n++;
      if (s.ex) kc.ex++;
      if (ans.abstained) kc.abstain++;
      kinds.set(kind, kc);
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
    const rate = (x: number, m: number) => {
      const w = wilson(x, m);
      return { hits: x, n: m, rate: round(x / Math.max(1, m)), ci95: [round(w.lo), round(w.hi)] };
    };
    results.push({
      retriever: name,
      k,
      questions: n,
      ex: rate(ex, n),
      ex_non_trivial: rate(exHard, hard),
      skeleton_match: rate(skel, n),
      gold_shape_in_top_k: rate(shapeInK, n),
      abstain: rate(abst, n),
      latency_ms: { p50: round(median(lat), 1), p90: round(percentile(lat, 90), 1) },
      by_kind: Object.fromEntries(
        [...kinds].map(([kd, c]) => [kd, { n: c.n, ex: round(c.ex / c.n), abstain: round(c.abstain / c.n) }]),
      ),
    });
    if (args.out) writeOut();
  }
}

function round(x: number, d = 4): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function writeOut(): void {
  const report = {
    what: 'instant generator (src/lib/instant) on Spider dev; retrieval pool: Spider train; dev is a test, nothing tuned on it',
    how: `npx tsx scripts/instant-lab.ts --retriever ${retrievers.join(',')} --k ${ks.join(',')} --out ...; in process (sql.js in Node, no worker), budget ${budgetMs} ms`,
    non_trivial: 'gold result has more than one row, or more than one column, or a value that is not a number',
    embedder: dense ? defaultTestEmbedderId() : null,
    date: new Date().toISOString(),
    wall_s: Math.round((Date.now() - tLab) / 1000),
    runs: results,
  };
  writeFileSync(args.out!, JSON.stringify(report, null, 2) + '\n');
}

/** The schema names a query uses (lower case, aliases T1.. dropped), sorted: compares fillings without values. */
function namesOf(sql: string): string {
  const names = significantTokens(sql)
    .filter((t) => t.kind === 'ident' || t.kind === 'quoted_ident')
    .map((t) => (t.kind === 'ident' ? t.text : t.value).toLowerCase())
    .filter((n) => !/^t\d+$/.test(n));
  return [...new Set(names)].sort().join(',');
}

/** Foreign keys of a Spider database from tables.json (train databases have no .sqlite here). */
function spiderKeys(dbId: string): ForeignKey[] {
  const db = (
    tj.json as {
      db_id: string;
      foreign_keys?: [number, number][];
      column_names_original?: [number, string][];
      table_names_original?: string[];
    }[]
  ).find((d) => d.db_id === dbId);
  if (!db?.foreign_keys || !db.column_names_original || !db.table_names_original) return [];
  const col = (i: number) => db.column_names_original![i];
  return db.foreign_keys.flatMap(([a, b]) => {
    const [ta, ca] = col(a) ?? [-1, ''];
    const [tb, cb] = col(b) ?? [-1, ''];
    if (ta < 0 || tb < 0) return [];
    return [
      {
        fromTable: db.table_names_original![ta],
        fromColumn: ca,
        toTable: db.table_names_original![tb],
        toColumn: cb,
        inferred: false,
      },
    ];
  });
}

/**
 * Train check: no train databases exist here, so fill each sampled train question from the
 * examples of OTHER databases (retrieval excludes its own database) with name-only linking over
 * its tables.json schema and keys, and report how often the best filling has the gold skeleton.
 * With --tune, the weights of the score parts are grid-searched on the databases of one half of
 * the sample (split by database) and checked on the other half.
 */
async function trainCheck(n: number): Promise<void> {
  const { sampleIndices } = await import('../src/lib/eval/stats.ts');
  const { fnv1a64Hex } = await import('../src/lib/corpus/hash.ts');
  const rows = sampleIndices(corpus.examples.length, n, 7);
  const noDb = { exec: () => Promise.reject(new Error('no database here')) };
  const gen = new InstantGenerator({ sql: noDb, dryRun: true, keepCandidates: true, editTop });
  let ok = 0;
  let okNames = 0;
  let shown = 0;
  const k = ks[ks.length - 1];
  let inK = 0;
  const data: {
    half: number;
    cands: { parts: Record<string, number>; features: Record<string, number>; hit: boolean }[];
  }[] = [];
  for (const row of rows) {
    const ex = corpus.examples[row];
    const tables = tj.tables[ex.dbId ?? ''] ?? [];
    const exclude = corpus.examples.flatMap((x, i) => (x.dbId === ex.dbId ? [i] : []));
    const r = await retrieval.retrieve(retrievers[0], ex.question, k, { exclude, tables });
    const examples = r.hits.map((h) => ({ ...corpus.examples[h.row], score: h.score }));
    const gold = sqlSkeleton(ex.sql);
    if (examples.some((x) => sqlSkeleton(x.sql) === gold)) inK++;
    // Without a database nothing executes: dryRun ranks the fillings only.
    const a = await gen.answer({
      question: ex.question,
      tables,
      examples,
      dbKey: ex.dbId,
      foreignKeys: spiderKeys(ex.dbId ?? ''),
    });
    if (a.sql && sqlSkeleton(a.sql) === gold) {
      ok++;
      if (namesOf(a.sql) === namesOf(ex.sql)) okNames++;
      else if (shown < show) {
        shown++;
        console.log(`\n? ${ex.question}\n  gold ${ex.sql}\n  pred ${a.sql}`);
      }
    }
    data.push({
      half: parseInt(fnv1a64Hex(ex.dbId ?? '').slice(-1), 16) % 2,
      cands: (a.candidates ?? []).map((c) => ({
        parts: c.parts,
        features: c.features,
        hit: sqlSkeleton(c.sql) === gold,
      })),
    });
  }
  console.log(
    `train check (${rows.length}, ${retrievers[0]} k=${k}): gold shape in top-k ${pct(inK, rows.length)}, filled skeleton match ${pct(ok, rows.length)}, skeleton and schema names ${pct(okNames, rows.length)}`,
  );
  if (!args.tune) return;
  const acc = (w: Record<string, number>, half: number) => {
    let hit = 0;
    let m = 0;
    for (const d of data) {
      if (d.half !== half) continue;
      m++;
      let best = -Infinity;
      let bestHit = false;
      for (const c of d.cands) {
        const s =
          w.fill * c.parts.fill + w.prior * c.parts.prior + w.shape * c.parts.shape + w.retrieval * c.parts.retrieval;
        if (s > best) [best, bestHit] = [s, c.hit];
      }
      if (bestHit) hit++;
    }
    return hit / Math.max(1, m);
  };
  let best = { w: { fill: 1, prior: 0.8, shape: 1, retrieval: 0 }, a: -1 };
  // The filling's own score is fixed at 1: its scale against the execution penalty and its role in
  // choosing columns cannot be measured here (no train databases), only the template choice can.
  for (const fill of [1])
    for (const prior of [0, 0.4, 0.8, 1.6, 3.2])
      for (const shape of [0.5, 1, 1.5, 2])
        for (const retr of [0, 1, 2, 3, 5, 8, 12]) {
          const w = { fill, prior, shape, retrieval: retr };
          const a = acc(w, 0);
          if (a > best.a) best = { w, a };
        }
  const def = { ...DEFAULT_WEIGHTS };
  console.log(`tune half: default ${pct(acc(def, 0), 1)} -> best ${pct(best.a, 1)} with ${JSON.stringify(best.w)}`);
  console.log(`held-out half: default ${pct(acc(def, 1), 1)}, tuned ${pct(acc(best.w, 1), 1)}`);

  // A linear scorer over all features, by coordinate ascent from the hand-set formula (value
  // features stay fixed: train has no databases, so no value is ever linked here).
  const accF = (w: Record<string, number>, half: number) => {
    let hit = 0;
    let m = 0;
    for (const d of data) {
      if (d.half !== half) continue;
      m++;
      let best = -Infinity;
      let bestHit = false;
      for (const c of d.cands) {
        let s = 0;
        for (const k in w) s += w[k] * (c.features[k] ?? 0);
        if (s > best) [best, bestHit] = [s, c.hit];
      }
      if (bestHit) hit++;
    }
    return hit / Math.max(1, m);
  };
  const W = DEFAULT_WEIGHTS;
  const w: Record<string, number> = {
    prior: W.prior,
    retrieval: W.retrieval,
    tables: 0.6 * W.fill,
    columns: W.fill,
    literalPenalty: -W.fill,
    unusedValues: -0.5 * W.fill,
    unusedNumbers: -0.3 * W.fill,
    orderAgree: W.fill,
    missingTables: -0.15 * W.fill,
    unusedColumns: -0.2 * W.fill,
    nTables: -0.1 * W.fill,
    slots: 0,
  };
  for (const k of ['count', 'avg', 'sum', 'extreme', 'distinct', 'group', 'negation', 'order', 'setOp'])
    w[`shape_${k}`] = W.shape;
  const fixed = new Set(['literalPenalty', 'unusedValues']);
  let cur = accF(w, 0);
  console.log(`linear scorer: start tune ${pct(cur, 1)}, held-out ${pct(accF(w, 1), 1)}`);
  for (let pass = 0; pass < 3; pass++) {
    for (const k of Object.keys(w)) {
      if (fixed.has(k)) continue;
      const v0 = w[k];
      for (const v of [0, v0 * 0.5, v0 * 2, v0 - 0.5, v0 + 0.5, v0 - 0.2, v0 + 0.2, v0 - 1, v0 + 1]) {
        w[k] = v;
        const a = accF(w, 0);
        if (a > cur + 1e-9) cur = a;
        else w[k] = v0;
        if (w[k] !== v0) break;
      }
    }
  }
  console.log(`linear scorer: tuned ${pct(cur, 1)}, held-out ${pct(accF(w, 1), 1)}`);
  console.log(JSON.stringify(Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Math.round(v * 100) / 100]))));
}
