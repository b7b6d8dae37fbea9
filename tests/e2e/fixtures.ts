/** Where e2e tests find their data: ../shared when present (never copied into the repo). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';

export const SHARED = path.resolve(import.meta.dirname, '../../../shared');
export const SPIDER = path.join(SHARED, 'data/spider');
export const HAS_SPIDER = existsSync(path.join(SPIDER, 'dev.json'));
export const HAS_LOCAL_MODELS = existsSync(path.join(SHARED, 'models/tiny-sql-lm/config.json'));
export const SKIP_SPIDER =
  'needs ../shared/data/spider and ../shared/models (Spider data and the local test models); skipped';

/** Wait until the app has a database, an index and a generator. */
export async function waitReady(page: Page, opts: { generator?: boolean } = {}) {
  await expect(page.getByTestId('index-status')).toContainText('vectors', { timeout: 170_000 });
  if (opts.generator !== false)
    await expect(page.getByTestId('generator-status')).toContainText('on wasm', { timeout: 120_000 });
  // No long job left (e.g. the masked-question index of the default strategy).
  await expect(page.getByTestId('status')).toHaveAttribute('data-jobs', '0', { timeout: 300_000 });
}

/** Record every distinct text the streaming SQL box shows. */
export async function watchStream(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __stream: string[] };
    w.__stream = [];
    const obs = new MutationObserver(() => {
      const el = document.querySelector('[data-testid=stream]');
      const t = el?.textContent ?? '';
      if (t && w.__stream[w.__stream.length - 1] !== t) w.__stream.push(t);
    });
    obs.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

export async function streamSnapshots(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __stream: string[] }).__stream);
}

/** The retrieved examples' scores (text content: they are read while "How this answer was made" is folded). */
export async function scores(page: Page): Promise<number[]> {
  return (await page.getByTestId('score').allTextContents()).map(Number);
}
