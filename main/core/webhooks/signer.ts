// Webhook signatures by the Standard Webhooks specification (standardwebhooks.com), through its
// maintained library: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
// so the delivery id (the receiver's de-duplication key) and the time are covered with the body.
//
// Secrets: a Standard Webhooks secret is `whsec_<base64 key bytes>`; a policy may store one. A
// secret stored before this scheme (any other string of 16+ characters) keeps working: its UTF-8
// bytes are the key, and the receiver's secret is `whsec_` + base64 of those bytes
// (`receiverSecret`), which is what the policy form tells the operator.

import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key a stored secret stands for (the vault hands it over as bytes). */
export function webhookKey(secret: Buffer | string): Buffer {
  const text = Buffer.isBuffer(secret) ? secret.toString('utf8') : secret;
  if (text.startsWith(SECRET_PREFIX)) {
    const body = text.slice(SECRET_PREFIX.length);
    if (BASE64.test(body) && body.length % 4 === 0) {
      const key = Buffer.from(body, 'base64');
      if (key.length > 0) return key;
    }
  }
  return Buffer.isBuffer(secret) ? Buffer.from(secret) : Buffer.from(secret, 'utf8');
}

/** The `whsec_...` secret a receiver configures for a secret stored in the console. */
export function receiverSecret(secret: Buffer | string): string {
  return SECRET_PREFIX + webhookKey(secret).toString('base64');
}

/** The three Standard Webhooks headers for one attempt of one delivery. */
export function signatureHeaders(secret: Buffer | string, deliveryId: string, at: Date, body: string): Record<string, string> {
  const key = webhookKey(secret);
  try {
    const seconds = Math.floor(at.getTime() / 1000);
    return {
      'webhook-id': deliveryId,
      'webhook-timestamp': String(seconds),
      'webhook-signature': new Webhook(key, { format: 'raw' }).sign(deliveryId, new Date(seconds * 1000), body),
    };
  } finally {
    key.fill(0);
  }
}
