// The provider adapters this console runs with, and the lookups that turn stored accounts and
// environments into what an adapter needs (decrypted credentials stay inside main).

import type { ProviderKind } from '../../shared/domain';
import type { Repos } from '../db/repos';
import type { Vault } from '../credentials/vault';
import type { EnvRef, ProviderAdapter, ResolvedAccount } from '../providers/types';
import { notFound, precondition } from './errors';

export class ProviderRegistry {
  private readonly byKind = new Map<ProviderKind, ProviderAdapter>();

  constructor(
    adapters: readonly ProviderAdapter[],
    private readonly repos: Repos,
    private readonly vault: Vault,
  ) {
    for (const a of adapters) {
      if (this.byKind.has(a.kind)) throw new Error(`Two provider adapters for ${a.kind}`);
      this.byKind.set(a.kind, a);
    }
  }

  list(): ProviderAdapter[] {
    return [...this.byKind.values()];
  }

  get(kind: ProviderKind): ProviderAdapter | undefined {
    return this.byKind.get(kind);
  }

  require(kind: ProviderKind): ProviderAdapter {
    const adapter = this.byKind.get(kind);
    if (!adapter) throw precondition(`This console has no ${kind} provider; accounts of that kind cannot be used here.`);
    return adapter;
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
