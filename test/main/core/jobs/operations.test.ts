// The journal of operations as the engine keeps it: ctx.mutate commits the intent before the call,
// then the handle and the outcome (rows appended, never rewritten); a resumed step gets a journaled
// success back without a second call and an interrupted one through its resume hook; every call
// takes one token of its family; concurrent steps share their commits; activity reaches the view.

import { afterEach, describe, expect, it } from 'vitest';
import type { JournalPoint } from '../../../../main/core/jobs/engine';
import { openDatabase } from '../../../../main/db/connection';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import { engineBed, type EngineBed } from '../../../helpers/engine-bed';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs('fc-ops-');
let bed: EngineBed | null = null;
afterEach(async () => {
  await bed?.close();
  bed = null;
});

const stepOf = (b: EngineBed, jobId: string) => b.repos.jobs.steps(jobId)[0]!;

describe('ctx.mutate', () => {
  it('commits the intent before the call, the handle as soon as it is given, then the outcome', async () => {
    const b = (bed = engineBed(tempDir()));
    const seen: string[][] = [];
    const rows = (stepId: string) => b.repos.jobs.operationRows(stepId).map((r) => `${r.opKey}:${r.kind}`);
    const { jobId, done } = b.run('test_failover', 1, async (step, ctx) => {
      const id = await ctx.mutate('create-disk:os', {
        family: 'aws.ec2.mutating',
        intent: { clientToken: step.idempotencyKey },
        call: async (_signal, op) => {
          seen.push(rows(step.id));
          await op.handle({ operation: 'op-1' });
          seen.push(rows(step.id));
          return 'vol-1';
        },
      });
      return { result: { id } };
    });
    await done;
    const step = stepOf(b, jobId);
    expect(step.status).toBe('succeeded');
    expect(seen).toEqual([['create-disk:os:intent'], ['create-disk:os:intent', 'create-disk:os:handle']]);
    expect(rows(step.id)).toEqual(['create-disk:os:intent', 'create-disk:os:handle', 'create-disk:os:outcome']);
    expect(b.repos.jobs.operations(step.id)).toEqual([
      { opKey: 'create-disk:os', intent: { clientToken: step.idempotencyKey }, handle: { operation: 'op-1' }, outcome: { status: 'succeeded', result: 'vol-1' } },
    ]);
    // The journal is evidence: its rows cannot be rewritten.
    expect(() => b.db.prepare('UPDATE job_operations SET material = ?').run('{}')).toThrow(/append-only/);
  });

  it('returns a success journaled by an earlier attempt without calling again, and calls what did not finish', async () => {
    const b = (bed = engineBed(tempDir(), { backoff: { maxAttempts: 3, baseMs: 1, capMs: 1 } }));
    const calls = { image: 0, launch: 0 };
    let attempt = 0;
    const { jobId, done } = b.run('test_failover', 1, async (_step, ctx) => {
      attempt += 1;
      const seenBefore = ctx.operations().map((o) => `${o.opKey}:${o.outcome?.status ?? 'none'}`);
      const image = await ctx.mutate('create-image', { family: 'f', intent: { n: 1 }, call: async () => `ami-${++calls.image}` });
      const launched = await ctx.mutate('run-instances', {
        family: 'f',
        intent: { n: 2 },
        call: async () => {
          calls.launch += 1;
          if (attempt === 1) throw new ProviderFailure('ProviderThrottled', 'Throttled (test).', { retryAfterMs: 1 });
          return 'i-1';
        },
      });
      return { result: { image, launched, seenBefore } };
    });
    await done;
    const step = stepOf(b, jobId);
    expect(step.status).toBe('succeeded');
    expect(step.attempts).toBe(2);
    expect(calls).toEqual({ image: 1, launch: 2 });
    expect(step.result).toEqual({ image: 'ami-1', launched: 'i-1', seenBefore: ['create-image:succeeded', 'run-instances:failed'] });
    // The failed call and the new one are both in the journal, in order.
    expect(b.repos.jobs.operationRows(step.id).map((r) => `${r.opKey}:${r.kind}:${String(r.material.status ?? '')}`)).toEqual([
      'create-image:intent:',
      'create-image:outcome:succeeded',
      'run-instances:intent:',
      'run-instances:outcome:failed',
      'run-instances:intent:',
      'run-instances:outcome:succeeded',
    ]);
  });

  it('sends an intent without outcome (a crash after it) through resume: adopted when found, called when not', async () => {
    const b = (bed = engineBed(tempDir()));
    const steps = [0, 1].map((i) => ({ id: `st_crash_${i}`, protectedResourceId: null, action: 'testFailover' }));
    // What a crash between the intent's commit and the call's answer leaves: the intent only.
    const resumed: unknown[] = [];
    const calls: string[] = [];
    const { jobId, done } = b.run('test_failover', steps, async (step, ctx) => {
      const found = step.id === 'st_crash_0' ? 'vol-found' : undefined;
      const id = await ctx.mutate('create-volume', {
        family: 'f',
        intent: { token: step.idempotencyKey },
        resume: async (previous) => {
          resumed.push(previous);
          return found;
        },
        call: async () => {
          calls.push(step.id);
          return 'vol-new';
        },
      });
      return { result: { id } };
    }, {
      // Seed the journal before the first attempt, as the earlier (crashed) run would have.
      prepare: (_job, list) => {
        for (const s of list) b.repos.jobs.appendOperation(s.id, 'create-volume', 'intent', { token: s.idempotencyKey }, b.clock.iso());
        return b.prepared;
      },
    });
    await done;
    const [adopted, called] = b.repos.jobs.steps(jobId);
    expect(adopted?.result).toEqual({ id: 'vol-found' });
    expect(called?.result).toEqual({ id: 'vol-new' });
    expect(calls).toEqual(['st_crash_1']);
    expect(resumed).toHaveLength(2);
    expect(resumed[0]).toMatchObject({ opKey: 'create-volume', intent: { token: adopted?.idempotencyKey }, handle: null, outcome: null });
    // The journal says the result was adopted, not made by a call.
    expect(b.repos.jobs.operations(adopted!.id)[0]?.outcome).toEqual({ status: 'succeeded', result: 'vol-found', adopted: true });
    expect(b.repos.jobs.operationRows(called!.id).map((r) => r.kind)).toEqual(['intent', 'intent', 'outcome']);
  });

  it('leaves an aborted call without an outcome, so the next run resumes it', async () => {
    const b = (bed = engineBed(tempDir()));
    let release: () => void = () => undefined;
    const inCall = new Promise<void>((resolve) => (release = resolve));
    const { jobId, done } = b.run('replication', 1, async (_step, ctx) => {
      await ctx.mutate('snapshot', {
        family: 'f',
        intent: { n: 1 },
        call: (signal) =>
          new Promise((_resolve, reject) => {
            release();
            signal.addEventListener('abort', () => reject(new ProviderFailure('Cancelled', 'Cancelled (test).')), { once: true });
          }),
      });
      return { result: null };
    });
    await inCall;
    b.registry.cancel(jobId, 'Cancelled by the test.');
    await done;
    const step = stepOf(b, jobId);
    expect(step.status).toBe('cancelled');
    expect(b.repos.jobs.operations(step.id)).toEqual([{ opKey: 'snapshot', intent: { n: 1 }, handle: null, outcome: null }]);
  });

  it('refuses an op key used twice in one attempt, and an intent that is not an object', async () => {
    const b = (bed = engineBed(tempDir()));
    const errors: string[] = [];
    const { done } = b.run('test_failover', 1, async (_step, ctx) => {
      await ctx.mutate('a', { family: 'f', intent: {}, call: async () => 1 });
      await ctx.mutate('a', { family: 'f', intent: {}, call: async () => 2 }).catch((e: Error) => errors.push(e.message));
      await ctx.mutate('b', { family: 'f', intent: [] as unknown as Record<string, unknown>, call: async () => 3 }).catch((e: Error) => errors.push(e.message));
      return { result: null };
    });
    await done;
    expect(errors).toEqual([expect.stringMatching(/op key a is used twice/), expect.stringMatching(/intent material of b must be an object/)]);
  });
});

describe('tokens per call', () => {
  it('takes one token of the declared family for each mutation, read and gated SDK call, none for a replayed success', async () => {
    const b = (bed = engineBed(tempDir(), { rateLimits: { sim: { default: { kind: 'token-bucket', bucketSize: 1000, refillPerSecond: 1 } } } }));
    const { jobId, done } = b.run('test_failover', 2, async (_step, ctx) => {
      await ctx.read('aws.ec2.read', async () => 'described');
      await ctx.read('aws.ec2.read', async () => 'polled');
      await ctx.rateGate('aws.ec2.read').take(ctx.signal);
      await ctx.mutate('run', { family: 'aws.ec2.run-instances', intent: {}, call: async () => 'i-1' });
      return { result: null };
    });
    await done;
    expect(b.repos.jobs.steps(jobId).every((s) => s.status === 'succeeded')).toBe(true);
    expect(Object.fromEntries(b.engine.tokensTaken())).toEqual({ 'aws.ec2.read': 6, 'aws.ec2.run-instances': 2 });
  });

  it('waits for a token of an empty bucket, and the wait ends when the job is cancelled', async () => {
    const b = (bed = engineBed(tempDir(), { rateLimits: { sim: { default: { kind: 'token-bucket', bucketSize: 1, refillPerSecond: 0.0001 } } } }));
    const called: number[] = [];
    let first: () => void = () => undefined;
    const firstDone = new Promise<void>((resolve) => (first = resolve));
    const { jobId, done } = b.run('replication', 2, async (step, ctx) => {
      await ctx.mutate('only', { family: 'one-token', intent: {}, call: async () => called.push(step.seq) });
      first();
      return { result: null };
    });
    await firstDone;
    b.registry.cancel(jobId, 'Cancelled by the test.');
    await done;
    // One token: one call went out; the other step was still waiting and wrote no intent.
    expect(called).toHaveLength(1);
    const statuses = b.repos.jobs.steps(jobId).map((s) => s.status).sort();
    expect(statuses).toEqual(['cancelled', 'succeeded']);
    const waiting = b.repos.jobs.steps(jobId).find((s) => s.status === 'cancelled')!;
    expect(b.repos.jobs.operationRows(waiting.id)).toEqual([]);
  });
});

describe('slots', () => {
  it('gives the slot of a step waiting for a token to the next step, so one starved family does not stop the others', async () => {
    // One slot; one token of 'scarce' that never refills. Steps 1 and 2 need it, steps 3 to 5 need
    // nothing scarce. Step 2 waits for a token that never comes: the others must still run.
    const b = (bed = engineBed(tempDir(), { concurrency: 1, rateLimits: { sim: { scarce: { kind: 'token-bucket', bucketSize: 1, refillPerSecond: 0.0001 }, default: { kind: 'unlimited' } } } }));
    const ran: number[] = [];
    let others: () => void = () => undefined;
    const othersDone = new Promise<void>((resolve) => (others = resolve));
    const { jobId, done } = b.run('replication', 5, async (step, ctx) => {
      const family = step.seq <= 2 ? 'scarce' : 'plenty';
      await ctx.mutate('call', { family, intent: {}, call: async () => ran.push(step.seq) });
      if (ran.filter((n) => n > 2).length === 3) others();
      return { result: null };
    });
    await othersDone;
    b.registry.cancel(jobId, 'Cancelled by the test.');
    await done;
    expect(ran.sort()).toEqual([1, 3, 4, 5]);
    const byStatus = b.repos.jobs.steps(jobId).map((s) => `${s.seq}:${s.status}`);
    expect(byStatus).toEqual(['1:succeeded', '2:cancelled', '3:succeeded', '4:succeeded', '5:succeeded']);
  });
});

describe('grouped commits', () => {
  it('commits the writes of steps running at the same time together, each still durable before its call', async () => {
    const points: { what: JournalPoint['what']; commit: number }[] = [];
    const b = (bed = engineBed(tempDir(), { concurrency: 16, hooks: { journal: (p) => points.push({ what: p.what, commit: bed?.engine.commits.stats.commits ?? -1 }) } }));
    const durableAtCall: boolean[] = [];
    const reader = openDatabase(b.file, { readonly: true });
    const committedIntent = reader.prepare(`SELECT COUNT(*) FROM job_operations WHERE step_id = ? AND kind = 'intent'`).pluck();
    let inFlight = 0;
    let maxInFlight = 0;
    const { jobId, done } = b.run('test_failover', 48, async (step, ctx) => {
      await ctx.mutate('create', {
        family: 'f',
        intent: { k: step.idempotencyKey },
        call: async () => {
          // A second connection sees only what is committed: the intent must already be there.
          durableAtCall.push(committedIntent.get(step.id) === 1);
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight -= 1;
          return step.seq;
        },
      });
      return { result: null };
    });
    await done;
    reader.close();
    expect(b.repos.jobs.steps(jobId).every((s) => s.status === 'succeeded')).toBe(true);
    expect(durableAtCall).toEqual(Array(48).fill(true));
    const { commits, writes } = b.engine.commits.stats;
    // 48 intents + 48 outcomes + 48 finishes (each step's start joins its first write).
    expect(writes).toBe(48 * 3);
    const perCommit = new Map<number, number>();
    for (const p of points.filter((x) => x.what === 'op-intent')) perCommit.set(p.commit, (perCommit.get(p.commit) ?? 0) + 1);
    // Steps waiting for their intent to reach the disk hold no slot, so more steps begin and their
    // intents share one transaction; the cloud calls in flight still never exceed the concurrency.
    expect(Math.max(...perCommit.values())).toBeGreaterThanOrEqual(16);
    expect(maxInFlight).toBeLessThanOrEqual(16);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(commits).toBeLessThanOrEqual(writes / 8);
    // An fsync covers every commit made before it: never more fsyncs than commits.
    expect(b.engine.commits.stats.fsyncs).toBeGreaterThan(0);
    expect(b.engine.commits.stats.fsyncs).toBeLessThanOrEqual(commits);
  });
});

describe('activity', () => {
  it("keeps a running step's latest progress message for the job view and forgets it when the step ends", async () => {
    const b = (bed = engineBed(tempDir()));
    const during: (string | undefined)[] = [];
    const { jobId, done } = b.run('test_failover', 1, async (step, ctx) => {
      ctx.progress('Creating image web-01-dr');
      ctx.progress('Launching instance web-01');
      during.push(b.engine.activities(step.jobId).get(step.id));
      return { result: null };
    });
    await done;
    expect(during).toEqual(['Launching instance web-01']);
    expect(b.engine.activities(jobId).size).toBe(0);
  });
});
