/**
 * The README's first command, `npm run demo` (the Vite dev server), on a fresh dependency cache
 * (`--force`, as on a fresh clone): the page loads once, runs SQL on the demo and starts its
 * workers without Vite re-optimising dependencies under it. Before the workers were scan entries
 * (vite.config.ts optimizeDeps.entries), sql.js and web-llm were found only when their workers
 * started: the page was reloaded, requests failed with "504 (Outdated Optimize Dep)" and the app's
 * chunk with "Failed to fetch dynamically imported module" (once it never came up at all).
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

let server: ChildProcess | null = null;
let base = '';

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const port = Number(process.env.E2E_DEV_PORT ?? (await freePort()));
  base = `http://127.0.0.1:${port}/`;
  let output = '';
  server = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vite/bin/vite.js'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--strictPort',
      '--force',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    try {
      if ((await fetch(base)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `the dev server did not answer at ${base} (exit code ${server.exitCode}); its output:\n${output.slice(-3000)}`,
  );
});

test.afterAll(() => {
  try {
    if (server?.pid) process.kill(-server.pid);
  } catch {
    /* gone */
  }
});

test('npm run demo on a fresh dependency cache: one load, SQL runs, no re-optimisation under the page', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const problems: string[] = [];
  let loads = 0;
  page.on('console', (m) => {
    if (/Outdated Optimize Dep|Failed to fetch dynamically imported module/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => {
    if (/Failed to fetch dynamically imported module/.test(String(e))) problems.push(String(e));
  });
  page.on('load', () => loads++);
  await page.goto(base);
  await page.getByTestId('manual-sql').fill('SELECT count(*) AS n FROM customers');
  await page.getByTestId('run-sql').click({ timeout: 120_000 });
  await expect(page.getByTestId('result-table')).toContainText('40', { timeout: 120_000 });
  // The model workers start after the database: give them time to load their code (their models
  // may be absent here; only the dependency optimiser's effect on the page is checked).
  await page
    .waitForFunction(
      () => /on wasm|error|fail/i.test(document.querySelector('[data-testid=generator-status]')?.textContent ?? ''),
      null,
      { timeout: 60_000 },
    )
    .catch(() => {});
  await page.waitForTimeout(2_000);
  expect(problems).toEqual([]);
  expect(loads).toBe(1);
});
