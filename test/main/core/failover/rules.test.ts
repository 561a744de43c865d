// Rules R1-R9 (DESIGN.md) on the composed core, the sim provider and real SQLite files. R8's document
// and delivery are the webhook outbox's tests; here the engine side: a completed failover reaches it.

import { describe, expect, it } from 'vitest';
import { simLiveResources } from '../../../../main/providers/sim';
import type { Core } from '../../../../main/compose';
import { dbChecksum } from '../../../helpers/db-checksum';
import { useTempDirs } from '../../../helpers/temp-dir';
import { call, fail, failover, open, protect, REGIONS, replicate, waitJob } from './failover-bed';

const tempDir = useTempDirs('fc-rules-');

/** The source resources and the replicas/snapshots: what production replication consists of. */
const production = (core: Core) =>
  JSON.stringify(simLiveResources(core.db, { origin: ['inventory', 'replication'] }).map((r) => [r.nativeId, r.attributes, r.tags]));

describe('R1: test failover runs many times, Reset deletes every test resource, production replication untouched', () => {
  it('records what each run creates, runs again while test resources exist, and Reset deletes them all', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'aws', ['aws.ec2-instance', 'aws.s3-bucket', 'aws.rds']);
      const before = production(core);
      const first = await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      expect(first).toMatchObject({ kind: 'test_failover', status: 'succeeded', stepsTotal: 3 });
      const afterFirst = await call(core, 'dr:testResources.list', { policyId: p.policyId });
      expect(afterFirst.length).toBeGreaterThanOrEqual(3);
      expect(afterFirst.every((t) => t.jobId === first.id && t.deletedAt === null)).toBe(true);
      const second = await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      expect(second.status).toBe('succeeded');
      const live = await call(core, 'dr:testResources.list', { policyId: p.policyId });
      expect(live.length).toBe(afterFirst.length * 2);
      // Every recorded test resource exists in the simulated target, and nothing else was made as a test.
      const simTest = simLiveResources(core.db, { origin: 'test' });
      expect(simTest.map((r) => r.nativeId).sort()).toEqual(live.map((t) => t.nativeId).sort());
      expect((await call(core, 'dr:policies.get', { policyId: p.policyId })).liveTestResourceCount).toBe(live.length);
      expect(production(core)).toBe(before);

      const reset = await waitJob(core, (await call(core, 'dr:testFailover.reset', { policyId: p.policyId })).jobId);
      expect(reset).toMatchObject({ kind: 'reset', status: 'succeeded', stepsTotal: live.length });
      expect(await call(core, 'dr:testResources.list', { policyId: p.policyId })).toEqual([]);
      const all = await call(core, 'dr:testResources.list', { policyId: p.policyId, includeDeleted: true });
      expect(all.every((t) => t.deletedAt !== null)).toBe(true);
      expect(simLiveResources(core.db, { origin: 'test' })).toEqual([]);
      expect(production(core)).toBe(before);
      // Replication still works after rehearsals.
      await replicate(core, p.policyId);
      expect((await fail(core, 'dr:testFailover.reset', { policyId: p.policyId })).message).toMatch(/no test failover resources/);
    } finally {
      await core.close();
    }
  });

  it('deletes a VM before its dependents and refuses when another job runs or the point is not successful', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'azure', ['azure.vm']);
      await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      const live = await call(core, 'dr:testResources.list', { policyId: p.policyId });
      expect(live[0]!.kind).toBe('VirtualMachine');
      const { jobId } = await call(core, 'dr:testFailover.reset', { policyId: p.policyId });
      const job = await waitJob(core, jobId);
      // Each reset step waits for the previous one of the same VM (dependents after their parent).
      for (let i = 1; i < job.steps.length; i++) expect(job.steps[i]!.startedAt! >= job.steps[i - 1]!.finishedAt!).toBe(true);
      const detail = core.services.repos.jobs.steps(jobId);
      expect(detail.slice(1).every((s, i) => s.dependsOn[0] === detail[i]!.id)).toBe(true);

      core.db.prepare(`UPDATE recovery_points SET status = 'partial' WHERE policy_id = ?`).run(p.policyId);
      const checksum = dbChecksum(core.db);
      expect((await fail(core, 'dr:testFailover.run', { policyId: p.policyId })).code).toBe('PreconditionFailed');
      expect(dbChecksum(core.db)).toBe(checksum);
    } finally {
      await core.close();
    }
  });
});

describe('R2: failover is one-time, enforced by main in one transaction', () => {
  it('gives one job to two simultaneous starts, refuses replayed and second tokens, changing nothing', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'aws', ['aws.s3-bucket', 'aws.dynamodb']);
      const a = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      const b = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      const results = await Promise.all([
        core.router.dispatch('dr:failover.start', { token: a.token }),
        core.router.dispatch('dr:failover.start', { token: b.token }),
      ]);
      const ok = results.filter((r) => r.ok);
      const refused = results.filter((r) => !r.ok);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.ok === false && refused[0]!.error.code).toBe('PreconditionFailed');
      const jobId = (ok[0] as { value: { jobId: string } }).value.jobId;
      await waitJob(core, jobId);
      const checksum = dbChecksum(core.db);
      const replay = await fail(core, 'dr:failover.start', { token: a.token });
      expect(replay).toMatchObject({ code: 'PreconditionFailed' });
      expect(replay.message).toMatch(/not valid/);
      expect((await fail(core, 'dr:failover.prepare', { policyId: p.policyId })).message).toMatch(/already been failed over/);
      expect(dbChecksum(core.db)).toBe(checksum);
      expect(core.db.prepare(`SELECT COUNT(*) FROM jobs WHERE kind = 'failover'`).pluck().get()).toBe(1);
    } finally {
      await core.close();
    }
  });

  it('lets only one of two consoles on the same file start it, and the other does not run it', async () => {
    const dir = tempDir();
    const first = open(dir);
    const p = await protect(first, 'aws', ['aws.s3-bucket', 'aws.ec2-instance']);
    const second = open(dir);
    try {
      const planA = await call(first, 'dr:failover.prepare', { policyId: p.policyId });
      const planB = await call(second, 'dr:failover.prepare', { policyId: p.policyId });
      // A token is bound to the console that issued it.
      expect((await fail(second, 'dr:failover.start', { token: planA.token })).code).toBe('PreconditionFailed');
      const planA2 = await call(first, 'dr:failover.prepare', { policyId: p.policyId });
      const [ra, rb] = await Promise.all([
        first.router.dispatch('dr:failover.start', { token: planA2.token }),
        second.router.dispatch('dr:failover.start', { token: planB.token }),
      ]);
      expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
      const winner = ra.ok ? first : second;
      const jobId = ((ra.ok ? ra : rb) as { value: { jobId: string } }).value.jobId;
      // The other console sees the job running and does not take it over.
      expect((ra.ok ? second : first).services.engine.resumeAll()).toEqual([]);
      const job = await waitJob(winner, jobId);
      expect(job.status).toBe('succeeded');
      const failovers = simLiveResources(first.db, { origin: 'failover' });
      expect(new Set(failovers.map((r) => r.nativeId)).size).toBe(failovers.length);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('R3: after failover replication stops, the policy is read-only and test resources are reset', () => {
  it('resets test resources first, stops replication and refuses every later job or edit', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'aws', ['aws.s3-bucket', 'aws.ec2-instance']);
      await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      const tests = await call(core, 'dr:testResources.list', { policyId: p.policyId });
      const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      expect(plan.testResourcesToReset.map((t) => t.id).sort()).toEqual(tests.map((t) => t.id).sort());
      expect(plan.warnings.join(' ')).toMatch(/once/);
      expect(plan.warnings.join(' ')).toMatch(/new policy/);
      const job = await waitJob(core, (await call(core, 'dr:failover.start', { token: plan.token })).jobId);
      expect(job.status).toBe('succeeded');
      const resets = job.steps.filter((s) => s.action === 'reset');
      const failovers = job.steps.filter((s) => s.action === 'failover');
      expect(resets).toHaveLength(tests.length);
      // Dependencies: every failover step started after every reset finished; stop after its failover.
      const lastReset = resets.map((s) => s.finishedAt!).sort().at(-1)!;
      expect(failovers.every((s) => s.startedAt! >= lastReset)).toBe(true);
      expect(simLiveResources(core.db, { origin: 'test' })).toEqual([]);
      const sources = simLiveResources(core.db, { origin: 'inventory' }).filter((r) => p.names.includes(r.name));
      for (const s of sources) {
        const repl = (s.attributes.replication ?? []) as { policyId: string | null }[];
        expect(repl.filter((e) => e.policyId === p.policyId)).toEqual([]);
      }

      const policy = await call(core, 'dr:policies.get', { policyId: p.policyId });
      expect(policy).toMatchObject({ state: 'failed_over', failoverJobId: job.id, liveTestResourceCount: 0, nextReplicationAt: null });
      expect(policy.failedOverAt).not.toBeNull();
      const checksum = dbChecksum(core.db);
      expect((await fail(core, 'dr:replication.run', { policyId: p.policyId })).message).toMatch(/failed over/);
      expect((await fail(core, 'dr:testFailover.run', { policyId: p.policyId })).message).toMatch(/failed over/);
      expect((await fail(core, 'dr:testFailover.reset', { policyId: p.policyId })).message).toMatch(/failed over/);
      expect((await fail(core, 'dr:failover.prepare', { policyId: p.policyId })).message).toMatch(/failed over/);
      const edit = await fail(core, 'dr:policies.update', {
        policyId: p.policyId,
        expectedUpdatedAt: policy.updatedAt,
        policy: { name: 'x', sourceEnvironmentId: p.sourceId, targetEnvironmentId: p.targetId, resources: policy.resources, schedule: '0 * * * *', webhookUrl: null },
      });
      expect(edit.message).toMatch(/failed over/);
      expect(core.services.repos.policies.scheduled().map((s) => s.id)).not.toContain(p.policyId);
      expect(dbChecksum(core.db)).toBe(checksum);
    } finally {
      await core.close();
    }
  });
});

describe('R4 and R5: the latest point by default, or any successfully created point', () => {
  it('fails over from the latest successful point when none is chosen, and from an older one when chosen', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'aws', ['aws.s3-bucket']);
      const older = (await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 1 })).items[0]!;
      await new Promise((r) => setTimeout(r, 5));
      await replicate(core, p.policyId);
      const latest = (await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 1 })).items[0]!;
      expect(latest.id).not.toBe(older.id);
      const byDefault = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      expect(byDefault.recoveryPoint).toEqual({ id: latest.id, createdAt: latest.createdAt });
      expect(byDefault.latestRecoveryPoint.id).toBe(latest.id);
      const chosen = await call(core, 'dr:failover.prepare', { policyId: p.policyId, recoveryPointId: older.id });
      expect(chosen.recoveryPoint.id).toBe(older.id);
      expect(chosen.resources[0]).toMatchObject({ recoveryPointId: older.id, usesLatestPoint: false, note: null });

      // A failed or partial point cannot be chosen; an unknown one is not found.
      core.db.prepare(`UPDATE recovery_points SET status = 'partial' WHERE id = ?`).run(older.id);
      expect((await fail(core, 'dr:failover.prepare', { policyId: p.policyId, recoveryPointId: older.id })).message).toMatch(/not created successfully/);
      // Between prepare and start the chosen point went bad: start re-checks and refuses, policy stays active.
      expect((await fail(core, 'dr:failover.start', { token: chosen.token })).code).toBe('PreconditionFailed');
      expect((await call(core, 'dr:policies.get', { policyId: p.policyId })).state).toBe('active');
      core.db.prepare(`UPDATE recovery_points SET status = 'succeeded' WHERE id = ?`).run(older.id);
      const job = await failover(core, p.policyId, older.id);
      expect(job).toMatchObject({ status: 'succeeded', recoveryPointId: older.id });
      const step = core.services.repos.jobs.steps(job.id).find((s) => s.action === 'failover')!;
      expect(step.params.recoveryPointId).toBe(older.id);
    } finally {
      await core.close();
    }
  });
});

describe('R6: "latest" types use the latest successful point whatever was chosen, and the plan says so', () => {
  it('plans MySQL flexible server from the latest point with a note, and the VM from the chosen one', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'azure', ['azure.mysql-flexible', 'azure.vm']);
      const older = (await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 1 })).items[0]!;
      await new Promise((r) => setTimeout(r, 5));
      await replicate(core, p.policyId);
      const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId, recoveryPointId: older.id });
      const mysql = plan.resources.find((r) => r.type === 'azure.mysql-flexible')!;
      const vm = plan.resources.find((r) => r.type === 'azure.vm')!;
      expect(mysql).toMatchObject({ usesLatestPoint: true, recoveryPointId: plan.latestRecoveryPoint.id });
      expect(mysql.note).toMatch(/^MySQL flexible server always fails over from the latest recovery point \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}\)\.$/);
      expect(vm).toMatchObject({ usesLatestPoint: false, recoveryPointId: older.id, note: null });
      expect(vm.action).toMatch(/Create virtual machine/);
      const job = await waitJob(core, (await call(core, 'dr:failover.start', { token: plan.token })).jobId);
      expect(job.status).toBe('succeeded');
      const steps = core.services.repos.jobs.steps(job.id).filter((s) => s.action === 'failover');
      const byType = new Map(steps.map((s) => [core.services.repos.policies.resource(s.protectedResourceId!)!.type, s.params.recoveryPointId]));
      expect(byType.get('azure.mysql-flexible')).toBe(plan.latestRecoveryPoint.id);
      expect(byType.get('azure.vm')).toBe(older.id);
    } finally {
      await core.close();
    }
  });
});

describe('R7: EKS, GKE and GCE reuse same-named IAM in the target', () => {
  it('maps the EKS cluster IAM role and policy as reused and creates no second one', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'aws', ['aws.eks']);
      const iamBefore = simLiveResources(core.db, { accountId: p.accountId }).filter((r) => r.kind.startsWith('Iam')).length;
      const job = await failover(core, p.policyId);
      expect(job.status).toBe('succeeded');
      const mappings = await call(core, 'dr:jobs.mappings', { jobId: job.id });
      const iam = mappings.filter((m) => /Iam|Role|Policy/.test(m.kind));
      expect(iam.length).toBeGreaterThan(0);
      expect(iam.every((m) => m.reused)).toBe(true);
      expect(simLiveResources(core.db, { accountId: p.accountId }).filter((r) => r.kind.startsWith('Iam')).length).toBe(iamBefore);
    } finally {
      await core.close();
    }
  });
});

describe('R8 (engine side): a completed failover reaches the webhook outbox with its whole mapping', () => {
  it('lists the VM and its dependents in the mapping and enqueues one delivery when the job completes', async () => {
    const core = open(tempDir());
    try {
      const p = await protect(core, 'azure', ['azure.vm'], { webhookUrl: 'http://127.0.0.1:9/hook' });
      const job = await failover(core, p.policyId);
      const mappings = await call(core, 'dr:jobs.mappings', { jobId: job.id });
      expect(mappings.map((m) => m.kind)).toEqual(expect.arrayContaining(['VirtualMachine', 'Disk', 'NetworkInterface', 'VirtualNetwork']));
      const deliveries = await call(core, 'dr:webhooks.list', { jobId: job.id });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ jobId: job.id, url: 'http://127.0.0.1:9/hook' });
      const body = JSON.parse(core.db.prepare('SELECT body FROM webhook_deliveries WHERE job_id = ?').pluck().get(job.id) as string) as {
        ResourceMapping: unknown[];
      };
      expect(body.ResourceMapping).toHaveLength(mappings.length);
    } finally {
      await core.close();
    }
  });
});

describe('R9: a failover that stops part-way resumes from its journal and retries failed items in the same job', () => {
  it('keeps the policy failing over after hard errors, and Retry failed items completes the same job', async () => {
    const dir = tempDir();
    const seedCore = open(dir);
    const p = await protect(seedCore, 'aws', ['aws.s3-bucket', 'aws.dynamodb', 'aws.ec2-instance']);
    await seedCore.close();
    const broken = open(dir, { faults: { failNames: [p.names[1]!], operations: ['failover'] } });
    let jobId: string;
    try {
      const job = await failover(broken, p.policyId);
      jobId = job.id;
      expect(job.status).toBe('partially_failed');
      const failed = job.steps.filter((s) => s.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ action: 'failover', resourceName: p.names[1], attempts: 1, errorCode: 'ProviderError' });
      // Its stop-replication step waits (blocked) behind it.
      expect(job.steps.filter((s) => s.status === 'pending').map((s) => s.action)).toEqual(['stopReplication']);
      expect((await call(broken, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failing_over');
      expect((await fail(broken, 'dr:failover.prepare', { policyId: p.policyId })).message).toMatch(/already started/);
      expect((await fail(broken, 'dr:jobs.cancel', { jobId })).code).toBe('PreconditionFailed');
    } finally {
      await broken.close();
    }
    const fixed = open(dir);
    try {
      const retry = await call(fixed, 'dr:jobs.retryFailed', { jobId });
      expect(retry).toEqual({ jobId, retried: 1 });
      const job = await waitJob(fixed, jobId);
      expect(job.status).toBe('succeeded');
      expect(job.steps.every((s) => s.status === 'succeeded')).toBe(true);
      expect((await call(fixed, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failed_over');
      expect(fixed.db.prepare(`SELECT COUNT(*) FROM jobs WHERE kind = 'failover'`).pluck().get()).toBe(1);
      expect((await fail(fixed, 'dr:jobs.retryFailed', { jobId })).message).toMatch(/nothing to retry/);
    } finally {
      await fixed.close();
    }
  });

  for (const at of [3, 9, 17]) {
    it(`resumes after the console dies at journal write ${at}, with no duplicate target resources`, async () => {
      const dir = tempDir();
      const seedCore = open(dir);
      const p = await protect(seedCore, 'azure', ['azure.vm', 'azure.sql-database', 'azure.storage-account']);
      await waitJob(seedCore, (await call(seedCore, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
      await seedCore.close();

      let writes = 0;
      let dying: Core | null = null;
      dying = open(dir, {
        engine: {
          backoff: { maxAttempts: 3, baseMs: 1, capMs: 5 },
          hooks: {
            journal: (point) => {
              if (point.kind !== 'failover') return;
              // The "power cut": the file closes under the running job; nothing after this is written.
              if (++writes === at) dying!.db.close();
            },
          },
        },
      });
      const plan = await call(dying, 'dr:failover.prepare', { policyId: p.policyId });
      const { jobId } = await call(dying, 'dr:failover.start', { token: plan.token });
      await dying.services.engine.whenIdle();
      expect(dying.db.open).toBe(false);

      const restarted = open(dir);
      try {
        const job = await waitJob(restarted, jobId);
        expect(job.status).toBe('succeeded');
        expect(job.trigger).toBe('manual');
        expect((await call(restarted, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failed_over');
        const made = simLiveResources(restarted.db, { origin: 'failover' });
        const keys = made.map((r) => `${r.kind}/${r.name}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(simLiveResources(restarted.db, { origin: 'test' })).toEqual([]);
        const mappings = await call(restarted, 'dr:jobs.mappings', { jobId });
        expect(new Set(mappings.map((m) => m.targetId)).size).toBe(mappings.length);
        expect(restarted.db.prepare(`SELECT COUNT(*) FROM jobs WHERE kind = 'failover'`).pluck().get()).toBe(1);
      } finally {
        await restarted.close();
      }
    });
  }
});

describe('a failover when the source region is lost', () => {
  it('completes: each stop of replication that cannot reach the source says what stays there, and the policy is failed over', async () => {
    const dir = tempDir();
    const seedCore = open(dir);
    // The EC2 failover works in the target alone; the S3, RDS and DynamoDB failovers also unlink the
    // source as the type table says, which a lost region cannot do: they say so and go on.
    const p = await protect(seedCore, 'aws', ['aws.ec2-instance', 'aws.s3-bucket', 'aws.rds', 'aws.dynamodb']);
    await seedCore.close();
    const lost = open(dir, { faults: { lostRegions: [REGIONS.aws.source] } });
    try {
      const job = await failover(lost, p.policyId);
      expect(job.steps.filter((s) => s.status !== 'succeeded').map((s) => `${s.action} ${s.resourceName}: ${s.error}`)).toEqual([]);
      expect(job.status).toBe('succeeded');
      const stops = job.steps.filter((s) => s.action === 'stopReplication');
      expect(stops).toHaveLength(4);
      for (const s of stops) {
        expect(s).toMatchObject({ status: 'succeeded', errorCode: null });
        // The engine's retries were spent first: a blip of the source is not taken for a lost region.
        expect(s.attempts).toBeGreaterThan(1);
        expect(s.warnings).toEqual([expect.stringMatching(new RegExp(`^Replication of ${s.resourceName} could not be stopped in the source, .*\\(${REGIONS.aws.source}\\): .*region is lost.* The failover itself is complete\\.`))]);
      }
      const unlinked = job.steps.filter((s) => s.action === 'failover' && s.type !== 'aws.ec2-instance');
      expect(unlinked).toHaveLength(3);
      for (const s of unlinked) expect(s.warnings).toContainEqual(expect.stringMatching(/^The replication link .* is still on the source .*region is lost in this rehearsal.*remove it there once the region answers\.$/));
      expect((await call(lost, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failed_over');
      const audit = (await call(lost, 'dr:audit.list', { subjectId: p.policyId, offset: 0, limit: 50 })).items;
      expect(audit.filter((e) => e.action === 'failover.source-unreachable')).toHaveLength(4);
      // What stays in the source is what the stop would have removed: production replication is unchanged.
      expect(simLiveResources(lost.db, { origin: 'replication' }).length).toBeGreaterThan(0);
    } finally {
      await lost.close();
    }
  });

  it('still fails a stop of replication that the source refuses (not unreachable), keeping the policy failing over', async () => {
    const dir = tempDir();
    const seedCore = open(dir);
    const p = await protect(seedCore, 'aws', ['aws.s3-bucket']);
    await seedCore.close();
    const refused = open(dir, { faults: { failNames: [p.names[0]!], operations: ['stopReplication'] } });
    try {
      const job = await failover(refused, p.policyId);
      expect(job.status).toBe('partially_failed');
      expect(job.steps.find((s) => s.action === 'stopReplication')).toMatchObject({ status: 'failed', errorCode: 'ProviderError' });
      expect((await call(refused, 'dr:policies.get', { policyId: p.policyId })).state).toBe('failing_over');
    } finally {
      await refused.close();
    }
  });
});
