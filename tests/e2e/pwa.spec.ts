/**
 * PWA, static hosting, share links and the storage panel.
 * The offline and header-less tests use a plain static server (no COOP/COEP) that the test can stop.
 */
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { HAS_LOCAL_MODELS, SHARED, waitReady } from './fixtures.ts';
import { startStaticServer } from './static-server.ts';

const DIST = path.resolve(import.meta.dirname, '../../dist');
const MODELS = HAS_LOCAL_MODELS ? path.join(SHARED, 'models') : null;

async function swControls(page: Page) {
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const reg = await navigator.serviceWorker.getRegistration();
          return !!reg?.active && !!navigator.serviceWorker.controller;
        }),
      { timeout: 60_000 },
    )
    .toBe(true);
}

test('manifest is served and valid', async ({ page, request }) => {
  await page.goto('./');
  const href = await page.locator('link[rel=manifest]').getAttribute('href');
  expect(href).toBeTruthy();
  const res = await request.get(new URL(href!, page.url()).href);
  expect(res.ok()).toBe(true);
  const m = await res.json();
  expect(m.name).toBe('CodeRAG Web');
  expect(m.short_name).toBeTruthy();
  expect(m.display).toBe('standalone');
  expect(m.start_url).toBeTruthy();
  const sizes = m.icons.map((i: { sizes: string }) => i.sizes);
  expect(sizes).toContain('192x192');
  expect(sizes).toContain('512x512');
  for (const icon of m.icons) {
    const r = await request.get(new URL(icon.src, new URL(href!, page.url())).href);
    expect(r.ok(), icon.src).toBe(true);
    expect(r.headers()['content-type']).toContain('image/png');
  }
});

test('a header-less static host becomes cross-origin isolated after the reload', async ({ browser }) => {
  const server = await startStaticServer(DIST, MODELS);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await page.goto(server.url);
    const first = await page.evaluate(() => crossOriginIsolated);
    expect(first).toBe(false); // no COOP/COEP from this server
    await swControls(page);
    await page.reload();
    await expect.poll(() => page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect(page.getByTestId('status')).toContainText('Demo shop');
  } finally {
    await ctx.close();
    await server.close();
  }
});

test('bad share links show a message, never a broken page', async ({ page }) => {
  await page.goto('./?k=abc&zzz=1&db=ftp://nope&gen=cpu:unknown-model');
  const box = page.getByTestId('share-errors');
  await expect(box).toContainText('unknown link parameter "zzz"');
  await expect(box).toContainText('k must be a whole number');
  await expect(box).toContainText('database (db)');
  await expect(box).toContainText('unknown generator');
  await expect(page.getByTestId('status')).toContainText('Demo shop');
  await expect(page.getByTestId('question')).toBeVisible();
});

test('a copied share link reproduces the question and configuration in a new context', async ({ browser }) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models for the generator');
  const a = await browser.newContext();
  const pa = await a.newPage();
  await pa.goto('./');
  await waitReady(pa);
  await pa.getByTestId('k').selectOption('1');
  await pa.getByTestId('question').fill('Which products cost more than 100?');
  await pa.getByTestId('copy-link').click();
  const link = await pa.getByTestId('share-url').inputValue();
  expect(link).toContain('q=Which+products');
  expect(link).toContain('k=1');
  expect(link).toContain('db=demo');
  await a.close();

  const b = await browser.newContext();
  const pb = await b.newPage();
  await pb.goto(link);
  await expect(pb.getByTestId('question')).toHaveValue('Which products cost more than 100?');
  await expect(pb.getByTestId('k')).toHaveValue('1');
  // It runs once the models are ready: one retrieved example (k=1), then a result or SQL error.
  await expect(pb.getByTestId('retrieved-item')).toHaveCount(1, { timeout: 120_000 });
  await expect(pb.getByTestId('result-table').or(pb.getByTestId('error'))).toBeVisible();
  await expect(pb.getByTestId('share-errors')).toHaveCount(0);
  await b.close();
});

test('after a first visit, the demo runs end to end offline with the server stopped', async ({ browser }) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (local models to cache)');
  test.setTimeout(300_000);
  const server = await startStaticServer(DIST, MODELS);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await page.goto(server.url);
    await swControls(page);
    await page.reload(); // a full visit under the service worker: models and index get cached
    await waitReady(page);
    await server.close();
    await ctx.setOffline(true);
    await page.reload();
    await waitReady(page);
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-origin', 'restored');
    await page.getByTestId('question').fill('Which customers have placed more than 5 orders?');
    await page.getByTestId('ask').click();
    await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
    await expect(page.getByTestId('sql')).toBeVisible();
    await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  } finally {
    await ctx.close();
    await server.close().catch(() => {});
  }
});

test('after ONE online visit (no reload under the service worker), a question is answered offline', async ({
  browser,
}) => {
  test.skip(!HAS_LOCAL_MODELS, 'needs ../shared/models (local models to cache)');
  test.setTimeout(300_000);
  const server = await startStaticServer(DIST, MODELS);
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  try {
    await page.goto(server.url);
    await waitReady(page);
    // The service worker installs during this visit and takes control; no reload.
    await swControls(page);
    // Said only once the shell, both models and the index are stored.
    await expect(page.getByTestId('offline-ready')).toBeVisible({ timeout: 60_000 });
    // Each local model file crossed the network once (a HEAD for transformers.js's size probe).
    const gets = server.requests.filter((r) => r.startsWith('GET /models/') && r.endsWith('.onnx'));
    expect(gets.length).toBeGreaterThan(0);
    expect(new Set(gets).size, gets.join('\n')).toBe(gets.length);

    await server.close();
    await ctx.setOffline(true);
    await page.reload();
    await waitReady(page);
    await expect(page.getByTestId('embedder-status')).toContainText('universal-sentence-encoder-lite');
    await expect(page.getByTestId('generator-status')).toContainText('tiny-sql-lm');
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-origin', 'restored');
    await expect(page.getByText(/MB download/)).toHaveCount(0);
    await page.getByTestId('question').fill('Which customers have placed more than 5 orders?');
    await page.getByTestId('ask').click();
    await expect(page.getByTestId('retrieved-item')).toHaveCount(3);
    await expect(page.getByTestId('sql')).toBeVisible();
    await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  } finally {
    await ctx.close();
    await server.close().catch(() => {});
  }
});

test('storage panel lists what is stored and deletes an entry', async ({ page }) => {
  await page.goto('./');
  await waitReady(page, { generator: HAS_LOCAL_MODELS });
  await page.getByTestId('tab-storage').click();
  await expect(page.getByTestId('storage-usage')).toContainText('Using');
  // The demo corpus's question index and, for the default strategy, its masked-question index.
  await expect(page.getByTestId('storage-index')).toHaveCount(2);
  await expect(page.getByTestId('storage-index').filter({ hasText: 'masked-question index' })).toHaveCount(1);
  await expect(page.getByTestId('storage-index').filter({ hasText: '#masked' })).toHaveCount(0);
  // only model files are listed as models (not the runtime's wasm from node_modules or assets)
  await expect(page.getByTestId('storage-model').filter({ hasText: /node_modules|assets/ })).toHaveCount(0);
  await expect(page.getByTestId('storage-model').first()).toBeVisible();
  const models = await page.getByTestId('storage-model').count();
  await page
    .getByTestId('storage-index')
    .filter({ hasNotText: 'masked-question index' })
    .getByTestId('delete-index')
    .click();
  await expect(page.getByTestId('storage-index')).toHaveCount(1);
  await page.getByTestId('delete-model').first().click();
  await expect(page.getByTestId('storage-model')).toHaveCount(models - 1);
  await page.getByTestId('tab-ask').click();
  await expect(page.getByTestId('index-note')).toContainText('deleted');
});
