/**
 * Where the page's main thread blocks: the built app in Chromium, with a PerformanceObserver
 * 'longtask' list and a CDP CPU profile of the main thread around each phase (load → ready, the
 * first question, a 100k-row result; optionally loading the Spider train corpus). Every busy
 * stretch of the profile over the budget is attributed to the functions that ran in it (self and
 * inclusive time). A diagnosis tool for docs/main-thread.md; the budget itself is asserted by
 * `npm run bench -- --only coldstart,render`.
 *
 *   npx vite build --minify false --outDir /tmp/app-prof   # readable function names
 *   npx tsx scripts/main-thread-profile.ts --dist /tmp/app-prof [--port 4364] [--open-again 3] [--spider 60 [--spider-ask]] [--result-first] [--out FILE]
 *
 * `--spider-ask` waits until the Spider corpus's index is built, then profiles a question asked with
 * it (and the first question after the reload that restores it from IndexedDB). `--open-again N`:
 * after the reload, N navigations from about:blank with the service worker stopped (default 3).
 * `--result-first`: the 100k-row result before the first question, 3 s after ready (the page's first
 * result, as in the bench's render section).
 */
import { chromium, type CDPSession, type Page } from '@playwright/test';
import { waitUntilReady } from '../src/node/bench/sections/app.ts';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const DIST = path.resolve(arg('dist', 'dist')!);
const PORT = Number(arg('port', '4364'));
const SPIDER_S = Number(arg('spider', '0'));
/** After the Spider corpus is indexed: ask a question (and again after the reload that restores it). */
const SPIDER_ASK = process.argv.includes('--spider-ask');
/** How many times the app is opened again (navigation, service worker stopped) after the reload. */
const OPEN_AGAIN = Number(arg('open-again', '3'));
const OUT = arg('out');
/** The 100k-row result first, before any question (as the bench's render section runs it). */
const RESULT_FIRST = process.argv.includes('--result-first');
const BUDGET = 50;
const SPIDER = path.resolve(import.meta.dirname, '../../shared/data/spider');

const BIG_SQL =
  'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r LIMIT 100000) SELECT x, x % 7 AS g FROM r';

function frameName(f: CallFrame): string {
  const file = f.url ? f.url.split('/').pop()!.split('?')[0] : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

interface Stretch {
  startMs: number;
  ms: number;
  self: [string, number][];
  inclusive: [string, number][];
}

/** Inclusive main-thread time per function over a whole profile (ms), largest first. */
function inclusiveTotals(p: Profile, top: number): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let x: number | undefined = p.samples[i]; x !== undefined; x = parent.get(x)) {
      const f = byId.get(x)!.callFrame;
      if (f.functionName === '(root)' || f.functionName === '(idle)') continue;
      const k = frameName(f);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  return [...incl]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => [k, Math.round(v)]);
}

/** Busy stretches (consecutive non-idle samples) of at least `min` ms, each with its top functions. */
function stretches(p: Profile, min: number): Stretch[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out: Stretch[] = [];
  let t = p.startTime;
  let cur: { start: number; end: number; ids: number[]; dts: number[] } | null = null;
  const flush = () => {
    if (cur && (cur.end - cur.start) / 1000 >= min) {
      const self = new Map<string, number>();
      const incl = new Map<string, number>();
      cur.ids.forEach((id, i) => {
        const dt = cur!.dts[i] / 1000;
        const n = byId.get(id)!;
        self.set(frameName(n.callFrame), (self.get(frameName(n.callFrame)) ?? 0) + dt);
        const seen = new Set<string>();
        for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
          const f = byId.get(x)!.callFrame;
          if (f.functionName === '(root)') continue;
          const k = frameName(f);
          if (seen.has(k)) continue;
          seen.add(k);
          incl.set(k, (incl.get(k) ?? 0) + dt);
        }
      });
      const top = (m: Map<string, number>, n: number) =>
        [...m]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([k, v]) => [k, Math.round(v)] as [string, number]);
      out.push({
        startMs: Math.round((cur.start - p.startTime) / 1000),
        ms: Math.round((cur.end - cur.start) / 1000),
        self: top(self, 8),
        inclusive: top(incl, 14),
      });
    }
    cur = null;
  };
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = p.timeDeltas[i + 1] ?? 0;
    const name = byId.get(p.samples[i])!.callFrame.functionName;
    if (name === '(idle)') {
      flush();
      continue;
    }
    cur ??= { start: t, end: t, ids: [], dts: [] };
    cur.end = t + dt;
    cur.ids.push(p.samples[i]);
    cur.dts.push(dt);
  }
  flush();
  return out;
}

/**
 * The bench's cold start: a reload (or, `open`, a navigation to the app), type SQL as soon as the
 * box is there, Run, until the result shows.
 */
async function loadAndRunSql(page: Page, open = false) {
  if (open) await page.goto(`http://localhost:${PORT}/index.html`, { waitUntil: 'commit' });
  else await page.reload({ waitUntil: 'commit' });
  await page.getByTestId('manual-sql').fill('SELECT count(*) AS n FROM customers', { timeout: 120_000 });
  await page.getByTestId('run-sql').click({ timeout: 120_000 });
  await page.getByTestId('result-table').first().waitFor({ timeout: 120_000 });
}

async function phase(page: Page, cdp: CDPSession, label: string, act: () => Promise<void>) {
  await page.evaluate('window.__long = []');
  let t0 = (await page.evaluate('performance.now()')) as number;
  const origin0 = (await page.evaluate('performance.timeOrigin')) as number;
  await cdp.send('Profiler.start');
  const w0 = Date.now();
  await act();
  const wall = Date.now() - w0;
  await page.waitForTimeout(500);
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  // a phase that reloads the page: its long tasks are on the new page's clock, from 0
  if (((await page.evaluate('performance.timeOrigin')) as number) !== origin0) t0 = 0;
  const long = (await page.evaluate(`window.__long.filter(([s]) => s >= ${t0})`)) as [number, number][];
  const st = stretches(profile, BUDGET);
  // main-thread time not idle over the phase (wall time of the non-idle samples)
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let busyMs = 0;
  for (let i = 0; i < profile.samples.length; i++)
    if (!idle.has(profile.samples[i])) busyMs += (profile.timeDeltas[i + 1] ?? 0) / 1000;
  const longest = Math.round(Math.max(0, ...long.map((l) => l[1])));
  console.log(
    `\n=== ${label}: ${wall} ms wall, main thread busy ${Math.round(busyMs)} ms; ${long.length} long tasks, longest ${longest} ms`,
  );
  for (const s of st.sort((a, b) => b.ms - a.ms).slice(0, 8)) {
    console.log(`  busy ${s.ms} ms at +${s.startMs} ms`);
    console.log(`    self: ${s.self.map(([k, v]) => `${k} ${v}`).join(' | ')}`);
    console.log(`    incl: ${s.inclusive.map(([k, v]) => `${k} ${v}`).join(' | ')}`);
  }
  return {
    label,
    wallMs: wall,
    busyMs: Math.round(busyMs),
    longestTaskMs: longest,
    longTasks: long.map(([s, d]) => [Math.round(s - t0), Math.round(d)]),
    busy: st,
    inclusive: inclusiveTotals(profile, 300),
  };
}

async function main() {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error(`no build in ${DIST}`);
  const server = spawn('npx', ['vite', 'preview', '--outDir', DIST, '--port', String(PORT), '--strictPort'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const base = `http://localhost:${PORT}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  const results: unknown[] = [];
  try {
    const page = await (await browser.newContext()).newPage();
    await page.addInitScript({
      content: `window.__long = [];
        new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]); })
          .observe({ type: 'longtask', buffered: true });`,
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    results.push(
      await phase(page, cdp, 'load → ready (demo)', async () => {
        await page.goto(base + 'index.html');
        await waitUntilReady(page, 300_000);
      }),
    );
    const firstQuestion = async () => {
      await page.getByTestId('question').fill('Which customers have placed more than 5 orders?');
      results.push(
        await phase(page, cdp, 'first question (demo)', async () => {
          await page.getByTestId('ask').click();
          await page.getByTestId('result-table').or(page.getByTestId('error')).first().waitFor({ timeout: 180_000 });
        }),
      );
    };
    const bigResult = async () => {
      await page.getByTestId('manual-sql').fill(BIG_SQL);
      // the SQL editor's autocomplete (opened by the typing) closes before the phase starts
      await page.waitForTimeout(1000);
      results.push(
        await phase(
          page,
          cdp,
          `100k-row result${RESULT_FIRST ? ' (the first result after loading)' : ''}`,
          async () => {
            await page.getByTestId('run-sql').click();
            await page.getByTestId('result').getByText('100,000 rows').first().waitFor({ timeout: 120_000 });
          },
        ),
      );
    };
    if (RESULT_FIRST) {
      // as the bench's render section: the 100k-row result is the page's first result
      await page.waitForTimeout(3000);
      await bigResult();
      await firstQuestion();
    } else {
      await firstQuestion();
      await bigResult();
    }
    // the bench's cold start with the models cached: reload, type SQL, Run, until the result shows
    await page.evaluate(() => navigator.serviceWorker?.ready);
    results.push(await phase(page, cdp, 'reload → SQL result (models cached)', () => loadAndRunSql(page)));
    // the app opened again later: a navigation from about:blank with the service worker stopped
    for (let i = 1; i <= OPEN_AGAIN; i++) {
      await waitUntilReady(page);
      await page.goto('about:blank');
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      results.push(
        await phase(page, cdp, `open again ${i}/${OPEN_AGAIN} → SQL result (service worker stopped)`, () =>
          loadAndRunSql(page, true),
        ),
      );
    }
    if (SPIDER_S > 0 && existsSync(SPIDER)) {
      results.push(
        await phase(page, cdp, `Spider train corpus: load + ${SPIDER_S} s of indexing`, async () => {
          await page.getByTestId('tab-data').click();
          await page
            .getByTestId('corpus-file')
            .setInputFiles([path.join(SPIDER, 'train/train_queries.spiderman.csv'), path.join(SPIDER, 'tables.json')]);
          await page.getByTestId('corpus-name').getByText('(6,726)').waitFor({ timeout: 120_000 });
          await page.waitForTimeout(SPIDER_S * 1000);
        }),
      );
    }
    const spiderQuestion = async (label: string) => {
      const t0 = Date.now();
      for (;;) {
        // textContent: the status sits in a folded part of the header
        const text = ((await page.getByTestId('index-status').textContent()) ?? '').replace(/\s+/g, ' ');
        if (text.includes('6,726 vectors')) break;
        if (Date.now() - t0 > 900_000) throw new Error(`the Spider corpus was not indexed in 15 min: ${text}`);
        console.log(`  … ${Math.round((Date.now() - t0) / 1000)} s: ${text}`);
        await page.waitForTimeout(15_000);
      }
      await waitUntilReady(page, 300_000);
      await page.getByTestId('tab-ask').click();
      await page.getByTestId('question').fill('How many customers placed an order in 2023?');
      results.push(
        await phase(page, cdp, label, async () => {
          await page.getByTestId('ask').click();
          await page.getByTestId('retrieved-item').first().waitFor({ state: 'attached', timeout: 180_000 });
          await page.getByTestId('result-table').or(page.getByTestId('error')).first().waitFor({ timeout: 180_000 });
        }),
      );
    };
    if (SPIDER_ASK && SPIDER_S > 0 && existsSync(SPIDER)) await spiderQuestion('first question (Spider corpus)');
    if (SPIDER_S > 0 && existsSync(SPIDER)) {
      // a reload with the Spider corpus saved: its examples are read back from IndexedDB
      results.push(
        await phase(page, cdp, 'reload with the Spider corpus saved → SQL result', async () => {
          await loadAndRunSql(page);
          await page.getByText('6,726').first().waitFor({ state: 'attached', timeout: 120_000 });
          await page.waitForTimeout(1000);
        }),
      );
      if (SPIDER_ASK) await spiderQuestion('first question after a reload (Spider corpus restored)');
    }
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid!);
    } catch {
      /* gone */
    }
  }
  if (OUT) writeFileSync(OUT, JSON.stringify(results, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
