/** `npm run bench` sections `coldstart` and `render`: the real app's load-to-ready time and a 100k-row result. */
import type { Browser } from '@playwright/test';
import type { BenchRun } from '../run.ts';

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
export async function sectionRender(rec: BenchRun, browser: Browser, baseUrl: string) {
  const { S, add, log } = rec;
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

export async function sectionColdStart(rec: BenchRun, browser: Browser, baseUrl: string) {
  const { S, notes, add, log } = rec;
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
