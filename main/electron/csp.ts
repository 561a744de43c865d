// The headers every renderer response carries. The Content-Security-Policy itself is generated in
// one place (shared/csp.ts), which also writes it into the built index.html.

import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_DIRECTIVES } from '../../shared/csp';

export { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_DIRECTIVES };

/** Headers sent with every file the app:// protocol serves. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
