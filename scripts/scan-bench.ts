/**
 * Search near the memory limit, and the index peers, in one run (issue 15, item 5):
 *
 *   nice npx tsx scripts/scan-bench.ts --n 100000 --dim 512 --out bench/results/scan-100k.json
 *
 * On synthetic clustered unit vectors (as scripts/ivf-bench.ts), against the exact Float32 scan:
 * - the machine's read bandwidth: a WASM SIMD sequential read over a buffer the size of the int8
 *   codes (readProbeBytes in src/lib/index/int8.ts), so the int8 scan's time can be set against
 *   the bandwidth limit in the same run;
 * - the int8 kernel alone (simple and blocked variants), the candidate selection (the first version
 *   and the current one over the same kernel output), and the whole Int8Index search, on one thread
 *   and on two (a worker_threads helper over a shared memory, src/node/scan-threads.ts);
 * - the peers: the in-memory IVF index over an nprobe sweep, and HNSW (hnswlib-wasm) over an
 *   efSearch sweep: build time, memory, p50/p95 latency and recall@10;
 * - the winner at recall@10 ≥ 0.99 (lowest p50), which src/lib/index/choose.ts records.
 * JSON to --out (and stdout when none), a table to stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { Int8Index, int8KernelBytes, readProbeBytes, selectInto } from '../src/lib/index/int8.ts';
import { IvfIndex, defaultNlist } from '../src/lib/index/ivf.ts';
import { HnswIndex, loadHnswlib } from '../src/lib/index/hnsw.ts';
import { TopK, type SearchHit } from '../src/lib/index/vector-index.ts';
import { synthClustered } from '../src/node/bench/synth.ts';
import { meanRecallAtK, p50, p95 } from '../src/bench/common.ts';
import { spawnNodeScanHelper } from '../src/node/scan-threads.ts';
import { UsageError, intArg, parseStrict, runCli } from '../src/node/cli/args.ts';

const USAGE = `Usage: npx tsx scripts/scan-bench.ts [--n N] [--dim D] [--queries Q] [--nprobe LIST] [--ef LIST]
                 [--hnsw LIST] [--no-hnsw] [--seed S] [--out FILE]

  --n N        vectors (default 100000)     --dim D     width (default 512)
  --queries Q  queries (default 100)        --seed S    data seed (default 1)
  --nprobe     IVF sweep (default 8,16,32,64,128)   --ef  HNSW efSearch sweep (default 16,32,64,128,256)
  --hnsw LIST  HNSW graphs to build, M:efConstruction each (default 16:100)
  --no-hnsw    skip HNSW (its build at 1M does not fit this machine's time)
  --vectors F  real vectors instead of synthetic ones: raw float32 rows of --dim (an embeddings
               cache file); the last --queries rows are the queries, the others the corpus
  --out FILE   JSON report`;

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const mb = (b: number) => Math.round(b / 1e5) / 10;

interface Row {
  kind: string;
  setting: string;
  p50Ms: number;
  p95Ms: number;
  recallAt10: number;
}

async function main(argv: string[]) {
  const a = parseStrict(argv, {
    n: { type: 'string' },
    dim: { type: 'string' },
    queries: { type: 'string' },
    nprobe: { type: 'string' },
    ef: { type: 'string' },
    hnsw: { type: 'string' },
    'no-hnsw': { type: 'boolean' },
    seed: { type: 'string' },
    vectors: { type: 'string' },
    out: { type: 'string' },
  });
  let n = intArg('n', a.n, 1) ?? 100_000;
  const dim = intArg('dim', a.dim, 1) ?? 512;
  const nq = intArg('queries', a.queries, 1) ?? 100;
  const seed = intArg('seed', a.seed, 0) ?? 1;
  const probes = (a.nprobe ?? '8,16,32,64,128').split(',').map((x) => intArg('nprobe', x, 1)!);
  const efs = (a.ef ?? '16,32,64,128,256').split(',').map((x) => intArg('ef', x, 1)!);
  const graphs = (a.hnsw ?? '16:100').split(',').map((x) => {
    const [m, efc, extra] = x.split(':');
    if (extra !== undefined || efc === undefined) throw new UsageError(`--hnsw wants M:efConstruction, got ${x}`);
    return { m: intArg('hnsw M', m, 2)!, efConstruction: intArg('hnsw efConstruction', efc, 1)! };
  });
  const log = (s: string) => process.stderr.write(s + '\n');
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: `shared 2-core VM (AMD EPYC, AVX2), niced, other jobs running; Node ${process.version}`,
    data: { n, dim, queries: nq, seed, clusters: Math.round(n / 100), noise: 1 },
  };
  const save = () => {
    if (a.out) writeFileSync(a.out, JSON.stringify(report, null, 2) + '\n');
  };

  let t = performance.now();
  let v: Float32Array;
  let qv: Float32Array;
  if (a.vectors) {
    // real vectors: raw float32 rows; the last `queries` rows are the queries, the rest the corpus
    const buf = readFileSync(a.vectors);
    const all = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
    const rowsIn = Math.floor(all.length / dim);
    if (rowsIn <= nq) throw new UsageError(`${a.vectors} holds ${rowsIn} rows of ${dim}: not more than --queries`);
    n = rowsIn - nq;
    v = all.slice(0, n * dim);
    qv = all.slice((rowsIn - nq) * dim, rowsIn * dim);
    report.data = { vectors: path.basename(a.vectors), n, dim, queries: nq, split: 'last rows are the queries' };
  } else {
    const syn = synthClustered(n, dim, Math.round(n / 100), 1, seed);
    v = syn.v;
    qv = synthClustered(nq, dim, Math.round(n / 100), 1, seed + 1, syn.centres).v;
  }
  const q = (i: number) => qv.subarray(i * dim, (i + 1) * dim);
  log(`data ${v.length / dim}×${dim}: ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // ground truth and the float scan
  const flat = new FlatIndex(v, dim);
  const flatMs: number[] = [];
  const truth = Array.from({ length: nq }, (_, i) => {
    const t1 = performance.now();
    const h = flat.search(q(i), 10);
    flatMs.push(performance.now() - t1);
    return h.map((x) => x.row);
  });
  const recall = (hits: SearchHit[][]) =>
    r3(
      meanRecallAtK(
        truth,
        hits.map((h) => h.map((x) => x.row)),
        10,
      ),
    );
  const rows: Row[] = [];
  const timed = (kind: string, setting: string, run: (i: number) => SearchHit[]) => {
    const ms: number[] = [];
    const hits = Array.from({ length: nq }, (_, i) => {
      const t1 = performance.now();
      const h = run(i);
      ms.push(performance.now() - t1);
      return h;
    });
    const row = { kind, setting, p50Ms: r3(p50(ms)), p95Ms: r3(p95(ms)), recallAt10: recall(hits) };
    rows.push(row);
    log(`  ${kind} ${setting}: p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, recall@10 ${row.recallAt10}`);
    return row;
  };
  rows.push({
    kind: 'flat',
    setting: 'exact float32 scan',
    p50Ms: r3(p50(flatMs)),
    p95Ms: r3(p95(flatMs)),
    recallAt10: 1,
  });
  report.results = rows;

  // ---- the int8 scan against the bandwidth limit
  const stride = Math.ceil(dim / 32) * 32;
  const codeBytes = n * stride;
  const probe = new WebAssembly.Instance(new WebAssembly.Module(readProbeBytes()), {}).exports as {
    memory: WebAssembly.Memory;
    read(p: number, bytes: number): number;
  };
  probe.memory.grow(Math.ceil((codeBytes + 64) / 65536));
  const pb = new Int8Array(probe.memory.buffer);
  for (let i = 0; i < codeBytes; i++) pb[i] = (i * 2654435761) >>> 25; // touch every page
  const readBytes = Math.floor(codeBytes / 64) * 64;

  t = performance.now();
  const int8 = new Int8Index(v, dim);
  const int8Build = performance.now() - t;
  // the kernel alone, both variants, over a copy of the same codes
  const kernels = (['simple', 'blocked'] as const).map((variant) => {
    const k = new WebAssembly.Instance(new WebAssembly.Module(int8KernelBytes(variant)), {}).exports as {
      memory: WebAssembly.Memory;
      i8dot(q: number, rows: number, n: number, stride: number, out: number): void;
    };
    const rowsAt = Math.ceil((stride + 4 * n) / 16) * 16;
    k.memory.grow(Math.ceil((rowsAt + codeBytes) / 65536));
    const mem = new Int8Array(k.memory.buffer);
    for (let i = 0; i < codeBytes; i++) mem[rowsAt + i] = (i * 2654435761) >>> 25;
    return { variant, k, rowsAt };
  });
  const scales = new Float32Array(n).fill(1 / 127);
  const phase: Record<string, number[]> = { read: [], simple: [], blocked: [], selectFirst: [], selectNow: [] };
  for (let r = 0; r < 21; r++) {
    let t1 = performance.now();
    probe.read(0, readBytes);
    phase.read.push(performance.now() - t1);
    for (const { variant, k, rowsAt } of kernels) {
      t1 = performance.now();
      k.i8dot(0, rowsAt, n, stride, stride);
      phase[variant].push(performance.now() - t1);
    }
    const raw = new Int32Array(kernels[0].k.memory.buffer, stride, n);
    const never = () => false;
    // the first selection: exclude and push for every row
    t1 = performance.now();
    const p1 = new TopK(64);
    for (let i = 0; i < n; i++) {
      if (never()) continue;
      p1.push(i, raw[i] * scales[i]);
    }
    phase.selectFirst.push(performance.now() - t1);
    t1 = performance.now();
    const p2 = new TopK(64);
    selectInto(p2, raw, scales, 0, n, null, never);
    phase.selectNow.push(performance.now() - t1);
    if (p1.hits[0]?.row !== p2.hits[0]?.row) throw new Error('the two selections disagree');
  }
  const readP50 = p50(phase.read);
  const gbps = (ms: number) => r3(codeBytes / ms / 1e6);
  const int8Row = timed('int8', 'scan + 64 re-scored', (i) => int8.search(q(i), 10));
  const scan = {
    codeBytesPerQuery: codeBytes,
    bandwidth: {
      readP50Ms: r3(readP50),
      readGBps: { p50: gbps(readP50), best: gbps(Math.min(...phase.read)) },
      what: 'WASM SIMD sequential read of a buffer the size of the int8 codes (4×16-byte loads per step)',
    },
    kernel: Object.fromEntries(
      kernels.map(({ variant }) => [variant, { p50Ms: r3(p50(phase[variant])), GBps: gbps(p50(phase[variant])) }]),
    ),
    selection: {
      firstP50Ms: r3(p50(phase.selectFirst)),
      nowP50Ms: r3(p50(phase.selectNow)),
      what: 'top-64 of n scores with an exclude callback that keeps every row',
    },
    search: { buildMs: Math.round(int8Build), p50Ms: int8Row.p50Ms, recallAt10: int8Row.recallAt10 },
    ratioToBandwidthLimit: {
      kernel: r3(p50(phase.simple) / readP50),
      search: r3(int8Row.p50Ms / readP50),
      what: 'p50 time / p50 time of the plain read of the same bytes, same run (1 = at the limit)',
    },
    memoryMB: { vectors: mb(v.byteLength), extra: mb(int8.extraBytes) },
  };
  int8.dispose();
  // the same scan on two threads (this one and a worker_threads helper) over a shared memory
  const int8t = new Int8Index(v, dim, { threads: { count: 2, spawn: spawnNodeScanHelper } });
  const t0 = performance.now();
  while (int8t.scanThreads < 2 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 10));
  const threads = int8t.scanThreads;
  const threadRow = timed('int8', `scan on ${threads} threads + 64 re-scored`, (i) => int8t.search(q(i), 10));
  int8t.dispose();
  Object.assign(scan, {
    twoThreads: {
      threads,
      p50Ms: threadRow.p50Ms,
      speedup: r3(int8Row.p50Ms / threadRow.p50Ms),
      ratioToBandwidthLimit: r3(threadRow.p50Ms / readP50),
    },
  });
  report.int8 = scan;
  log(`int8: ${JSON.stringify(scan)}`);
  save();

  // ---- IVF
  t = performance.now();
  const ivf = new IvfIndex(v, dim, { nlist: defaultNlist(n) });
  const ivfBuild = performance.now() - t;
  const ivfRows = [];
  for (const p of probes.filter((p) => p <= ivf.nlist)) {
    ivf.nprobe = p;
    let scanned = 0;
    const row = timed('ivf', `nlist ${ivf.nlist}, nprobe ${p}`, (i) => {
      const h = ivf.search(q(i), 10);
      scanned += ivf.lastScanned;
      return h;
    });
    ivfRows.push({ nprobe: p, rowsPerQuery: Math.round(scanned / nq), ...row });
  }
  report.ivf = {
    nlist: ivf.nlist,
    buildMs: Math.round(ivfBuild),
    memoryMB: { vectors: mb(v.byteLength), extra: mb(n * (stride + 8) + ivf.nlist * dim * 4) },
    sweep: ivfRows,
  };
  save();

  // ---- HNSW: one graph per M:efConstruction, each over the efSearch sweep
  if (!a['no-hnsw']) {
    const lib = await loadHnswlib();
    const heap = () => (lib as unknown as { HEAP8: Int8Array }).HEAP8.buffer.byteLength;
    const builds = [];
    for (const { m, efConstruction } of graphs) {
      const before = heap();
      const t0 = performance.now();
      const h = new HnswIndex(lib, v, dim, {
        m,
        efConstruction,
        progressEvery: Math.max(1000, Math.round(n / 50)),
        onProgress: (done, total) => {
          const s = (performance.now() - t0) / 1000;
          log(
            `hnsw M ${m}/${efConstruction}: ${done}/${total} points in ${s.toFixed(0)} s (${Math.round(done / s)} points/s)`,
          );
        },
      });
      const perS = Math.round(n / (h.buildMs / 1000));
      log(`hnsw M ${m}, efConstruction ${efConstruction} build: ${(h.buildMs / 1000).toFixed(1)} s (${perS} points/s)`);
      const hRows = [];
      for (const ef of efs) {
        h.efSearch = ef;
        hRows.push({
          efSearch: ef,
          ...timed('hnsw', `M ${m}, efConstruction ${efConstruction}, efSearch ${ef}`, (i) => h.search(q(i), 10)),
        });
      }
      builds.push({
        m,
        efConstruction,
        buildMs: Math.round(h.buildMs),
        pointsPerS: perS,
        // the heap grows and never shrinks: a later graph reuses what an earlier one freed
        memoryMB: { vectors: mb(v.byteLength), wasmHeapGrowth: mb(heap() - before), wasmHeap: mb(heap()) },
        sweep: hRows,
      });
      h.dispose();
      report.hnsw = {
        note: 'search asks the graph for max(64, 4k) rows with a beam of max(efSearch, 64) and re-scores them exactly',
        builds,
      };
      save();
    }
  } else report.hnsw = { skipped: 'not run at this size (--no-hnsw)' };
  save();

  const ok = rows.filter((r) => r.kind !== 'flat' && r.recallAt10 >= 0.99).sort((x, y) => x.p50Ms - y.p50Ms);
  report.winnerAtRecall099 = ok[0] ?? null;
  log(`winner at recall@10 ≥ 0.99: ${JSON.stringify(ok[0] ?? null)}`);
  save();
  if (!a.out) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

process.exitCode = await runCli('scan-bench', USAGE, () => main(process.argv.slice(2)));
