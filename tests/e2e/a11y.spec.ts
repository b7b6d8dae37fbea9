/**
 * Accessibility: axe-core (WCAG 2.1 A and AA rules) finds no violation on any page, in the light
 * and the dark colour scheme, on a desktop and a phone-sized viewport.
 */
import { test, expect, type Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

const TABS = ['ask', 'data', 'train', 'evaluate', 'settings', 'storage'] as const;

async function audit(page: Page, where: string) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = r.violations.map((v) => `${where}: ${v.id} (${v.nodes.length}×) ${v.nodes[0]?.target.join(' ')}`);
  expect(found, found.join('\n')).toEqual([]);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`a11y: every page passes axe (WCAG 2.1 AA), ${scheme} scheme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('./');
    await waitReady(page, { generator: HAS_LOCAL_MODELS });
    for (const tab of TABS) {
      await page.getByTestId(`tab-${tab}`).click();
      await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
      await audit(page, tab);
    }
  });
}
