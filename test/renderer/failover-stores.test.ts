// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FailoverPlan, JobDetails } from '../../shared/domain';
import { useFailover } from '../../renderer/features/failover/failover-store';
import { useJobs } from '../../renderer/features/policy-details/jobs-store';
import { useTestFailover } from '../../renderer/features/test-failover/test-failover-store';
import { TOAST_MS, toastFor, useToasts } from '../../renderer/features/notifications/toasts-store';
import { checkStep, usePolicyForm } from '../../renderer/features/policies/policy-form-store';
import { installFakeBridge, ok } from './fake-bridge';

const flush = () => new Promise((r) => setTimeout(r, 0));
let bridge: ReturnType<typeof installFakeBridge> | null = null;
afterEach(() => {
  bridge?.uninstall();
  bridge = null;
  useFailover.getState().close();
  useTestFailover.getState().close();
});

function plan(token: string, pointId = 'rp_latest'): FailoverPlan {
  return {
    token,
    expiresAt: '2026-11-26T10:10:00.000Z',
    policyId: 'pol_1',
    policyName: 'Orders platform',
    recoveryPoint: { id: pointId, createdAt: '2026-11-26T09:00:00.000Z' },
    latestRecoveryPoint: { id: 'rp_latest', createdAt: '2026-11-26T10:00:00.000Z' },
    resources: [],
    testResourcesToReset: [],
    webhookUrl: null,
    warnings: ['Failover is a one-time job for this policy.'],
  };
}

describe('failover confirmation store', () => {
  it('asks main for the plan of the latest point, or of the point chosen on the Recovery points tab', async () => {
    bridge = installFakeBridge({ 'dr:failover.prepare': (r) => ok(plan('t'.repeat(32), (r.recoveryPointId as string) ?? 'rp_latest')) });
    await useFailover.getState().openFor('pol_1');
    expect(bridge.calls.at(-1)).toEqual({ channel: 'dr:failover.prepare', request: { policyId: 'pol_1' } });
    await useFailover.getState().openFor('pol_1', 'rp_old');
    expect(bridge.calls.at(-1)).toEqual({ channel: 'dr:failover.prepare', request: { policyId: 'pol_1', recoveryPointId: 'rp_old' } });
    expect(useFailover.getState().plan?.recoveryPoint.id).toBe('rp_old');
  });

  it('does not start until the operator acknowledges, then sends only the token, once', async () => {
    let release: (v: unknown) => void = () => {};
    bridge = installFakeBridge({
      'dr:failover.prepare': () => ok(plan('a'.repeat(32))),
      'dr:failover.start': () => new Promise((r) => (release = () => r(ok({ jobId: 'job_fo' })))),
    });
    await useFailover.getState().openFor('pol_1');
    expect(await useFailover.getState().start()).toBeNull();
    expect(bridge.calls.some((c) => c.channel === 'dr:failover.start')).toBe(false);

    useFailover.getState().setAcknowledged(true);
    const first = useFailover.getState().start();
    const second = useFailover.getState().start(); // a double click
    await flush();
    release(undefined);
    expect(await first).toBe('job_fo');
    expect(await second).toBeNull();
    expect(bridge.calls.filter((c) => c.channel === 'dr:failover.start')).toEqual([
      { channel: 'dr:failover.start', request: { token: 'a'.repeat(32) } },
    ]);
    expect(useFailover.getState().open).toBe(false);
  });

  it("keeps the dialog open with the server's sentence when main refuses the start", async () => {
    bridge = installFakeBridge({
      'dr:failover.prepare': () => ok(plan('b'.repeat(32))),
      'dr:failover.start': () => ({
        ok: false,
        error: { code: 'PreconditionFailed', message: 'Failover has already started for Orders platform.' },
      }),
    });
    await useFailover.getState().openFor('pol_1');
    useFailover.getState().setAcknowledged(true);
    expect(await useFailover.getState().start()).toBeNull();
    const s = useFailover.getState();
    expect(s.open).toBe(true);
    expect(s.startError).toEqual({ code: 'PreconditionFailed', message: 'Failover has already started for Orders platform.' });
  });

  it('starts without the lease with the reason, on a fresh plan, and says which job started, as OK does', async () => {
    let n = 0;
    bridge = installFakeBridge({
      'dr:failover.prepare': () => ok(plan(String(++n).repeat(32), 'rp_old')),
      'dr:failover.start': (r) =>
        r.leaseOverride
          ? ok({ jobId: 'job_fo' })
          : { ok: false, error: { code: 'PreconditionFailed', message: 'No failover lease: Google Cloud cannot keep a failover lease.', details: [{ path: 'leaseOverride', message: 'Start without the failover lease.' }] } },
    });
    await useFailover.getState().openFor('pol_1', 'rp_old');
    useFailover.getState().setAcknowledged(true);
    expect(await useFailover.getState().start()).toBeNull();
    expect(useFailover.getState().startedJobId).toBeNull();
    expect(await useFailover.getState().startWithoutLease('Only this console fails over.')).toBe('job_fo');
    const s = useFailover.getState();
    expect(s.open).toBe(false);
    expect(s.startedJobId).toBe('job_fo');
    expect(bridge.calls.filter((c) => c.channel === 'dr:failover.prepare').at(-1)?.request).toEqual({ policyId: 'pol_1', recoveryPointId: 'rp_old' });
    expect(bridge.calls.at(-1)).toEqual({ channel: 'dr:failover.start', request: { token: '2'.repeat(32), leaseOverride: { reason: 'Only this console fails over.' } } });
  });

  it('shows why the plan cannot be prepared', async () => {
    bridge = installFakeBridge({
      'dr:failover.prepare': () => ({ ok: false, error: { code: 'PreconditionFailed', message: 'No successful recovery point yet.' } }),
    });
    await useFailover.getState().openFor('pol_1');
    expect(useFailover.getState().plan).toBeNull();
    expect(useFailover.getState().prepareError?.message).toBe('No successful recovery point yet.');
  });
});

describe('test failover and reset store', () => {
  const point = (id: string) => ({
    id,
    policyId: 'pol_1',
    jobId: 'job_x',
    status: 'succeeded' as const,
    createdAt: '2026-11-26T10:00:00.000Z',
    completedAt: null,
    itemCount: 3,
    failedItemCount: 0,
  });

  it('runs from the latest point by default and from a chosen succeeded point when asked', async () => {
    bridge = installFakeBridge({
      'dr:recoveryPoints.list': (r) => ok({ total: 2, offset: 0, items: r.status === 'succeeded' ? [point('rp_2'), point('rp_1')] : [] }),
      'dr:testFailover.run': () => ok({ jobId: 'job_t' }),
    });
    useTestFailover.getState().openRun('pol_1');
    await flush();
    expect(bridge.calls[0]?.request).toMatchObject({ policyId: 'pol_1', status: 'succeeded' });
    expect(await useTestFailover.getState().run()).toBe('job_t');
    expect(bridge.calls.at(-1)).toEqual({ channel: 'dr:testFailover.run', request: { policyId: 'pol_1' } });

    useTestFailover.getState().openRun('pol_1');
    await flush();
    useTestFailover.getState().choose('rp_1');
    expect(await useTestFailover.getState().run()).toBe('job_t');
    expect(bridge.calls.at(-1)).toEqual({ channel: 'dr:testFailover.run', request: { policyId: 'pol_1', recoveryPointId: 'rp_1' } });
  });

  it('lists the live test resources before Reset and keeps refusals in the dialog', async () => {
    bridge = installFakeBridge({
      'dr:testResources.list': () =>
        ok([
          {
            id: 'tr_1',
            policyId: 'pol_1',
            jobId: 'job_t',
            protectedResourceId: 'pr_1',
            kind: 'VirtualMachine',
            nativeId: '/vm/test-web-01',
            name: 'test-web-01',
            region: 'westeurope',
            createdAt: '2026-11-26T10:00:00.000Z',
            deletedAt: null,
          },
        ]),
      'dr:testFailover.reset': () => ({ ok: false, error: { code: 'PreconditionFailed', message: 'A job is running for this policy.' } }),
    });
    useTestFailover.getState().openReset('pol_1');
    await flush();
    expect(useTestFailover.getState().resources?.map((r) => r.name)).toEqual(['test-web-01']);
    expect(await useTestFailover.getState().reset()).toBeNull();
    expect(useTestFailover.getState().dialog).toBe('reset');
    expect(useTestFailover.getState().error?.message).toBe('A job is running for this policy.');
  });
});

describe('job follow-up in the jobs store', () => {
  const details: JobDetails = {
    id: 'job_fo',
    policyId: 'pol_1',
    kind: 'failover',
    status: 'partially_failed',
    cancellable: false,
    trigger: 'manual',
    recoveryPointId: 'rp_1',
    createdAt: '2026-11-26T10:00:00.000Z',
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: '2026-11-26T10:01:00.000Z',
    stepsTotal: 2,
    stepsDone: 1,
    stepsFailed: 1,
    recoveryPointAt: '2026-11-26T09:00:00.000Z',
    resourcesTotal: 2,
    resourcesDone: 2,
    resourcesFailed: 1,
    error: null,
    steps: [],
  };

  it('loads mappings and webhook deliveries for a failover job, and retries its failed items', async () => {
    bridge = installFakeBridge({
      'dr:jobs.list': () => ok({ total: 1, offset: 0, items: [details] }),
      'dr:jobs.get': () => ok(details),
      'dr:jobs.mappings': () => ok([{ protectedResourceId: 'pr_1', sourceId: '/src/vm', kind: 'VirtualMachine', name: 'vm', targetId: '/tgt/vm', reused: false }]),
      'dr:webhooks.list': () => ok([]),
      'dr:jobs.retryFailed': () => ok({ jobId: 'job_fo', retried: 1 }),
    });
    useJobs.getState().open('pol_1');
    useJobs.getState().select('job_fo');
    await flush();
    await flush();
    expect(useJobs.getState().mappings?.[0]?.targetId).toBe('/tgt/vm');
    expect(useJobs.getState().webhooks).toEqual([]);
    await useJobs.getState().retryFailed('job_fo');
    expect(bridge.calls.filter((c) => c.channel === 'dr:jobs.retryFailed').map((c) => c.request)).toEqual([{ jobId: 'job_fo' }]);
    expect(useJobs.getState().retried).toBe(1);
    expect(useJobs.getState().selectedJobId).toBe('job_fo');
  });

  it('follows a retried job whose progress numbering starts again', async () => {
    bridge = installFakeBridge({
      'dr:jobs.list': () => ok({ total: 1, offset: 0, items: [details] }),
      'dr:jobs.get': () => ok(details),
      'dr:jobs.mappings': () => ok([]),
      'dr:webhooks.list': () => ok([]),
      'dr:jobs.retryFailed': () => ok({ jobId: 'job_fo', retried: 1 }),
    });
    const event = (seq: number, status: 'running' | 'partially_failed') =>
      ({ jobId: 'job_fo', policyId: 'pol_1', seq, kind: 'failover', status, stepsTotal: 2, stepsDone: 1, stepsFailed: status === 'running' ? 0 : 1, resourcesTotal: 2, resourcesDone: 1, resourcesFailed: status === 'running' ? 0 : 1 }) as const;
    useJobs.getState().open('pol_1');
    expect(useJobs.getState().applyProgress(event(7, 'partially_failed'))).toBe(true);
    expect(useJobs.getState().applyProgress(event(1, 'running'))).toBe(false);
    await useJobs.getState().retryFailed('job_fo');
    expect(useJobs.getState().applyProgress(event(1, 'running'))).toBe(true);
    expect(useJobs.getState().progress['job_fo']?.status).toBe('running');
  });

  it('remembers when the last live event for a job arrived', () => {
    bridge = installFakeBridge({ 'dr:jobs.list': () => ok({ total: 0, offset: 0, items: [] }) });
    const before = Date.now();
    useJobs.getState().applyProgress({ jobId: 'job_z', policyId: 'pol_9', seq: 1, kind: 'failover', status: 'running', stepsTotal: 4, stepsDone: 1, stepsFailed: 0, resourcesTotal: 4, resourcesDone: 1, resourcesFailed: 0 });
    expect(useJobs.getState().lastEventAt['job_z']).toBeGreaterThanOrEqual(before);
  });
});

describe('finished-job toasts', () => {
  const finished = { jobId: 'job_1', policyId: 'pol_1', policyName: 'Orders platform', kind: 'failover' as const, status: 'succeeded' as const, message: 'Done' };

  it('says what finished and how; a failure stays until dismissed', () => {
    expect(toastFor(finished)).toMatchObject({ title: 'Failover completed — Orders platform', tone: 'ok', sticky: false });
    expect(toastFor({ ...finished, status: 'failed' })).toMatchObject({ tone: 'bad', sticky: true });
  });

  it('shows a replayed event once and lets a success leave by itself', () => {
    vi.useFakeTimers();
    try {
      useToasts.getState().push(finished);
      useToasts.getState().push(finished);
      useToasts.getState().push({ ...finished, jobId: 'job_2', status: 'failed' });
      expect(useToasts.getState().toasts.map((t) => t.jobId)).toEqual(['job_2', 'job_1']);
      // A later success of the same policy and kind replaces the earlier notice.
      useToasts.getState().push({ ...finished, jobId: 'job_3' });
      expect(useToasts.getState().toasts.map((t) => t.jobId)).toEqual(['job_3', 'job_2']);
      vi.advanceTimersByTime(TOAST_MS + 1);
      expect(useToasts.getState().toasts.map((t) => t.jobId)).toEqual(['job_2']);
    } finally {
      vi.useRealTimers();
      useToasts.setState({ toasts: [] });
    }
  });
});

describe('policy form: webhook secret', () => {
  const policy = {
    id: 'pol_1',
    name: 'Orders platform',
    state: 'active' as const,
    cloud: 'aws' as const,
    simulated: true,
    sourceEnvironment: { id: 'env_a', name: 'A', region: 'eu-west-1' },
    targetEnvironment: { id: 'env_b', name: 'B', region: 'eu-central-1' },
    resourceCount: 1,
    latestRecoveryPointAt: null,
    schedule: null,
    nextReplicationAt: null,
    runningJobId: null,
    createdAt: '2026-11-26T10:00:00.000Z',
    updatedAt: '2026-11-26T10:00:00.000Z',
    webhookUrl: 'https://hooks.example.com/x',
    webhookSigned: true,
    webhookOnTestFailover: true,
    webhookAllowPrivateTargets: false,
    liveTestResourceCount: 0,
    failoverJobId: null,
    resources: [{ id: 'pr_1', policyId: 'pol_1', addedAt: '2026-11-26T10:00:00.000Z', type: 'aws.s3-bucket' as const, nativeId: 'b', name: 'b' }],
    failedOverAt: null,
  };

  async function submitted(edit: (s: ReturnType<typeof usePolicyForm.getState>) => void) {
    bridge = installFakeBridge({ 'dr:policies.update': () => ok(policy) });
    usePolicyForm.getState().openEdit(policy, 'acc_1');
    edit(usePolicyForm.getState());
    await usePolicyForm.getState().submit();
    return bridge.calls.find((c) => c.channel === 'dr:policies.update')?.request.policy as Record<string, unknown>;
  }

  it('keeps a stored secret by leaving the field out, and never reads it back', async () => {
    const sent = await submitted(() => {});
    expect('webhookSecret' in sent).toBe(false);
    expect(sent.webhookOnTestFailover).toBe(true);
    expect(usePolicyForm.getState().webhookSecret).toBe('');
  });

  it('replaces it with a typed one and removes it on request', async () => {
    expect((await submitted((s) => s.set('webhookSecret', 'x'.repeat(20)))).webhookSecret).toBe('x'.repeat(20));
    expect((await submitted((s) => s.set('removeWebhookSecret', true))).webhookSecret).toBeNull();
  });

  it('refuses a short secret or a secret without a URL before Next', () => {
    const base = { name: 'n', accountId: 'a', sourceEnvironmentId: 's', targetEnvironmentId: 't', schedulePreset: 'manual' as const, customCron: '', selected: {} };
    expect(checkStep({ ...base, webhookUrl: 'https://h.example.com', webhookSecret: 'short' }, 3).webhookSecret).toMatch(/16/);
    expect(checkStep({ ...base, webhookUrl: '', webhookSecret: 'y'.repeat(16) }, 3).webhookSecret).toMatch(/URL/);
    expect(checkStep({ ...base, webhookUrl: 'https://h.example.com', webhookSecret: 'y'.repeat(16) }, 3).webhookSecret).toBeUndefined();
  });
});
