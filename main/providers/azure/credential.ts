// A TokenCredential (@azure/core-auth) backed by MSAL, for the @azure/arm-* clients: a service
// principal asks its confidential client (which answers from its cache while a token is valid); a
// signed-in person's account gets tokens silently from the cache and its refresh token, and never
// opens a browser from here: when Entra ID wants the person again, the error says to sign in.

import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { InteractionRequiredAuthError, type AccountInfo, type AuthenticationResult, type ConfidentialClientApplication, type PublicClientApplication } from '@azure/msal-node';

export type MsalSource =
  | { kind: 'service-principal'; app: ConfidentialClientApplication }
  | { kind: 'user'; app: PublicClientApplication; homeAccountId: string };

/** The signed-in person must sign in again (consent, expired refresh token, revoked session). */
export class SignInRequired extends Error {
  constructor(cause?: unknown) {
    super('Azure needs you to sign in again for this account (the saved sign-in expired or was revoked).', { cause });
  }
}

const asArray = (scopes: string | string[]) => (Array.isArray(scopes) ? scopes : [scopes]);

function toAccessToken(r: AuthenticationResult | null): AccessToken | null {
  if (!r?.accessToken || !r.expiresOn) return null;
  return {
    token: r.accessToken,
    expiresOnTimestamp: r.expiresOn.getTime(),
    ...(r.refreshOn ? { refreshAfterTimestamp: r.refreshOn.getTime() } : {}),
    tokenType: 'Bearer',
  };
}

export class MsalTokenCredential implements TokenCredential {
  constructor(private readonly source: MsalSource) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (options?.abortSignal?.aborted) throw new Error('The token request was cancelled.');
    const s = this.source;
    if (s.kind === 'service-principal') {
      return toAccessToken(await s.app.acquireTokenByClientCredential({ scopes: asArray(scopes), ...(options?.claims ? { claims: options.claims } : {}) }));
    }
    const account = await this.account(s.app, s.homeAccountId);
    try {
      return toAccessToken(await s.app.acquireTokenSilent({ account, scopes: asArray(scopes), ...(options?.claims ? { claims: options.claims } : {}) }));
    } catch (err) {
      if (err instanceof InteractionRequiredAuthError) throw new SignInRequired(err);
      throw err;
    }
  }

  private async account(app: PublicClientApplication, homeAccountId: string): Promise<AccountInfo> {
    const account = await app.getTokenCache().getAccountByHomeId(homeAccountId);
    if (!account) throw new SignInRequired();
    return account;
  }
}
