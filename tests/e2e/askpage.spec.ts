/**
 * The Ask page as a newcomer meets it (issue 18 items 4, 5, 10-13): help on first use (schema,
 * example questions, a compact status), the answer first and in view with "how it was made" folded,
 * one SQL editor, a 0-row result in words, follow-up mode that ends, CSS completion icons, tabs as
 * a keyboard tablist, no horizontal overflow on a phone, and a dark colour scheme.
 */
import { test, expect, type Page } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

const TABS = ['ask', 'data', 'code', 'train', 'evaluate', 'settings', 'storage'] as const;

async function overflow(page: Page) {
  return page.evaluate(() => {
    const w = window.innerWidth;
    // the deepest elements that stick out, to name the culprit when the check fails
    const out = [...document.querySelectorAll('body *')]
      .filter(
        (e) =>
          e.getBoundingClientRect().right > w + 0.5 &&
          ![...e.children].some((c) => c.getBoundingClientRect().right > w + 0.5),
      )
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}[${e.getAttribute('data-testid') ?? ''}]`);
    return { page: document.documentElement.scrollWidth, viewport: w, out };
  });
}

/**
 * The font faces (first family, size, weight, style) of the text on screen: a face the page has not
 * drawn yet costs a font lookup in the layout that first needs it (docs/main-thread.md, round 9).
 */
async function drawnFaces(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const faces = new Set<string>();
    const face = (s: CSSStyleDeclaration) =>
      [s.fontFamily.split(',')[0], s.fontSize, s.fontWeight, s.fontStyle].join(' | ');
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const e = n.parentElement;
      if (n.textContent?.trim() && e?.checkVisibility()) faces.add(face(getComputedStyle(e)));
    }
    for (const e of document.querySelectorAll('body *')) {
      const after = getComputedStyle(e, '::after');
      if (after.content !== 'none' && after.content !== 'normal' && e.checkVisibility()) faces.add(face(after));
    }
    return [...faces].sort();
  });
}

test('first use: schema, example questions, a status chip; the answer comes first, in view, in one editor', async ({
  page,
}) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (the local test models)');
  await page.goto('./');
  await waitReady(page);

  // The internals are a chip with details on demand; the corpus count is shown once.
  const chip = page.getByTestId('status-chip');
  await expect(chip).toContainText('Ready');
  await expect(page.getByTestId('index-status')).toBeHidden();
  const statusText = (await page.getByTestId('status').textContent()) ?? '';
  expect(statusText).not.toMatch(/\(([\d,]+)\)\s*\(\1\)/);
  await chip.click();
  await expect(page.getByTestId('index-status')).toBeVisible();
  await expect(page.getByTestId('index-status')).toContainText('vectors (one per example)');
  await chip.click();

  // Schema of the open database, with column types, and example questions from its corpus examples.
  const schema = page.getByTestId('schema');
  await expect(schema).toHaveAttribute('open', '');
  await expect(schema.getByTestId('schema-table').filter({ hasText: 'customers' })).toContainText('country');
  await expect(schema).toContainText('TEXT');
  await expect(page.getByTestId('example-questions')).toHaveAttribute('data-source', 'corpus');
  const tries = page.getByTestId('example-question');
  expect(await tries.count()).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('answer-empty')).toBeVisible();
  // Plain words, not bare jargon, next to the number of examples.
  await expect(page.locator('label', { has: page.getByTestId('k') })).toContainText('Examples shown to the model');

  // Clicking an example asks it; the answer is right under the question and scrolled into view.
  const facesAtFirstUse = await drawnFaces(page);
  const question = (await tries.first().innerText()).trim();
  await tries.first().click();
  await expect(page.getByTestId('question')).toHaveValue(question);
  await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  // The first answer (result, explanation, conversation, history) is drawn in faces already drawn.
  await expect(page.getByTestId('explanation')).toBeVisible();
  const newFaces = (await drawnFaces(page)).filter((f) => !facesAtFirstUse.includes(f));
  expect(newFaces).toEqual([]);
  await expect(page.getByTestId('sql')).toBeInViewport();
  await expect(page.getByTestId('answer-empty')).toHaveCount(0);
  // With an answer on the page the schema folds away, and its list is built again when opened.
  await expect(schema).not.toHaveAttribute('open', '');
  await expect(schema.getByTestId('schema-table')).toHaveCount(0);
  await schema.locator('summary').click();
  await expect(schema.getByTestId('schema-table').filter({ hasText: 'customers' })).toBeVisible();
  await schema.locator('summary').click();
  const how = page.getByTestId('how');
  await expect(how).not.toHaveAttribute('open', '');
  await expect(page.getByTestId('prompt')).toBeHidden();
  await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
  const top = async (id: string) => (await page.getByTestId(id).boundingBox())!.y;
  expect(await top('answer-sql')).toBeLessThan(await top('how'));
  expect(await top('result-panel')).toBeLessThan(await top('how'));
  expect(await top('how')).toBeLessThan(await top('conversation'));
  await how.locator('summary').click();
  await expect(page.getByTestId('retrieved-item').first()).toBeVisible();
  await expect(page.getByTestId('prompt')).toBeVisible();

  // The SQL is in one editor only: the hand-written SQL editor keeps its own (empty) text.
  const sql = (await page.getByTestId('sql').textContent()) ?? '';
  expect(sql.trim().length).toBeGreaterThan(0);
  await expect(page.getByTestId('manual-sql')).toHaveText('');
  await expect(page.locator('.cm-content').filter({ hasText: sql })).toHaveCount(1);

  // Follow-up mode starts with an empty box and ends with its answer.
  await page.getByTestId('follow-up-from').first().click();
  await expect(page.getByTestId('follow-up-chip')).toBeVisible();
  await expect(page.getByTestId('question')).toHaveValue('');
  await page.getByTestId('question').fill('only those from France');
  await page.getByTestId('ask').click();
  await expect(page.getByTestId('turn')).toHaveCount(2);
  await expect(page.getByTestId('follow-up-chip')).toHaveCount(0);
  await expect(page.getByTestId('question')).toHaveValue('');

  // A query that finds nothing says so.
  await page.getByTestId('manual-sql').fill("SELECT name FROM customers WHERE country = 'Atlantis'");
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('no-rows')).toContainText('No rows matched');
  await expect(page.getByTestId('result')).toContainText('0 rows · 1 column');

  // Completion icons are drawn with CSS letters, not symbols that need an emoji font.
  await page.getByTestId('manual-sql').fill('');
  await page.getByTestId('manual-sql').pressSequentially('SELECT * FROM custo');
  const icon = page.locator('.cm-completionIcon').first();
  await expect(icon).toBeVisible();
  const glyphs = await page
    .locator('.cm-completionIcon')
    .evaluateAll((els) => els.map((e) => getComputedStyle(e, '::after').content));
  for (const g of glyphs) expect(g).toMatch(/^"[A-Z?]"$/);
  // The list is drawn in the editor's own font (family, size, style, weight): a face or size the page
  // has not drawn yet costs a font lookup in the layout that shows the list (docs/main-thread.md, round 9).
  const fonts = await page.evaluate(() => {
    const font = (e: Element | null) => {
      if (!e) return null;
      const s = getComputedStyle(e);
      return [s.fontFamily, s.fontSize, s.fontStyle, s.fontWeight].join(' | ');
    };
    return {
      content: font(document.querySelector('[data-testid=manual-sql]')),
      item: font(document.querySelector('.cm-tooltip-autocomplete li')),
      icon: font(document.querySelector('.cm-completionIcon')),
      details: [...document.querySelectorAll('.cm-completionDetail')].map(font),
    };
  });
  expect(fonts.item).toBe(fonts.content);
  expect(fonts.icon).toBe(fonts.content);
  for (const d of fonts.details) expect(d).toBe(fonts.content);
});

test('tabs are a tablist: roles, aria-selected, panels and arrow keys', async ({ page }) => {
  await page.goto('./');
  await expect(page.getByRole('tablist')).toHaveCount(1);
  await expect(page.getByRole('tab')).toHaveCount(TABS.length);
  const ask = page.getByTestId('tab-ask');
  await expect(ask).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Ask' })).toBeVisible();
  await ask.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('tab-data')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('tab-data')).toBeFocused();
  await expect(ask).toHaveAttribute('aria-selected', 'false');
  await expect(page.getByRole('tabpanel', { name: 'Database & corpus' })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByTestId('tab-storage')).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('tab-ask')).toHaveAttribute('aria-selected', 'true');
  // The question box and the history search have labels.
  await expect(page.getByLabel('Your question, in plain words')).toHaveCount(1);
  await expect(page.getByLabel('Search the history')).toHaveCount(1);
  // Focus is visible.
  await page.getByTestId('tab-ask').focus();
  await page.keyboard.press('ArrowLeft');
  const outline = await page.getByTestId('tab-storage').evaluate((e) => getComputedStyle(e).outlineStyle);
  expect(outline).not.toBe('none');
});

test('mobile: at 390 px no page is wider than the screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('./');
  await expect(page.getByTestId('status')).toContainText('Demo shop', { timeout: 60_000 });
  for (const tab of TABS) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId(`tab-${tab}`)).toBeInViewport();
    const o = await overflow(page);
    expect(
      o.page,
      `${tab}: page ${o.page} px wide in a ${o.viewport} px screen: ${o.out.join(', ')}`,
    ).toBeLessThanOrEqual(o.viewport);
  }
});

test('dark mode: prefers-color-scheme dark changes the page, the editor and the panels', async ({ page }) => {
  const colours = async () =>
    page.evaluate(() => ({
      body: getComputedStyle(document.documentElement).backgroundColor,
      panel: getComputedStyle(document.querySelector('.panel')!).backgroundColor,
      ink: getComputedStyle(document.documentElement).color,
      editor: getComputedStyle(document.querySelector('.cm-editor')!).backgroundColor,
    }));
  const luminance = (rgb: string) => {
    const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('./');
  await expect(page.locator('.cm-editor').first()).toBeVisible({ timeout: 60_000 });
  const light = await colours();
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await colours();
  for (const k of ['body', 'panel', 'editor'] as const) {
    expect(luminance(dark[k]), `${k}: ${light[k]} → ${dark[k]}`).toBeLessThan(60);
    expect(luminance(light[k]), `${k}: ${light[k]}`).toBeGreaterThan(200);
  }
  expect(luminance(dark.ink)).toBeGreaterThan(200);
});
