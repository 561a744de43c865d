// The provider adapters this console runs with, and the lookups that turn stored accounts and
// environments into what an adapter needs (decrypted credentials stay inside main).

import type { Repos } from '../db/repos';
import type { Vault } from '../credentials/vault';
import type { EnvRef, ProviderAdapter, ResolvedAccount } from '../providers/types';
import { ProviderRegistry as AdapterRegistry } from '../providers/registry';
import { notFound } from './errors';

/** The adapter registry, plus the account/environment lookups only main may do (decrypted secrets). */
export class ProviderRegistry extends AdapterRegistry {
  constructor(
    adapters: readonly ProviderAdapter[],
    private readonly repos: Repos,
    private readonly vault: Vault,
  ) {
    super(adapters);
  }

  resolveAccount(accountId: string): ResolvedAccount {
    const account = this.repos.accounts.get(accountId);
    if (!account) throw notFound('Account', accountId);
    const secret = this.repos.accounts.secret(accountId) ?? Buffer.alloc(0);
    return {
      id: account.id,
      name: account.name,
      provider: account.provider,
      cloud: account.cloud,
      credentials: this.vault.open(account.id, account.credentialKind, secret),
    };
  }

  envRef(environmentId: string): EnvRef {
    const env = this.repos.environments.get(environmentId);
    if (!env) throw notFound('Environment', environmentId);
    return { environmentId: env.id, account: this.resolveAccount(env.accountId), region: env.region, scope: env.scope };
  }
}
