// Cloud accounts: create (credentials go straight into the vault), list, delete while unused, and
// test the connection through the provider adapter.

import type { AccountCreateInput, AccountView, AwsProfileView, CredentialKind, ProviderKind } from '../../shared/domain';
import { listAwsProfiles } from '../providers/aws/profiles';
import type { Repos } from '../db/repos';
import { toAccountView } from '../db/accounts-repo';
import type { Vault } from '../credentials/vault';
import { ProviderFailure } from '../providers/provider-failure';
import type { AuditActor } from '../db/audit-repo';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { conflict, invalid, notFound, precondition } from './errors';
import { newId } from './ids';
import type { ProviderRegistry } from './provider-registry';
import { CredentialCachesRepo } from '../db/credential-caches-repo';
import { MSAL_CACHE_NAME } from '../providers/azure/auth';
import type { ClaimedSignIn } from '../providers/azure/sign-in-sessions';

/** Which credential kinds each provider understands. */
const CREDENTIAL_KINDS: Record<ProviderKind, readonly CredentialKind[]> = {
  sim: ['none'],
  aws: ['aws-access-key', 'aws-profile', 'aws-assume-role'],
  azure: ['azure-service-principal', 'azure-service-principal-certificate', 'azure-user'],
  gcp: ['gcp-service-account-key', 'gcp-application-default', 'gcp-impersonation'],
};

const CONNECTION_TEST_TIMEOUT_MS = 30_000;

export interface AccountsServiceDeps {
  repos: Repos;
  vault: Vault;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  /** Hands over a finished Azure sign-in (main/providers/azure/sign-in-sessions.ts) to the account. */
  claimAzureSignIn?: (signInId: string) => ClaimedSignIn;
}

export class AccountsService {
  constructor(private readonly d: AccountsServiceDeps) {}

  list(): AccountView[] {
    return this.d.repos.accounts.list().map(toAccountView);
  }

  get(id: string): AccountView {
    const account = this.d.repos.accounts.get(id);
    if (!account) throw notFound('Account', id);
    return toAccountView(account);
  }

  create(input: AccountCreateInput, actor: AuditActor = 'operator'): AccountView {
    const adapter = this.d.providers.get(input.provider);
    if (input.provider !== 'sim' && input.provider !== input.cloud) {
      throw invalid(`A ${input.provider} account cannot be a ${input.cloud} account.`, [
        { path: 'cloud', message: `must be ${input.provider} for a ${input.provider} account` },
      ]);
    }
    if (!adapter.clouds.includes(input.cloud)) {
      throw invalid(`The ${adapter.label} provider does not support ${input.cloud}.`, [
        { path: 'cloud', message: `is not supported by ${adapter.label}` },
      ]);
    }
    const allowed = CREDENTIAL_KINDS[input.provider];
    if (!allowed.includes(input.credentials.kind)) {
      throw invalid(`A ${input.provider} account needs credentials of kind ${allowed.join(' or ')}.`, [
        { path: 'credentials.kind', message: `must be ${allowed.join(' or ')}` },
      ]);
    }
    const name = input.name.trim();
    if (this.d.repos.accounts.findByName(name)) throw conflict(`An account named "${name}" already exists.`);

    const id = newId('acc');
    let credentials = input.credentials;
    let msalCache: Buffer | null = null;
    if (credentials.kind === 'azure-user') {
      // Only a sign-in this console finished names the MSAL account: never one the renderer made up.
      if (credentials.homeAccountId !== undefined || credentials.username !== undefined || !credentials.signInId) {
        throw invalid('Sign in to Azure first; the account is added from the finished sign-in.', [{ path: 'credentials.signInId', message: 'sign in first' }]);
      }
      if (!this.d.claimAzureSignIn) throw precondition('Azure sign-in is not available in this console.');
      const claimed = this.d.claimAzureSignIn(credentials.signInId);
      credentials = {
        kind: 'azure-user',
        method: claimed.start.method,
        cloud: claimed.start.cloud,
        clientId: claimed.start.clientId,
        tenantId: credentials.tenantId,
        homeAccountId: claimed.homeAccountId,
        username: claimed.username,
      };
      msalCache = Buffer.from(claimed.cacheContents, 'utf8');
    }
    // Sealing first: when the secret store is unavailable nothing is written at all.
    const secret = this.d.vault.seal(id, credentials);
    const sealedCache = msalCache ? this.d.vault.sealCredentialCache(id, MSAL_CACHE_NAME, msalCache) : null;
    msalCache?.fill(0);
    const record = {
      id,
      name,
      provider: input.provider,
      cloud: input.cloud,
      credentialKind: credentials.kind,
      createdAt: this.d.clock.iso(),
    };
    this.d.repos.db.transaction(() => {
      this.d.repos.accounts.insert({ ...record, secret });
      // The signed-in person's MSAL cache (refresh token) lands with the account, sealed, or not at all.
      if (sealedCache) new CredentialCachesRepo(this.d.repos.db).put(id, MSAL_CACHE_NAME, sealedCache, record.createdAt);
      this.d.audit.record(actor, 'account.create', id, `${name} (${input.provider}, ${input.cloud}, ${credentials.kind}${credentials.kind === 'azure-user' ? ` ${credentials.username ?? ''}` : ''})`);
    })();
    return toAccountView(record);
  }

  /**
   * A person signed in to an existing Azure account again (its refresh token expired or was
   * revoked): the finished sign-in's MSAL cache replaces the account's, sealed, in one transaction.
   * Only the same person with the same app registration and cloud: someone else is a new account.
   */
  renewAzureSignIn(id: string, signInId: string, actor: AuditActor = 'operator'): AccountView {
    const account = this.d.repos.accounts.get(id);
    if (!account) throw notFound('Account', id);
    const creds = this.d.providers.resolveAccount(id).credentials;
    if (creds.kind !== 'azure-user') throw precondition(`${account.name} is not an account a person signs in to.`);
    if (!this.d.claimAzureSignIn) throw precondition('Azure sign-in is not available in this console.');
    const claimed = this.d.claimAzureSignIn(signInId);
    if (claimed.start.clientId !== creds.clientId || claimed.start.cloud !== creds.cloud) {
      throw precondition(`That sign-in used another app registration or cloud than ${account.name}; sign in again from its Sign in again button.`);
    }
    if (creds.homeAccountId && claimed.homeAccountId !== creds.homeAccountId) {
      throw precondition(`${account.name} was added for ${creds.username || 'another person'}; sign in as them, or add a new account for ${claimed.username || 'this person'}.`);
    }
    const renewed = { ...creds, method: claimed.start.method, homeAccountId: claimed.homeAccountId, username: claimed.username };
    const secret = this.d.vault.seal(id, renewed);
    const cache = Buffer.from(claimed.cacheContents, 'utf8');
    const sealedCache = this.d.vault.sealCredentialCache(id, MSAL_CACHE_NAME, cache);
    cache.fill(0);
    this.d.repos.db.transaction(() => {
      this.d.repos.accounts.setSecret(id, secret);
      new CredentialCachesRepo(this.d.repos.db).put(id, MSAL_CACHE_NAME, sealedCache, this.d.clock.iso());
      this.d.audit.record(actor, 'account.signIn', id, `${account.name}: signed in again as ${claimed.username}`);
    })();
    return toAccountView(account);
  }

  delete(id: string, actor: AuditActor = 'operator'): void {
    this.d.repos.db.transaction(() => {
      const account = this.d.repos.accounts.get(id);
      if (!account) throw notFound('Account', id);
      const envs = this.d.repos.accounts.environmentCount(id);
      if (envs > 0) {
        throw precondition(`Account "${account.name}" is used by ${envs} environment${envs === 1 ? '' : 's'}; delete them first.`);
      }
      this.d.repos.accounts.delete(id);
      this.d.audit.record(actor, 'account.delete', id, account.name);
    }).immediate();
  }

  /** The operator's AWS profiles (names and non-secret settings) for the Add account dialog. */
  async awsProfiles(): Promise<AwsProfileView[]> {
    return listAwsProfiles();
  }

  /** Asks the provider who we are. Provider refusals are a result, not an error: the operator sees why. */
  async test(id: string, actor: AuditActor = 'operator'): Promise<{ ok: boolean; identity: string; message: string }> {
    const account = this.d.repos.accounts.get(id);
    if (!account) throw notFound('Account', id);
    const adapter = this.d.providers.get(account.provider);
    const resolved = this.d.providers.resolveAccount(id);
    let outcome: { ok: boolean; identity: string; message: string };
    try {
      const check = await adapter.testConnection(resolved, AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS));
      outcome = { ok: true, identity: check.identity, message: check.message };
    } catch (err) {
      if (!(err instanceof ProviderFailure)) throw err;
      outcome = { ok: false, identity: '', message: err.message };
    }
    this.d.audit.record(actor, 'account.test', id, outcome.ok ? `connected as ${outcome.identity}` : `failed: ${outcome.message}`);
    return outcome;
  }
}
