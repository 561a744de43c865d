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

/** Which credential kinds each provider understands. */
const CREDENTIAL_KINDS: Record<ProviderKind, readonly CredentialKind[]> = {
  sim: ['none'],
  aws: ['aws-access-key', 'aws-profile', 'aws-assume-role'],
  azure: ['azure-service-principal'],
  gcp: ['gcp-service-account-key', 'gcp-application-default', 'gcp-impersonation'],
};

const CONNECTION_TEST_TIMEOUT_MS = 30_000;

export interface AccountsServiceDeps {
  repos: Repos;
  vault: Vault;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
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
    // Sealing first: when the secret store is unavailable nothing is written at all.
    const secret = this.d.vault.seal(id, input.credentials);
    const record = {
      id,
      name,
      provider: input.provider,
      cloud: input.cloud,
      credentialKind: input.credentials.kind,
      createdAt: this.d.clock.iso(),
    };
    this.d.repos.db.transaction(() => {
      this.d.repos.accounts.insert({ ...record, secret });
      this.d.audit.record(actor, 'account.create', id, `${name} (${input.provider}, ${input.cloud}, ${input.credentials.kind})`);
    })();
    return toAccountView(record);
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
