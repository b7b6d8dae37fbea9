/**
 * The Code & docs space in Chromium with the real embedder: files become a collection in the code
 * worker (tree-sitter chunks, skipped files listed), questions retrieve the right chunk with its
 * path and lines, an off-topic question gets "I don't know" with a web-search link, and the
 * collection survives a reload; then the Evaluate page scores a question set on it (a missing gold
 * symbol reported), and Storage lists it and deletes it after a confirmation.
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

const questions = {
  questions: [
    {
      id: 'r',
      question: 'retry a failing call with backoff',
      gold: [{ path: 'retry.py', symbol: 'retry_with_backoff' }],
    },
    { id: 'm', question: 'convert money between currencies', gold: [{ path: 'money.ts', symbol: 'convertCurrency' }] },
    { id: 't', question: 'how do I run the tests', gold: [{ path: 'GUIDE.md', symbol: 'Testing' }] },
    { id: 'gone', question: 'parse an amount of money', gold: [{ path: 'money.ts', symbol: 'parseMoney' }] },
    { id: 'u', question: 'which kubernetes ingress controller is deployed', gold: [] },
  ],
};

const files = [
  {
    name: 'retry.py',
    mimeType: 'text/x-python',
    buffer: Buffer.from(
      'import time\n\n\ndef retry_with_backoff(fn, attempts=3):\n    """Call fn again after a failure, waiting twice as long each time."""\n    for i in range(attempts):\n        try:\n            return fn()\n        except Exception:\n            time.sleep(2 ** i)\n',
    ),
  },
  {
    name: 'money.ts',
    mimeType: 'text/plain',
    buffer: Buffer.from(
      '/** Converts an amount of money between currencies with an exchange rate. */\nexport function convertCurrency(amount: number, rate: number): number {\n  return amount * rate;\n}\n',
    ),
  },
  {
    name: 'GUIDE.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from(
      '# Guide\n\n## Installing\nRun npm install, then npm start.\n\n## Testing\nRun npm test to check everything.\n',
    ),
  },
  { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 0, 0]) },
  { name: 'package-lock.json', mimeType: 'application/json', buffer: Buffer.from('{}') },
];

test('index files, ask with citations of path and lines, say "I don\'t know", keep it after a reload', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('./');
  await waitReady(page, { generator: HAS_LOCAL_MODELS });
  await page.getByTestId('tab-code').click();
  await page.getByLabel('Collection name').fill('sample');
  await page.getByTestId('code-files').setInputFiles(files);
  await expect(page.getByTestId('code-collections')).toContainText('sample', { timeout: 120_000 });
  await expect(page.getByTestId('code-collections')).toContainText('3 files');
  const skipped = page.getByTestId('code-skipped');
  await expect(skipped).toContainText('2 files skipped');
  await expect(skipped).toContainText('logo.png');
  await expect(skipped).toContainText('lockfile');

  await page.getByTestId('code-question').fill('how do I retry a failing call with exponential backoff?');
  await page.getByTestId('code-ask').click();
  const labels = page.getByTestId('code-source-label');
  await expect(labels.first()).toHaveText(/^retry\.py:4-10$/, { timeout: 60_000 });
  if (HAS_LOCAL_MODELS) await expect(page.getByTestId('code-note')).toContainText('writes SQL only');

  await page.getByTestId('code-question').fill('which kubernetes ingress controller and helm chart are deployed?');
  await page.getByTestId('code-ask').click();
  await expect(page.getByTestId('code-note')).toContainText("I don't know", { timeout: 60_000 });
  await expect(page.getByTestId('code-websearch')).toHaveAttribute('href', /duckduckgo\.com\/\?q=which%20kubernetes/);

  await page.reload();
  await waitReady(page, { generator: HAS_LOCAL_MODELS });
  await page.getByTestId('tab-code').click();
  await expect(page.getByTestId('code-collections')).toContainText('sample');
  await page.getByTestId('code-question').fill('convert money between currencies');
  await page.getByTestId('code-ask').click();
  await expect(labels.first()).toHaveText(/^money\.ts:1-4$/, { timeout: 60_000 });

  // the Evaluate page scores a question set on the same collection
  await page.getByTestId('tab-evaluate').click();
  await expect(page.getByTestId('code-eval-collection')).toContainText('sample');
  await page.getByTestId('code-eval-questions').setInputFiles({
    name: 'questions.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(questions)),
  });
  await expect(page.getByTestId('code-eval-set')).toContainText('4 answerable, 1 that the code cannot answer');
  await page.getByTestId('code-eval-run').click();
  await expect(page.getByTestId('code-eval-row')).toHaveCount(4, { timeout: 60_000 });
  await expect(page.getByTestId('code-eval-table')).toContainText('hybrid+rerank');
  await expect(page.getByTestId('code-eval-missing')).toContainText('parseMoney');
  await expect(page.getByTestId('code-eval-idk')).toContainText('refuses');
  await expect(page.getByTestId('code-eval-curve')).toBeVisible();

  // Storage lists the collection and deletes it only after a confirmation
  await page.getByTestId('tab-storage').click();
  const row = page.getByTestId('storage-collection');
  await expect(row).toContainText('sample');
  await expect(row).toContainText('3 files');
  await page.getByTestId('storage-code-delete').click();
  await page.getByTestId('storage-code-delete-confirm').click();
  await expect(row).toHaveCount(0);
  await page.getByTestId('tab-code').click();
  await expect(page.getByTestId('code-collections')).toHaveCount(0);
});
