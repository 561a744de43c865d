import { describe, expect, it } from 'vitest';
import { ResourceProgress } from '../../../../main/core/jobs/resource-progress';
import { useTempDirs } from '../../../helpers/temp-dir';
import { call, open, protect, replicate, waitJob } from '../failover/failover-bed';

const tempDir = useTempDirs('fc-resource-progress-');

describe('progress in resources', () => {
  it('counts a resource done once none of its steps is open, and failed when one failed', () => {
    const p = new ResourceProgress([
      { protectedResourceId: 'vm', status: 'succeeded' },
      { protectedResourceId: 'vm', status: 'pending' },
      { protectedResourceId: 'db', status: 'running' },
      { protectedResourceId: null, status: 'pending' },
    ]);
    expect(p.counts()).toEqual({ resourcesTotal: 2, resourcesDone: 0, resourcesFailed: 0 });
    p.settle('vm', 'succeeded');
    expect(p.counts()).toEqual({ resourcesTotal: 2, resourcesDone: 1, resourcesFailed: 0 });
    p.settle('db', 'failed');
    p.settle(null, 'succeeded');
    expect(p.counts()).toEqual({ resourcesTotal: 2, resourcesDone: 2, resourcesFailed: 1 });
  });

  it('reports resources (not steps) and the recovery point of the job and of each step on a failover from an older point', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'azure', ['azure.vm', 'azure.mysql-flexible']);
      const older = (await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 1 })).items[0]!;
      await new Promise((r) => setTimeout(r, 5));
      await replicate(core, p.policyId);
      const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId, recoveryPointId: older.id });
      const job = await waitJob(core, (await call(core, 'dr:failover.start', { token: plan.token })).jobId);
      expect(job.status).toBe('succeeded');
      // A VM fails over in several steps (disks, NIC, network, VM) and a job-wide step stops replication.
      expect(job.stepsTotal).toBeGreaterThan(2);
      expect(job).toMatchObject({ resourcesTotal: 2, resourcesDone: 2, resourcesFailed: 0, recoveryPointId: older.id, recoveryPointAt: older.createdAt, cancellable: false });
      const failoverSteps = job.steps.filter((s) => s.recoveryPointId !== null);
      const vmStep = failoverSteps.find((s) => s.type === 'azure.vm')!;
      const mysqlStep = failoverSteps.find((s) => s.type === 'azure.mysql-flexible')!;
      expect(vmStep).toMatchObject({ recoveryPointId: older.id, recoveryPointAt: older.createdAt });
      expect(mysqlStep).toMatchObject({ recoveryPointId: plan.latestRecoveryPoint.id, recoveryPointAt: plan.latestRecoveryPoint.createdAt });
      const listed = (await call(core, 'dr:jobs.list', { policyId: p.policyId, kind: 'failover', offset: 0, limit: 5 })).items[0]!;
      expect(listed).toMatchObject({ resourcesTotal: 2, resourcesDone: 2, recoveryPointAt: older.createdAt });
    } finally {
      await core.close();
    }
  });
});
