// Names, tokens and tags derived from a step are deterministic and within AWS limits.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientToken, drTags, replicaBucketName, roleOf, stepToken, testBucketName } from '../../../../main/providers/aws/naming';

describe('AWS naming', () => {
  it('client tokens are stable per step and purpose, at most 64 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), fc.string({ maxLength: 40 }), (key, purpose) => {
        const t = clientToken({ idempotencyKey: key }, purpose);
        expect(t.length).toBeLessThanOrEqual(64);
        expect(t).toBe(clientToken({ idempotencyKey: key }, purpose));
      }),
    );
    expect(clientToken({ idempotencyKey: 'a' }, 'test')).not.toBe(clientToken({ idempotencyKey: 'a' }, 'failover'));
  });

  it('bucket names are DNS-safe, at most 63 characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{2,62}$/), fc.string({ minLength: 1, maxLength: 60 }), (bucket, key) => {
        for (const n of [replicaBucketName(bucket, 'ap-southeast-2', 'pol_1'), testBucketName(bucket, { idempotencyKey: key })]) {
          expect(n.length).toBeLessThanOrEqual(63);
          expect(n).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
        }
      }),
    );
  });

  it('tags carry policy, job, step, role and recovery point; tests are marked', () => {
    const ctx = { idempotencyKey: 'job:step', policyId: 'pol_1', jobId: 'job_1', recoveryPointId: 'rp_1' };
    expect(drTags(ctx, { role: 'test' })).toEqual([
      { Key: 'dr:policy', Value: 'pol_1' },
      { Key: 'dr:job', Value: 'job_1' },
      { Key: 'dr:step', Value: stepToken(ctx) },
      { Key: 'dr:role', Value: 'test' },
      { Key: 'dr:recovery-point', Value: 'rp_1' },
      { Key: 'dr:test', Value: 'true' },
    ]);
    expect(drTags({ ...ctx, recoveryPointId: null }, { role: 'failover', sourceId: 'i-1' }).map((t) => t.Key)).toEqual(['dr:policy', 'dr:job', 'dr:step', 'dr:role', 'dr:source']);
  });

  it('reads the role a resource declares, and the older resources without one from dr:test and their kind', () => {
    expect(roleOf({ 'dr:role': 'failover' }, 'replication')).toBe('failover');
    expect(roleOf({ 'dr:test': 'true' }, 'failover')).toBe('test');
    expect(roleOf({ 'dr:role': 'nonsense' }, 'replication')).toBe('replication');
  });
});
