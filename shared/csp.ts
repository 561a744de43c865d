// The one Content-Security-Policy: our own scripts only (no eval, no inline script), so a crafted
// string in cloud metadata can never run as code. Generated here and written into both the
// response header (main/electron/csp.ts) and the built index.html's meta tag (a Vite plugin in
// electron.vite.config.ts), so the two can never disagree. Pure: no Node, DOM or Electron.

export const CONTENT_SECURITY_POLICY_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  // React sets style attributes and Radix (react-remove-scroll) injects a <style> element at runtime;
  // styles cannot run code, scripts can.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'none'"],
});

/** Directives a <meta> policy cannot carry (the browser ignores them there, with a warning). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

const serialise = (keep: (directive: string) => boolean) =>
  Object.entries(CONTENT_SECURITY_POLICY_DIRECTIVES)
    .filter(([directive]) => keep(directive))
    .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
    .join('; ');

/** The header value. */
export const CONTENT_SECURITY_POLICY: string = serialise(() => true);

/** The same policy for the HTML meta tag, without the header-only directives. */
export const CONTENT_SECURITY_POLICY_META: string = serialise((d) => !HEADER_ONLY.has(d));

/** The placeholder renderer/index.html carries where the build writes the policy. */
export const CSP_PLACEHOLDER = '%CONTENT_SECURITY_POLICY%';

/** Writes the policy into an index.html; throws when the page has no placeholder to fill. */
export function injectCsp(html: string): string {
  if (!html.includes(CSP_PLACEHOLDER)) throw new Error(`index.html has no ${CSP_PLACEHOLDER} meta content to fill`);
  return html.split(CSP_PLACEHOLDER).join(CONTENT_SECURITY_POLICY_META.replace(/"/g, '&quot;'));
}
