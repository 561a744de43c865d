// The key-provider port: the vault's data key is stored wrapped by one of these. In the app the
// wrapper is Electron safeStorage (main/electron/), or a passphrase; under Node, a key the test gives.

export type KeyProviderStatus = { ok: true } | { ok: false; reason: string };

export interface KeyProvider {
  /** Shown in settings and the audit log, e.g. "safeStorage (keychain)" or "passphrase". */
  readonly name: string;
  /** Whether secrets may be stored now; a reason an operator can act on when not. */
  status(): KeyProviderStatus;
  /** Wraps (encrypts) the vault's data key for storage. */
  wrap(dataKey: Buffer): Buffer;
  /** Unwraps a stored data key; throws when the blob was not wrapped by this provider. */
  unwrap(wrapped: Buffer): Buffer;
}
