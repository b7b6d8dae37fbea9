/**
 * A 20-question evaluation through the Evaluate page, with the real local models and the Spider
 * dev databases:
 * checks the per-example table, the summary and the JSON/CSV exports; then resume after a reload.
 */
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { HAS_LOCAL_MODELS, HAS_SPIDER, SKIP_SPIDER, SPIDER, waitReady } from './fixtures.ts';

test.skip(!HAS_SPIDER || !HAS_LOCAL_MODELS, SKIP_SPIDER);

function sqliteFiles(): string[] {
  const dir = path.join(SPIDER, 'database');
  return readdirSync(dir).map((d) => path.join(dir, d, `${d}.sqlite`));
}

test('Evaluate page: 20 questions at k = 0 and 3, summary, table and exports', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('./');
  // The retrieval corpus is the built-in demo corpus (indexed at start-up); spider.spec.ts covers
  // indexing the Spider train corpus in the browser, and `npm run eval` evaluates with it.
  await waitReady(page);

  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-spider-files').setInputFiles([path.join(SPIDER, 'dev.json'), ...sqliteFiles()]);
  await expect(page.getByTestId('eval-dataset')).toContainText('dev.json (662)');
  await page.getByTestId('eval-limit').fill('20');
  await expect(page.getByTestId('eval-k-0')).toBeChecked();
  await expect(page.getByTestId('eval-k-3')).toBeChecked();
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-progress')).toBeVisible();
  await expect(page.getByTestId('eval-export-json')).toBeVisible({ timeout: 400_000 });

  const rows = page.getByTestId('eval-summary-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('20');
  await expect(page.getByTestId('eval-row')).toHaveCount(20);
  await expect(page.getByTestId('eval-chart')).toBeVisible();

  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('eval-export-json').click()]);
  const json = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  expect(json.runs.map((r: { k: number }) => r.k)).toEqual([0, 3]);
  for (const r of json.runs) {
    expect(r.n).toBe(20);
    expect(r.examples).toHaveLength(20);
    for (const key of ['ex', 'em']) {
      expect(r[key]).toBeGreaterThanOrEqual(0);
      expect(r[key]).toBeLessThanOrEqual(1);
      expect(r[key]).toBeCloseTo(r.examples.filter((e: Record<string, boolean>) => e[key]).length / 20, 10);
      expect(r.intervals[key].lo).toBeLessThanOrEqual(r[key]);
      expect(r.intervals[key].hi).toBeGreaterThanOrEqual(r[key]);
    }
    if (r.k === 0) expect(r.skeleton_top1).toBeNull();
    else {
      expect(r.skeleton_topk).toBeGreaterThanOrEqual(r.skeleton_top1);
      expect(r.examples[0].retrieved).toHaveLength(3);
    }
  }
  // Both runs evaluate the same sampled questions.
  expect(json.runs[0].examples.map((e: { id: string }) => e.id)).toEqual(
    json.runs[1].examples.map((e: { id: string }) => e.id),
  );
  expect(json.config.limit).toBe(20);
  expect(json.config.generator).toBe('tiny-sql-lm');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('eval-export-csv').click()]);
  const lines = readFileSync(await csv.path(), 'utf8')
    .trim()
    .split(/\r?\n/);
  expect(lines[0]).toMatch(/^k,id,db_id,question,gold,predicted,em,ex/);
  expect(lines.length).toBeGreaterThanOrEqual(41);

  // Results survive a reload (stored in IndexedDB).
  await page.reload();
  await page.getByTestId('tab-evaluate').click();
  await expect(page.getByTestId('eval-summary-row')).toHaveCount(2);
});

test('Evaluate page: a cancelled run resumes after a reload', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('./');
  await waitReady(page);
  await page.getByTestId('tab-evaluate').click();
  await page.getByTestId('eval-spider-files').setInputFiles([path.join(SPIDER, 'dev.json'), ...sqliteFiles()]);
  await page.getByTestId('eval-limit').fill('12');
  await page.getByTestId('eval-k-3').uncheck();
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-progress')).toContainText(/[3-9] \/ 12|1[01] \/ 12/, { timeout: 120_000 });
  await page.getByTestId('eval-cancel').click();
  await expect(page.getByTestId('eval-error')).toContainText('cancelled');
  await page.reload();
  await waitReady(page);
  await page.getByTestId('tab-evaluate').click();
  const resume = page.getByTestId('eval-resume');
  await expect(resume).toBeVisible();
  const before = Number((await resume.innerText()).match(/\((\d+) of 12/)![1]);
  expect(before).toBeGreaterThanOrEqual(3);
  await resume.click();
  await expect(page.getByTestId('eval-export-json')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('eval-row')).toHaveCount(12);
  await expect(page.getByTestId('eval-summary-row').first()).toContainText('12');
});
