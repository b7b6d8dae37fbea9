/**
 * Stop that stops (issue 18 item 1), in Chromium on the demo shop with tiny-sql-lm (CPU engine):
 * clicking Stop while the SQL streams ends the question within 0.5 s, the stream stops growing,
 * no result is shown and nothing is added to the history. The Stop latency (click → the page
 * idle again) is printed.
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (tiny-sql-lm and USE-Lite)');

test('Stop while the SQL streams: the stream stops, no result, no new history entry', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('./');
  await waitReady(page);
  await expect(page.getByTestId('history')).toBeVisible();
  const historyBefore = await page.getByTestId('history-item').count();
  const turnsBefore = await page.getByTestId('turn').count();

  await page.getByTestId('question').fill('List the name and country of every customer ordered by name');
  await page.getByTestId('ask').click();
  // Click Stop as soon as the first tokens show, and time it until the page is idle (Stop gone).
  const latencyMs = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const waitTokens = () => {
          const stream = document.querySelector('[data-testid=stream]')?.textContent ?? '';
          const stop = document.querySelector<HTMLButtonElement>('[data-testid=stop]');
          if (!stop) return reject(new Error(`the answer ended before Stop could be clicked: ${stream}`));
          if (stream.replace('▍', '').trim().length === 0) {
            if (performance.now() - t0 > 120_000) return reject(new Error('no token in 120 s'));
            return void setTimeout(waitTokens, 5);
          }
          const clicked = performance.now();
          stop.click();
          const idle = () => {
            if (document.querySelector('[data-testid=stop]')) return void requestAnimationFrame(idle);
            resolve(performance.now() - clicked);
          };
          idle();
        };
        waitTokens();
      }),
  );
  console.log(`[stop.spec] Stop latency (click → idle): ${latencyMs.toFixed(0)} ms`);
  expect(latencyMs).toBeLessThan(500);

  const stream = page.getByTestId('stream');
  const atStop = await stream.innerText();
  await page.waitForTimeout(1500);
  expect(await stream.innerText()).toBe(atStop);
  await expect(page.getByTestId('error')).toContainText('stopped');
  await expect(page.getByTestId('result-table')).toHaveCount(0);
  await expect(page.getByTestId('history-item')).toHaveCount(historyBefore);
  await expect(page.getByTestId('turn')).toHaveCount(turnsBefore);

  // The model is free again: the next question is answered and saved.
  await page.getByTestId('question').fill('How many customers are there?');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('stop')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByTestId('history-item')).toHaveCount(historyBefore + 1);
});
