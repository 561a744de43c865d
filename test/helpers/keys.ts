// Key providers for tests: a fixed static key (so re-opening a file works) and a fresh random one.

import { randomBytes } from 'node:crypto';
import { StaticKeyProvider } from '../../main/credentials/static-key-provider';

export const TEST_KEY = Buffer.alloc(32, 7);

export function testKeyProvider(key: Buffer = TEST_KEY): StaticKeyProvider {
  return new StaticKeyProvider(key);
}

export function randomKeyProvider(): StaticKeyProvider {
  return new StaticKeyProvider(randomBytes(32));
}
