import { describe, expect, it } from 'vitest';
import { createSafeStorageKeyProvider, type SafeStorageLike } from '../../../main/electron/safe-storage-key-provider';

/** A stand-in for Electron safeStorage: reversible, machine-bound by a per-instance secret byte. */
function fakeSafeStorage(opts: { available?: boolean; backend?: string; secret?: number } = {}): SafeStorageLike {
  const secret = opts.secret ?? 0x5a;
  const xor = (buf: Buffer) => Buffer.from(buf.map((b) => b ^ secret));
  return {
    isEncryptionAvailable: () => opts.available ?? true,
    encryptString: (text) => Buffer.concat([Buffer.from('ENC'), xor(Buffer.from(text, 'utf8'))]),
    decryptString: (blob) => {
      if (blob.subarray(0, 3).toString() !== 'ENC') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return xor(blob.subarray(3)).toString('utf8');
    },
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
  };
}

const key = Buffer.from('0123456789abcdef0123456789abcdef');

describe('the safeStorage key provider', () => {
  it('wraps and unwraps the vault key, and the wrapped blob does not contain it', () => {
    const provider = createSafeStorageKeyProvider(fakeSafeStorage(), 'linux');
    expect(provider.status()).toEqual({ ok: true });
    const wrapped = provider.wrap(key);
    expect(wrapped.includes(key)).toBe(false);
    expect(wrapped.includes(Buffer.from(key.toString('base64')))).toBe(false);
    expect(provider.unwrap(wrapped).equals(key)).toBe(true);
    expect(provider.name).toBe('safeStorage (gnome_libsecret)');
  });

  it('refuses on Linux when Electron fell back to basic_text, and says to set a passphrase', () => {
    const provider = createSafeStorageKeyProvider(fakeSafeStorage({ backend: 'basic_text' }), 'linux');
    const status = provider.status();
    expect(status.ok).toBe(false);
    if (!status.ok) expect(status.reason).toMatch(/passphrase/i);
    expect(() => provider.wrap(key)).toThrow(/passphrase/i);
    expect(() => provider.unwrap(Buffer.from('ENCx'))).toThrow(/passphrase/i);
  });

  it('refuses when encryption is not available at all', () => {
    const provider = createSafeStorageKeyProvider(fakeSafeStorage({ available: false }), 'darwin');
    expect(provider.status().ok).toBe(false);
    expect(() => provider.wrap(key)).toThrow(/secure storage is not available/);
  });

  it('does not consult the Linux backend on macOS and Windows', () => {
    expect(createSafeStorageKeyProvider(fakeSafeStorage({ backend: 'basic_text' }), 'darwin').status()).toEqual({ ok: true });
    expect(createSafeStorageKeyProvider(fakeSafeStorage({ backend: 'basic_text' }), 'win32').name).toBe('safeStorage (DPAPI)');
  });

  it('rejects blobs it did not wrap, with a sentence, rather than returning a wrong key', () => {
    const provider = createSafeStorageKeyProvider(fakeSafeStorage(), 'linux');
    expect(() => provider.unwrap(Buffer.from('garbage'))).toThrow(/could not be decrypted/);
    const foreign = fakeSafeStorage().encryptString('someone-else:' + key.toString('base64'));
    expect(() => provider.unwrap(foreign)).toThrow(/not wrapped by safeStorage for Failover Console/);
    const otherMachine = createSafeStorageKeyProvider(fakeSafeStorage({ secret: 0x33 }), 'linux').wrap(key);
    expect(() => provider.unwrap(otherMachine)).toThrow();
  });

  it('refuses to wrap an empty key', () => {
    expect(() => createSafeStorageKeyProvider(fakeSafeStorage(), 'linux').wrap(Buffer.alloc(0))).toThrow(/empty/);
  });
});

describe('the key provider the shell chooses', () => {
  it('is a passphrase on Linux when safeStorage would fall back to basic_text, safeStorage otherwise', async () => {
    const { chooseKeyProvider } = await import('../../../main/electron/safe-storage-key-provider');
    const { PassphraseKeyProvider } = await import('../../../main/credentials/passphrase-key-provider');
    const onBasicText = chooseKeyProvider(fakeSafeStorage({ backend: 'basic_text' }), 'linux');
    expect(onBasicText).toBeInstanceOf(PassphraseKeyProvider);
    // Locked until the operator sets or enters the passphrase.
    expect(onBasicText.status().ok).toBe(false);
    expect(chooseKeyProvider(fakeSafeStorage({ backend: 'kwallet5' }), 'linux').name).toBe('safeStorage (kwallet5)');
    expect(chooseKeyProvider(fakeSafeStorage(), 'darwin').name).toBe('safeStorage (Keychain)');
  });
});
