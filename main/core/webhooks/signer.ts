// HMAC-SHA256 signatures for webhook deliveries: the receiver recomputes the MAC of
// "<timestamp>.<body>" with the shared secret; binding the timestamp lets it reject replays.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

/** The X-DR-Signature header value: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signDelivery(secret: Buffer | string, timestamp: string, body: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** What a receiver does; constant-time, and false (never a throw) for any malformed header. */
export function verifyDelivery(secret: Buffer | string, timestamp: string, body: string, header: string | null | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'hex');
  const expected = Buffer.from(signDelivery(secret, timestamp, body).slice(SIGNATURE_PREFIX.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
