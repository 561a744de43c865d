import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDelivery, verifyDelivery } from '../../../../main/core/webhooks/signer';

const secret = 'a-long-enough-signing-secret';
const body = '{"PolicyName":"p","ResourceMapping":[]}';

describe('webhook signatures', () => {
  it('are sha256=<hex HMAC-SHA256 of "<timestamp>.<body>"> under the shared secret', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signDelivery(secret, '1700000000', body)).toBe(`sha256=${expected}`);
    expect(signDelivery(Buffer.from(secret), '1700000000', body)).toBe(`sha256=${expected}`);
  });

  it('verify only with the same secret, timestamp and body', () => {
    const sig = signDelivery(secret, '1700000000', body);
    expect(verifyDelivery(secret, '1700000000', body, sig)).toBe(true);
    expect(verifyDelivery('another-secret-of-length', '1700000000', body, sig)).toBe(false);
    expect(verifyDelivery(secret, '1700000001', body, sig)).toBe(false);
    expect(verifyDelivery(secret, '1700000000', `${body} `, sig)).toBe(false);
  });

  it('reject missing or malformed headers without throwing', () => {
    expect(verifyDelivery(secret, '1', body, undefined)).toBe(false);
    expect(verifyDelivery(secret, '1', body, 'md5=abc')).toBe(false);
    expect(verifyDelivery(secret, '1', body, 'sha256=zz')).toBe(false);
    expect(verifyDelivery(secret, '1', body, 'sha256=')).toBe(false);
  });
});
