// AES-256-GCM sealing shared by the vault and the key providers: version byte, 12-byte nonce,
// 16-byte tag, ciphertext. The AAD binds a blob to its purpose so blobs cannot be swapped around.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE = 12;
const TAG = 16;
const HEADER = 1 + NONCE + TAG;

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
}

/** Throws when the blob is malformed, was sealed under another key or AAD, or was altered. */
export function open(key: Buffer, blob: Buffer, aad: string): Buffer {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  if (blob.length < HEADER) throw new Error('sealed blob is truncated');
  if (blob[0] !== VERSION) throw new Error(`sealed blob has unknown version ${blob[0]}`);
  const nonce = blob.subarray(1, 1 + NONCE);
  const tag = blob.subarray(1 + NONCE, HEADER);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(blob.subarray(HEADER)), decipher.final()]);
}
