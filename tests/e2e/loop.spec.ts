/**
 * The learning loop and the workspace file (issue 14 items 3 and 4) in Chromium: confirm answers
 * on the demo shop (Correct, and Edit, run and save), reload, ask a paraphrase and see the
 * confirmed example retrieved first; export the workspace, break it (refused, nothing changed),
 * and import it intact.
 */
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

const COUNT_SQL = 'SELECT count(*) AS number_of_customers FROM customers';
const CITY_SQL = 'SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY n DESC';

test('confirmed answers are retrieved first after a reload; the workspace round-trips', async ({ page }) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (the local test models); skipped');
  // two page loads with model loading, four questions: more than one default test timeout
  test.setTimeout(480_000);
  await page.goto('./');
  await expect(page.getByTestId('status')).toContainText('Demo shop');
  await waitReady(page);

  // 1. Ask, correct the SQL by hand, run it, and mark it correct.
  await page.getByTestId('question').fill('How many customers are there?');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('sql')).toBeVisible();
  await page.getByTestId('sql').fill(COUNT_SQL);
  await page.getByTestId('rerun').click();
  await expect(page.getByTestId('result-table')).toContainText('number_of_customers');
  await page.getByTestId('mark-correct').click();
  await expect(page.getByTestId('confirmed')).toBeVisible();

  // 2. Another question, saved straight from the SQL editor.
  await page.getByTestId('question').fill('How many customers does each country have?');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('sql')).toBeVisible();
  await expect(page.getByTestId('ask')).toBeEnabled();
  await page.getByTestId('sql').fill(CITY_SQL);
  await page.getByTestId('edit-run-save').click();
  await expect(page.getByTestId('confirmed')).toBeVisible();

  // 3. Reload: the examples are stored; a paraphrase retrieves the confirmed one first.
  await page.reload();
  await waitReady(page);
  await page.getByTestId('tab-data').click();
  await expect(page.getByTestId('my-examples')).toContainText('2 examples');
  await page.getByTestId('tab-ask').click();
  await page.getByTestId('question').fill('how many customers exist');
  await page.getByTestId('ask').click();
  const first = page.getByTestId('retrieved-item').first();
  await expect(first).toContainText(COUNT_SQL);
  // (inside the folded "How this answer was made": attached, not visible)
  await expect(first.getByTestId('mine-badge')).toHaveText('my example');

  // 4. Export the workspace; a tampered copy is refused and changes nothing; the intact one imports.
  await page.getByTestId('tab-data').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('workspace-export').click()]);
  expect(download.suggestedFilename()).toBe('Demo_shop.coderag-workspace');
  const bytes = readFileSync((await download.path())!);
  const bad = Buffer.from(bytes);
  bad[bad.length - 5] ^= 0x08;
  await page
    .getByTestId('workspace-file')
    .setInputFiles({ name: 'bad.coderag-workspace', mimeType: 'application/octet-stream', buffer: bad });
  await expect(page.getByTestId('workspace-error')).toContainText('checksum');
  await expect(page.getByTestId('workspace-error')).toContainText('Nothing was changed');
  await expect(page.getByTestId('my-examples')).toContainText('2 examples');
  await page
    .getByTestId('workspace-file')
    .setInputFiles({ name: 'shop.coderag-workspace', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(page.getByTestId('workspace-message')).toContainText('2 of My examples');
  await expect(page.getByTestId('db-name')).toContainText('Demo shop');
  await expect(page.getByTestId('my-examples')).toContainText('2 examples');
});
