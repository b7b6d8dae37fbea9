/**
 * Execution-checked candidates in the page (issue 13), on the demo shop with tiny-sql-lm (CPU):
 * 1. a question solved in the demo corpus for this very database: the pool runs the example's SQL
 *    beside the model's, the page shows "N of M candidates agree" and a working result; when the
 *    model's own SQL fails (tiny-sql-lm often invents columns), the shown SQL is the example's.
 * 2. Stop while the candidates run: everything ends, no vote, no result, nothing saved.
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (tiny-sql-lm and USE-Lite)');

const SOLVED = 'Which customers have placed more than 5 orders?';

test('the model SQL fails, a same-database example works: the working answer with its agreement line', async ({
  page,
}) => {
  test.setTimeout(600_000);
  await page.goto('./');
  await waitReady(page);
  await page.getByTestId('question').fill(SOLVED);
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('vote-agree')).toContainText(/\d+ of \d+ candidates agree/, { timeout: 300_000 });
  await expect(page.getByTestId('result-table')).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
  const cands = page.getByTestId('vote-candidate');
  const example = cands.and(page.locator('[data-source=example][data-ok=true]'));
  await expect(example.first()).toBeAttached();
  const greedyOk = await cands.and(page.locator('[data-source=greedy]')).getAttribute('data-ok');
  const shown = await page.getByTestId('sql').textContent();
  console.log(`[vote.spec] greedy ran: ${greedyOk}; agreement: ${await page.getByTestId('vote-agree').innerText()}`);
  if (greedyOk === 'false') {
    // The model's SQL failed: the answer is the solved example's SQL.
    const exampleSql = (await example.first().locator('pre').textContent())!.trim();
    expect(shown).toContain(exampleSql.slice(0, 40));
  }
  // The turn is saved with the voted answer.
  await expect(page.getByTestId('stop')).toHaveCount(0);
});

test('Stop while the candidates run: everything ends and nothing is saved', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('./');
  await waitReady(page);
  await expect(page.getByTestId('history')).toBeVisible();
  const historyBefore = await page.getByTestId('history-item').count();
  const turnsBefore = await page.getByTestId('turn').count();
  await page.getByTestId('question').fill('List the name and country of every customer ordered by name');
  await page.getByTestId('ask').click();
  // The greedy candidate is done and the pool is running (samples on the CPU take seconds each).
  await expect(page.getByTestId('vote-progress')).toBeVisible({ timeout: 300_000 });
  const t0 = Date.now();
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('stop')).toHaveCount(0, { timeout: 5_000 });
  console.log(`[vote.spec] Stop during candidates → idle: ${Date.now() - t0} ms`);
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('vote')).toHaveCount(0);
  await expect(page.getByTestId('vote-progress')).toHaveCount(0);
  await expect(page.getByTestId('error')).toContainText('stopped');
  await expect(page.getByTestId('result-table')).toHaveCount(0);
  await expect(page.getByTestId('history-item')).toHaveCount(historyBefore);
  await expect(page.getByTestId('turn')).toHaveCount(turnsBefore);
});
