// Wraps the vault's data key with a key derived from the operator's passphrase (scrypt). Used
// where the OS offers no real secret store (Linux safeStorage on `basic_text`).

import { randomBytes, scryptSync } from 'node:crypto';
import type { KeyProvider, KeyProviderStatus } from './key-provider';
import { open, seal } from './aead';

const VERSION = 1;
const SALT = 16;
const AAD = 'failover-console:data-key:passphrase';
export const MIN_PASSPHRASE_LENGTH = 10;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline; tests may pass cheaper parameters. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

export class PassphraseKeyProvider implements KeyProvider {
  readonly name = 'passphrase';
  private passphrase: string | null;
  private readonly params: ScryptParams;
  // Derivation is deliberately slow; remember the key per salt for this session only.
  private readonly derived = new Map<string, Buffer>();

  constructor(passphrase: string | null, params: ScryptParams = DEFAULT_SCRYPT) {
    this.passphrase = null;
    this.params = params;
    if (passphrase !== null) this.setPassphrase(passphrase);
  }

  setPassphrase(passphrase: string): void {
    if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new Error(`The passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters.`);
    }
    this.passphrase = passphrase;
    this.derived.clear();
  }

  /** Another provider with the same scrypt cost (to check or rewrap under another passphrase). */
  sibling(passphrase: string): PassphraseKeyProvider {
    return new PassphraseKeyProvider(passphrase, this.params);
  }

  status(): KeyProviderStatus {
    return this.passphrase === null
      ? { ok: false, reason: 'This system has no secure secret store; set a passphrase to store credentials.' }
      : { ok: true };
  }

  wrap(dataKey: Buffer): Buffer {
    const salt = randomBytes(SALT);
    return Buffer.concat([Buffer.from([VERSION]), salt, seal(this.keyFor(salt), dataKey, AAD)]);
  }

  unwrap(wrapped: Buffer): Buffer {
    if (wrapped.length < 1 + SALT || wrapped[0] !== VERSION) throw new Error('not a passphrase-wrapped key');
    const salt = wrapped.subarray(1, 1 + SALT);
    return open(this.keyFor(salt), wrapped.subarray(1 + SALT), AAD);
  }

  private keyFor(salt: Buffer): Buffer {
    if (this.passphrase === null) throw new Error('No passphrase is set.');
    const cacheKey = salt.toString('hex');
    let key = this.derived.get(cacheKey);
    if (!key) {
      const { N, r, p } = this.params;
      key = scryptSync(this.passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
      this.derived.set(cacheKey, key);
    }
    return key;
  }
}
