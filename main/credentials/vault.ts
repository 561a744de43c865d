// The credential vault: account secrets sealed with AES-256-GCM under a random data key, which is
// stored in settings wrapped by the key provider. The AAD binds each blob to its account id.

import { randomBytes } from 'node:crypto';
import { CredentialInput } from '../../shared/domain';
import type { SettingsRepo } from '../db/settings-repo';
import { DomainError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { KeyProvider, KeyProviderStatus } from './key-provider';
import { open, seal } from './aead';

const DATA_KEY_SETTING = 'vault.dataKey';
const PROVIDER_SETTING = 'vault.keyProvider';

const aadFor = (accountId: string) => `failover-console:account:${accountId}`;
const webhookAadFor = (policyId: string) => `failover-console:policy-webhook-secret:${policyId}`;
const cacheAadFor = (accountId: string, name: string) => `failover-console:account-credential-cache:${accountId}:${name}`;

export class Vault {
  private dataKey: Buffer | null = null;

  constructor(
    private readonly settings: SettingsRepo,
    private readonly keyProvider: KeyProvider,
    private readonly logger?: Logger,
    /** How many secrets are sealed in the file (accounts, webhook secrets); a new key would orphan them. */
    private readonly sealedSecrets: () => number = () => 0,
  ) {}

  status(): KeyProviderStatus {
    return this.keyProvider.status();
  }

  get providerName(): string {
    return this.keyProvider.name;
  }

  /**
   * Seals an account's credentials for the accounts table. Kind `none` (simulated accounts) has
   * nothing secret and stores an empty blob, so it works even when no secret store is available.
   */
  seal(accountId: string, credentials: CredentialInput): Buffer {
    if (credentials.kind === 'none') return Buffer.alloc(0);
    const plaintext = Buffer.from(JSON.stringify(credentials), 'utf8');
    try {
      return seal(this.key(true), plaintext, aadFor(accountId));
    } finally {
      plaintext.fill(0);
    }
  }

  /** Opens what `seal` produced for the same account. */
  open(accountId: string, credentialKind: string, blob: Buffer): CredentialInput {
    if (blob.length === 0) {
      if (credentialKind === 'none') return { kind: 'none' };
      throw new DomainError('CredentialStoreUnavailable', 'The stored credentials for this account are missing; enter them again.');
    }
    let plaintext: Buffer;
    try {
      plaintext = open(this.key(false), blob, aadFor(accountId));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      this.logger?.warn(`Could not decrypt the credentials of account ${accountId}`);
      throw new DomainError(
        'CredentialStoreUnavailable',
        'The stored credentials for this account could not be decrypted; they may have been written with another key. Enter them again.',
      );
    }
    try {
      const parsed = CredentialInput.safeParse(JSON.parse(plaintext.toString('utf8')));
      if (!parsed.success || parsed.data.kind !== credentialKind) {
        throw new DomainError('CredentialStoreUnavailable', 'The stored credentials for this account are damaged; enter them again.');
      }
      return parsed.data;
    } finally {
      plaintext.fill(0);
    }
  }

  /** Seals a policy's webhook signing secret; the AAD binds the blob to that policy. */
  sealWebhookSecret(policyId: string, secret: string): Buffer {
    const plaintext = Buffer.from(secret, 'utf8');
    try {
      return seal(this.key(true), plaintext, webhookAadFor(policyId));
    } finally {
      plaintext.fill(0);
    }
  }

  /** Opens what `sealWebhookSecret` produced for the same policy. The caller should zero the result. */
  openWebhookSecret(policyId: string, blob: Buffer): Buffer {
    try {
      return open(this.key(false), blob, webhookAadFor(policyId));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      this.logger?.warn(`Could not decrypt the webhook signing secret of policy ${policyId}`);
      throw new DomainError(
        'CredentialStoreUnavailable',
        'The webhook signing secret of this policy could not be decrypted; it may have been written with another key. Enter it again.',
      );
    }
  }

  /** Seals a provider's credential cache (e.g. MSAL's token cache); the AAD binds it to the account and cache name. */
  sealCredentialCache(accountId: string, name: string, contents: Buffer): Buffer {
    return seal(this.key(true), contents, cacheAadFor(accountId, name));
  }

  /** Opens what `sealCredentialCache` produced for the same account and name; throws otherwise. The caller should zero the result. */
  openCredentialCache(accountId: string, name: string, blob: Buffer): Buffer {
    try {
      return open(this.key(false), blob, cacheAadFor(accountId, name));
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError('CredentialStoreUnavailable', 'The cached sign-in of this account could not be decrypted; sign in again.');
    }
  }

  /** The data key, unwrapped once per session; created (and stored wrapped) on first use. */
  private key(create: boolean): Buffer {
    if (this.dataKey) return this.dataKey;
    const status = this.keyProvider.status();
    if (!status.ok) {
      throw new DomainError('CredentialStoreUnavailable', `Credentials cannot be stored or read: ${status.reason}`);
    }
    const stored = this.settings.get(DATA_KEY_SETTING);
    if (stored !== null) {
      try {
        this.dataKey = this.keyProvider.unwrap(Buffer.from(stored, 'base64'));
      } catch {
        throw new DomainError(
          'CredentialStoreUnavailable',
          `The credential store key could not be unlocked with ${this.keyProvider.name}; stored credentials cannot be read.`,
        );
      }
      if (this.dataKey.length !== 32) {
        this.dataKey = null;
        throw new DomainError('CredentialStoreUnavailable', 'The credential store key is damaged.');
      }
      return this.dataKey;
    }
    if (!create) {
      throw new DomainError('CredentialStoreUnavailable', 'No credential store key exists yet; the stored credentials cannot be read.');
    }
    // The key row is gone but secrets sealed under it remain (a damaged or hand-edited file, a
    // restore that mixed files): a new key would make every one of them unreadable, silently.
    const sealed = this.sealedSecrets();
    if (sealed > 0) {
      this.logger?.error(`The vault's data key is missing while ${sealed} sealed secret(s) exist; no new key was created`);
      throw new DomainError(
        'CredentialStoreUnavailable',
        `The credential store key is missing from this data file, but ${sealed} stored secret(s) were sealed with it; no new key was created, so they are not lost. Restore the data file from a backup, or remove and re-enter those credentials.`,
      );
    }
    const fresh = randomBytes(32);
    const wrapped = this.keyProvider.wrap(fresh);
    this.settings.set(DATA_KEY_SETTING, wrapped.toString('base64'));
    this.settings.set(PROVIDER_SETTING, this.keyProvider.name);
    this.dataKey = fresh;
    return fresh;
  }
}
