import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONTENT_SECURITY_POLICY, securityHeaders } from '../../../main/electron/csp';
import { CONTENT_SECURITY_POLICY_META, CSP_PLACEHOLDER, injectCsp } from '../../../shared/csp';

describe('the content security policy', () => {
  it('is exactly the policy the design asks for', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });

  it('allows neither eval nor inline script', () => {
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    const scriptSrc = CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self'");
  });

  it('is sent with nosniff and no referrer', () => {
    expect(securityHeaders()).toMatchObject({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
  });

  it('is written into index.html from the same source (the meta tag drops only header-only directives)', () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../../renderer/index.html'), 'utf8');
    expect(html).toContain(`content="${CSP_PLACEHOLDER}"`);
    const built = injectCsp(html);
    expect(built).toContain(`content="${CONTENT_SECURITY_POLICY_META}"`);
    expect(CONTENT_SECURITY_POLICY_META).toBe(CONTENT_SECURITY_POLICY.replace(" frame-ancestors 'none';", ''));
    expect(() => injectCsp('<html></html>')).toThrow(/no %CONTENT_SECURITY_POLICY%/);
  });
});
