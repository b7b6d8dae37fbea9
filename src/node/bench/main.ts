/**
 * `npm run bench`: measures every stage of CodeRAG Web against its reference in one run (the
 * built app in Chromium through Playwright, the native references in this Node process) and
 * writes one result file (schema: docs/benchmarks.md). Each section lives in ./sections/.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { RESULT_SCHEMA, formatTable, type BenchFile } from '../../bench/report.ts';
import { processIO, type CliIO } from '../cli/args.ts';
import { saveResult, savedNote } from '../cli/output.ts';
import { repoRoot } from '../host.ts';
import { BENCH_USAGE, RESULTS_DIR, SECTIONS, benchSettings, parseBenchArgs, type Section } from './args.ts';
import { bytesOf, loadSpider } from './data.ts';
import { DIM, SEED, errorText, newBenchRun } from './run.ts';
import { STAMP, build, distFresh, evaluate, preview, stopProc } from './serve.ts';
import { sectionColdStart, sectionRender } from './sections/app.ts';
import { sectionSpider } from './sections/spider.ts';
import { sectionCodeIndex } from './sections/codeindex.ts';
import { sectionEmbed } from './sections/embed.ts';
import { sectionGenerate } from './sections/generate.ts';
import { sectionIndex } from './sections/index.ts';
import { sectionQuery } from './sections/query.ts';
import { shellSize } from './sections/shell.ts';
import { sectionTrain } from './sections/train.ts';

/**
 * Run the benchmark on `argv` (without the node and script paths). Throws UsageError on a bad
 * command line, before anything is built; a section that fails is recorded and the run goes on.
 */
export async function runBench(argv: string[], io: CliIO = processIO): Promise<void> {
  const o = parseBenchArgs(argv);
  if (o.help) {
    io.log(BENCH_USAGE);
    return;
  }
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (o.sections.some((s) => s !== 'shell') && !existsSync(chromiumPath))
    throw new Error(`Chromium not found at ${chromiumPath} (set CHROMIUM_PATH); only --only shell runs without it`);
  const S = benchSettings(o.quick, o.webgpuFp32);
  const DIST = o.dist;
  const rec = newBenchRun(S, DIST, io.log);
  const { metrics, ratios, notes, log, failed } = rec;
  const want = (s: Section) => o.sections.includes(s);
  const QUICK = o.quick;
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
    const fresh = distFresh(DIST);
    if (o.build === 'force' || (!fresh && !(o.build === 'skip' && existsSync(path.join(DIST, 'bench.html'))))) {
      log(`vite build → ${path.relative(repoRoot, DIST)}`);
      settings.buildMs = Math.round(await build(DIST));
      writeFileSync(path.join(DIST, STAMP), new Date().toISOString());
    } else {
      log(
        `using the existing build in ${path.relative(repoRoot, DIST)} (${fresh ? 'no source changed since' : '--no-build'}; --build forces one)`,
      );
    }
    if (want('shell')) shellSize(rec);

    const needSpider = want('index') || want('query') || want('generate') || want('embed');
    const spider = needSpider ? await loadSpider(log) : null;
    if (needSpider && !spider)
      notes.push(
        'Spider data or local models not found under ../shared: real-vector index, query path and Spider prompts skipped',
      );

    const browserSections = (
      ['embed', 'index', 'query', 'generate', 'train', 'coldstart', 'render', 'spider', 'codeindex'] as Section[]
    ).filter(want);
    if (browserSections.length) {
      server = await preview(DIST);
      log(`preview at ${server.url}`);
      browser = await chromium.launch({
        executablePath: chromiumPath,
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
          // every section is a metric group of the same name
          failed(section, `${section}.failed`, `${section} section`, 'driver', '', errorText(e));
        }
        settings.sectionSeconds ??= {} as Record<string, number>;
        (settings.sectionSeconds as Record<string, number>)[section] = Math.round((Date.now() - ts) / 1000);
        // Background load while the section ran (1-minute load average at its end).
        settings.sectionLoadavg ??= {} as Record<string, number>;
        (settings.sectionLoadavg as Record<string, number>)[section] = +os.loadavg()[0].toFixed(2);
      };
      await guard('embed', () => sectionEmbed(rec, page, spider));
      await guard('index', () => sectionIndex(rec, page, server!.url, spider));
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
        await sectionQuery(rec, page, server!.url, spider);
      });
      await guard('generate', () => sectionGenerate(rec, page, spider));
      await guard('train', () => sectionTrain(rec, page));
      await guard('codeindex', () => sectionCodeIndex(rec, browser!, server!.url, page));
      await ctx.close();
      await guard('coldstart', () => sectionColdStart(rec, browser!, server!.url));
      await guard('render', () => sectionRender(rec, browser!, server!.url));
      await guard('spider', () => sectionSpider(rec, browser!, server!.url));
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
  const out = o.out ?? path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const saved = saveResult(out, JSON.stringify(file, null, 1) + '\n', 'coderag-bench');
  io.log('\n' + formatTable(file));
  if (notes.length) io.log('\nnotes\n' + notes.map((n) => `  - ${n}`).join('\n'));
  const b = machine.browser as { userAgent?: string } | undefined;
  io.log(
    `\nmachine: ${machine.cpu} × ${machine.cores}, ${machine.memGB} GB, ${machine.os}, Node ${machine.node}, Chromium ${machine.chromium ?? '–'}; load avg ${JSON.stringify(machine.loadavgStart)} → ${JSON.stringify(machine.loadavgEnd)}${b ? '' : ''}`,
  );
  if (saved.fallbackReason) {
    io.err(savedNote('the results', out, saved));
    throw new Error(`${out} could not be written; the results are in ${saved.path}`);
  }
  io.log(`wrote ${path.relative(process.cwd(), out)} (${file.durationS} s)`);
}
