// One Content-Security-Policy in the header and the built HTML (shared/csp.ts), checked in
// Chromium: a Radix dialog opens with no CSP violation and the style it injects applies (before,
// the meta tag's "style-src 'self'" blocked it while the header allowed it).

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_META } from '../../shared/csp';
import { CHROMIUM_PATH, RENDERER_CSP, openConsole } from './harness';

const mustRun = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';

test.describe('the content security policy in Chromium', () => {
  test.skip(!mustRun, `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`);

  test('the built index.html carries the same policy as the header', () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../out/renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY_META);
    expect(RENDERER_CSP).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY.startsWith(`${CONTENT_SECURITY_POLICY_META}`.split('; form-action')[0]!)).toBe(true);
  });

  test('a Radix dialog opens with no CSP violation and its injected styles apply', async () => {
    const c = await openConsole();
    const refused: string[] = [];
    c.page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
    try {
      await c.page.evaluate(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await c.page.goto(`${c.url}#/accounts`);
      await c.page.evaluate(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await c.page.getByRole('button', { name: 'Add account' }).first().click();
      const dialog = c.page.getByRole('dialog');
      await expect(dialog).toBeVisible();
      // react-remove-scroll (inside Radix Dialog) locks the page by injecting a <style> element.
      await expect.poll(() => c.page.evaluate(() => document.body.hasAttribute('data-scroll-locked'))).toBe(true);
      await expect.poll(() => c.page.evaluate(() => getComputedStyle(document.body).overflow)).toBe('hidden');
      const violations = await c.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      expect(violations).toEqual([]);
      expect(refused).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
