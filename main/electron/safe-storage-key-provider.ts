// KeyProvider over Electron safeStorage (Keychain, DPAPI, libsecret/KWallet). On Linux without a
// keyring Electron falls back to a hard-coded key ("basic_text"); we refuse that rather than pretend.

import type { KeyProvider, KeyProviderStatus } from '../credentials/key-provider';
import { PassphraseKeyProvider } from '../credentials/passphrase-key-provider';

/** The slice of Electron's safeStorage used here; injected so it can be tested under Node. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only (and only after app ready). */
  getSelectedStorageBackend?(): string;
}

/** Marks blobs we wrapped, so a blob from another provider is told apart from a damaged one. */
const WRAP_PREFIX = 'fc-safe-storage-v1:';

function backendLabel(platform: NodeJS.Platform, backend: string | undefined): string {
  if (platform === 'darwin') return 'Keychain';
  if (platform === 'win32') return 'DPAPI';
  return backend ?? 'unknown';
}

export function createSafeStorageKeyProvider(
  safeStorage: SafeStorageLike,
  platform: NodeJS.Platform = process.platform,
): KeyProvider {
  const backend = (): string | undefined =>
    platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function'
      ? safeStorage.getSelectedStorageBackend()
      : undefined;

  const status = (): KeyProviderStatus => {
    if (!safeStorage.isEncryptionAvailable()) {
      return {
        ok: false,
        reason:
          "The operating system's secure storage is not available, so credentials cannot be saved. " +
          'Unlock or set up your keychain / keyring, or set a passphrase for the credential vault.',
      };
    }
    if (platform === 'linux') {
      const selected = backend();
      if (selected === 'basic_text') {
        return {
          ok: false,
          reason:
            'No system keyring (GNOME Keyring or KWallet) was found, so credentials would be protected only by a key ' +
            'built into the app. Set a passphrase for the credential vault (or start a keyring and restart the app) ' +
            'before saving credentials.',
        };
      }
      if (selected === 'unknown') {
        return { ok: false, reason: 'Secure storage is not ready yet; try again once the app has finished starting.' };
      }
    }
    return { ok: true };
  };

  const requireReady = (): void => {
    const s = status();
    if (!s.ok) throw new Error(s.reason);
  };

  return {
    get name() {
      return `safeStorage (${backendLabel(platform, backend())})`;
    },
    status,
    wrap(dataKey: Buffer): Buffer {
      requireReady();
      if (!Buffer.isBuffer(dataKey) || dataKey.length === 0) throw new Error('The data key to wrap is empty.');
      return safeStorage.encryptString(WRAP_PREFIX + dataKey.toString('base64'));
    },
    unwrap(wrapped: Buffer): Buffer {
      requireReady();
      let text: string;
      try {
        text = safeStorage.decryptString(wrapped);
      } catch (err) {
        throw new Error(
          `The stored vault key could not be decrypted with this system's secure storage (${err instanceof Error ? err.message : String(err)}). ` +
            'It was probably saved on another machine or user account.',
          { cause: err },
        );
      }
      if (!text.startsWith(WRAP_PREFIX)) {
        throw new Error('The stored vault key was not wrapped by safeStorage for Failover Console.');
      }
      const key = Buffer.from(text.slice(WRAP_PREFIX.length), 'base64');
      if (key.length === 0) throw new Error('The stored vault key is empty.');
      return key;
    },
  };
}

/**
 * The vault's key provider for this machine: safeStorage where it is backed by a real secret store;
 * on Linux without a keyring (backend basic_text) a passphrase the operator sets and unlocks at each
 * start (main/core/passphrase-service.ts), instead of a key built into the app.
 */
export function chooseKeyProvider(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): KeyProvider {
  const backend = platform === 'linux' && typeof safeStorage.getSelectedStorageBackend === 'function' ? safeStorage.getSelectedStorageBackend() : undefined;
  if (backend === 'basic_text') return new PassphraseKeyProvider(null);
  return createSafeStorageKeyProvider(safeStorage, platform);
}
