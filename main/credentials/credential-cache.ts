// The credential-cache port (providers/types.ts CredentialCachePort) on the vault: a provider hands
// over the cache it refreshed (MSAL's serialized token cache) and gets it back next session; on disk
// it is only ever AES-256-GCM ciphertext, bound to its account and cache name.

import type { CredentialCachesRepo } from '../db/credential-caches-repo';
import type { CredentialCachePort } from '../providers/types';
import type { Vault } from './vault';

export interface VaultCredentialCacheDeps {
  repo: CredentialCachesRepo;
  vault: Vault;
  now?: () => string;
  /** Told (without contents) when a stored cache cannot be opened; the provider then signs in afresh. */
  warn?: (message: string) => void;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkName(name: string): void {
  // Names are code-chosen ("msal", "sso"); refuse anything else rather than store under a typo.
  if (!NAME.test(name)) throw new Error(`Credential cache name "${name}" must be 1-64 lowercase letters, digits, dots, dashes or underscores.`);
}

export class VaultCredentialCache implements CredentialCachePort {
  constructor(private readonly d: VaultCredentialCacheDeps) {}

  // async: a bad name or a failed write is a rejection, never a synchronous throw.
  async read(accountId: string, name: string): Promise<string | null> {
    checkName(name);
    const sealed = this.d.repo.get(accountId, name);
    if (!sealed) return null;
    let plain: Buffer;
    try {
      plain = this.d.vault.openCredentialCache(accountId, name, sealed);
    } catch {
      // A cache is a convenience: an unreadable one (other key, other account's blob) means a new sign-in.
      this.d.warn?.(`The ${name} credential cache of account ${accountId} could not be opened; it is ignored.`);
      return null;
    }
    try {
      return plain.toString('utf8');
    } finally {
      plain.fill(0);
    }
  }

  async write(accountId: string, name: string, contents: string): Promise<void> {
    checkName(name);
    const plain = Buffer.from(contents, 'utf8');
    try {
      this.d.repo.put(accountId, name, this.d.vault.sealCredentialCache(accountId, name, plain), (this.d.now ?? (() => new Date().toISOString()))());
    } finally {
      plain.fill(0);
    }
  }

  async clear(accountId: string, name: string): Promise<void> {
    checkName(name);
    this.d.repo.delete(accountId, name);
  }
}
