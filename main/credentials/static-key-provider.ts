// A key provider whose wrapping key the caller supplies: for tests, benchmarks and the browser
// harness, where Electron safeStorage does not exist. Never used by the packaged app.

import type { KeyProvider, KeyProviderStatus } from './key-provider';
import { open, seal } from './aead';

const AAD = 'failover-console:data-key:static';

export class StaticKeyProvider implements KeyProvider {
  readonly name = 'static key';
  private readonly key: Buffer;

  constructor(key: Buffer | Uint8Array) {
    if (key.length !== 32) throw new Error('StaticKeyProvider needs a 32-byte key');
    this.key = Buffer.from(key);
  }

  status(): KeyProviderStatus {
    return { ok: true };
  }

  wrap(dataKey: Buffer): Buffer {
    return seal(this.key, dataKey, AAD);
  }

  unwrap(wrapped: Buffer): Buffer {
    return open(this.key, wrapped, AAD);
  }
}

/** A provider that refuses to store secrets, as Electron does on Linux's basic_text backend. */
export class UnavailableKeyProvider implements KeyProvider {
  readonly name = 'unavailable';
  constructor(private readonly reason: string) {}
  status(): KeyProviderStatus {
    return { ok: false, reason: this.reason };
  }
  wrap(): Buffer {
    throw new Error(this.reason);
  }
  unwrap(): Buffer {
    throw new Error(this.reason);
  }
}
