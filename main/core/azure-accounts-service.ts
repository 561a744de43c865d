// The Azure account experience behind dr:azure.*: a person's sign-in before the account exists
// (system browser or device code), the tenants it reaches, and for an account the subscriptions and
// resource groups the Add environment dialog offers, with a scope test that counts resource groups.

import type { AzureSignInMethod, AzureDirectorySource, AzureResourceGroupView, AzureSignInStart, AzureSignInView, AzureSubscriptionView, AzureTenantView } from '../../shared/domain';
import { isAzureCredential, cloudOf, tokenCredentialFor, type AzureEndpointOptions } from '../providers/azure/account-credential';
import { listResourceGroups, listSubscriptions, listTenants } from '../providers/azure/directory';
import { AzureSignInSessions, type ClaimedSignIn } from '../providers/azure/sign-in-sessions';
import { ProviderFailure } from '../providers/provider-failure';
import type { CredentialCachePort } from '../providers/types';
import type { Clock } from './clock';
import { invalid } from './errors';
import { newId } from './ids';
import type { ProviderRegistry } from './provider-registry';

export interface AzureAccountsOptions {
  /** Entra ID and ARM endpoints (tests: the identity and ARM peers). */
  endpoints?: AzureEndpointOptions;
  /** Opens the sign-in page in the system browser (Electron: shell.openExternal). */
  openBrowser?: (url: string) => Promise<void>;
  /** How long dr:azureSignIn.wait holds an unchanged sign-in. */
  waitMs?: number;
}

const DIRECTORY_TIMEOUT_MS = 30_000;

export class AzureAccountsService {
  readonly sessions: AzureSignInSessions;
  private readonly endpoints: AzureEndpointOptions;

  constructor(
    private readonly d: { providers: ProviderRegistry; credentialCache: CredentialCachePort; clock: Clock; options?: AzureAccountsOptions },
  ) {
    this.endpoints = d.options?.endpoints ?? {};
    this.sessions = new AzureSignInSessions({
      endpoints: this.endpoints,
      ...(d.options?.openBrowser ? { openBrowser: d.options.openBrowser } : {}),
      ...(d.options?.waitMs !== undefined ? { waitMs: d.options.waitMs } : {}),
      newId: () => newId('signin'),
      now: () => d.clock.now(),
    });
  }

  signInStart(input: AzureSignInStart): AzureSignInView {
    return this.sessions.start(input);
  }

  /** Signs a person in again to an existing account, with the account's cloud, tenant and app registration. */
  signInStartForAccount(accountId: string, method: AzureSignInMethod): AzureSignInView {
    const account = this.d.providers.resolveAccount(accountId);
    const c = account.credentials;
    if (c.kind !== 'azure-user') throw invalid(`${account.name} is not an account a person signs in to.`, [{ path: 'accountId', message: 'must be a signed-in Azure account' }]);
    return this.sessions.start({ method, cloud: c.cloud, tenantId: c.tenantId, clientId: c.clientId });
  }

  signInWait(signInId: string, afterSeq: number): Promise<AzureSignInView> {
    return this.sessions.wait(signInId, afterSeq);
  }

  signInCancel(signInId: string): AzureSignInView {
    return this.sessions.cancel(signInId);
  }

  claim(signInId: string): ClaimedSignIn {
    return this.sessions.claim(signInId);
  }

  async tenants(source: AzureDirectorySource): Promise<AzureTenantView[]> {
    if ('signInId' in source) {
      const { credential, start } = this.sessions.credential(source.signInId);
      return listTenants({ credential, cloud: start.cloud, opts: this.endpoints, signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS) });
    }
    return listTenants({ ...this.accountCredential(source.accountId), opts: this.endpoints, signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS) });
  }

  async subscriptions(accountId: string): Promise<AzureSubscriptionView[]> {
    return listSubscriptions({ ...this.accountCredential(accountId), opts: this.endpoints, signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS) });
  }

  async resourceGroups(accountId: string, subscriptionId: string): Promise<AzureResourceGroupView[]> {
    return listResourceGroups({ ...this.accountCredential(accountId), subscriptionId, opts: this.endpoints, signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS) });
  }

  /** Test connection for a subscription: how many resource groups the account sees there, or why not. */
  async testScope(accountId: string, subscriptionId: string): Promise<{ ok: boolean; resourceGroups: number | null; message: string }> {
    try {
      const groups = await this.resourceGroups(accountId, subscriptionId);
      const n = groups.length;
      return { ok: true, resourceGroups: n, message: `Connected: ${n} resource group${n === 1 ? '' : 's'} in subscription ${subscriptionId}.` };
    } catch (err) {
      if (!(err instanceof ProviderFailure)) throw err;
      return { ok: false, resourceGroups: null, message: err.message };
    }
  }

  private accountCredential(accountId: string) {
    const account = this.d.providers.resolveAccount(accountId);
    const c = account.credentials;
    if (account.provider !== 'azure' || !isAzureCredential(c)) {
      throw invalid(`${account.name} is not an Azure account.`, [{ path: 'accountId', message: 'must be an Azure account' }]);
    }
    return { credential: tokenCredentialFor(account.id, c, this.d.credentialCache, this.endpoints), cloud: cloudOf(c) };
  }

  dispose(): void {
    this.sessions.dispose();
  }
}
