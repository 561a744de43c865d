// Identifiers for every stored entity: a readable prefix plus 128 random bits, always matching
// the contract's Id pattern (^[A-Za-z0-9_-]{1,64}$) so they can cross IPC unchanged.

import { randomBytes } from 'node:crypto';

const PREFIX = /^[A-Za-z0-9]{1,16}$/;

export function newId(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new Error(`Invalid id prefix ${JSON.stringify(prefix)}`);
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}
