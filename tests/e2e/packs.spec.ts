/**
 * Corpus packs in the page: the demo opens with its shipped pack (public/packs/demo.pack), so the
 * first visit asks with no "Embedding corpus" phase; a damaged pack is refused with its reason and
 * the demo stays; a good pack opens from a file with nothing embedded.
 * The shipped pack is built for the local default embedder (USE-Lite): without ../shared/models the
 * app uses a Hub model the pack does not fit, so the test skips.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

const PACK = path.resolve(import.meta.dirname, '../../public/packs/demo.pack');

test('demo: the shipped pack spares the first visit the embedding; packs open from a file', async ({ page }) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (the demo pack is built for the local USE-Lite embedder)');
  // Every job label and phase the page shows, from the first paint on.
  await page.addInitScript(() => {
    const w = window as unknown as { __phases: string[] };
    w.__phases = [];
    const seen = new Set<string>();
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid^=job-]')) {
        const t = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (t && !seen.has(t)) {
          seen.add(t);
          w.__phases.push(t);
        }
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto('./');
  await waitReady(page);
  const index = page.getByTestId('index-status');
  await expect(index).toHaveAttribute('data-origin', 'pack');
  await expect(index).toHaveAttribute('data-embed-runs', '0');
  await expect(index).toContainText('opened from a pack');
  await expect(page.getByTestId('masked-status')).toHaveAttribute('data-status', 'ready');

  await page.getByTestId('question').fill('Which customers have placed more than 5 orders?');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
  await expect(page.getByTestId('retrieved-item').first()).toContainText(
    'Which customers have placed more than 5 orders?',
  );
  const phases = await page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
  expect(phases.some((p) => /pack/i.test(p))).toBe(true);
  expect(phases.filter((p) => /embedding corpus/i.test(p))).toEqual([]);
  await expect(index).toHaveAttribute('data-embed-runs', '0');

  // A tampered pack is refused with its reason; the demo stays.
  const bytes = readFileSync(PACK);
  const bad = Buffer.from(bytes);
  bad[bad.length - 10] ^= 0x20;
  await page.getByTestId('tab-data').click();
  await page.getByTestId('pack-section').locator('summary').click();
  await page
    .getByTestId('pack-file')
    .setInputFiles({ name: 'demo.pack', mimeType: 'application/octet-stream', buffer: bad });
  await expect(page.getByTestId('pack-error')).toContainText('fails its checksum');
  await expect(page.getByTestId('corpus-name')).toContainText('Demo examples');
  // A truncated one too.
  await page.getByTestId('pack-file').setInputFiles({
    name: 'demo.pack',
    mimeType: 'application/octet-stream',
    buffer: bytes.subarray(0, bytes.length - 1000),
  });
  await expect(page.getByTestId('pack-error')).toContainText('truncated');
  // The good pack opens from a file, nothing embedded.
  await page
    .getByTestId('pack-file')
    .setInputFiles({ name: 'demo.pack', mimeType: 'application/octet-stream', buffer: bytes });
  await expect(page.getByTestId('pack-opened')).toContainText('nothing embedded');
  await expect(page.getByTestId('pack-error')).toHaveCount(0);
  await expect(index).toHaveAttribute('data-embed-runs', '0');
});
