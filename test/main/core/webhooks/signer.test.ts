import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { receiverSecret, signatureHeaders, webhookKey } from '../../../../main/core/webhooks/signer';

const legacySecret = 'a-long-enough-signing-secret';
const standardSecret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const body = '{"PolicyName":"p","ResourceMapping":[]}';
const id = 'whd_01HZY0000000000000000000';

describe('webhook signatures (Standard Webhooks)', () => {
  it('sign "<id>.<timestamp>.<body>" with HMAC-SHA256 as v1,<base64>, in the three webhook-* headers', () => {
    const at = new Date('2026-12-01T10:00:00.750Z');
    const h = signatureHeaders(standardSecret, id, at, body);
    const seconds = Math.floor(at.getTime() / 1000);
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const expected = createHmac('sha256', key).update(`${id}.${seconds}.${body}`).digest('base64');
    expect(h).toEqual({ 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': `v1,${expected}` });
  });

  it('verify at a receiver that uses the standardwebhooks library with the whsec_ secret', () => {
    for (const secret of [standardSecret, legacySecret]) {
      const h = signatureHeaders(secret, id, new Date(), body);
      expect(new Webhook(receiverSecret(secret)).verify(body, h)).toEqual({ PolicyName: 'p', ResourceMapping: [] });
    }
  });

  it('fail verification when the delivery id, timestamp, body or secret differ', () => {
    const now = new Date();
    const h = signatureHeaders(standardSecret, id, now, body);
    const wh = new Webhook(standardSecret);
    expect(() => wh.verify(body, { ...h, 'webhook-id': `${id}x` })).toThrow(/No matching signature/);
    expect(() => wh.verify(body, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) + 1) })).toThrow(/No matching signature/);
    expect(() => wh.verify(`${body} `, h)).toThrow(/No matching signature/);
    expect(() => new Webhook(receiverSecret(legacySecret)).verify(body, h)).toThrow(/No matching signature/);
    // A replay outside the five-minute window is refused by the receiver library itself.
    const old = signatureHeaders(standardSecret, id, new Date(now.getTime() - 10 * 60_000), body);
    expect(() => wh.verify(body, old)).toThrow(/too old/);
  });

  it('map a secret stored before Standard Webhooks to its UTF-8 bytes, and a whsec_ secret to its base64 key', () => {
    expect(webhookKey(legacySecret)).toEqual(Buffer.from(legacySecret, 'utf8'));
    expect(receiverSecret(legacySecret)).toBe(`whsec_${Buffer.from(legacySecret).toString('base64')}`);
    expect(webhookKey(Buffer.from(standardSecret))).toEqual(Buffer.from('0123456789abcdef0123456789abcdef'));
    expect(receiverSecret(standardSecret)).toBe(standardSecret);
    // Not valid base64 after the prefix: the whole string is the key, as for any other secret.
    expect(webhookKey('whsec_not*base64*at-all')).toEqual(Buffer.from('whsec_not*base64*at-all'));
  });
});
