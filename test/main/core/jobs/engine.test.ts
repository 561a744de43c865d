// The job engine's own rules: rate-limit gates modelled on the published throttles, who may resume a
// job (owner lease), Retry-After honoured, and a throttled job completing within its attempt budget.
// Nothing here asserts elapsed time: gates and backoff run on faked timers and the test moves them.

import { hostname } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { PUBLISHED_RATE_LIMITS, RateLimiters, makeGate, rateScopeKey } from '../../../../main/core/jobs/rate-limits';
import { scopeFromText } from '../../../../shared/scope';
import { newOwner, ownerGone, registerLive } from '../../../../main/core/jobs/owner';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { engineBed } from '../../../helpers/engine-bed';
import { useTempDirs } from '../../../helpers/temp-dir';
import { call, open, protect, waitJob } from '../failover/failover-bed';

const tempDir = useTempDirs('fc-engine-');

describe('rate limits', () => {
  it('model the EC2 buckets, ARM reads and writes per subscription and a per-minute window per Google service; sim is unlimited', () => {
    const aws = PUBLISHED_RATE_LIMITS.aws ?? {};
    expect(aws['aws.ec2.run-instances']).toEqual({ kind: 'token-bucket', bucketSize: 1000, refillPerSecond: 2 });
    expect(aws['aws.ec2.mutating']).toEqual({ kind: 'token-bucket', bucketSize: 200, refillPerSecond: 5 });
    expect(aws['aws.ec2.read']).toEqual({ kind: 'token-bucket', bucketSize: 100, refillPerSecond: 20 });
    expect(PUBLISHED_RATE_LIMITS.azure?.['azure.arm.read']).toEqual({ kind: 'token-bucket', bucketSize: 250, refillPerSecond: 25 });
    expect(PUBLISHED_RATE_LIMITS.azure?.['azure.arm.write']).toEqual({ kind: 'token-bucket', bucketSize: 200, refillPerSecond: 10 });
    expect(PUBLISHED_RATE_LIMITS.azure?.['azure.arm.delete']).toEqual({ kind: 'token-bucket', bucketSize: 200, refillPerSecond: 10 });
    // Each Google service has its own window: GKE and Cloud SQL are no longer under the Compute quota.
    for (const f of ['gcp.compute.write', 'gcp.compute.read', 'gcp.container', 'gcp.sqladmin', 'gcp.storage', 'gcp.iam', 'gcp.storagetransfer', 'gcp.storagetransfer.read']) {
      expect(PUBLISHED_RATE_LIMITS.gcp?.[f]).toMatchObject({ kind: 'window', windowMs: 60_000 });
    }
    // Storage Transfer's published rate quotas: create/patch/delete 600/min, reads 1,500/min per project.
    expect(PUBLISHED_RATE_LIMITS.gcp?.['gcp.storagetransfer']).toMatchObject({ limit: 600 });
    expect(PUBLISHED_RATE_LIMITS.gcp?.['gcp.storagetransfer.read']).toMatchObject({ limit: 1500 });
    const limiters = new RateLimiters(PUBLISHED_RATE_LIMITS);
    expect(limiters.gate('gcp', 'p', 'gcp.container')).not.toBe(limiters.gate('gcp', 'p', 'gcp.compute.write'));
    expect(new RateLimiters({}).spec('sim', 'azure.arm.write')).toEqual({ kind: 'unlimited' });
    expect(new RateLimiters({ sim: { default: { kind: 'token-bucket', bucketSize: 5, refillPerSecond: 1 } } }).spec('sim', 'x')).toMatchObject({ bucketSize: 5 });
  });

  it('keys the limits by AWS account and region, by Azure subscription and by Google Cloud project', () => {
    const SUB1 = '11111111-1111-4111-8111-111111111111';
    const SUB2 = '22222222-2222-4222-8222-222222222222';
    // The scope as an environment holds it: typed (shared/scope.ts), here built from its text form.
    const env = (cloud: 'aws' | 'azure' | 'gcp', region: string, text: string, account = 'a1') =>
      ({ environmentId: 'e', region, scope: scopeFromText(cloud, region, text), account: { id: account, name: 'n', provider: 'sim', cloud, credentials: { kind: 'none' } } }) as const;
    expect(rateScopeKey(env('aws', 'us-east-1', ''))).not.toBe(rateScopeKey(env('aws', 'us-west-2', '')));
    expect(rateScopeKey(env('azure', 'eastus', `${SUB1}/rg-a`))).toBe(rateScopeKey(env('azure', 'westus2', `${SUB1}/rg-b`)));
    expect(rateScopeKey(env('azure', 'eastus', `${SUB1}/rg-a`))).not.toBe(rateScopeKey(env('azure', 'eastus', `${SUB2}/rg-a`)));
    expect(rateScopeKey(env('gcp', 'us-central1', 'proj-1'))).toBe(rateScopeKey(env('gcp', 'europe-west1', 'proj-1')));
    expect(rateScopeKey(env('gcp', 'us-central1', 'proj-1'))).not.toBe(rateScopeKey(env('gcp', 'us-central1', 'proj-2')));
  });

  it('lets a full bucket burst, then waits for the refill; an abort ends the wait', async () => {
    // The clock is faked: what is asserted is which takes resolve before and after a refill, not how long anything took.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    try {
      const gate = makeGate({ kind: 'token-bucket', bucketSize: 3, refillPerSecond: 50 });
      const signal = new AbortController().signal;
      for (let i = 0; i < 3; i++) await gate.take(signal);
      let fourth = false;
      const waiting4 = gate.take(signal).then(() => (fourth = true));
      // 50/s is one token per 20 ms: not yet after 10 ms, granted by 25 ms.
      await vi.advanceTimersByTimeAsync(10);
      expect(fourth).toBe(false);
      await vi.advanceTimersByTimeAsync(15);
      await waiting4;
      expect(fourth).toBe(true);
      const slow = makeGate({ kind: 'token-bucket', bucketSize: 1, refillPerSecond: 0.01 });
      await slow.take(signal);
      const c = new AbortController();
      const waiting = slow.take(c.signal);
      c.abort(new Error('stop'));
      await expect(waiting).rejects.toThrow('stop');
    } finally {
      vi.useRealTimers();
    }
  });

  it('caps calls per window: the call over the limit waits for the next window', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    try {
      const gate = makeGate({ kind: 'window', limit: 2, windowMs: 60_000 });
      const signal = new AbortController().signal;
      let granted = 0;
      const all = Promise.all([0, 1, 2].map(() => gate.take(signal).then(() => (granted += 1))));
      await vi.advanceTimersByTimeAsync(59_000);
      expect(granted).toBe(2);
      await vi.advanceTimersByTimeAsync(2_000);
      await all;
      expect(granted).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('job ownership', () => {
  it('treats a job as orphaned only when its owner is gone', () => {
    expect(ownerGone(null, Number.POSITIVE_INFINITY, 60_000)).toBe(true);
    const me = newOwner();
    let alive = true;
    const unregister = registerLive(me.instance, () => alive);
    expect(ownerGone(me.id, 0, 60_000)).toBe(false);
    alive = false;
    expect(ownerGone(me.id, 0, 60_000)).toBe(true);
    unregister();
    // A process that no longer exists on this host (pid 2^22 + 1 is beyond Linux's pid_max).
    expect(ownerGone(`${hostname()}|4194305|x`, 0, 60_000)).toBe(true);
    expect(ownerGone('other-host|1|x', 1_000, 60_000)).toBe(false);
    expect(ownerGone('other-host|1|x', 61_000, 60_000)).toBe(true);
  });
});

describe('retries', () => {
  it('completes a test failover under 30% throttling (seeded) with no step over its attempt budget', async () => {
    const core = open(tempDir(), {
      faults: { throttleRate: 0.3, retryAfterMs: 2, sdkAttempts: 1, operations: ['testFailover'] },
      seed: 'engine-throttle',
      engine: { backoff: { maxAttempts: 12, baseMs: 1, capMs: 4 } },
    });
    try {
      const p = await protect(core, 'aws', ['aws.s3-bucket', 'aws.rds', 'aws.dynamodb', 'aws.ec2-instance', 'aws.eks']);
      const job = await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      expect(job.status).toBe('succeeded');
      expect(Math.max(...job.steps.map((s) => s.attempts))).toBeLessThanOrEqual(12);
      expect(job.steps.some((s) => s.attempts > 1)).toBe(true);
    } finally {
      await core.close();
    }
  });

  it('honours Retry-After before the next attempt', async () => {
    // Real commits (setImmediate) with faked timers: the backoff sleep moves only when the test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const bed = engineBed(tempDir(), { backoff: { maxAttempts: 3, baseMs: 1, capMs: 2 } });
    try {
      let attempts = 0;
      const { jobId, done } = bed.run('test_failover', 1, () => {
        attempts += 1;
        if (attempts === 1) return Promise.reject(new ProviderFailure('ProviderThrottled', 'Slow down (test).', { retryAfterMs: 40_000 }));
        return Promise.resolve({ result: null });
      });
      // Fake time moves only here, half a second at a time, with the loop let run in between (the
      // journal's fsyncs run on the thread pool): the retry may come no earlier than 40 s of it.
      const settle = async () => {
        await bed.engine.commits.idle();
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      while (attempts < 1) await new Promise((resolve) => setImmediate(resolve));
      let advanced = 0;
      while (attempts < 2 && advanced < 120_000) {
        await settle();
        await vi.advanceTimersByTimeAsync(500);
        advanced += 500;
      }
      await done;
      // Backoff alone would have retried within 2 ms; the cloud asked for 40 s.
      expect(advanced).toBeGreaterThanOrEqual(40_000);
      expect(advanced).toBeLessThan(60_000);
      expect(attempts).toBe(2);
      expect(bed.repos.jobs.steps(jobId)[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    } finally {
      vi.useRealTimers();
      await bed.close();
    }
  });
});
