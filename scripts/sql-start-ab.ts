/**
 * Load → SQL result, A/B: two builds served side by side (`vite preview`), loaded alternately in
 * one Chromium, so both see the same machine state. Per build: a first visit (waits until the app
 * is ready, so the models are cached and the service worker active), then N loads, each a
 * navigation from about:blank (so the other build's page is idle meanwhile); each types the
 * bench's SQL into the SQL box as soon as it is there, presses Run, and records (page time from
 * the navigation) DOMContentLoaded, when the result table is on screen, and the longest main-thread
 * task until then. The same definitions as `npm run bench -- --only coldstart`.
 *
 *   npx tsx scripts/sql-start-ab.ts --a DIST_A --b DIST_B [--reloads 8] [--settle | --cold-sw] [--out FILE]
 */
import { chromium } from '@playwright/test';
import { LONG_TASK_PROBE, stopServiceWorkers, waitUntilReady } from '../src/node/bench/sections/app.ts';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { preview, stopProc } from '../src/node/bench/serve.ts';
import { UsageError, intArg, parseStrict, runCli } from '../src/node/cli/args.ts';
import { median } from '../src/lib/eval/stats.ts';

const USAGE =
  'Usage: npx tsx scripts/sql-start-ab.ts --a DIST_A --b DIST_B [--reloads 8] [--settle | --cold-sw] [--out FILE]';
/**
 * The command line. --settle: as `npm run bench` does, each load is a reload of the page left ready
 * (index and SQL model loaded) by the one before, whose teardown is then part of the load; without
 * it, each load is a navigation from about:blank. --cold-sw: the service workers are stopped before
 * each navigation, as when the app is opened again after a while (Chromium stops an idle one within
 * a minute), so the load includes the worker's start.
 */
function readArgs() {
  const o = parseStrict(process.argv.slice(2), {
    a: { type: 'string' },
    b: { type: 'string' },
    reloads: { type: 'string' },
    settle: { type: 'boolean' },
    'cold-sw': { type: 'boolean' },
    out: { type: 'string' },
  });
  if (!o.a || !o.b) throw new UsageError('--a and --b name the two builds');
  if (o.settle && o['cold-sw']) throw new UsageError('--cold-sw goes with navigations, not --settle');
  return {
    dists: { a: o.a, b: o.b },
    reloads: intArg('reloads', o.reloads, 1) ?? 8,
    SETTLE: o.settle === true,
    COLD_SW: o['cold-sw'] === true,
    out: o.out,
  };
}

const PROBE = `
  window.__sqlAt = null;
${LONG_TASK_PROBE}
  const check = () => {
    if (window.__sqlAt == null && document.querySelector('[data-testid=result-table]')) window.__sqlAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
`;
const SQL = 'SELECT count(*) AS n FROM customers';

async function main() {
  const { dists, reloads, SETTLE, COLD_SW, out: outFile } = readArgs();
  const servers = { a: await preview(dists.a), b: await preview(dists.b) };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const load0 = os.loadavg();
  try {
    const pages = {} as Record<'a' | 'b', import('@playwright/test').Page>;
    for (const k of ['a', 'b'] as const) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.addInitScript({ content: PROBE });
      await page.goto(servers[k].url + 'index.html');
      // ready: the index and the generator loaded (models now cached), the service worker active
      console.error(`${k}: first visit`);
      await waitUntilReady(page);
      await page.evaluate(() => navigator.serviceWorker?.ready);
      if (!SETTLE) await page.goto('about:blank');
      pages[k] = page;
    }
    const out: Record<'a' | 'b', { sql: number[]; dcl: number[]; long: number[] }> = {
      a: { sql: [], dcl: [], long: [] },
      b: { sql: [], dcl: [], long: [] },
    };
    for (let i = 0; i < reloads; i++) {
      for (const k of (i % 2 ? ['b', 'a'] : ['a', 'b']) as ('a' | 'b')[]) {
        const page = pages[k];
        console.error(`${k}: reload ${i + 1}/${reloads}`);
        if (COLD_SW) await stopServiceWorkers(page);
        if (SETTLE) await page.reload({ waitUntil: 'commit' });
        else await page.goto(servers[k].url + 'index.html', { waitUntil: 'commit' });
        await page.getByTestId('manual-sql').fill(SQL, { timeout: 120_000 });
        await page.getByTestId('run-sql').click({ timeout: 120_000 });
        await page.waitForFunction(() => (window as unknown as { __sqlAt: number | null }).__sqlAt != null, null, {
          timeout: 120_000,
          polling: 50,
        });
        const r = await page.evaluate(() => {
          const w = window as unknown as { __sqlAt: number; __long: [number, number][] };
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return {
            sql: w.__sqlAt,
            dcl: nav.domContentLoadedEventEnd,
            long: Math.max(0, ...w.__long.filter(([s]) => s <= w.__sqlAt).map(([, d]) => d)),
          };
        });
        out[k].sql.push(Math.round(r.sql));
        out[k].dcl.push(Math.round(r.dcl));
        out[k].long.push(Math.round(r.long));
        if (SETTLE) {
          // ready again before the next load (of either build), as the bench's reloads are
          await waitUntilReady(page);
          await page.waitForTimeout(500);
        } else {
          // leave the page, so its model loading does not compete with the other build's next load
          await page.goto('about:blank');
          await page.waitForTimeout(500);
        }
      }
    }
    const summary = Object.fromEntries(
      (['a', 'b'] as const).map((k) => [
        k,
        {
          dist: dists[k],
          medianSqlMs: median(out[k].sql),
          medianDclMs: median(out[k].dcl),
          medianLongMs: median(out[k].long),
          ...out[k],
        },
      ]),
    );
    const result = {
      what: `load → SQL result on screen after a reload (models cached), two builds alternated in one browser; ${
        SETTLE
          ? 'each load a reload of the page left ready by the one before'
          : `each load a navigation from about:blank${COLD_SW ? ', the service workers stopped before it' : ''}`
      }`,
      reloads,
      chromium: browser.version(),
      loadavgStart: load0,
      loadavgEnd: os.loadavg(),
      ratioBoverA: median(out.b.sql) / median(out.a.sql),
      ...summary,
    };
    console.log(JSON.stringify(result, null, 2));
    const file = outFile;
    if (file) writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  } finally {
    await browser.close();
    stopProc(servers.a.proc);
    stopProc(servers.b.proc);
  }
}
process.exitCode = await runCli('sql-start-ab', USAGE, main);
