/**
 * The whole ask flow in Chromium with the real local models (USE-Lite, tiny-sql-lm) and Spider:
 * load the train corpus, open concert_singer.sqlite, ask a dev question, reload (index restored
 * from IndexedDB, no re-embedding), and stop a runaway query while the app keeps working.
 */
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import {
  HAS_LOCAL_MODELS,
  HAS_SPIDER,
  SKIP_SPIDER,
  SPIDER,
  scores,
  streamSnapshots,
  waitReady,
  watchStream,
} from './fixtures.ts';

test.skip(!HAS_SPIDER || !HAS_LOCAL_MODELS, SKIP_SPIDER);

test('Spider: corpus, database, question, reload, runaway query', async ({ page }) => {
  test.setTimeout(600_000);
  const dev = JSON.parse(readFileSync(path.join(SPIDER, 'dev.json'), 'utf8')) as { db_id: string; question: string }[];
  const question = dev.find((q) => q.db_id === 'concert_singer')!.question;

  await page.goto('./');
  await waitReady(page);
  // The plain dense strategy (CodeRAG's) needs one index; the default strategy would embed the
  // corpus twice (question and masked question), which demo.spec.ts covers on the small corpus.
  await page.getByTestId('tab-settings').click();
  await page.getByTestId('retriever-select').selectOption('dense');

  // Load the Spider train corpus (questions CSV + tables.json) and choose concert_singer.sqlite.
  await page.getByTestId('tab-data').click();
  await page
    .getByTestId('corpus-file')
    .setInputFiles([path.join(SPIDER, 'train/train_queries.spiderman.csv'), path.join(SPIDER, 'tables.json')]);
  await expect(page.getByTestId('corpus-name')).toContainText('train_queries.spiderman.csv (6,726)');
  await page.getByTestId('db-file').setInputFiles(path.join(SPIDER, 'database/concert_singer/concert_singer.sqlite'));
  await expect(page.getByTestId('db-name')).toContainText('concert_singer.sqlite');
  // Indexing the corpus shows progress, then the index is ready.
  await expect(page.getByTestId('job-index')).toBeVisible();
  await expect(page.getByTestId('index-status')).toContainText('6,726 vectors', { timeout: 500_000 });
  await expect(page.getByTestId('index-status')).toHaveAttribute('data-origin', 'built');
  console.log(`[spider.spec] ${(await page.getByTestId('index-status').innerText()).replace(/\s+/g, ' ')}`);

  // Ask a dev question.
  await page.getByTestId('tab-ask').click();
  await page.getByTestId('question').fill(question);
  await watchStream(page);
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
  const s = await scores(page);
  expect(s.every((x) => x > 0 && x <= 1.0001)).toBe(true);
  for (let i = 1; i < s.length; i++) expect(s[i - 1]).toBeGreaterThanOrEqual(s[i]);
  await expect(page.getByTestId('prompt')).toContainText('singer(');
  await expect(page.getByTestId('prompt')).toContainText(`### Question\n${question}\n### SQL`);
  await expect(page.getByTestId('sql')).toBeVisible();
  await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  const snaps = await streamSnapshots(page);
  expect(snaps.length, `stream snapshots: ${JSON.stringify(snaps)}`).toBeGreaterThanOrEqual(2);
  console.log(
    `[spider.spec] ${await page.getByTestId('retrieval-info').innerText()}; generation: ${(await page.locator('h2', { hasText: 'tok/s' }).first().innerText()).replace(/\s+/g, ' ')}`,
  );
  const sql = await page.getByTestId('sql').innerText();
  expect(sql.trim().length).toBeGreaterThan(0);

  // Reload: the index comes back from IndexedDB without embedding the corpus again.
  await page.reload();
  await waitReady(page);
  const status = page.getByTestId('index-status');
  await expect(status).toContainText('6,726 vectors');
  await expect(status).toHaveAttribute('data-origin', 'restored');
  await expect(status).toHaveAttribute('data-embed-runs', '0');
  await expect(status).toContainText('restored from IndexedDB');
  await expect(page.getByTestId('status')).toContainText('concert_singer.sqlite');

  // A runaway query is stopped with a clear message; the app keeps working.
  const manual = page.getByTestId('manual-sql');
  await manual.fill('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT * FROM r');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('error')).toContainText(/stopped/);
  // An endless aggregate never yields a row: only the hard timeout (worker terminated) stops it.
  await manual.fill('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT count(*) FROM r');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('error')).toContainText(/timed out after 5 s: stopped/, { timeout: 20_000 });
  await manual.fill('SELECT count(*) AS n FROM singer');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('result-table')).toContainText('6');
  // And the model path still works after the SQL worker was replaced.
  await page.getByTestId('question').fill('How many singers do we have?');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
  await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
});
