/**
 * Files become tables: the generated sales CSV (static-data/import) is imported in Database &
 * corpus, previewed with its inferred types, created as a new database and queried with SQL; the
 * database is exported as .sqlite; a malformed CSV is refused and the imported database stays.
 */
import path from 'node:path';
import { test, expect } from '@playwright/test';

const SALES = path.resolve(import.meta.dirname, '../../static-data/import/sales.csv');
const STORES = path.resolve(import.meta.dirname, '../../static-data/import/stores.xlsx');

test('import a CSV: preview, create the table, query it, export; a malformed CSV keeps the database', async ({
  page,
}) => {
  await page.goto('./');
  await expect(page.getByTestId('status')).toContainText('Demo shop');
  await page.getByTestId('tab-data').click();

  await page.getByTestId('import-file').setInputFiles(SALES);
  const table = page.getByTestId('import-table');
  await expect(table).toHaveCount(1);
  await expect(page.getByTestId('import-summary')).toContainText('10,000 rows, 10 columns');
  const preview = page.getByTestId('import-preview');
  await expect(preview).toContainText('order_date');
  await expect(preview).toContainText('Unit Price (€)');
  await expect(preview).toContainText('1001');
  const types = page.getByTestId('import-type');
  await expect(types.nth(0)).toHaveValue('INTEGER');
  await expect(types.nth(1)).toHaveValue('DATE');
  await expect(types.nth(5)).toHaveValue('REAL');
  // Nothing changed yet: the demo database is still open.
  await expect(page.getByTestId('db-name')).toContainText('Demo shop');

  await page.getByTestId('import-table-name').fill('orders_2023');
  await page.getByTestId('import-create').click();
  await expect(page.getByTestId('import-done')).toContainText('orders_2023: 10,000 rows');
  await expect(page.getByTestId('db-name')).toContainText('sales.csv');

  await page.getByTestId('tab-ask').click();
  await page
    .getByTestId('manual-sql')
    .fill(
      "SELECT region, count(*) AS n FROM orders_2023 WHERE order_date >= '2024-01-01' GROUP BY region ORDER BY region",
    );
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('result-table')).toContainText('Central');
  await page.getByTestId('manual-sql').fill('SELECT count(*) FROM orders_2023');
  await page.getByTestId('run-sql').click();
  await expect(page.getByTestId('result-table')).toContainText('10000');

  // Export the current database as a .sqlite file.
  await page.getByTestId('tab-data').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-sqlite').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('sales.sqlite');

  // A malformed CSV: a clear message, and the imported database stays open.
  await page.getByTestId('import-file').setInputFiles({
    name: 'broken.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('a,b\n1,2,3\n4,5,6\n"7,8\n'),
  });
  await expect(page.getByTestId('import-failure')).toContainText('broken.csv');
  await expect(page.getByTestId('import-error')).toContainText('unchanged');
  await expect(page.getByTestId('db-name')).toContainText('sales.csv');

  // A workbook: one table per sheet (read in the worker too).
  await page.getByTestId('import-file').setInputFiles(STORES);
  await expect(page.getByTestId('import-table')).toHaveCount(2);
  await expect(page.getByTestId('import-table-name').nth(1)).toHaveValue('stores_targets');
  await page.getByTestId('import-create').click();
  await expect(page.getByTestId('import-done')).toContainText('stores_stores: 40 rows');
  await expect(page.getByTestId('db-name')).toContainText('stores.xlsx');
  await expect(page.getByTestId('db-name')).toContainText('2 tables');
});
