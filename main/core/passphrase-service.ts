// The passphrase lock (issue 12, item 2): where Electron's safeStorage would fall back to
// `basic_text` (Linux with no keyring), the vault's data key is wrapped by a key derived from the
// operator's passphrase (credentials/passphrase-key-provider.ts, scrypt). Set it once, unlock it at
// each start, change it. After five wrong tries unlocking pauses for one minute, and each further
// wrong try doubles the pause (up to an hour); the counter survives a restart. Nothing is ever
// erased by wrong tries: a forgotten passphrase means entering the credentials again, nothing worse.

import { randomBytes } from 'node:crypto';
import type { PassphraseStatus } from '../../shared/offline';
import type { KeyProvider } from '../credentials/key-provider';
import { MIN_PASSPHRASE_LENGTH, PassphraseKeyProvider } from '../credentials/passphrase-key-provider';
import type { Repos } from '../db/repos';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { DomainError, invalid, precondition } from './errors';

/** A random key wrapped under the passphrase: unwrapping it proves the passphrase, nothing else. */
const CHECK_SETTING = 'passphrase.check';
const FAILS_SETTING = 'passphrase.failedAttempts';
const LOCK_SETTING = 'passphrase.lockedUntil';
/** Where the vault keeps its wrapped data key (credentials/vault.ts); change() rewraps it. */
const VAULT_KEY_SETTING = 'vault.dataKey';

export const FREE_TRIES = 5;
const FIRST_PAUSE_MS = 60_000;
const MAX_PAUSE_MS = 60 * 60_000;

export const PASSPHRASE_REASON =
  'This computer has no system keyring (Electron secure storage would fall back to "basic_text", a key built into the app), so the console protects stored cloud credentials with a passphrase only you know.';

export interface PassphraseServiceDeps {
  repos: Repos;
  keyProvider: KeyProvider;
  audit: AuditLog;
  clock: Clock;
}

export class PassphraseService {
  constructor(private readonly d: PassphraseServiceDeps) {}

  private get provider(): PassphraseKeyProvider | null {
    return this.d.keyProvider instanceof PassphraseKeyProvider ? this.d.keyProvider : null;
  }

  status(): PassphraseStatus {
    const p = this.provider;
    const s = this.d.repos.settings;
    const lockedUntil = s.get(LOCK_SETTING);
    const active = lockedUntil !== null && Date.parse(lockedUntil) > this.d.clock.now().getTime();
    return {
      required: p !== null,
      reason: p !== null ? PASSPHRASE_REASON : `Credentials are protected by ${this.d.keyProvider.name}; no passphrase is needed.`,
      set: s.get(CHECK_SETTING) !== null,
      unlocked: p !== null && p.status().ok,
      failedAttempts: Number(s.get(FAILS_SETTING) ?? '0'),
      lockedUntil: active ? lockedUntil : null,
    };
  }

  set(passphrase: string): PassphraseStatus {
    const p = this.requireProvider();
    if (this.d.repos.settings.get(CHECK_SETTING) !== null) throw precondition('A passphrase is already set; unlock with it, or change it.');
    this.checkLength(passphrase);
    p.setPassphrase(passphrase);
    this.d.repos.db.transaction(() => {
      this.d.repos.settings.set(CHECK_SETTING, p.wrap(randomBytes(32)).toString('base64'));
      this.d.repos.settings.set(FAILS_SETTING, '0');
      this.d.repos.settings.delete(LOCK_SETTING);
    })();
    this.d.audit.record('operator', 'passphrase.set', null, 'the credential vault is protected by a passphrase');
    return this.status();
  }

  unlock(passphrase: string): PassphraseStatus {
    const p = this.requireProvider();
    const check = this.d.repos.settings.get(CHECK_SETTING);
    if (check === null) throw precondition('No passphrase is set yet; set one first.');
    this.refuseWhileLocked();
    if (this.verifies(passphrase, check)) {
      p.setPassphrase(passphrase);
      this.d.repos.settings.set(FAILS_SETTING, '0');
      this.d.repos.settings.delete(LOCK_SETTING);
      this.d.audit.record('operator', 'passphrase.unlock', null, 'the credential vault was unlocked');
      return this.status();
    }
    throw this.wrongTry();
  }

  change(current: string, next: string): PassphraseStatus {
    const p = this.requireProvider();
    const check = this.d.repos.settings.get(CHECK_SETTING);
    if (check === null) throw precondition('No passphrase is set yet; set one first.');
    this.refuseWhileLocked();
    if (!this.verifies(current, check)) throw this.wrongTry();
    this.checkLength(next);
    const old = p.sibling(current);
    const fresh = p.sibling(next);
    const s = this.d.repos.settings;
    const wrappedVaultKey = s.get(VAULT_KEY_SETTING);
    // Rewrapped in one transaction: a crash leaves the old passphrase working, never neither.
    const rewrapped = wrappedVaultKey === null ? null : fresh.wrap(old.unwrap(Buffer.from(wrappedVaultKey, 'base64')));
    this.d.repos.db.transaction(() => {
      if (rewrapped) s.set(VAULT_KEY_SETTING, rewrapped.toString('base64'));
      s.set(CHECK_SETTING, fresh.wrap(randomBytes(32)).toString('base64'));
      s.set(FAILS_SETTING, '0');
      s.delete(LOCK_SETTING);
    })();
    p.setPassphrase(next);
    this.d.audit.record('operator', 'passphrase.change', null, 'the credential vault passphrase was changed');
    return this.status();
  }

  private verifies(passphrase: string, check: string): boolean {
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) return false;
    try {
      this.requireProvider().sibling(passphrase).unwrap(Buffer.from(check, 'base64'));
      return true;
    } catch {
      return false;
    }
  }

  private wrongTry(): DomainError {
    const s = this.d.repos.settings;
    const fails = Number(s.get(FAILS_SETTING) ?? '0') + 1;
    s.set(FAILS_SETTING, String(fails));
    this.d.audit.record('operator', 'passphrase.wrong', null, `wrong passphrase (${fails} in a row)`);
    if (fails < FREE_TRIES) {
      const left = FREE_TRIES - fails;
      return invalid(`Wrong passphrase. ${left} more wrong ${left === 1 ? 'try' : 'tries'} and unlocking pauses for a minute.`, [{ path: 'passphrase', message: 'wrong passphrase' }]);
    }
    const pause = Math.min(FIRST_PAUSE_MS * 2 ** (fails - FREE_TRIES), MAX_PAUSE_MS);
    const until = new Date(this.d.clock.now().getTime() + pause).toISOString();
    s.set(LOCK_SETTING, until);
    return new DomainError(
      'Forbidden',
      `Wrong passphrase ${fails} times in a row: unlocking is paused for ${pause >= 60_000 ? `${Math.round(pause / 60_000)} minute(s)` : `${pause / 1000} s`} (until ${until}), and each further wrong try doubles the pause. Nothing was erased; without the passphrase the console still opens, but stored credentials stay locked.`,
    );
  }

  private refuseWhileLocked(): void {
    const until = this.d.repos.settings.get(LOCK_SETTING);
    if (until !== null && Date.parse(until) > this.d.clock.now().getTime()) {
      throw new DomainError('Forbidden', `Unlocking is paused after ${this.d.repos.settings.get(FAILS_SETTING) ?? FREE_TRIES} wrong passphrases, until ${until}. Wait, then try again.`);
    }
  }

  private checkLength(passphrase: string): void {
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw invalid(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`, [{ path: 'passphrase', message: `at least ${MIN_PASSPHRASE_LENGTH} characters` }]);
  }

  private requireProvider(): PassphraseKeyProvider {
    const p = this.provider;
    if (!p) throw precondition(`This console protects credentials with ${this.d.keyProvider.name}; it needs no passphrase.`);
    return p;
  }
}
