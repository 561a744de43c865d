// The handover bundle's file format: one file, encrypted under a passphrase with Node's crypto.
//   "FCBUNDLE" | u32 header length | header JSON | AES-256-GCM ciphertext | 16-byte tag
// The key comes from scrypt (salt and cost in the header). The header is authenticated as the
// cipher's AAD, so no field of it can be changed unnoticed; a key-check value in it tells a wrong
// passphrase from a damaged file. The plaintext is the gzipped JSON payload.

import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DomainError } from '../errors';

const MAGIC = Buffer.from('FCBUNDLE', 'ascii');
export const BUNDLE_FORMAT = 'failover-console-handover';
export const BUNDLE_VERSION = 1;
const MAX_HEADER = 64 * 1024;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline (as the passphrase key provider). */
export const BUNDLE_SCRYPT: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

interface Header {
  format: typeof BUNDLE_FORMAT;
  version: number;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: 'aes-256-gcm';
  iv: string;
  /** HMAC-SHA256(key, "key-check"), first 16 bytes: a wrong passphrase is told apart from damage. */
  keyCheck: string;
  createdAt: string;
}

function derive(passphrase: string, salt: Buffer, c: ScryptCost): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: c.N, r: c.r, p: c.p, maxmem: 256 * c.N * c.r + 1024 * 1024 });
}

const keyCheck = (key: Buffer) => createHmac('sha256', key).update('key-check').digest().subarray(0, 16);

const damaged = (why: string) =>
  new DomainError('ValidationFailed', `This file is not a readable handover bundle (${why}); nothing was imported. Export it again from the other console.`);

export function sealBundle(payload: unknown, passphrase: string, createdAt: string, cost: ScryptCost = BUNDLE_SCRYPT): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = derive(passphrase, salt, cost);
  const header: Header = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    kdf: { name: 'scrypt', N: cost.N, r: cost.r, p: cost.p, salt: salt.toString('base64') },
    cipher: 'aes-256-gcm',
    iv: iv.toString('base64'),
    keyCheck: keyCheck(key).toString('base64'),
    createdAt,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(headerBytes.length);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([MAGIC, len, headerBytes]));
  const body = Buffer.concat([cipher.update(gzipSync(Buffer.from(JSON.stringify(payload), 'utf8'))), cipher.final()]);
  key.fill(0);
  return Buffer.concat([MAGIC, len, headerBytes, body, cipher.getAuthTag()]);
}

/** The payload, or a DomainError with a sentence: wrong passphrase, damaged file, newer format. */
export function openBundle(file: Buffer, passphrase: string): { payload: unknown; createdAt: string } {
  if (file.length < MAGIC.length + 4 + 16 || !file.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged('it does not start like one');
  const len = file.readUInt32BE(MAGIC.length);
  if (len > MAX_HEADER || MAGIC.length + 4 + len + 16 > file.length) throw damaged('its header is cut short');
  const headerBytes = file.subarray(MAGIC.length + 4, MAGIC.length + 4 + len);
  let header: Header;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as Header;
  } catch {
    throw damaged('its header is not readable');
  }
  if (header.format !== BUNDLE_FORMAT) throw damaged('it is another kind of file');
  if (header.version > BUNDLE_VERSION) {
    throw new DomainError('PreconditionFailed', `This handover bundle was written by a newer Failover Console (format ${header.version}); update this console to import it. Nothing was imported.`);
  }
  const { N, r, p } = header.kdf ?? {};
  if (header.kdf?.name !== 'scrypt' || header.cipher !== 'aes-256-gcm' || ![N, r, p].every((v) => Number.isInteger(v) && (v as number) > 0) || (N as number) > 2 ** 20 || (r as number) > 32 || (p as number) > 16) {
    throw damaged('its encryption settings are not ones this console writes');
  }
  const key = derive(passphrase, Buffer.from(header.kdf.salt, 'base64'), { N: N as number, r: r as number, p: p as number });
  try {
    const check = Buffer.from(header.keyCheck ?? '', 'base64');
    const mine = keyCheck(key);
    if (check.length !== mine.length || !timingSafeEqual(check, mine)) {
      throw new DomainError('ValidationFailed', 'The passphrase is wrong for this handover bundle; nothing was imported. Ask for the passphrase it was exported with.');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
    decipher.setAAD(file.subarray(0, MAGIC.length + 4 + len));
    decipher.setAuthTag(file.subarray(file.length - 16));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(file.subarray(MAGIC.length + 4 + len, file.length - 16)), decipher.final()]);
    } catch {
      throw damaged('it was changed or damaged after it was exported: its authentication failed');
    }
    try {
      return { payload: JSON.parse(gunzipSync(plain).toString('utf8')) as unknown, createdAt: header.createdAt };
    } catch {
      throw damaged('its content is not readable');
    }
  } finally {
    key.fill(0);
  }
}
