/**
 * `npm run bench [-- --quick] [--build | --no-build] [--only embed,index,…] [--skip coldstart,…] [--out FILE] [--webgpu-fp32]`
 *
 * Measures every stage of CodeRAG Web against its reference, in one run: the built app in Debian
 * Chromium (Playwright, `vite preview` of a private build) and the native references in this
 * Node process. Writes bench/results/<timestamp>.json (schema: docs/benchmarks.md) and prints a
 * table of medians with min and max over repeats, plus same-run ratios.
 *
 * Sections: shell (built size), embed, index, query, generate, train, coldstart, render (100k-row result).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from '@playwright/test';
import { fnv1a64Hex } from '../src/lib/corpus/hash.ts';
import { parseSpiderCsv, parseSpiderQuestions, parseSpiderTables } from '../src/lib/corpus/spider.ts';
import { findCpuGenerator } from '../src/lib/config.ts';
import { FlatIndex } from '../src/lib/index/flat.ts';
import { buildPrompt } from '../src/lib/llm/prompts.ts';
import { DEFAULT_TEXT_MODE, docText } from '../src/lib/rag/doc-text.ts';
import type { TableInfo } from '../src/lib/types.ts';
import { loadEmbedder, localModelsDir, repoRoot, spiderDir, transformers } from '../src/node/host.ts';
import type { Bench } from '../src/bench/harness.ts';
import type { EmbedResult, GenerateRun, IndexResult, QueryPathStage, TrainRun } from '../src/bench/common.ts';
import {
  EMBEDDER,
  GENERATOR,
  nativeEmbedBench,
  nativeGenerate,
  nativeQueryPath,
  nativeTrain,
} from '../src/bench/native.ts';
import {
  RESULT_SCHEMA,
  fmt,
  formatTable,
  metric,
  ratio,
  reachable,
  type BenchFile,
  type Metric,
  type Ratio,
  type ShellFile,
} from '../src/bench/report.ts';

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].split('=').slice(1).join('=') : argv[i + 1];
};
if (flag('help')) {
  console.log(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 10)
      .join('\n'),
  );
  process.exit(0);
}

const QUICK = flag('quick');
const SECTIONS = ['shell', 'embed', 'index', 'query', 'generate', 'train', 'coldstart', 'render'] as const;
type Section = (typeof SECTIONS)[number];
const only = opt('only')?.split(',') as Section[] | undefined;
const skip = (opt('skip')?.split(',') ?? []) as Section[];
const want = (s: Section) => (!only || only.includes(s)) && !skip.includes(s);

const S = QUICK
  ? {
      embed: {
        texts: 32,
        singles: 8,
        batchSizes: [32],
        repeats: 2,
        dtypes: ['q8', 'fp32'] as const,
        webgpu: {
          dtypes: (flag('webgpu-fp32') ? ['q8', 'fp32'] : ['q8']) as readonly ('q8' | 'fp32')[],
          texts: 32,
          singles: 0,
          repeats: 1,
        },
      },
      index: {
        datasets: [{ name: 'random-10k', n: 10_000, queries: 30, repeats: 2, idb: 1 }],
        real: false,
        kinds: ['flat', 'int8', 'voy'] as const,
        k: 10,
      },
      query: { questions: 10, sizes: [6726], kinds: ['flat', 'int8'] as const, repeats: 2, k: 3 },
      generate: { prompts: 3, maxNewTokens: 24, repeats: 2, threads: [2], dtype: 'q8' as const },
      train: { pairs: 1500, epochs: 2, dim: 512, batchSize: 64 },
      coldstart: { reloads: 1 },
      render: { repeats: 1 },
    }
  : {
      embed: {
        texts: 128,
        singles: 32,
        batchSizes: [32],
        repeats: 5,
        dtypes: ['q8', 'fp32'] as const,
        webgpu: {
          dtypes: (flag('webgpu-fp32') ? ['q8', 'fp32'] : ['q8']) as readonly ('q8' | 'fp32')[],
          texts: 64,
          singles: 4,
          repeats: 2,
        },
      },
      index: {
        datasets: [
          { name: 'random-10k', n: 10_000, queries: 100, repeats: 5, idb: 3 },
          { name: 'random-100k', n: 100_000, queries: 50, repeats: 3, idb: 2 },
        ],
        real: true,
        kinds: ['flat', 'int8', 'voy'] as const,
        k: 10,
      },
      query: { questions: 30, sizes: [6726, 100_000], kinds: ['flat', 'int8'] as const, repeats: 3, k: 3 },
      generate: { prompts: 5, maxNewTokens: 48, repeats: 3, threads: [1, 2], dtype: 'q8' as const },
      train: { pairs: 1500, epochs: 10, dim: 512, batchSize: 64 },
      coldstart: { reloads: 3 },
      render: { repeats: 3 },
    };

const CACHE = path.join(repoRoot, 'node_modules', '.cache', 'coderag-bench');
const DIST = opt('dist') ? path.resolve(opt('dist')!) : path.join(CACHE, 'dist');
const RESULTS = path.join(repoRoot, 'bench', 'results');
const DIM = 512;
const SEED = 20261122;

const metrics: Metric[] = [];
const ratios: Ratio[] = [];
const notes: string[] = [];
const t0 = Date.now();

function log(msg: string) {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  console.log(`[bench ${s}s] ${msg}`);
}
function add(m: Parameters<typeof metric>[0]): Metric {
  const x = metric(m);
  metrics.push(x);
  return x;
}
function failed(
  group: Metric['group'],
  id: string,
  name: string,
  host: string,
  unit: string,
  error: string,
  skipped = false,
) {
  add({ id, group, name, host, unit, better: 'none', runs: [], ...(skipped ? { skipped: error } : { error }) });
}
function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

// ---------------------------------------------------------------------------------------------
// Build, serve, browse

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function build(): Promise<number> {
  const t = performance.now();
  // A private output folder: other jobs building dist/ at the same time cannot pull files from
  // under the preview server.
  const r = await run('npx', ['vite', 'build', '--outDir', DIST, '--emptyOutDir']);
  if (r.code !== 0) throw new Error(`vite build failed:\n${r.out.slice(-3000)}`);
  return performance.now() - t;
}

const STAMP = '.bench-build-stamp';
const SOURCES = [
  'index.html',
  'bench.html',
  'vite.config.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'src',
  'workers',
  'public',
  'static-data',
];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const f of readdirSync(p)) m = Math.max(m, newestMtime(path.join(p, f)));
  return m;
}

/** True when the private build exists and no source file changed after it was made. */
function distFresh(): boolean {
  const stamp = path.join(DIST, STAMP);
  if (!existsSync(stamp) || !existsSync(path.join(DIST, 'bench.html'))) return false;
  const built = statSync(stamp).mtimeMs;
  return SOURCES.every((s) => newestMtime(path.join(repoRoot, s)) <= built);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function preview(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('npx', ['vite', 'preview', '--outDir', DIST, '--port', String(port), '--strictPort'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://localhost:${port}/`;
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(url + 'bench.html');
      if (r.ok) return { url, proc };
    } catch {
      /* not yet */
    }
    if (proc.exitCode != null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  stopProc(proc);
  throw new Error(`vite preview did not start:\n${out.slice(-2000)}`);
}

function stopProc(p: ChildProcess | null) {
  if (!p?.pid || p.exitCode != null) return;
  try {
    process.kill(-p.pid, 'SIGTERM'); // the process group we started (npx → vite)
  } catch {
    /* gone */
  }
}

// ---------------------------------------------------------------------------------------------
// Data: Spider train (retrieval corpus), dev (questions), their USE-Lite vectors (cached)

interface SpiderData {
  examples: { question: string; sql: string; dbId: string }[];
  schemas: Record<string, TableInfo[]>;
  dev: { question: string; dbId: string }[];
  trainVectors: Float32Array;
  devVectors: Float32Array;
  /** Dev questions used as index queries (rows of devVectors). */
  devPicks: number[];
}

function pick(n: number, count: number): number[] {
  // evenly spread, deterministic
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, count); i++) out.push(Math.floor((i * n) / Math.min(n, count)));
  return out;
}

async function cachedEmbed(texts: string[], tag: string): Promise<{ vectors: Float32Array; cached: boolean }> {
  const key = fnv1a64Hex([EMBEDDER, 'q8', tag, String(texts.length), ...texts].join('\u0001'));
  const file = path.join(CACHE, 'vectors', `${tag}-${key}.f32`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.byteLength === texts.length * DIM * 4)
      return {
        vectors: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)),
        cached: true,
      };
  }
  const emb = await loadEmbedder(EMBEDDER, 'q8');
  const vectors = await emb.embed(texts, { batchSize: 64, role: tag === 'dev' ? 'query' : 'doc' });
  await emb.dispose();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return { vectors, cached: false };
}

async function loadSpider(): Promise<SpiderData | null> {
  const dir = spiderDir();
  if (!dir || !localModelsDir()) return null;
  const tables = parseSpiderTables(JSON.parse(readFileSync(path.join(dir, 'tables.json'), 'utf8')));
  const train = parseSpiderCsv(readFileSync(path.join(dir, 'train', 'train_queries.spiderman.csv'), 'utf8'), {
    idPrefix: 'spider-train',
    tables,
  });
  const devRes = parseSpiderQuestions(JSON.parse(readFileSync(path.join(dir, 'dev.json'), 'utf8')), {
    idPrefix: 'spider-dev',
    tables,
  });
  const texts = train.examples.map((e) => docText(e, DEFAULT_TEXT_MODE, tables));
  const t = performance.now();
  const tv = await cachedEmbed(texts, 'train');
  const dev = devRes.examples.map((e) => ({ question: e.question, dbId: e.dbId ?? '' }));
  const dv = await cachedEmbed(
    dev.map((d) => d.question),
    'dev',
  );
  log(
    `Spider: ${train.examples.length} train examples, ${dev.length} dev questions; vectors ${tv.cached && dv.cached ? 'from cache' : `embedded in ${((performance.now() - t) / 1000).toFixed(1)} s (native q8)`}`,
  );
  return {
    examples: train.examples.map((e) => ({ question: e.question, sql: e.sql, dbId: e.dbId ?? '' })),
    schemas: tables,
    dev,
    trainVectors: tv.vectors,
    devVectors: dv.vectors,
    devPicks: pick(dev.length, 100),
  };
}

function bytesOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Sections

function shellSize(): void {
  const files: string[] = [];
  const walk = (dir: string, rel = '') => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      const r = rel ? `${rel}/${f}` : f;
      if (statSync(p).isDirectory()) walk(p, r);
      else files.push(r);
    }
  };
  walk(DIST);
  const textExt = /\.(html|js|mjs|css|webmanifest|json)$/;
  const textOf = (n: string) => (textExt.test(n) && n !== 'sw.js' ? readFileSync(path.join(DIST, n), 'utf8') : null);
  const info = new Map<string, ShellFile>();
  const stat = (n: string): ShellFile => {
    let s = info.get(n);
    if (!s) {
      const buf = readFileSync(path.join(DIST, n));
      s = { name: n, bytes: buf.byteLength, gzip: gzipSync(buf, { level: 9 }).byteLength };
      info.set(n, s);
    }
    return s;
  };
  const sum = (names: string[], re: RegExp) =>
    names
      .filter((n) => re.test(n))
      .map(stat)
      .reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzip, count: a.count + 1 }), {
        bytes: 0,
        gzip: 0,
        count: 0,
      });
  const app = reachable('index.html', files, textOf);
  const benchOnly = new Set(reachable('bench.html', files, textOf).filter((n) => !app.includes(n)));
  const all = files.filter((n) => !benchOnly.has(n) && n !== 'bench.html');
  const kinds: [string, RegExp][] = [
    ['JS', /\.(js|mjs)$/],
    ['wasm', /\.wasm$/],
    ['JS+wasm', /\.(js|mjs|wasm)$/],
  ];
  for (const [label, re] of kinds) {
    const a = sum(app, re);
    add({
      id: `shell.app.${label}.gzip`,
      group: 'shell',
      name: `app ${label}, gzip (${a.count} files reachable from index.html)`,
      host: 'build',
      unit: 'bytes',
      better: 'lower',
      runs: [a.gzip],
      params: { raw: a.bytes, files: a.count },
    });
  }
  const a = sum(app, /\.(js|mjs|wasm)$/);
  add({
    id: 'shell.app.JS+wasm.raw',
    group: 'shell',
    name: 'app JS+wasm, raw',
    host: 'build',
    unit: 'bytes',
    better: 'lower',
    runs: [a.bytes],
  });
  const d = sum(all, /\.(js|mjs|wasm)$/);
  add({
    id: 'shell.dist.JS+wasm.gzip',
    group: 'shell',
    name: `all of dist/ JS+wasm except the bench harness, gzip (${d.count} files)`,
    host: 'build',
    unit: 'bytes',
    better: 'lower',
    runs: [d.gzip],
    params: { raw: d.bytes },
  });
  const top = app
    .map(stat)
    .sort((x, y) => y.gzip - x.gzip)
    .slice(0, 6)
    .map((f) => `${f.name} ${fmt(f.gzip)} gz`);
  notes.push(`shell: largest app files (gzip level 9): ${top.join(', ')}`);
  const models = localModelsDir();
  if (models) {
    for (const [id, file] of [
      [EMBEDDER, 'model_quantized.onnx'],
      [GENERATOR, 'model_quantized.onnx'],
    ]) {
      const p = path.join(models, id, 'onnx', file);
      if (existsSync(p))
        add({
          id: `shell.model.${id}`,
          group: 'shell',
          name: `model download (not in shell): ${id} q8 onnx, gzip`,
          host: 'build',
          unit: 'bytes',
          better: 'lower',
          runs: [gzipSync(readFileSync(p), { level: 6 }).byteLength],
          params: { raw: statSync(p).size },
        });
    }
  }
}

// The argument crosses into the page as structured-cloned JSON; each call site shapes it itself.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function evaluate<T>(page: Page, fn: (b: Bench, arg: any) => Promise<T>, arg: unknown): Promise<T> {
  return page.evaluate(
    ([src, a]) => {
      const f = new Function(`return (${src})`)() as (b: unknown, x: unknown) => Promise<unknown>;
      return f((window as unknown as { bench: unknown }).bench, a);
    },
    [fn.toString(), arg] as const,
  ) as Promise<T>;
}

function embedMetrics(
  res: EmbedResult | { loadMs: number; perBatch: Record<string, number[]>; error?: string },
  host: string,
  dtype: string,
  texts: number,
) {
  if (res.error) {
    failed('embed', `embed.${dtype}.${host}`, `sentences/s ${dtype}`, host, 'sent/s', res.error);
    return;
  }
  for (const [b, runs] of Object.entries(res.perBatch)) {
    add({
      id: `embed.${dtype}.b${b}.${host}`,
      group: 'embed',
      name: `sentences/s ${dtype} batch ${b}`,
      host,
      unit: 'sent/s',
      better: 'higher',
      runs,
      params: { batch: Number(b), sentences: b === '1' ? undefined : texts },
    });
  }
  add({
    id: `embed.${dtype}.load.${host}`,
    group: 'embed',
    name: `model load ${dtype}`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: [res.loadMs],
    note: (res as EmbedResult).note,
  });
  const n = (res as EmbedResult).note;
  if (n && host.startsWith('browser-wasm')) {
    const want = host.match(/(\d)t$/)?.[1];
    if (!n.includes(`numThreads=${want}`) || !n.includes('crossOriginIsolated=true'))
      notes.push(`embed: ${host} ${dtype} did not run with the requested threads: ${n}`);
  }
}

async function sectionEmbed(page: Page, spider: SpiderData | null) {
  const E = S.embed;
  const source = spider
    ? spider.dev.map((d) => d.question)
    : Array.from(
        { length: 256 },
        (_, i) => `How many singers are older than ${i} years and live in city number ${i % 17}?`,
      );
  const texts = [...new Set(source)].slice(0, E.texts);
  const probes: Record<string, number[]> = {};
  const base = { texts, singles: E.singles, batchSizes: E.batchSizes, repeats: E.repeats, timeoutMs: 180_000 };
  // Per thread setting: the native reference, then one browser worker for every dtype.
  for (const threads of [1, 2]) {
    const nhost = threads === 1 ? 'node-native-1t' : 'node-native';
    for (const dtype of E.dtypes) {
      log(`embed ${dtype} ${nhost}`);
      const r = await nativeEmbedBench({ ...base, dtype, threads: threads === 1 ? 1 : 0 });
      embedMetrics(r, nhost, dtype, texts.length);
      probes[`${dtype} ${nhost}`] = r.probe;
    }
    const host = `browser-wasm-${threads}t`;
    log(`embed ${E.dtypes.join('+')} ${host}`);
    const rs = await evaluate(
      page,
      (b, reqs) => b.embedSeries(reqs),
      E.dtypes.map((dtype) => ({ ...base, device: 'wasm', dtype, threads })),
    );
    E.dtypes.forEach((dtype, i) => {
      embedMetrics(rs[i], host, dtype, texts.length);
      probes[`${dtype} ${host}`] = rs[i].probe;
    });
  }
  if (E.webgpu.dtypes.length) {
    const host = 'browser-webgpu';
    const W = E.webgpu;
    log(`embed ${W.dtypes.join('+')} ${host} (informational)`);
    const rs = await evaluate(
      page,
      (b, reqs) => b.embedSeries(reqs),
      W.dtypes.map((dtype) => ({
        device: 'webgpu',
        dtype,
        threads: 1,
        texts: texts.slice(0, W.texts),
        singles: W.singles,
        batchSizes: E.batchSizes,
        repeats: W.repeats,
        timeoutMs: 150_000,
      })),
    );
    W.dtypes.forEach((dtype, i) => {
      embedMetrics(rs[i], host, dtype, W.texts);
      if (!rs[i].error) probes[`${dtype} ${host}`] = rs[i].probe;
    });
  }
  for (const dtype of E.dtypes) {
    for (const b of ['1', ...E.batchSizes.map(String)]) {
      for (const t of [1, 2]) {
        const ref = t === 1 ? 'node-native-1t' : 'node-native';
        ratios.push(
          ratio(
            metrics,
            `embed.${dtype}.b${b}.wasm${t}t-vs-native`,
            `embed ${dtype} b${b}: browser WASM ${t}t / native${t === 1 ? ' 1t' : ' (default threads)'}`,
            `embed.${dtype}.b${b}.browser-wasm-${t}t`,
            `embed.${dtype}.b${b}.${ref}`,
            'throughput ratio; < 1 = browser slower',
          ),
        );
      }
    }
  }
  // Do the hosts compute the same vectors? (first 4 values of the first text's vector)
  const ref = probes['q8 node-native'];
  if (ref?.length) {
    const worst = Object.entries(probes)
      .filter(([k]) => k.startsWith('q8'))
      .map(([k, v]) => [k, Math.max(...v.map((x, i) => Math.abs(x - ref[i])))] as const);
    notes.push(
      `embed: max |Δ| of the first 4 dims vs native q8: ${worst.map(([k, d]) => `${k} ${d.toExponential(1)}`).join('; ')}`,
    );
  }
}

async function sectionIndex(page: Page, baseUrl: string, spider: SpiderData | null) {
  const I = S.index;
  const specs: { spec: Record<string, unknown>; repeats: number; idb: number; label: string }[] = I.datasets.map(
    (d) => ({
      spec: { name: d.name, n: d.n, dim: DIM, seed: SEED, queries: d.queries },
      repeats: d.repeats,
      idb: d.idb,
      label: `${d.name} (${d.queries} random queries)`,
    }),
  );
  if (I.real && spider) {
    specs.push({
      spec: {
        name: 'spider-train-6.7k',
        n: spider.examples.length,
        dim: DIM,
        seed: SEED,
        queries: spider.devPicks.length,
        vectorsUrl: `${baseUrl}__bench/train-vectors.f32`,
        queryVectorsUrl: `${baseUrl}__bench/dev-pick-vectors.f32`,
      },
      repeats: 5,
      idb: 2,
      label: `spider-train-6.7k (real USE-Lite q8 vectors, ${spider.devPicks.length} dev questions)`,
    });
  }
  for (const s of specs) {
    const name = s.spec.name as string;
    log(`index ${s.label}: ${I.kinds.join(', ')}`);
    const results = (await evaluate(page, (b, a) => b.indexSuite(a.spec, a.kinds, a.opts), {
      spec: s.spec,
      kinds: I.kinds,
      opts: { k: I.k, repeats: s.repeats, idbRepeats: s.idb, timeoutMs: name.includes('100k') ? 420_000 : 300_000 },
    })) as (IndexResult & {
      memBefore?: number;
      memAfter?: number;
      memSource?: string;
      memMs?: (number | undefined)[];
    })[];
    for (const r of results) {
      const host = `browser-${r.kind}`;
      const base = `index.${name}.${r.kind}`;
      const params = { vectors: r.n, dim: r.dim, k: I.k, queries: s.spec.queries, engine: r.engine };
      if (r.error && !r.p50.length) {
        failed('index', `${base}.build`, `${name} build`, host, 'ms', r.error);
        if (/voy/i.test(r.kind)) notes.push(`index: voy-search on ${name}: ${r.error}`);
        continue;
      }
      add({
        id: `${base}.build`,
        group: 'index',
        name: `${name} build`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: [r.buildMs ?? NaN],
        params,
      });
      add({
        id: `${base}.p50`,
        group: 'index',
        name: `${name} query p50 top-${I.k}`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: r.p50,
        params,
      });
      add({
        id: `${base}.p95`,
        group: 'index',
        name: `${name} query p95 top-${I.k}`,
        host,
        unit: 'ms',
        better: 'lower',
        runs: r.p95,
        params,
      });
      add({
        id: `${base}.recall`,
        group: 'index',
        name: `${name} recall@${I.k} vs exact`,
        host,
        unit: 'ratio',
        better: 'higher',
        runs: [r.recall],
        params,
      });
      if (r.saveMs.length)
        add({
          id: `${base}.idb-save`,
          group: 'index',
          name: `${name} IndexedDB save`,
          host,
          unit: 'ms',
          better: 'lower',
          runs: r.saveMs,
          params,
        });
      if (r.loadMs.length)
        add({
          id: `${base}.idb-load`,
          group: 'index',
          name: `${name} IndexedDB load+restore`,
          host,
          unit: 'ms',
          better: 'lower',
          runs: r.loadMs,
          params,
        });
      if (r.error) {
        failed('index', `${base}.idb`, `${name} IndexedDB`, host, 'ms', r.error);
      }
      add({
        id: `${base}.bytes`,
        group: 'index',
        name: `${name} memory: counted buffers`,
        host,
        unit: 'bytes',
        better: 'lower',
        runs: [r.bytes ?? NaN],
        params,
        note: "Float32 vectors + int8 codes/scales/scratch, or + the growth of voy's wasm memory during build",
      });
      if (r.extraChars)
        add({
          id: `${base}.extra`,
          group: 'index',
          name: `${name} serialized index (voy JSON, stored beside the vectors)`,
          host,
          unit: 'chars',
          better: 'lower',
          runs: [r.extraChars],
          params,
        });
      if (r.memAfter != null && r.memBefore != null) {
        add({
          id: `${base}.heap-delta`,
          group: 'index',
          name: `${name} memory: measured delta after build`,
          host,
          unit: 'bytes',
          better: 'lower',
          runs: [r.memAfter - r.memBefore],
          params: { before: r.memBefore, after: r.memAfter, source: r.memSource, measureMs: r.memMs },
        });
      }
    }
    ratios.push(
      ratio(
        metrics,
        `index.${name}.int8-vs-flat.p50`,
        `${name} query p50: int8 / flat`,
        `index.${name}.int8.p50`,
        `index.${name}.flat.p50`,
        '< 1 = int8 faster',
      ),
    );
    ratios.push(
      ratio(
        metrics,
        `index.${name}.voy-vs-flat.p50`,
        `${name} query p50: voy / flat`,
        `index.${name}.voy.p50`,
        `index.${name}.flat.p50`,
        '< 1 = voy faster',
      ),
    );
  }
}

function queryMetrics(stages: QueryPathStage[], host: string) {
  for (const st of stages) {
    const base = `query.${st.docs}.${st.kind}.${host}`;
    const params = { docs: st.docs, index: st.kind, k: S.query.k, questions: S.query.questions };
    add({
      id: `${base}.total`,
      group: 'query',
      name: `query path p50 @${fmt(st.docs)} docs, ${st.kind}: total`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.total,
      params,
    });
    add({
      id: `${base}.embed`,
      group: 'query',
      name: `  · embed query`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.embed,
      params,
    });
    add({
      id: `${base}.search`,
      group: 'query',
      name: `  · search top-${S.query.k}`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.search,
      params,
    });
    add({
      id: `${base}.prompt`,
      group: 'query',
      name: `  · build prompt (token-counted)`,
      host,
      unit: 'ms',
      better: 'lower',
      runs: st.prompt,
      params,
    });
  }
}

async function sectionQuery(page: Page, baseUrl: string, spider: SpiderData) {
  const Q = S.query;
  const picks = pick(spider.dev.length, Q.questions).map((i) => spider.dev[i]);
  const dbs = new Set(picks.map((p) => p.dbId));
  const schemas = Object.fromEntries(Object.entries(spider.schemas).filter(([k]) => dbs.has(k)));
  const req = { questions: picks, k: Q.k, kinds: Q.kinds, sizes: Q.sizes, repeats: Q.repeats };
  log(`query path (native): ${Q.sizes.join(', ')} docs × ${Q.kinds.join(', ')}`);
  const native = await nativeQueryPath(
    { examples: spider.examples, schemas, vectors: spider.trainVectors, dim: DIM },
    { ...req, kinds: [...Q.kinds] },
  );
  log('query path (browser worker, WASM 2 threads)');
  const browser = (await evaluate(page, (b, a) => b.queryPath(a.req, a.corpus), {
    req: { ...req, threads: 2, timeoutMs: 420_000 },
    corpus: {
      examplesUrl: `${baseUrl}__bench/train-examples.json`,
      vectorsUrl: `${baseUrl}__bench/train-vectors.f32`,
      dim: DIM,
      schemas,
    },
  })) as { stages?: QueryPathStage[]; error?: string };
  if (browser.error || !browser.stages)
    failed('query', 'query.browser', 'query path', 'browser-wasm-2t', 'ms', browser.error ?? 'no result');
  else queryMetrics(browser.stages, 'browser-wasm-2t');
  queryMetrics(native.stages, 'node-native');
  for (const size of Q.sizes) {
    for (const kind of Q.kinds) {
      ratios.push(
        ratio(
          metrics,
          `query.${size}.${kind}.browser-vs-native`,
          `query path @${fmt(size)} ${kind}: browser / native`,
          `query.${size}.${kind}.browser-wasm-2t.total`,
          `query.${size}.${kind}.node-native.total`,
          'latency ratio; > 1 = browser slower',
        ),
      );
    }
    if ((Q.kinds as readonly string[]).includes('int8')) {
      ratios.push(
        ratio(
          metrics,
          `query.${size}.int8-vs-flat.browser`,
          `query path @${fmt(size)} browser: int8 / flat`,
          `query.${size}.int8.browser-wasm-2t.total`,
          `query.${size}.flat.browser-wasm-2t.total`,
          '< 1 = int8 faster end to end',
        ),
      );
    }
  }
}

async function genPrompts(spider: SpiderData | null, count: number): Promise<string[]> {
  const spec = findCpuGenerator(GENERATOR)!;
  if (!spider) {
    return Array.from(
      { length: count },
      (_, i) =>
        buildPrompt(spec.format, {
          tables: [{ name: 'singer', columns: ['singer_id', 'name', 'age', 'country'] }],
          examples: [],
          question: `How many singers are older than ${20 + i}?`,
        }).text,
    );
  }
  const tf = await transformers();
  const tok = await tf.AutoTokenizer.from_pretrained(GENERATOR);
  const flat = new FlatIndex(spider.trainVectors, DIM);
  return pick(spider.dev.length, count).map((i) => {
    const d = spider.dev[i];
    const hits = flat.search(spider.devVectors.subarray(i * DIM, (i + 1) * DIM), 3);
    return buildPrompt(
      spec.format,
      {
        tables: spider.schemas[d.dbId] ?? [],
        examples: hits.map((h) => spider.examples[h.row]),
        question: d.question,
      },
      {
        countTokens: (t) => tok.encode(t, { add_special_tokens: false }).length,
        maxTokens: spec.contextTokens - 128,
      },
    ).text;
  });
}

function genMetrics(r: GenerateRun, host: string) {
  const G = S.generate;
  const params = { prompts: G.prompts, maxNewTokens: G.maxNewTokens, dtype: G.dtype, tokens: r.tokens };
  if (r.error) {
    failed('generate', `generate.${host}`, 'tiny-sql-lm decode', host, 'tok/s', r.error);
    return;
  }
  add({
    id: `generate.${host}.tps`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} decode`,
    host,
    unit: 'tok/s',
    better: 'higher',
    runs: r.tokensPerSecond,
    params,
  });
  add({
    id: `generate.${host}.e2e`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} end-to-end (incl. prefill)`,
    host,
    unit: 'tok/s',
    better: 'higher',
    runs: r.e2eTokensPerSecond,
    params,
  });
  add({
    id: `generate.${host}.ttft`,
    group: 'generate',
    name: `tiny-sql-lm ${G.dtype} first token (prefill) p50`,
    host,
    unit: 'ms',
    better: 'lower',
    runs: r.firstTokenMs,
    params,
  });
}

async function sectionGenerate(page: Page, spider: SpiderData | null) {
  const G = S.generate;
  const prompts = await genPrompts(spider, G.prompts);
  let native: GenerateRun | null = null;
  for (const threads of G.threads) {
    // The native reference for this thread setting: pinned to 1 thread, or onnxruntime-node's default.
    const nhost = threads === 1 ? 'node-native-1t' : 'node-native';
    log(`generate (${nhost}): ${prompts.length} prompts, max ${G.maxNewTokens} new tokens, greedy`);
    const nat = await nativeGenerate({
      prompts,
      maxNewTokens: G.maxNewTokens,
      dtype: G.dtype,
      repeats: G.repeats,
      threads: threads === 1 ? 1 : 0,
    });
    genMetrics(nat, nhost);
    native ??= nat;
    const host = `browser-wasm-${threads}t`;
    log(`generate (${host})`);
    const r = await evaluate(page, (b, req) => b.generate(req), {
      prompts,
      maxNewTokens: G.maxNewTokens,
      dtype: G.dtype,
      threads,
      repeats: G.repeats,
      timeoutMs: 300_000,
    });
    genMetrics(r, host);
    if (!r.error && nat.texts.length && JSON.stringify(r.texts) !== JSON.stringify(nat.texts)) {
      notes.push(
        `generate: ${host} greedy output differs from native on ${r.texts.filter((t, i) => t !== nat.texts[i]).length}/${r.texts.length} prompts (tokens ${r.tokens.join(',')} vs ${nat.tokens.join(',')})`,
      );
    }
    ratios.push(
      ratio(
        metrics,
        `generate.${host}-vs-${nhost}`,
        `tiny-sql-lm decode: ${host} / ${nhost}`,
        `generate.${host}.tps`,
        `generate.${nhost}.tps`,
        'throughput ratio; < 1 = browser slower',
      ),
    );
  }
  if (native?.tokens.length)
    notes.push(
      `generate: tokens per prompt (native) ${native.tokens.join(', ')}; the tiny-sql format stops at the first newline, so a prompt may end before max_new_tokens`,
    );
}

function trainMetrics(r: TrainRun, host: string) {
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

async function sectionTrain(page: Page) {
  const T = S.train;
  const req = { pairs: T.pairs, epochs: T.epochs, dim: T.dim, batchSize: T.batchSize, seed: SEED };
  log(`train adapter (native): ${T.pairs} pairs × ${T.epochs} epochs`);
  const native = await nativeTrain(req);
  log('train adapter (browser worker)');
  const browser = await evaluate(page, (b, a) => b.train(a), { ...req, timeoutMs: 400_000 });
  trainMetrics(browser, 'browser-worker');
  trainMetrics(native, 'node');
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

/** Records when the app first shows a ready index and generator (the e2e tests' definition of ready). */
const READY_PROBE = `
  window.__ready = null;
  const check = () => {
    if (window.__ready != null) return;
    const i = document.querySelector('[data-testid=index-status]');
    const g = document.querySelector('[data-testid=generator-status]');
    if (i && g && i.textContent.includes('vectors') && g.textContent.includes('on wasm')) {
      window.__ready = performance.now();
      window.__readyText = (i.textContent + ' | ' + g.textContent).replace(/\\s+/g, ' ').trim();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
`;

/**
 * A 100k-row result in the real app: time from Run to the table on screen, and the longest
 * main-thread long task (PerformanceObserver 'longtask', tasks over 50 ms) meanwhile.
 */
const BIG_RESULT_SQL =
  'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r LIMIT 100000) SELECT x, x % 7 AS g FROM r';
async function sectionRender(browser: Browser, baseUrl: string) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(baseUrl + 'index.html');
    await page.getByTestId('status').getByText('Demo shop').waitFor({ timeout: 120_000 });
    const toTable: number[] = [],
      longest: number[] = [];
    for (let i = 0; i < S.render.repeats; i++) {
      log(`render: 100k-row result ${i + 1}/${S.render.repeats}`);
      await page.getByTestId('manual-sql').fill(i % 2 ? BIG_RESULT_SQL + ' ' : BIG_RESULT_SQL);
      await page.evaluate(`(() => {
        window.__long = [];
        window.__obs?.disconnect();
        window.__obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); });
        window.__obs.observe({ type: 'longtask' });
        window.__t0 = performance.now();
      })()`);
      await page.getByTestId('run-sql').click();
      await page.getByTestId('result').getByText('100,000 rows').first().waitFor({ timeout: 60_000 });
      const shown = (await page.evaluate('performance.now() - window.__t0')) as number;
      await page.waitForTimeout(300);
      const long = (await page.evaluate('Math.max(0, ...window.__long)')) as number;
      toTable.push(shown);
      longest.push(long);
    }
    add({
      id: 'render.100k.table',
      group: 'render',
      name: '100k-row result: Run → table on screen',
      host: 'browser',
      unit: 'ms',
      better: 'lower',
      runs: toTable,
    });
    add({
      id: 'render.100k.longtask',
      group: 'render',
      name: '100k-row result: longest main-thread task',
      host: 'browser',
      unit: 'ms',
      better: 'lower',
      runs: longest,
      params: { target: 'under 200 ms' },
    });
  } finally {
    await ctx.close();
  }
}

async function sectionColdStart(browser: Browser, baseUrl: string) {
  const C = S.coldstart;
  // A context of its own: the app registers its service worker, which must not touch the harness.
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    // A string, not a function: tsx would wrap inner functions in an `__name` helper the page lacks.
    await page.addInitScript({ content: READY_PROBE });
    const once = async (label: string) => {
      const t = Date.now();
      if (label === 'first') await page.goto(baseUrl + 'index.html');
      else await page.reload();
      await page.waitForFunction(() => (window as unknown as { __ready: number | null }).__ready != null, undefined, {
        timeout: 240_000,
        polling: 100,
      });
      const r = await page.evaluate(() => {
        const w = window as unknown as { __ready: number; __readyText: string };
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return {
          ready: w.__ready,
          text: w.__readyText,
          dcl: nav?.domContentLoadedEventEnd ?? NaN,
          controlled: Boolean(navigator.serviceWorker?.controller),
        };
      });
      return { ...r, wall: Date.now() - t };
    };
    log('cold start: first visit (models fetched from the preview server, demo index built)');
    const first = await once('first');
    add({
      id: 'coldstart.first',
      group: 'coldstart',
      name: 'app load → ready, first visit',
      host: 'browser',
      unit: 'ms',
      better: 'lower',
      runs: [first.ready],
      params: { status: first.text },
    });
    // Let the service worker finish installing (precaching the app) before the timed reloads:
    // a reload during the install competes with it for the network and the disk.
    const sw = await page.evaluate(async () => {
      if (!navigator.serviceWorker) return 'no service worker API';
      const t = performance.now();
      const ready = await Promise.race([
        navigator.serviceWorker.ready.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 60_000)),
      ]);
      return ready
        ? `service worker active after ${Math.round(performance.now() - t)} ms more`
        : 'no service worker became active within 60 s';
    });
    notes.push(`coldstart: ${sw}`);
    await page.waitForTimeout(1000);
    const runs: number[] = [],
      dcl: number[] = [];
    let last = first;
    for (let i = 0; i < C.reloads; i++) {
      log(`cold start: reload ${i + 1}/${C.reloads} (models cached)`);
      last = await once('reload');
      runs.push(last.ready);
      dcl.push(last.dcl);
    }
    add({
      id: 'coldstart.cached',
      group: 'coldstart',
      name: 'app load → ready, models cached (reload)',
      host: 'browser',
      unit: 'ms',
      better: 'lower',
      runs,
      params: { status: last.text, serviceWorker: last.controlled },
    });
    add({
      id: 'coldstart.cached.dcl',
      group: 'coldstart',
      name: '  · DOMContentLoaded',
      host: 'browser',
      unit: 'ms',
      better: 'lower',
      runs: dcl,
    });
    if (!/restored/.test(last.text))
      notes.push(`coldstart: the reload did not restore the index from IndexedDB: "${last.text}"`);
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const startedAt = new Date();
  log(`mode: ${QUICK ? 'quick' : 'full'}; sections: ${SECTIONS.filter(want).join(', ')}`);
  const machine: Record<string, unknown> = {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadavgStart: os.loadavg().map((x) => +x.toFixed(2)),
  };
  let server: { url: string; proc: ChildProcess } | null = null;
  let browser: Browser | null = null;
  const settings: Record<string, unknown> = { ...S, dist: path.relative(repoRoot, DIST), seed: SEED };
  try {
    const fresh = distFresh();
    if (flag('build') || (!fresh && !(flag('no-build') && existsSync(path.join(DIST, 'bench.html'))))) {
      log(`vite build → ${path.relative(repoRoot, DIST)}`);
      settings.buildMs = Math.round(await build());
      writeFileSync(path.join(DIST, STAMP), new Date().toISOString());
    } else {
      log(
        `using the existing build in ${path.relative(repoRoot, DIST)} (${fresh ? 'no source changed since' : '--no-build'}; --build forces one)`,
      );
    }
    if (want('shell')) shellSize();

    const needSpider = want('index') || want('query') || want('generate') || want('embed');
    const spider = needSpider ? await loadSpider() : null;
    if (needSpider && !spider)
      notes.push(
        'Spider data or local models not found under ../shared: real-vector index, query path and Spider prompts skipped',
      );

    const browserSections = (
      ['embed', 'index', 'query', 'generate', 'train', 'coldstart', 'render'] as Section[]
    ).filter(want);
    if (browserSections.length) {
      server = await preview();
      log(`preview at ${server.url}`);
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        // ForceEagerMeasureMemory: measureUserAgentSpecificMemory answers at once instead of at the next GC.
        // --expose-gc: the harness collects garbage before measuring memory.
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--enable-blink-features=ForceEagerMeasureMemory',
          '--js-flags=--expose-gc',
        ],
      });
      machine.chromium = browser.version();
      const ctx = await browser.newContext({ serviceWorkers: 'block' });
      // Bench data is served by this process, never copied into the build.
      if (spider) {
        const devPick = new Float32Array(spider.devPicks.length * DIM);
        spider.devPicks.forEach((r, i) => devPick.set(spider.devVectors.subarray(r * DIM, (r + 1) * DIM), i * DIM));
        const files: Record<string, [Buffer, string]> = {
          'train-vectors.f32': [bytesOf(spider.trainVectors), 'application/octet-stream'],
          'dev-pick-vectors.f32': [bytesOf(devPick), 'application/octet-stream'],
          'train-examples.json': [
            Buffer.from(JSON.stringify(spider.examples.map((e) => ({ question: e.question, sql: e.sql })))),
            'application/json',
          ],
        };
        await ctx.route('**/__bench/**', (route) => {
          const name = new URL(route.request().url()).pathname.split('/').pop()!;
          const f = files[name];
          if (!f) return route.fulfill({ status: 404, body: 'not found' });
          return route.fulfill({
            status: 200,
            body: f[0],
            headers: { 'Content-Type': f[1], 'Cross-Origin-Resource-Policy': 'same-origin' },
          });
        });
      }
      const page = await ctx.newPage();
      page.on('pageerror', (e) => notes.push(`harness page error: ${e.message}`));
      await page.goto(server.url + 'bench.html');
      await page.waitForFunction(() => document.body.dataset.benchReady === '1', undefined, { timeout: 60_000 });
      const info = await evaluate(page, (b) => b.info(), null);
      Object.assign(machine, { browser: info });
      if (!info.crossOriginIsolated)
        notes.push(
          'harness page is not cross-origin isolated: WASM threads and measureUserAgentSpecificMemory are unavailable',
        );
      log(
        `browser: ${machine.chromium}, isolated=${info.crossOriginIsolated}, WebGPU=${info.webgpu.available ? `${info.webgpu.vendor}/${info.webgpu.architecture}${info.webgpu.isFallback ? ' (fallback)' : ''}` : 'none'}`,
      );

      const guard = async (section: Section, fn: () => Promise<void>) => {
        if (!want(section)) return;
        const ts = Date.now();
        try {
          await fn();
        } catch (e) {
          notes.push(`${section}: section failed: ${errorText(e)}`);
          failed(
            section === 'query'
              ? 'query'
              : section === 'coldstart'
                ? 'coldstart'
                : section === 'render'
                  ? 'render'
                  : (section as Metric['group']),
            `${section}.failed`,
            `${section} section`,
            'driver',
            '',
            errorText(e),
          );
        }
        settings.sectionSeconds ??= {} as Record<string, number>;
        (settings.sectionSeconds as Record<string, number>)[section] = Math.round((Date.now() - ts) / 1000);
        // Background load while the section ran (1-minute load average at its end).
        settings.sectionLoadavg ??= {} as Record<string, number>;
        (settings.sectionLoadavg as Record<string, number>)[section] = +os.loadavg()[0].toFixed(2);
      };
      await guard('embed', () => sectionEmbed(page, spider));
      await guard('index', () => sectionIndex(page, server!.url, spider));
      await guard('query', async () => {
        if (!spider)
          return failed(
            'query',
            'query.skipped',
            'query path',
            'browser',
            'ms',
            'skipped: needs ../shared Spider data and models',
            true,
          );
        await sectionQuery(page, server!.url, spider);
      });
      await guard('generate', () => sectionGenerate(page, spider));
      await guard('train', () => sectionTrain(page));
      await ctx.close();
      await guard('coldstart', () => sectionColdStart(browser!, server!.url));
      await guard('render', () => sectionRender(browser!, server!.url));
    }
  } finally {
    await browser?.close().catch(() => {});
    stopProc(server?.proc ?? null);
  }
  machine.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
  const finishedAt = new Date();
  const file: BenchFile = {
    schema: RESULT_SCHEMA,
    mode: QUICK ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine,
    settings,
    metrics,
    ratios,
    notes,
  };
  const out = opt('out')
    ? path.resolve(opt('out')!)
    : path.join(RESULTS, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(file, null, 1) + '\n');
  console.log('\n' + formatTable(file));
  if (notes.length) console.log('\nnotes\n' + notes.map((n) => `  - ${n}`).join('\n'));
  const b = machine.browser as { userAgent?: string } | undefined;
  console.log(
    `\nmachine: ${machine.cpu} × ${machine.cores}, ${machine.memGB} GB, ${machine.os}, Node ${machine.node}, Chromium ${machine.chromium ?? '–'}; load avg ${JSON.stringify(machine.loadavgStart)} → ${JSON.stringify(machine.loadavgEnd)}${b ? '' : ''}`,
  );
  console.log(`wrote ${path.relative(process.cwd(), out)} (${file.durationS} s)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
