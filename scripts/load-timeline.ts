/**
 * Where the time to a first SQL result goes after a load: the built app in Chromium, a first visit
 * (until ready, so the models are cached and the service worker active), then N loads — `page.reload`
 * as `npm run bench -- --only coldstart` does, or with --nav a navigation from about:blank as
 * scripts/sql-start-ab.ts does. Each load types the bench's SQL as soon as the box is there and
 * presses Run, like the bench. Per load it records, in page time from the navigation: the
 * navigation's own timings, the app's `coderag:*` performance marks (src/lib/marks.ts), when the
 * harness's input and click reached the page, when the result table appeared, and the long tasks.
 * Prints the median of each point; JSON to --out.
 *
 *   npx vite build && npx tsx scripts/load-timeline.ts [--dist dist] [--loads 5] [--nav] [--settle] [--no-sw | --cold-sw] [--out FILE]
 *
 * --settle waits until the app is ready (index and SQL model) before the next load, as the bench does.
 */
import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { LONG_TASK_PROBE, stopServiceWorkers, waitUntilReady } from '../src/node/bench/sections/app.ts';
import { preview, stopProc } from '../src/node/bench/serve.ts';
import { MARK_PREFIX } from '../src/lib/marks.ts';
import { intArg, parseStrict, runCli } from '../src/node/cli/args.ts';
import { median } from '../src/lib/eval/stats.ts';

const USAGE =
  'Usage: npx tsx scripts/load-timeline.ts [--dist dist] [--loads 5] [--nav] [--settle] [--no-sw | --cold-sw] [--out FILE]';
function readArgs() {
  const o = parseStrict(process.argv.slice(2), {
    dist: { type: 'string', default: 'dist' },
    loads: { type: 'string' },
    nav: { type: 'boolean' },
    // wait until the app is ready (index and SQL model) before each next load, as the bench does
    settle: { type: 'boolean' },
    // no service worker: every request goes to the preview server (which sends the isolation headers)
    'no-sw': { type: 'boolean' },
    // the service worker stopped before each load (the app opened again after a while)
    'cold-sw': { type: 'boolean' },
    out: { type: 'string' },
  });
  return {
    DIST: o.dist,
    LOADS: intArg('loads', o.loads, 1) ?? 5,
    NAV: o.nav === true,
    SETTLE: o.settle === true,
    NO_SW: o['no-sw'] === true,
    COLD_SW: o['cold-sw'] === true,
    OUT: o.out,
  };
}
const SQL = 'SELECT count(*) AS n FROM customers';

const PROBE = `
${LONG_TASK_PROBE}
  window.__loaf = [];
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries())
        window.__loaf.push({
          start: Math.round(e.startTime),
          ms: Math.round(e.duration),
          blocking: Math.round(e.blockingDuration),
          render: Math.round(e.renderStart ? e.startTime + e.duration - e.renderStart : 0),
          scripts: e.scripts.map((s) => ({
            ms: Math.round(s.duration),
            invoker: s.invoker,
            fn: s.sourceFunctionName,
            src: (s.sourceURL || '').split('/').pop(),
            at: s.sourceCharPosition,
          })),
        });
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
  window.__pts = {};
  const at = (k) => { if (window.__pts[k] == null) window.__pts[k] = performance.now(); };
  const box = () => document.querySelector('[data-testid=manual-sql]');
  new MutationObserver(() => {
    if (box()) at('sql-box');
    const run = document.querySelector('[data-testid=run-sql]');
    if (run && !run.disabled) at('run-enabled');
    if (document.querySelector('[data-testid=result-table]')) at('result-table');
  }).observe(document, { subtree: true, childList: true, attributes: true });
  document.addEventListener('input', (e) => { if (e.target?.closest?.('[data-testid=manual-sql]')) at('harness-input'); }, true);
  document.addEventListener('click', (e) => { if (e.target?.closest?.('[data-testid=run-sql]')) at('harness-click'); }, true);
`;

async function main() {
  const { DIST, LOADS, NAV, SETTLE, NO_SW, COLD_SW, OUT } = readArgs();
  const server = await preview(DIST);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const load0 = os.loadavg()[0];
  const loads: Record<string, number>[] = [];
  try {
    const ctx = await browser.newContext(NO_SW ? { serviceWorkers: 'block' } : {});
    const page = await ctx.newPage();
    await page.addInitScript({ content: PROBE });
    await page.goto(server.url + 'index.html');
    console.error('first visit: waiting until ready');
    await waitUntilReady(page);
    if (!NO_SW) await page.evaluate(() => navigator.serviceWorker?.ready);
    for (let i = 0; i < LOADS; i++) {
      if (NAV) await page.goto('about:blank');
      if (COLD_SW) await stopServiceWorkers(page);
      if (NAV) await page.goto(server.url + 'index.html', { waitUntil: 'commit' });
      else await page.reload({ waitUntil: 'commit' });
      await page.getByTestId('manual-sql').fill(SQL, { timeout: 120_000 });
      await page.getByTestId('run-sql').click({ timeout: 120_000 });
      await page.getByTestId('result-table').first().waitFor({ timeout: 120_000 });
      await page.waitForTimeout(300);
      const row = (await page.evaluate(`(() => {
        const out = {};
        const nav = performance.getEntriesByType('navigation')[0];
        if (nav) for (const k of ['responseStart', 'domInteractive', 'domContentLoadedEventEnd', 'loadEventEnd'])
          out['nav:' + k] = nav[k];
        for (const m of performance.getEntriesByType('mark'))
          if (m.name.startsWith(${JSON.stringify(MARK_PREFIX)})) out[m.name.slice(${MARK_PREFIX.length})] = m.startTime;
        for (const r of performance.getEntriesByType('resource')) {
          const f = r.name.split('/').pop().split('?')[0];
          if (!/^(main|app-main)-.*\\.js$/.test(f)) continue;
          const k = 'res:' + f.split('-')[0];
          out[k] = r.responseEnd;
          out[k + ':start'] = r.startTime;
          if (r.workerStart) out[k + ':workerStart'] = r.workerStart;
          out[k + ':responseStart'] = r.responseStart;
          // 'cache' when a service worker's static route served it without the worker (Chromium 13x+)
          if (r.workerFinalSourceType) out[k + ':source'] = r.workerFinalSourceType;
        }
        Object.assign(out, window.__pts);
        const until = out['result-table'] ?? performance.now();
        const long = window.__long.filter(([s]) => s <= until);
        out['longest task'] = long.reduce((m, [, d]) => Math.max(m, d), 0);
        out['long tasks (ms in all)'] = long.reduce((m, [, d]) => m + d, 0);
        out.longTasks = JSON.stringify(long.map(([s, d]) => [Math.round(s), Math.round(d)]));
        out.frames = JSON.stringify(window.__loaf.filter((f) => f.start <= until && f.blocking > 0));
        return out;
      })()`)) as Record<string, number>;
      // the SQL worker's own marks, moved onto the page's clock
      const pageOrigin = (await page.evaluate('performance.timeOrigin')) as number;
      for (const w of page.workers()) {
        if (!/sql\.worker/.test(w.url())) continue;
        const got = (await w
          .evaluate(`[performance.timeOrigin, performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])]`)
          .catch(() => null)) as [number, [string, number][]] | null;
        if (!got) continue;
        for (const [name, t] of got[1])
          if (name.startsWith(MARK_PREFIX)) row['worker:' + name.slice(MARK_PREFIX.length)] = got[0] + t - pageOrigin;
      }
      loads.push(row);
      if (SETTLE) await waitUntilReady(page);
      console.error(
        `load ${i + 1}/${LOADS}: result at ${Math.round(row['result-table'])} ms; long tasks ${row.longTasks}`,
      );
    }
  } finally {
    await browser.close();
    stopProc(server.proc);
  }
  for (const [i, r] of loads.entries())
    for (const f of JSON.parse(String(r.frames ?? '[]')) as {
      start: number;
      ms: number;
      blocking: number;
      render: number;
      scripts: { ms: number; invoker: string; fn: string; src: string }[];
    }[])
      console.error(
        `load ${i + 1}: frame at ${f.start} ms, ${f.ms} ms (blocking ${f.blocking}, render ${f.render}): ` +
          f.scripts.map((s) => `${s.ms} ms ${s.invoker} ${s.fn || ''} ${s.src}`).join(' | '),
      );
  const keys = [...new Set(loads.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'longTasks' && k !== 'frames');
  const med = Object.fromEntries(
    keys.map((k) => [k, Math.round(median(loads.map((r) => r[k]).filter((x) => Number.isFinite(x))))]),
  );
  const order = Object.entries(med).sort((x, y) => x[1] - y[1]);
  for (const [k, v] of order) console.log(`${String(v).padStart(6)} ms  ${k}`);
  const report = {
    what: `load timeline, ${NAV ? 'navigation from about:blank' : 'page.reload'}, models cached, medians of ${LOADS}`,
    dist: DIST,
    machine: { cpus: os.cpus().length, loadavg: [load0, os.loadavg()[0]] },
    medians: Object.fromEntries(order),
    loads,
  };
  if (OUT) writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');
}

process.exitCode = await runCli('load-timeline', USAGE, main);
