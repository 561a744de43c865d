// Failures of the sign-in and directory calls as sentences: what Entra ID refused (AADSTS codes MSAL
// passes on), what ARM refused (RestError status and code), or that Azure could not be reached.
// Secrets never reach a sentence: only codes, statuses and the action we tried.

import { AuthError } from '@azure/msal-node';
import { isRestError } from '@azure/core-rest-pipeline';
import { ProviderFailure } from '../provider-failure';
import { SignInRequired } from './credential';

/** AADSTS codes an operator meets when adding an account, with what to do about them. */
const AADSTS: Record<string, string> = {
  '7000215': 'Entra ID refused the client secret: it is not the secret of this app registration. Copy the secret value (not its id) again.',
  '7000222': 'The client secret has expired. Create a new one for the app registration and enter it.',
  '700016': 'Entra ID does not know this application (client) id in the tenant. Check both ids.',
  '90002': 'Entra ID does not know this tenant. Check the tenant id and the cloud.',
  '700027': 'Entra ID refused the certificate assertion: upload this certificate to the app registration.',
  '65001': 'The application has no consent in this tenant yet. An administrator has to grant consent for it.',
  '50076': 'The tenant requires multi-factor authentication: sign in with the browser or a device code.',
};

function aadsts(text: string): string | null {
  return /AADSTS(\d{5,7})/.exec(text)?.[1] ?? null;
}

const NETWORK = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|network|fetch failed|socket hang up/i;

export function directoryFailure(err: unknown, action: string): ProviderFailure {
  if (err instanceof ProviderFailure) return err;
  if (err instanceof SignInRequired) return new ProviderFailure('ProviderAuthFailed', err.message, { cause: err });
  if (err instanceof AuthError) {
    const code = aadsts(`${err.errorMessage} ${err.message}`);
    const known = code ? AADSTS[code] : undefined;
    if (known) return new ProviderFailure('ProviderAuthFailed', known, { cause: err });
    if (NETWORK.test(err.message)) return new ProviderFailure('ProviderOffline', `Could not reach Entra ID to ${action}: check the network and try again.`, { cause: err });
    return new ProviderFailure('ProviderAuthFailed', `Entra ID refused the sign-in (${err.errorCode || 'error'}${code ? `, AADSTS${code}` : ''}); check the tenant, the application id and the credential.`, { cause: err });
  }
  if (isRestError(err)) {
    const code = err.code ?? '';
    const status = err.statusCode ?? 0;
    if (status === 401) return new ProviderFailure('ProviderAuthFailed', `Azure did not accept the sign-in to ${action} (${code || 'Unauthorized'}); sign in again.`, { cause: err });
    if (status === 403) return new ProviderFailure('ProviderPermissionDenied', `Azure refused to ${action} (${code || 'Forbidden'}): give the identity a Reader role on it.`, { cause: err });
    if (status === 404) return new ProviderFailure('ProviderError', `Azure could not find what it needs to ${action} (${code || 'NotFound'}); check the ids.`, { cause: err });
    if (status === 429) {
      const after = Number(err.response?.headers.get('retry-after'));
      return new ProviderFailure('ProviderThrottled', `Azure is throttling requests; try again${Number.isFinite(after) && after > 0 ? ` in ${after} s` : ' shortly'}.`, {
        cause: err,
        ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
      });
    }
    if (status >= 500) return new ProviderFailure('ProviderUnavailable', `Azure could not ${action} right now (${status}); try again.`, { cause: err });
    if (status === 0 || NETWORK.test(err.message)) return new ProviderFailure('ProviderOffline', `Could not reach Azure to ${action}: check the network and try again.`, { cause: err });
    return new ProviderFailure('ProviderError', `Azure refused to ${action} (${code || status}).`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  if (NETWORK.test(message)) return new ProviderFailure('ProviderOffline', `Could not reach Azure to ${action}: check the network and try again.`, { cause: err });
  return new ProviderFailure('ProviderError', `Could not ${action}: ${message.slice(0, 200)}`, { cause: err });
}
