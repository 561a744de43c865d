// The sim provider's latency and fault model: throttling and hard errors with the right codes and
// no change made, targeted failures, reproducibility with a seeded random, and prompt cancellation.

import { describe, expect, it, vi } from 'vitest';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { createSimProvider, simLiveResources, type SimProvider } from '../../../../main/providers/sim';
import { seededRandom } from '../../../../main/providers/sim/prng';
import type { ProtectedResourceRef } from '../../../../main/providers/types';
import { dbChecksum } from '../../../helpers/db-checksum';
import { useTempDirs } from '../../../helpers/temp-dir';
import { Journal, REGIONS, account, env, handlerOf, openSimBed, type SimBed } from './sim-fixture';

const newDir = useTempDirs('fc-sim-fault-');
const signal = new AbortController().signal;
const acct = account('aws');
const source = env(acct, REGIONS.aws.source);
const target = env(acct, REGIONS.aws.target);

async function protectedBucket(bed: SimBed): Promise<ProtectedResourceRef> {
  const found = (await handlerOf(bed.provider, 'aws.s3-bucket').discover({ env: source, signal }))[0];
  if (!found) throw new Error('no bucket');
  return { id: 'pr-1', policyId: 'pol-1', type: 'aws.s3-bucket', nativeId: found.nativeId, name: found.name };
}

let seq = 0;
const journal = new Journal();
const ctx = (extra: { signal?: AbortSignal } = {}) =>
  journal.ctx({ key: `k-${++seq}`, jobId: 'job-1', policyId: 'pol-1', source, target, ...extra });

async function failure(p: Promise<unknown>): Promise<ProviderFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderFailure);
  return err as ProviderFailure;
}

describe('sim faults and latency', () => {
  it('throttles with ProviderThrottled and a Retry-After, and changes nothing', async () => {
    const bed = openSimBed(newDir());
    try {
      const ref = await protectedBucket(bed);
      const faulty = bed.withOptions({ faults: { throttleRate: 1, retryAfterMs: 750 } });
      const before = dbChecksum(bed.db);
      const err = await failure(handlerOf(faulty, 'aws.s3-bucket').replicate(ref, ctx()));
      expect(err.code).toBe('ProviderThrottled');
      expect(err.retryAfterMs).toBe(750);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/throttled .* rate limit/);
      expect(dbChecksum(bed.db)).toBe(before);
    } finally {
      bed.close();
    }
  });

  it('fails hard with ProviderError and a sentence an operator can act on, and changes nothing', async () => {
    const bed = openSimBed(newDir());
    try {
      const ref = await protectedBucket(bed);
      const faulty = bed.withOptions({ faults: { errorRate: 1 } });
      const before = dbChecksum(bed.db);
      const err = await failure(handlerOf(faulty, 'aws.s3-bucket').replicate(ref, ctx()));
      expect(err.code).toBe('ProviderError');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(ref.name);
      expect(err.message).toMatch(/Retry the step/);
      expect(dbChecksum(bed.db)).toBe(before);
    } finally {
      bed.close();
    }
  });

  it('fails only the injected types and names', async () => {
    const bed = openSimBed(newDir());
    try {
      const ref = await protectedBucket(bed);
      const byType = bed.withOptions({ faults: { failTypes: ['aws.s3-bucket'] } });
      expect((await failure(handlerOf(byType, 'aws.s3-bucket').replicate(ref, ctx()))).code).toBe('ProviderError');
      const rds = (await handlerOf(byType, 'aws.rds').discover({ env: source, signal }))[0];
      if (!rds) throw new Error('no rds');
      await expect(
        handlerOf(byType, 'aws.rds').replicate({ id: 'pr-2', policyId: 'pol-1', type: 'aws.rds', nativeId: rds.nativeId, name: rds.name }, ctx()),
      ).resolves.toMatchObject({ dataRefs: expect.any(Array) });

      const byName = bed.withOptions({ faults: { failNames: [ref.name] } });
      const err = await failure(handlerOf(byName, 'aws.s3-bucket').replicate(ref, ctx()));
      expect(err.message).toContain('injected');
      const other = (await handlerOf(byName, 'aws.s3-bucket').discover({ env: source, signal })).find((d) => d.name !== ref.name);
      if (!other) throw new Error('need a second bucket');
      await expect(
        handlerOf(byName, 'aws.s3-bucket').replicate({ ...ref, id: 'pr-3', nativeId: other.nativeId, name: other.name }, ctx()),
      ).resolves.toBeDefined();
    } finally {
      bed.close();
    }
  });

  it('leaves discovery alone unless asked, and can fault it too', async () => {
    const bed = openSimBed(newDir());
    try {
      const always = bed.withOptions({ faults: { errorRate: 1, throttleRate: 0 } });
      await expect(handlerOf(always, 'aws.rds').discover({ env: source, signal })).resolves.not.toEqual([]);
      const discoverToo = bed.withOptions({ faults: { throttleRate: 1, operations: ['discover'] } });
      expect((await failure(handlerOf(discoverToo, 'aws.rds').discover({ env: source, signal }))).code).toBe('ProviderThrottled');
    } finally {
      bed.close();
    }
  });

  it('is reproducible: the same seed gives the same sequence of throttles and errors', async () => {
    const outcomes = async (seed: string) => {
      const bed = openSimBed(newDir());
      try {
        const ref = await protectedBucket(bed);
        const p = bed.withOptions({ faults: { throttleRate: 0.3, errorRate: 0.3 }, random: seededRandom(seed) });
        const seen: string[] = [];
        for (let i = 0; i < 30; i++) {
          seen.push(
            await handlerOf(p, 'aws.s3-bucket')
              .replicate(ref, ctx())
              .then(
                () => 'ok',
                (e: ProviderFailure) => e.code,
              ),
          );
        }
        return seen;
      } finally {
        bed.close();
      }
    };
    const a = await outcomes('seed-1');
    expect(await outcomes('seed-1')).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['ok', 'ProviderThrottled', 'ProviderError']));
    expect(await outcomes('seed-2')).not.toEqual(a);
  });

  it('takes the configured latency per call', async () => {
    const bed = openSimBed(newDir());
    // The simulated latency is a timer: with the clock in the test's hands, the step is seen waiting
    // for each of its calls, and done only once both calls' latency has passed.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const ref = await protectedBucket(bed);
      const slow = bed.withOptions({ latency: { baseMs: 40, jitterMs: 0 } });
      let done = false;
      const pending = handlerOf(slow, 'aws.s3-bucket')
        .replicate(ref, ctx())
        .finally(() => (done = true));
      await vi.advanceTimersByTimeAsync(39);
      expect(done).toBe(false);
      // Replica creation and the replication rule: two calls, 40 ms each.
      await vi.advanceTimersByTimeAsync(40);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1_000);
      await pending;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
      bed.close();
    }
  });

  it('stops promptly with Cancelled when the step is aborted during simulated latency, creating nothing', async () => {
    const bed = openSimBed(newDir());
    try {
      const ref = await protectedBucket(bed);
      // Latency no test outlives: only the abort can end this call.
      const slow = bed.withOptions({ latency: { baseMs: 1e9, jitterMs: 0 } });
      const ac = new AbortController();
      const pending = handlerOf(slow, 'aws.s3-bucket').replicate(ref, ctx({ signal: ac.signal }));
      await new Promise((r) => setImmediate(r));
      ac.abort();
      const err = await failure(pending);
      expect(err.code).toBe('Cancelled');
      expect(simLiveResources(bed.db, { origin: ['replication', 'test', 'failover'] })).toEqual([]);
    } finally {
      bed.close();
    }
  });

  it('refuses to start an already-aborted step', async () => {
    const bed = openSimBed(newDir());
    try {
      const ref = await protectedBucket(bed);
      const before = dbChecksum(bed.db);
      const err = await failure(handlerOf(bed.provider, 'aws.s3-bucket').replicate(ref, ctx({ signal: AbortSignal.abort() })));
      expect(err.code).toBe('Cancelled');
      expect(dbChecksum(bed.db)).toBe(before);
      await expect(bed.provider.testConnection(acct, AbortSignal.abort())).rejects.toMatchObject({ code: 'Cancelled' });
    } finally {
      bed.close();
    }
  });

  it('rejects nonsensical latency and fault settings at construction', () => {
    const bed = openSimBed(newDir());
    try {
      const make = (o: Parameters<SimBed['withOptions']>[0]): SimProvider => createSimProvider({ db: bed.db, ...o });
      expect(() => make({ faults: { errorRate: 1.5 } })).toThrow(/errorRate/);
      expect(() => make({ faults: { throttleRate: -0.1 } })).toThrow(/throttleRate/);
      expect(() => make({ latency: { baseMs: -1, jitterMs: 0 } })).toThrow(/baseMs/);
      expect(() => make({ latency: { baseMs: 0, jitterMs: Number.NaN } })).toThrow(/jitterMs/);
    } finally {
      bed.close();
    }
  });
});
