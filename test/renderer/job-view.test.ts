import { describe, expect, it } from 'vitest';
import type { JobStepView } from '../../shared/domain';
import { idParts, idTailStart } from '../../renderer/components/long-id';
import { filterSteps, orderSteps } from '../../renderer/features/policy-details/jobs-tab';
import { estimateLeftMs, progressUnits } from '../../renderer/features/policy-details/progress-bar';
import { filterResources } from '../../renderer/features/policy-details/resources-tab';

function step(seq: number, status: JobStepView['status'], name: string, patch: Partial<JobStepView> = {}): JobStepView {
  return {
    id: `st_${seq}`,
    jobId: 'job_1',
    seq,
    protectedResourceId: `pr_${name}`,
    resourceName: name,
    type: 'azure.vm',
    action: 'failover',
    status,
    attempts: 1,
    error: null,
    errorCode: null,
    startedAt: null,
    finishedAt: null,
    activity: null,
    recoveryPointId: null,
    recoveryPointAt: null,
    warnings: [],
    ...patch,
  };
}

const counts = { status: 'running', stepsTotal: 120, stepsDone: 30, stepsFailed: 2, resourcesTotal: 60, resourcesDone: 12, resourcesFailed: 1 };

describe('the job view', () => {
  it('counts progress in resources, and in steps only for jobs whose steps belong to no resource', () => {
    expect(progressUnits(counts)).toEqual({ done: 12, failed: 1, total: 60, one: 'resource', many: 'resources' });
    expect(progressUnits({ ...counts, resourcesTotal: 0, resourcesDone: 0, resourcesFailed: 0 })).toMatchObject({ done: 30, total: 120, many: 'steps' });
  });

  it('estimates the time left from the pace so far, and gives none before the first step or after the end', () => {
    expect(estimateLeftMs(counts, 60_000)).toBe(180_000);
    expect(estimateLeftMs({ ...counts, stepsDone: 0 }, 60_000)).toBeNull();
    expect(estimateLeftMs({ ...counts, status: 'succeeded' }, 60_000)).toBeNull();
  });

  it('puts failed rows first, then running, then waiting, then finished, in journal order within each', () => {
    const steps = [step(1, 'succeeded', 'a'), step(2, 'running', 'b'), step(3, 'failed', 'c'), step(4, 'pending', 'd'), step(5, 'running', 'e')];
    expect(orderSteps(steps).map((s) => s.seq)).toEqual([3, 2, 5, 4, 1]);
  });

  it('filters steps by status and by text in the resource, type, action, error or activity', () => {
    const steps = [step(1, 'succeeded', 'web-01'), step(2, 'failed', 'db-01', { error: 'Quota exceeded in westus2' }), step(3, 'running', 'app-01', { activity: 'Copying snapshot 40%' })];
    expect(filterSteps(steps, '', 'failed').map((s) => s.seq)).toEqual([2]);
    expect(filterSteps(steps, 'QUOTA', '').map((s) => s.seq)).toEqual([2]);
    expect(filterSteps(steps, 'snapshot', '').map((s) => s.seq)).toEqual([3]);
    expect(filterSteps(steps, 'virtual machine', 'succeeded').map((s) => s.seq)).toEqual([1]);
  });

  it('filters protected resources by name or native id, type and the point failover uses', () => {
    const rs = [
      { name: 'web-01', nativeId: '/subscriptions/1/vm/web-01', type: 'azure.vm' as const },
      { name: 'crm', nativeId: '/subscriptions/1/mysql/crm', type: 'azure.mysql-flexible' as const },
    ];
    expect(filterResources(rs, 'MYSQL', '', '').map((r) => r.name)).toEqual(['crm']);
    expect(filterResources(rs, '', 'azure.vm', '').map((r) => r.name)).toEqual(['web-01']);
    expect(filterResources(rs, '', '', 'latest').map((r) => r.name)).toEqual(['crm']);
    expect(filterResources(rs, '', '', 'selected').map((r) => r.name)).toEqual(['web-01']);
  });

  it('keeps the end of a long id, the part that tells ids apart, always visible', () => {
    const arm = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-recovery/providers/Microsoft.Compute/disks/app-01_OsDisk_1';
    expect(arm.slice(idTailStart(arm))).toBe('disks/app-01_OsDisk_1');
    expect('arn:aws:rds:us-west-2:111122223333:db:orders'.slice(idTailStart('arn:aws:rds:us-west-2:111122223333:db:orders'))).toBe('orders');
    const long = `/a/b/${'x'.repeat(100)}`;
    expect(long.length - idTailStart(long)).toBe(56);
  });

  it('keeps an ARM id’s resource group in view too: a source and its failed-over copy differ only there', () => {
    const id = (rg: string) => `/subscriptions/5f0e2a6c-0000-4000-8000-00000000c0f0/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/vm01`;
    const kept = (v: string) => idParts(v).filter((p) => p.keep).map((p) => p.text);
    expect(kept(id('dr-source'))).toEqual(['dr-source', 'virtualMachines/vm01']);
    expect(kept(id('dr-target'))).toEqual(['dr-target', 'virtualMachines/vm01']);
    for (const v of [id('dr-target'), '/subscriptions/1/resourceGroups/rg-a', 'arn:aws:rds:us-west-2:111122223333:db:orders', 'https://hooks.example.com/failover']) {
      expect(idParts(v).map((p) => p.text).join('')).toBe(v);
    }
    // An environment's scope ends with its group: the group is the kept tail, not a piece of its own.
    expect(idParts('/subscriptions/1/resourceGroups/rg-a')).toEqual([
      { text: '/subscriptions/1/', keep: false },
      { text: 'resourceGroups/rg-a', keep: true },
    ]);
    expect(idParts('arn:aws:rds:us-west-2:111122223333:db:orders')).toEqual([
      { text: 'arn:aws:rds:us-west-2:111122223333:db:', keep: false },
      { text: 'orders', keep: true },
    ]);
  });
});
