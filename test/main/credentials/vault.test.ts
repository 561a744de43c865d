import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/connection';
import { SettingsRepo } from '../../../main/db/settings-repo';
import { Vault } from '../../../main/credentials/vault';
import { StaticKeyProvider, UnavailableKeyProvider } from '../../../main/credentials/static-key-provider';
import { PassphraseKeyProvider } from '../../../main/credentials/passphrase-key-provider';
import { DomainError } from '../../../main/core/errors';
import type { CredentialInput } from '../../../shared/domain';
import { useTempDirs } from '../../helpers/temp-dir';
import { createTestCore, seedAwsPair } from '../../helpers/test-core';
import { lostOrChanged, snapshotRows } from '../../helpers/rows';

const tempDir = useTempDirs();

const SECRET: CredentialInput = {
  kind: 'aws-access-key',
  accessKeyId: 'AKIAEXAMPLEKEY123456',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
};

function settings() {
  return new SettingsRepo(openDatabase(join(tempDir(), 'v.sqlite')));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : `not a DomainError: ${String(err)}`;
  }
  return undefined;
}

describe('the credential vault', () => {
  it('round-trips credentials for the same account', () => {
    const vault = new Vault(settings(), new StaticKeyProvider(randomBytes(32)));
    const blob = vault.seal('acc_1', SECRET);
    expect(vault.open('acc_1', 'aws-access-key', blob)).toEqual(SECRET);
  });

  it('keeps working across restarts: the data key is stored wrapped, and unwrapped with the same key', () => {
    const s = settings();
    const key = randomBytes(32);
    const blob = new Vault(s, new StaticKeyProvider(key)).seal('acc_1', SECRET);
    const wrapped = s.get('vault.dataKey');
    expect(wrapped).toBeTruthy();
    expect(new Vault(s, new StaticKeyProvider(key)).open('acc_1', 'aws-access-key', blob)).toEqual(SECRET);
  });

  it('fails with CredentialStoreUnavailable under a different key', () => {
    const s = settings();
    const blob = new Vault(s, new StaticKeyProvider(randomBytes(32))).seal('acc_1', SECRET);
    const other = new Vault(s, new StaticKeyProvider(randomBytes(32)));
    expect(codeOf(() => other.open('acc_1', 'aws-access-key', blob))).toBe('CredentialStoreUnavailable');
  });

  it('stores ciphertext that contains no part of the plaintext', () => {
    const vault = new Vault(settings(), new StaticKeyProvider(randomBytes(32)));
    const blob = vault.seal('acc_1', SECRET);
    const text = blob.toString('latin1');
    expect(text).not.toContain('wJalrXUtnFEMI');
    expect(text).not.toContain('AKIAEXAMPLEKEY');
    expect(text).not.toContain('aws-access-key');
    expect(blob[0]).toBe(1); // version byte
    expect(blob.length).toBeGreaterThan(1 + 12 + 16);
  });

  it('refuses tampered ciphertext, a swapped nonce or tag, and a blob moved to another account', () => {
    const vault = new Vault(settings(), new StaticKeyProvider(randomBytes(32)));
    const blob = vault.seal('acc_1', SECRET);
    for (const index of [5, 20, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[index] = bad[index]! ^ 0x01;
      expect(codeOf(() => vault.open('acc_1', 'aws-access-key', bad))).toBe('CredentialStoreUnavailable');
    }
    expect(codeOf(() => vault.open('acc_2', 'aws-access-key', blob))).toBe('CredentialStoreUnavailable');
    expect(codeOf(() => vault.open('acc_1', 'aws-access-key', blob.subarray(0, 10)))).toBe('CredentialStoreUnavailable');
  });

  it('refuses to store a secret when the key provider is unavailable, saying why, and writes nothing', () => {
    const s = settings();
    const vault = new Vault(s, new UnavailableKeyProvider('the keyring backend is basic_text'));
    let error: unknown;
    try {
      vault.seal('acc_1', SECRET);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('CredentialStoreUnavailable');
    expect((error as DomainError).message).toContain('basic_text');
    expect(s.get('vault.dataKey')).toBeNull();
  });

  it('needs no key for kind none: an empty blob, even when the store is unavailable', () => {
    const vault = new Vault(settings(), new UnavailableKeyProvider('no store'));
    const blob = vault.seal('acc_1', { kind: 'none' });
    expect(blob.length).toBe(0);
    expect(vault.open('acc_1', 'none', blob)).toEqual({ kind: 'none' });
    expect(codeOf(() => vault.open('acc_1', 'aws-profile', blob))).toBe('CredentialStoreUnavailable');
  });
});

describe('the passphrase key provider', () => {
  const cheap = { N: 2 ** 10, r: 8, p: 1 };

  it('is unavailable until a passphrase is set, and refuses short ones', () => {
    const p = new PassphraseKeyProvider(null, cheap);
    expect(p.status()).toMatchObject({ ok: false });
    expect(() => p.setPassphrase('short')).toThrow(/at least/);
    p.setPassphrase('correct horse battery');
    expect(p.status()).toEqual({ ok: true });
  });

  it('unwraps with the same passphrase and fails with another', () => {
    const key = randomBytes(32);
    const wrapped = new PassphraseKeyProvider('correct horse battery', cheap).wrap(key);
    expect(new PassphraseKeyProvider('correct horse battery', cheap).unwrap(wrapped)).toEqual(key);
    expect(() => new PassphraseKeyProvider('wrong horse battery!', cheap).unwrap(wrapped)).toThrow();
  });

  it('backs a vault end to end', () => {
    const s = settings();
    const blob = new Vault(s, new PassphraseKeyProvider('correct horse battery', cheap)).seal('acc_1', SECRET);
    expect(new Vault(s, new PassphraseKeyProvider('correct horse battery', cheap)).open('acc_1', 'aws-access-key', blob)).toEqual(SECRET);
    expect(codeOf(() => new Vault(s, new PassphraseKeyProvider('another passphrase', cheap)).open('acc_1', 'aws-access-key', blob))).toBe(
      'CredentialStoreUnavailable',
    );
  });
});

describe('the static key provider', () => {
  it('insists on a 32-byte key', () => {
    expect(() => new StaticKeyProvider(Buffer.alloc(16))).toThrow(/32-byte/);
  });
});

describe('a missing data key', () => {
  it('refuses to create a new data key when the key row is missing but sealed secrets exist, and says so', async () => {
    const core = createTestCore(tempDir());
    const { source, target, inventory } = await seedAwsPair(core);
    const input = {
      name: 'Signed',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: inventory.slice(0, 1).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
      schedule: null,
      webhookUrl: 'https://hooks.example.test/dr',
      webhookSecret: 'a-signing-secret-0123456789',
      webhookOnTestFailover: false,
    };
    const made = await core.call('dr:policies.create', input);
    core.db.prepare(`DELETE FROM settings WHERE key = 'vault.dataKey'`).run();
    await core.close();
    // A restarted console (the unwrapped key is cached per session) with the key row gone.
    const again = createTestCore(join(core.file, '..'));
    const before = snapshotRows(again.db);
    const err = await again.fail('dr:policies.create', { ...input, name: 'Second' });
    expect(err.code).toBe('CredentialStoreUnavailable');
    expect(err.message).toBe(
      'The credential store key is missing from this data file, but 1 stored secret(s) were sealed with it; no new key was created, so they are not lost. Restore the data file from a backup, or remove and re-enter those credentials.',
    );
    expect(lostOrChanged(before, snapshotRows(again.db))).toEqual([]);
    expect(again.db.prepare(`SELECT value FROM settings WHERE key = 'vault.dataKey'`).get()).toBeUndefined();
    expect((await again.call('dr:policies.list', {})).map((p) => p.id)).toEqual([made.id]);
    await again.close();
  });
});
