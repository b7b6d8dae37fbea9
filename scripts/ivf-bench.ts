/**
 * IVF benchmark: synthetic clustered unit vectors, the in-memory IVF index and its sharded static
 * layout served by the local Range server (tests/range-server.ts), against the exact scan.
 *
 *   nice npx tsx scripts/ivf-bench.ts --n 100000 --out bench/results/ivf-100k.json
 *
 * Reports build time, p50/p95 query latency, rows scanned, bytes fetched per query (cold cache: a
 * fresh cache per query; warm: the same queries again) and recall@10 against the exact scan, for a
 * few nprobe values. JSON to --out (and stdout when none), a table to stderr.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { Int8Index } from '../src/lib/index/int8.ts';
import { IvfIndex, TWO_LEVEL_FROM, defaultNlist } from '../src/lib/index/ivf.ts';
import {
  MapShardCache,
  ShardedIvf,
  writeIvfShards,
  type FetchLike,
  type ShardCache,
} from '../src/lib/index/ivf-shards.ts';
import { synthClustered } from '../src/node/bench/synth.ts';
import { meanRecallAtK, p50, p95 } from '../src/bench/common.ts';
import { UsageError, intArg, numArg, parseStrict, runCli } from '../src/node/cli/args.ts';
import { startRangeServer } from '../tests/range-server.ts';

const USAGE = `Usage: npx tsx scripts/ivf-bench.ts [--n N] [--dim D] [--queries Q] [--nprobe 4,8,16,32]
                 [--nlist L,…] [--trainer auto|flat|two-level] [--clusters C] [--noise X] [--seed S]
                 [--no-int8] [--out FILE]

  --n N          vectors (default 100000)        --dim D      width (default 384)
  --queries Q    queries (default 200)           --nprobe     comma list (default 4,8,16,32)
  --nlist L,…    IVF lists, one index per value (default about 2·√n)
  --trainer T    k-means: auto (two-level from ${TWO_LEVEL_FROM} lists), flat or two-level
  --no-int8      skip the int8 scan              --clusters C synthetic centres (default n/100)
  --noise X      noise norm per vector relative to its centre (default 1)
  --seed S       data seed (default 1)           --out FILE   JSON report`;

const synth = synthClustered;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(argv: string[]) {
  const a = parseStrict(argv, {
    n: { type: 'string' },
    dim: { type: 'string' },
    queries: { type: 'string' },
    nprobe: { type: 'string' },
    nlist: { type: 'string' },
    trainer: { type: 'string' },
    'no-int8': { type: 'boolean' },
    clusters: { type: 'string' },
    noise: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  const n = intArg('n', a.n, 1) ?? 100_000;
  const dim = intArg('dim', a.dim, 1) ?? 384;
  const nq = intArg('queries', a.queries, 1) ?? 200;
  const nlists = a.nlist ? a.nlist.split(',').map((x) => intArg('nlist', x, 1)!) : [defaultNlist(n)];
  const trainer = (a.trainer ?? 'auto') as 'auto' | 'flat' | 'two-level';
  if (!['auto', 'flat', 'two-level'].includes(trainer)) throw new UsageError('--trainer is auto, flat or two-level');
  const clusters = intArg('clusters', a.clusters, 1) ?? Math.max(1, Math.round(n / 100));
  const noise = numArg('noise', a.noise, 0) ?? 1;
  const seed = intArg('seed', a.seed, 0) ?? 1;
  const probes = (a.nprobe ?? '4,8,16,32').split(',').map((x) => intArg('nprobe', x, 1)!);
  if (!probes.length) throw new UsageError('--nprobe needs at least one value');
  const log = (s: string) => process.stderr.write(s + '\n');

  let t = performance.now();
  const { v, centres } = synth(n, dim, clusters, noise, seed);
  const qv = synth(nq, dim, clusters, noise, seed + 1, centres).v;
  const q = (i: number) => qv.subarray(i * dim, (i + 1) * dim);
  log(`data: ${n}×${dim}, ${clusters} centres, noise ${noise}: ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // the exact top-10s are kept in the temp folder (they take minutes at 1M), keyed by the data
  const truthFile = path.join(
    tmpdir(),
    'coderag-ivf-bench',
    `truth-${n}-${dim}-${clusters}-${noise}-${seed}-${nq}.json`,
  );
  let exactMs: number[] = [];
  let truthRows: number[][];
  if (existsSync(truthFile)) {
    ({ exactMs, truthRows } = JSON.parse(readFileSync(truthFile, 'utf8')) as {
      exactMs: number[];
      truthRows: number[][];
    });
    log(`exact top-10s from ${truthFile}`);
  } else {
    const flat = new FlatIndex(v, dim);
    truthRows = Array.from({ length: nq }, (_, i) => {
      const t1 = performance.now();
      const hits = flat.search(q(i), 10);
      exactMs.push(performance.now() - t1);
      return hits.map((h) => h.row);
    });
    mkdirSync(path.dirname(truthFile), { recursive: true });
    writeFileSync(truthFile, JSON.stringify({ exactMs, truthRows }));
  }
  log(`exact scan: p50 ${p50(exactMs).toFixed(1)} ms`);
  const recallOf = (hits: { row: number }[][]) =>
    meanRecallAtK(
      truthRows,
      hits.map((h) => h.map((x) => x.row)),
      10,
    );

  let int8Scan: Record<string, unknown> | null = null;
  if (!a['no-int8']) {
    t = performance.now();
    const int8 = new Int8Index(v, dim);
    const int8Build = performance.now() - t;
    const int8Ms: number[] = [];
    const int8Hits = Array.from({ length: nq }, (_, i) => {
      const t1 = performance.now();
      const h = int8.search(q(i), 10);
      int8Ms.push(performance.now() - t1);
      return h;
    });
    int8.dispose();
    int8Scan = {
      buildMs: Math.round(int8Build),
      p50Ms: r3(p50(int8Ms)),
      p95Ms: r3(p95(int8Ms)),
      recallAt10: r3(recallOf(int8Hits)),
    };
    log(`int8 scan: ${JSON.stringify(int8Scan)}`);
  }

  const runs: Record<string, unknown>[] = [];
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: 'shared 2-core VM, niced; Node ' + process.version,
    data: { n, dim, clusters, noise, seed, queries: nq },
    exactScan: { p50Ms: r3(p50(exactMs)), p95Ms: r3(p95(exactMs)) },
    ...(int8Scan ? { int8Scan } : {}),
    ivf: runs,
  };
  // written after each part, so a long run that fails late keeps what it measured
  const save = () => {
    if (a.out) writeFileSync(a.out, JSON.stringify(report, null, 2) + '\n');
  };
  for (const nlist of nlists) {
    runs.push(await runIvf(nlist, save));
    save();
  }
  if (!a.out) process.stdout.write(JSON.stringify(report, null, 2) + '\n');

  async function runIvf(nlist: number, save: () => void): Promise<Record<string, unknown>> {
    t = performance.now();
    let ivf: IvfIndex | null = new IvfIndex(v, dim, { nlist, trainer });
    const buildMs = performance.now() - t;
    const sizes = Array.from({ length: ivf.nlist }, (_, c) => ivf!.listStart[c + 1] - ivf!.listStart[c]);
    log(
      `ivf nlist ${nlist} (${ivf.trainer}): built in ${(buildMs / 1000).toFixed(1)} s, ${ivf.nlist} lists (sizes p50 ${p50(sizes)}, max ${Math.max(...sizes)}, empty ${sizes.filter((x) => !x).length})`,
    );
    const memory = [];
    for (const p of probes) {
      ivf.nprobe = p;
      const ms: number[] = [];
      let rows = 0;
      const hits = Array.from({ length: nq }, (_, i) => {
        const t1 = performance.now();
        const h = ivf!.search(q(i), 10);
        ms.push(performance.now() - t1);
        rows += ivf!.lastScanned;
        return h;
      });
      memory.push({
        nprobe: p,
        p50Ms: r3(p50(ms)),
        p95Ms: r3(p95(ms)),
        rowsPerQuery: Math.round(rows / nq),
        recallAt10: r3(recallOf(hits)),
      });
      log(`  in-memory nprobe ${p}: ${JSON.stringify(memory[memory.length - 1])}`);
    }
    const sharded: Record<string, unknown>[] = [];
    const run: Record<string, unknown> = {
      nlist: ivf.nlist,
      trainer: ivf.trainer,
      engine: ivf.engine,
      buildMs: Math.round(buildMs),
      listSize: { p50: p50(sizes), max: Math.max(...sizes), empty: sizes.filter((x) => !x).length },
      memory,
      shards: { results: sharded },
    };
    runs.push(run);
    save();
    runs.pop();
    const sh = writeIvfShards(ivf, { embedder: { id: 'synthetic', dtype: 'fp32', dim } });
    ivf = null; // the index's memory can go before the shards are served
    const server = await startRangeServer({ files: new Map(Object.entries(sh.files)) });
    // a request that fails at the network level (a stale keep-alive socket on this loaded machine) is
    // retried once, as browsers retry idempotent requests; the retries are counted in the report
    let retries = 0;
    const fetchRetry: FetchLike = async (u, init) => {
      try {
        return await fetch(u, init);
      } catch (e) {
        retries++;
        log(
          `  retry after: ${e instanceof Error ? `${e.message} (${String((e as { cause?: unknown }).cause)})` : String(e)}`,
        );
        return fetch(u, init);
      }
    };
    try {
      const t0 = performance.now();
      await ShardedIvf.open({ baseUrl: server.url });
      const openMs = performance.now() - t0;
      for (const p of probes) {
        const row: Record<string, unknown> = { nprobe: p };
        // cold: a cache that never hits (every query fetches all its lists) and fills the warm one;
        // warm: the same queries again over that cache
        const warmCache = new MapShardCache();
        const coldCache: ShardCache = { get: () => Promise.resolve(undefined), put: (k, b) => warmCache.put(k, b) };
        const cold = await ShardedIvf.open({ baseUrl: server.url, cache: coldCache, nprobe: p, fetch: fetchRetry });
        const warm = await ShardedIvf.open({ baseUrl: server.url, cache: warmCache, nprobe: p, fetch: fetchRetry });
        for (const [phase, idx] of [
          ['cold', cold],
          ['warm', warm],
        ] as const) {
          const ms: number[] = [];
          const bytes: number[] = [];
          let requests = 0;
          const hits = [];
          for (let i = 0; i < nq; i++) {
            const res = await idx.searchWithStats(q(i), 10);
            ms.push(res.stats.ms);
            bytes.push(res.stats.bytesFetched);
            requests += res.stats.requests;
            hits.push(res.hits);
          }
          row[phase] = {
            p50Ms: r3(p50(ms)),
            p95Ms: r3(p95(ms)),
            bytesP50: p50(bytes),
            bytesMean: Math.round(bytes.reduce((s, x) => s + x, 0) / nq),
            bytesMax: Math.max(...bytes),
            requestsMean: r3(requests / nq),
            recallAt10: r3(recallOf(hits)),
          };
        }
        sharded.push(row);
        log(`  sharded nprobe ${p}: ${JSON.stringify(row)}`);
      }
      run.shards = {
        files: {
          header: sh.files['ivf.json'].byteLength,
          centroids: sh.header.centroids.bytes,
          shards: sh.header.shards.bytes,
        },
        openMs: r3(openMs),
        networkRetries: retries,
        server: 'tests/range-server.ts on 127.0.0.1 (loopback, same process: no network latency)',
        results: sharded,
      };
      return run;
    } finally {
      await server.close();
    }
  }
}

process.exitCode = await runCli('ivf-bench', USAGE, () => main(process.argv.slice(2)));
