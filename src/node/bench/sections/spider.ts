/**
 * `npm run bench` section `spider`: the real app with the Spider train corpus (6,726 questions and
 * tables.json from ../shared), as a user loads it in the page: choosing the files, the indexing,
 * the first question on a Spider database, the reload that restores corpus and index from
 * IndexedDB, and the first question after it. Each with its time and its longest main-thread task
 * (the 50 ms budget). Skipped with a note where ../shared has no Spider data or models.
 */
import type { Browser, Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchRun } from '../run.ts';
import { localModelsDir, spiderDir } from '../../host.ts';
import { LONG_TASK_PROBE, askAndMeasure, budgetParams, waitUntilReady } from './app.ts';

/** The Spider database the question is asked on, and the dev question (read at run time, never committed). */
const DB_ID = 'concert_singer';
const ROWS = '6,726';

export async function sectionSpider(rec: BenchRun, browser: Browser, baseUrl: string): Promise<void> {
  const { notes, add, log } = rec;
  const dir = spiderDir();
  const csv = dir && path.join(dir, 'train', 'train_queries.spiderman.csv');
  const db = dir && path.join(dir, 'database', DB_ID, `${DB_ID}.sqlite`);
  if (!dir || !localModelsDir() || !existsSync(csv!) || !existsSync(db!)) {
    notes.push('spider: skipped (needs ../shared/data/spider and ../shared/models)');
    return;
  }
  const dev = JSON.parse(readFileSync(path.join(dir, 'dev.json'), 'utf8')) as { db_id: string; question: string }[];
  const question = dev.find((q) => q.db_id === DB_ID)?.question;
  if (!question) throw new Error(`no dev question for ${DB_ID} in dev.json`);

  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.addInitScript({ content: LONG_TASK_PROBE });
    const now = () => page.evaluate('performance.now()') as Promise<number>;
    const longestSince = (t0: number) =>
      page.evaluate(`Math.max(0, ...window.__long.filter(([s]) => s >= ${t0}).map(([, d]) => d))`) as Promise<number>;
    const metric = (id: string, name: string, runs: number[], budget = false) =>
      add({
        id: `spider.${id}`,
        group: 'spider',
        name,
        host: 'browser',
        unit: 'ms',
        better: 'lower',
        runs,
        ...(budget ? { params: budgetParams(runs) } : {}),
      });

    await page.goto(baseUrl + 'index.html');
    await waitUntilReady(page);

    log('spider: loading the train corpus and concert_singer.sqlite in the page');
    await page.getByTestId('tab-data').click();
    const t0 = await now();
    await page.getByTestId('corpus-file').setInputFiles([csv!, path.join(dir, 'tables.json')]);
    await page.getByTestId('corpus-name').getByText(`(${ROWS})`).waitFor({ timeout: 120_000 });
    const loaded = (await now()) - t0;
    await page.getByTestId('db-file').setInputFiles(db!);
    await page.getByTestId('db-name').getByText(`${DB_ID}.sqlite`).waitFor({ timeout: 60_000 });
    log('spider: indexing (the question index and, for the default strategy, the masked one)');
    await waitIndexed(page);
    const indexed = (await now()) - t0;
    const indexLong = await longestSince(t0);
    metric('load', 'Spider train corpus chosen → in the page (6,726 rows)', [loaded]);
    metric('index', 'Spider train corpus chosen → indexed (no job left)', [indexed]);
    metric('index.longtask', '  · longest main-thread task while loading and indexing it', [indexLong], true);

    const ask = async () => {
      await page.getByTestId('tab-ask').click();
      await page.getByTestId('question').fill(question);
      return askAndMeasure(page, 180_000);
    };
    log('spider: first question on concert_singer');
    const q1 = await ask();
    metric('question', 'first question on Spider (concert_singer): Ask → answer on screen', [q1.ms]);
    metric('question.longtask', '  · longest main-thread task during it', [q1.long], true);

    log('spider: reload (corpus, database and index restored from IndexedDB)');
    await page.reload();
    await waitIndexed(page);
    // the page's clock starts at the reload's navigation
    const restored = await now();
    const restoreLong = await longestSince(0);
    const status = ((await page.getByTestId('index-status').textContent()) ?? '').replace(/\s+/g, ' ').trim();
    if (!/restored/.test(status)) notes.push(`spider: the reload did not restore the index: "${status}"`);
    metric('reload', 'reload with the Spider corpus saved → indexed again', [restored]);
    metric('reload.longtask', '  · longest main-thread task while restoring it', [restoreLong], true);
    const q2 = await ask();
    metric('reload.question', 'first question on Spider after that reload', [q2.ms]);
    metric('reload.question.longtask', '  · longest main-thread task during it', [q2.long], true);
  } finally {
    await ctx.close();
  }
}

/** The Spider corpus's question index is in place and no job is left (the masked index too). */
async function waitIndexed(page: Page): Promise<void> {
  await page.waitForFunction(
    (rows) => {
      const i = document.querySelector('[data-testid=index-status]')?.textContent ?? '';
      const jobs = document.querySelector('[data-testid=status]')?.getAttribute('data-jobs');
      return i.includes(`${rows} vectors`) && jobs === '0';
    },
    ROWS,
    { timeout: 900_000, polling: 500 },
  );
  await waitUntilReady(page);
}
