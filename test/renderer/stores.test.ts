// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobView, RecoveryPointView } from '../../shared/domain';
import { useJobs } from '../../renderer/features/policy-details/jobs-store';
import { PAGE_SIZE, notSelectableReason, useRecoveryPoints } from '../../renderer/features/policy-details/recovery-points-store';
import { checkStep, usePolicyForm } from '../../renderer/features/policies/policy-form-store';
import { useAccounts } from '../../renderer/features/accounts/accounts-store';
import { useApp } from '../../renderer/features/shell/app-store';
import { installFakeBridge, ok } from './fake-bridge';

const flush = () => new Promise((r) => setTimeout(r, 0));

function point(i: number, status: RecoveryPointView['status'] = 'succeeded'): RecoveryPointView {
  return {
    id: `rp_${i}`,
    policyId: 'pol_1',
    jobId: `job_${i}`,
    status,
    createdAt: new Date(Date.UTC(2026, 10, 26, 10, 0, 0) - i * 60_000).toISOString(),
    completedAt: null,
    itemCount: 4,
    failedItemCount: status === 'partial' ? 1 : status === 'failed' ? 4 : 0,
  };
}

let bridge: ReturnType<typeof installFakeBridge> | null = null;
afterEach(() => bridge?.uninstall());

describe('recovery points store', () => {
  beforeEach(() => {
    const total = 100_000;
    bridge = installFakeBridge({
      'dr:recoveryPoints.list': (r) => {
        const offset = r.offset as number;
        const limit = r.limit as number;
        const items = Array.from({ length: Math.min(limit, total - offset) }, (_, k) => point(offset + k, (offset + k) % 10 === 3 ? 'partial' : 'succeeded'));
        return ok({ total, offset, items });
      },
      'dr:recoveryPoints.get': (r) => ok({ ...point(Number(String(r.recoveryPointId).slice(3))), items: [] }),
    });
  });

  it('fetches only the pages that scroll into view, by offset and limit', async () => {
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    expect(useRecoveryPoints.getState().total).toBe(100_000);
    useRecoveryPoints.getState().ensureRange(50_000, 50_030);
    await flush();
    // (The status filters' first pages are prefetched too; those carry a status.)
    const lists = bridge!.calls.filter((c) => c.channel === 'dr:recoveryPoints.list' && !c.request.status).map((c) => c.request.offset);
    expect(lists).toEqual([0, Math.floor(50_000 / PAGE_SIZE) * PAGE_SIZE]);
    expect(useRecoveryPoints.getState().pointAt(50_010)?.id).toBe('rp_50010');
    expect(useRecoveryPoints.getState().pointAt(30_000)).toBeUndefined();
  });

  it('asks for the page after a loaded one by keyset (its last point), and for a jump by offset', async () => {
    useRecoveryPoints.setState({ policyId: null, total: null, pages: {} });
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    useRecoveryPoints.getState().ensureRange(PAGE_SIZE, PAGE_SIZE + 10);
    useRecoveryPoints.getState().ensureRange(30_000, 30_010);
    await flush();
    const [, next, jump] = bridge!.calls.filter((c) => c.channel === 'dr:recoveryPoints.list' && !c.request.status).map((c) => c.request);
    const last = point(PAGE_SIZE - 1);
    expect(next).toMatchObject({ offset: PAGE_SIZE, after: { createdAt: last.createdAt, id: last.id } });
    expect(jump).toMatchObject({ offset: 30_000 });
    expect(jump).not.toHaveProperty('after');
  });

  it('refreshes loaded pages by offset, since new points moved every page boundary', async () => {
    useRecoveryPoints.setState({ policyId: null, total: null, pages: {} });
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    useRecoveryPoints.getState().ensureRange(PAGE_SIZE, PAGE_SIZE + 10);
    await flush();
    const before = bridge!.calls.length;
    await useRecoveryPoints.getState().refresh();
    const again = bridge!.calls.slice(before).filter((c) => c.channel === 'dr:recoveryPoints.list' && !c.request.status);
    expect(again.map((c) => c.request.offset).sort((a, b) => Number(a) - Number(b))).toEqual([0, PAGE_SIZE]);
    expect(again.every((c) => !('after' in c.request))).toBe(true);
  });

  it("shows a status filter's prefetched first page at once, then asks the core again", async () => {
    useRecoveryPoints.setState({ policyId: null, total: null, pages: {} });
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    const prefetched = bridge!.calls.filter((c) => c.channel === 'dr:recoveryPoints.list' && c.request.status).map((c) => c.request.status);
    expect(prefetched.sort()).toEqual(['failed', 'in_progress', 'partial', 'succeeded']);
    const before = bridge!.calls.length;
    useRecoveryPoints.getState().setStatus('partial');
    // Synchronously: the rows the prefetch answered, before the fresh request returns.
    expect(useRecoveryPoints.getState().total).toBe(100_000);
    expect(useRecoveryPoints.getState().pointAt(0)).toBeDefined();
    expect(bridge!.calls.slice(before).map((c) => c.request.status)).toEqual(['partial']);
  });

  it('sends filters to the core and starts over from the first page', async () => {
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    useRecoveryPoints.getState().setStatus('failed');
    useRecoveryPoints.getState().setQuery('2026-11-26T09');
    await flush();
    const last = bridge!.calls.filter((c) => c.channel === 'dr:recoveryPoints.list').at(-1);
    expect(last?.request).toMatchObject({ offset: 0, status: 'failed', query: '2026-11-26T09' });
  });

  it('keeps the rows on screen while a search is asked, replaces them with its first page, and drops a late answer to an older search', async () => {
    bridge!.uninstall();
    // Answers held until the test releases them, to order them as a slow bridge would.
    const held: { query: string; release: () => void }[] = [];
    bridge = installFakeBridge({
      'dr:recoveryPoints.list': (r) => {
        const query = (r.query as string | undefined) ?? '';
        const total = query ? 7 : 100_000;
        const items = Array.from({ length: Math.min(r.limit as number, total) }, (_, k) => ({ ...point(k), id: `rp_${query || 'all'}_${k}` }));
        const value = ok({ total, offset: r.offset as number, items });
        if (!query) return value;
        return new Promise((resolve) => held.push({ query, release: () => resolve(value) }));
      },
    });
    useRecoveryPoints.setState({ policyId: null, total: null, pages: {} });
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    const seq = useRecoveryPoints.getState().resultSeq;
    expect(useRecoveryPoints.getState().pointAt(0)?.id).toBe('rp_all_0');

    useRecoveryPoints.getState().setQuery('2026-11-2');
    useRecoveryPoints.getState().setQuery('2026-11-26');
    await flush();
    // Asked at once, one request per keystroke; meanwhile the list still shows its rows, marked stale.
    expect(held.map((h) => h.query)).toEqual(['2026-11-2', '2026-11-26']);
    expect(useRecoveryPoints.getState()).toMatchObject({ stale: true, total: 100_000, resultSeq: seq });
    expect(useRecoveryPoints.getState().pointAt(0)?.id).toBe('rp_all_0');
    // No page is fetched for stale rows, however the list scrolls.
    const before = bridge!.calls.length;
    useRecoveryPoints.getState().ensureRange(5_000, 5_010);
    expect(bridge!.calls.length).toBe(before);

    held[1]!.release();
    await flush();
    expect(useRecoveryPoints.getState()).toMatchObject({ stale: false, total: 7, resultSeq: seq + 1 });
    expect(useRecoveryPoints.getState().pointAt(0)?.id).toBe('rp_2026-11-26_0');
    expect(useRecoveryPoints.getState().pages[1]).toBeUndefined();
    // The older search's answer arrives last: it changes nothing.
    held[0]!.release();
    await flush();
    expect(useRecoveryPoints.getState().pointAt(0)?.id).toBe('rp_2026-11-26_0');
    expect(useRecoveryPoints.getState().total).toBe(7);
    // A space typed at the end asks nothing new.
    useRecoveryPoints.getState().setQuery('2026-11-26 ');
    await flush();
    expect(held).toHaveLength(2);
  });

  it('lets any point be inspected but only a succeeded one become the failover source', async () => {
    useRecoveryPoints.getState().open('pol_1');
    await flush();
    const good = useRecoveryPoints.getState().pointAt(0)!;
    const partial = useRecoveryPoints.getState().pointAt(3)!;
    useRecoveryPoints.getState().inspect(good);
    useRecoveryPoints.getState().inspect(partial);
    expect(useRecoveryPoints.getState().inspected?.id).toBe('rp_3');
    expect(useRecoveryPoints.getState().selected?.id).toBe('rp_0');
    expect(notSelectableReason(partial)).toBe('1 of 4 resources failed');
    expect(notSelectableReason(good)).toBeNull();
  });
});

describe('jobs store', () => {
  const job: JobView = {
    id: 'job_1',
    policyId: 'pol_1',
    kind: 'replication',
    status: 'running',
    cancellable: true,
    trigger: 'manual',
    recoveryPointId: null,
    createdAt: '2026-11-26T10:00:00.000Z',
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: null,
    stepsTotal: 10,
    stepsDone: 0,
    stepsFailed: 0,
    recoveryPointAt: null,
    resourcesTotal: 10,
    resourcesDone: 0,
    resourcesFailed: 0,
    error: null,
  };

  it('drops progress events whose sequence number is not newer than the one it holds', async () => {
    bridge = installFakeBridge({ 'dr:jobs.list': () => ok({ total: 1, offset: 0, items: [job] }) });
    useJobs.getState().open('pol_1');
    await flush();
    const base = { jobId: 'job_1', policyId: 'pol_1', kind: 'replication' as const, status: 'running' as const, stepsTotal: 10, stepsFailed: 0, resourcesTotal: 10, resourcesDone: 0, resourcesFailed: 0 };
    expect(useJobs.getState().applyProgress({ ...base, seq: 5, stepsDone: 5 })).toBe(true);
    expect(useJobs.getState().applyProgress({ ...base, seq: 3, stepsDone: 3 })).toBe(false);
    expect(useJobs.getState().applyProgress({ ...base, seq: 5, stepsDone: 4 })).toBe(false);
    expect(useJobs.getState().progress.job_1?.stepsDone).toBe(5);
    expect(useJobs.getState().jobs?.[0]?.stepsDone).toBe(5);
  });
});

describe('create policy flow', () => {
  it('checks each step before moving on', () => {
    const empty = { name: ' ', accountId: '', sourceEnvironmentId: 'e1', targetEnvironmentId: 'e1', schedulePreset: 'custom' as const, customCron: '* *', webhookUrl: 'ftp://x', selected: {} };
    expect(Object.keys(checkStep(empty, 0)).sort()).toEqual(['accountId', 'name']);
    expect(checkStep(empty, 1).targetEnvironmentId).toMatch(/different/);
    expect(checkStep(empty, 2).resources).toMatch(/at least one/);
    expect(Object.keys(checkStep(empty, 3)).sort()).toEqual(['schedule', 'webhookUrl']);
    expect(checkStep({ ...empty, schedulePreset: 'custom', customCron: '30 */6 * * *', webhookUrl: 'https://h.example/x' }, 3)).toEqual({});
  });

  it("puts the server's field errors next to their fields and returns to that step", async () => {
    bridge = installFakeBridge({
      'dr:policies.create': () => ({
        ok: false,
        error: { code: 'ValidationFailed', message: 'The policy is not valid.', details: [{ path: 'name', message: 'A policy with this name already exists.' }] },
      }),
    });
    const form = usePolicyForm.getState();
    form.openCreate();
    usePolicyForm.setState({
      name: 'orders',
      accountId: 'acc_1',
      sourceEnvironmentId: 'env_1',
      targetEnvironmentId: 'env_2',
      selected: { k: { type: 'aws.s3-bucket', nativeId: 'b1', name: 'b1' } },
      step: 4,
    });
    const saved = await usePolicyForm.getState().submit();
    expect(saved).toBeNull();
    const s = usePolicyForm.getState();
    expect(s.step).toBe(0);
    expect(s.fieldErrors.name).toBe('A policy with this name already exists.');
    expect(s.error?.message).toBe('The policy is not valid.');
    expect(s.open).toBe(true);
    expect(bridge.calls[0]?.request).toMatchObject({ name: 'orders', schedule: null, webhookUrl: null, resources: [{ type: 'aws.s3-bucket', nativeId: 'b1', name: 'b1' }] });
  });
});

describe('accounts store', () => {
  it('reads the app info again when the first account is added, so Policies leaves the welcome panel for Create policy', async () => {
    const info = { version: 't', platform: 'linux', storage: { readOnly: false, reason: null, since: null }, providers: [] };
    const account = { id: 'acc_1', name: 'Shop Google Cloud', provider: 'gcp', cloud: 'gcp', credentialKind: 'gcp-service-account-key', simulated: false };
    let accounts: unknown[] = [];
    bridge = installFakeBridge({
      'dr:accounts.create': () => {
        accounts = [account];
        return ok(account);
      },
      'dr:accounts.list': () => ok(accounts),
      'dr:environments.list': () => ok([]),
      'dr:app.info': () => ok({ ...info, workspaceReady: accounts.length > 0 }),
    });
    useApp.setState({ info: { ...info, workspaceReady: false } as never });
    await useAccounts.getState().createAccount({ name: 'Shop Google Cloud', provider: 'gcp', cloud: 'gcp', credentials: { kind: 'gcp-application-default' } });
    await flush();
    expect(useApp.getState().info?.workspaceReady).toBe(true);
    // Once ready, adding more accounts asks nothing more.
    const infos = bridge.calls.filter((c) => c.channel === 'dr:app.info').length;
    await useAccounts.getState().createAccount({ name: 'Second', provider: 'gcp', cloud: 'gcp', credentials: { kind: 'gcp-application-default' } });
    await flush();
    expect(bridge.calls.filter((c) => c.channel === 'dr:app.info')).toHaveLength(infos);
  });
});
