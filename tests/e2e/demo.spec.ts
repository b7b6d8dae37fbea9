/**
 * The built-in demo works with no upload. With ../shared/models it uses the local models;
 * without them (a fresh clone elsewhere) it uses all-MiniLM-L6-v2 from the Hugging Face Hub and
 * checks retrieval and execution only (generation would need a large download).
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, scores, waitReady } from './fixtures.ts';

test('demo: retrieval over the team corpus, SQL on the demo shop, bad input is reported', async ({ page }) => {
  await page.goto('./');
  await expect(page.getByTestId('status')).toContainText('Demo shop');
  await waitReady(page, { generator: HAS_LOCAL_MODELS });
  await expect(page.getByTestId('index-status')).toContainText(/2\d\d vectors/);

  await page.getByTestId('question').fill('Which customers have placed more than 5 orders?');
  if (HAS_LOCAL_MODELS) {
    await page.getByTestId('ask').click();
    await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
    const s = await scores(page);
    for (let i = 1; i < s.length; i++) expect(s[i - 1]).toBeGreaterThanOrEqual(s[i]);
    // The default strategy (skeleton vote) puts the near-duplicate demo question first.
    await expect(page.getByTestId('retrieved-item').first()).toContainText(
      'Which customers have placed more than 5 orders?',
    );
    await expect(page.getByTestId('retrieval-info')).toContainText('by vote');
    await expect(page.getByTestId('masked-status')).toHaveAttribute('data-status', 'ready');
    await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  }

  // SQL typed by hand runs on the demo database, which is read-only.
  await page
    .getByTestId('manual-sql')
    .fill('SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY n DESC');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('result-table')).toContainText('country');
  await page.getByTestId('manual-sql').fill('DELETE FROM customers');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('error')).toContainText(/read-only|readonly/);
  await page.getByTestId('manual-sql').fill('SELECT count(*) FROM customers');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('result-table')).toContainText('40');

  // A malformed corpus file is reported and the current corpus stays.
  await page.getByTestId('tab-data').click();
  await page
    .getByTestId('corpus-file')
    .setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('foo,bar\n1,2\n') });
  await expect(page.getByTestId('corpus-error')).toBeVisible();
  await expect(page.getByTestId('corpus-name')).toContainText('Demo examples');
  // Rows that do not parse are reported with their row numbers and skipped.
  const csv =
    'db_id,question,sql\nshop,How many products are there?,SELECT count(*) FROM products\nshop,"unterminated\n';
  await page
    .getByTestId('corpus-file')
    .setInputFiles({ name: 'partly-bad.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('corpus-issues')).toContainText('1 row skipped');
  await page.getByTestId('corpus-issues').locator('summary').click();
  await expect(page.getByTestId('corpus-issues')).toContainText('row 3');
  await expect(page.getByTestId('corpus-name')).toContainText('partly-bad.csv (1)');
  // A file that is not SQLite is rejected with a message; the current database stays.
  await page.getByTestId('db-file').setInputFiles({
    name: 'fake.sqlite',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('definitely not sqlite, just text padding padding'),
  });
  await expect(page.getByTestId('db-error')).toContainText('not a readable SQLite database');
  await expect(page.getByTestId('db-name')).toContainText('Demo shop');
});
