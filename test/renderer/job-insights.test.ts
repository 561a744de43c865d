import { describe, expect, it } from 'vitest';
import type { JobStepView } from '../../shared/domain';
import { STALL_AFTER_MS, actionLabel, adviceFor, stalledMinutes, waitingFor } from '../../renderer/features/policy-details/job-insights';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function step(seq: number, patch: Partial<JobStepView> = {}): JobStepView {
  return {
    id: `st_${seq}`,
    jobId: 'job_1',
    seq,
    protectedResourceId: 'pr_vm',
    resourceName: 'web-01',
    type: 'azure.vm',
    action: 'Create disk',
    status: 'succeeded',
    attempts: 1,
    error: null,
    errorCode: null,
    activity: null,
    startedAt: iso(T0),
    finishedAt: iso(T0 + 1000),
    warnings: [],
    recoveryPointId: null,
    recoveryPointAt: null,
    ...patch,
  };
}

describe('stalled job warning', () => {
  const running = { status: 'running' as const, startedAt: iso(T0), createdAt: iso(T0) };

  it('stays quiet while the last sign of life is under two minutes old', () => {
    expect(stalledMinutes(running, [], undefined, T0 + STALL_AFTER_MS - 1)).toBeNull();
  });

  it('counts whole minutes since the newest step time, live event or job start', () => {
    expect(stalledMinutes(running, [], undefined, T0 + 5 * 60_000 + 10_000)).toBe(5);
    const steps = [step(1, { startedAt: iso(T0 + 60_000), finishedAt: iso(T0 + 4 * 60_000) })];
    expect(stalledMinutes(running, steps, undefined, T0 + 5 * 60_000)).toBeNull();
    expect(stalledMinutes(running, steps, undefined, T0 + 7 * 60_000)).toBe(3);
    // A live event is life too, even when no step time moved.
    expect(stalledMinutes(running, steps, T0 + 6 * 60_000, T0 + 7 * 60_000)).toBeNull();
  });

  it('never warns about a job that has ended', () => {
    expect(stalledMinutes({ ...running, status: 'failed' }, [], undefined, T0 + 60 * 60_000)).toBeNull();
    expect(stalledMinutes({ ...running, status: 'succeeded' }, [], undefined, T0 + 60 * 60_000)).toBeNull();
  });
});

describe('steps waiting for a failed dependency', () => {
  it('names the failed earlier step of the same resource', () => {
    const steps = [
      step(1, { status: 'failed', action: 'Create disk', resourceName: 'web-01' }),
      step(2, { status: 'pending', action: 'Create virtual machine' }),
      step(3, { status: 'pending', protectedResourceId: 'pr_db', resourceName: 'orders-db' }),
    ];
    expect(waitingFor(steps[1]!, steps)).toBe('Waiting for “Create disk web-01”, which failed; retry the failed items to continue.');
    // Another resource is not held back by web-01's disk.
    expect(waitingFor(steps[2]!, steps)).toBeNull();
    // A failed or finished step waits for nothing.
    expect(waitingFor(steps[0]!, steps)).toBeNull();
  });

  it('holds job-wide steps back behind every failed resource step', () => {
    const steps = [
      step(1, { status: 'failed' }),
      step(2, { status: 'failed', protectedResourceId: 'pr_db', resourceName: 'orders-db', action: 'Promote replica' }),
      step(3, { status: 'skipped', protectedResourceId: null, resourceName: null, action: 'Stop replication' }),
    ];
    expect(waitingFor(steps[2]!, steps)).toBe('Waiting for 2 failed steps; retry the failed items to continue.');
  });
});

describe('advice for errors', () => {
  it('says what a person can do for provider errors and nothing for unknown codes', () => {
    expect(adviceFor('ProviderQuotaExceeded')).toMatch(/quota/i);
    expect(adviceFor('ProviderAuthFailed')).toMatch(/Accounts page/);
    expect(adviceFor('SomethingNew')).toBeNull();
    expect(adviceFor(null)).toBeNull();
  });
});

describe('step actions as the operator reads them', () => {
  it('writes the engine’s action words in sentence case, whatever their spelling', () => {
    expect(['failover', 'stopReplication', 'testFailover', 'replicate', 'reset', 'test_failover', 'Create disk'].map(actionLabel)).toEqual([
      'Failover',
      'Stop replication',
      'Test failover',
      'Replicate',
      'Reset',
      'Test failover',
      'Create disk',
    ]);
  });

  it('names a failed stop of replication in words in the waiting sentence', () => {
    const steps = [step(1, { status: 'failed', action: 'stopReplication', resourceName: 'vm01' }), step(2, { status: 'pending', action: 'failover', resourceName: 'vm01' })];
    expect(waitingFor(steps[1]!, steps)).toBe('Waiting for “Stop replication vm01”, which failed; retry the failed items to continue.');
  });
});
