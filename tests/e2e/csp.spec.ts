/**
 * The page runs under a strict Content-Security-Policy (index.html): no inline script, network only
 * to this origin and the model hosts. Every page is visited and a question is answered with no
 * policy violation; an injected inline script is refused.
 */
import { test, expect } from '@playwright/test';
import { HAS_LOCAL_MODELS, waitReady } from './fixtures.ts';

type Violation = { directive: string; blocked: string };

test('CSP: every page works under the policy, and inline script is refused', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: { directive: string; blocked: string }[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI }),
    );
  });
  const violations = () => page.evaluate(() => (window as unknown as { __csp: Violation[] }).__csp);

  await page.goto('./');
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);

  await waitReady(page, { generator: HAS_LOCAL_MODELS });
  if (HAS_LOCAL_MODELS) {
    await page.getByTestId('question').fill('How many customers are there?');
    await page.getByTestId('ask').click();
    await expect(page.getByTestId('result-table').or(page.getByTestId('error'))).toBeVisible();
  }
  for (const tab of ['data', 'train', 'evaluate', 'settings', 'storage', 'ask']) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(page.getByTestId(`tab-${tab}`)).toBeVisible();
  }
  expect(await violations()).toEqual([]);

  // An inline script added to the page (as an XSS payload would be) does not run.
  const ran = await page.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = true';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 50));
    return (window as unknown as { __pwned?: boolean }).__pwned === true;
  });
  expect(ran).toBe(false);
  expect((await violations()).map((v) => v.directive)).toContain('script-src-elem');
});
