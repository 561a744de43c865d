import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../../shared/domain';
import { createFakeProvider } from '../../helpers/fake-provider';
import { FakeClock } from '../../helpers/fake-clock';
import { dbChecksum } from '../../helpers/db-checksum';
import { createTestCore, seedAwsPair, waitForJob, type TestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

async function setup(opts: Parameters<typeof createTestCore>[1] = {}) {
  const core = createTestCore(tempDir(), opts);
  const seeded = await seedAwsPair(core);
  const input: PolicyInput = {
    name: 'Payments',
    sourceEnvironmentId: seeded.source.id,
    targetEnvironmentId: seeded.target.id,
    resources: seeded.inventory.slice(0, 3).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
    schedule: '0 * * * *',
    webhookUrl: 'https://hooks.example.test/dr',
    webhookOnTestFailover: false,
  };
  return { core, ...seeded, input };
}

async function expectUnchanged(core: TestCore, fn: () => Promise<unknown>) {
  const before = dbChecksum(core.db);
  await fn();
  expect(dbChecksum(core.db)).toBe(before);
}

describe('policies', () => {
  it('creates a policy and lists it with its environments, resource count and next scheduled run', async () => {
    const clock = new FakeClock('2030-01-15T10:20:00.000Z');
    const { core, input, source, target } = await setup({ clock });
    const created = await core.call('dr:policies.create', input);
    expect(created).toMatchObject({
      name: 'Payments',
      state: 'active',
      cloud: 'aws',
      simulated: true,
      resourceCount: 3,
      latestRecoveryPointAt: null,
      runningJobId: null,
      webhookUrl: 'https://hooks.example.test/dr',
      sourceEnvironment: { id: source.id, region: 'us-east-1' },
      targetEnvironment: { id: target.id, region: 'us-west-2' },
    });
    expect(created.resources).toHaveLength(3);
    const [summary] = await core.call('dr:policies.list', {});
    expect(summary!.nextReplicationAt).not.toBeNull();
    const next = Date.parse(summary!.nextReplicationAt!);
    expect(next).toBeGreaterThan(clock.now().getTime());
    expect(next - clock.now().getTime()).toBeLessThanOrEqual(60 * 60 * 1000);
    expect(new Date(next).getMinutes()).toBe(0);
    await core.close();
  });

  it('refuses a duplicate name regardless of case, changing nothing', async () => {
    const { core, input } = await setup();
    await core.call('dr:policies.create', input);
    await expectUnchanged(core, async () => {
      expect((await core.fail('dr:policies.create', { ...input, name: 'PAYMENTS' })).code).toBe('Conflict');
    });
    await core.close();
  });

  it('refuses the same environment as source and target, and environments of different clouds', async () => {
    const { core, input, source } = await setup();
    const gcp = await core.call('dr:accounts.create', { name: 'G', provider: 'sim', cloud: 'gcp', credentials: { kind: 'none' } });
    const gcpEnv = await core.call('dr:environments.create', { accountId: gcp.id, name: 'G1', region: 'us-east4', scope: '' });
    await expectUnchanged(core, async () => {
      const same = await core.fail('dr:policies.create', { ...input, targetEnvironmentId: source.id });
      expect(same).toMatchObject({ code: 'ValidationFailed', details: [{ path: 'targetEnvironmentId' }] });
      const cross = await core.fail('dr:policies.create', { ...input, targetEnvironmentId: gcpEnv.id });
      expect(cross.details?.[0]?.message).toMatch(/same cloud/);
      const missing = await core.fail('dr:policies.create', { ...input, sourceEnvironmentId: 'env_missing' });
      expect(missing.details?.[0]?.path).toBe('sourceEnvironmentId');
    });
    await core.close();
  });

  it('refuses source and target on different providers', async () => {
    const { core, input } = await setup({ adapters: [createFakeProvider(), createFakeProvider({ kind: 'aws', simulated: false, clouds: ['aws'] })] });
    const real = await core.call('dr:accounts.create', {
      name: 'Real',
      provider: 'aws',
      cloud: 'aws',
      credentials: { kind: 'aws-profile', profile: 'default' },
    });
    const env = await core.call('dr:environments.create', { accountId: real.id, name: 'R', region: 'eu-west-1', scope: '' });
    const err = await core.fail('dr:policies.create', { ...input, targetEnvironmentId: env.id });
    expect(err.details?.[0]?.message).toMatch(/same provider/);
    await core.close();
  });

  it('validates the schedule with croner and the resources against the cloud and the provider', async () => {
    const { core, input } = await setup({ adapters: [createFakeProvider({ unsupported: ['aws.eks'] })] });
    await expectUnchanged(core, async () => {
      expect((await core.fail('dr:policies.create', { ...input, schedule: '61 * * * *' })).details?.[0]?.path).toBe('schedule');
      expect((await core.fail('dr:policies.create', { ...input, schedule: '0 0 30 2 *' })).details?.[0]?.message).toMatch(/never runs/);
      expect((await core.fail('dr:policies.create', { ...input, schedule: '* * * *' })).code).toBe('ValidationFailed');
      const wrongCloud = await core.fail('dr:policies.create', { ...input, resources: [{ type: 'azure.vm', nativeId: 'vm', name: 'vm' }] });
      expect(wrongCloud.details?.[0]).toMatchObject({ path: 'resources.0.type' });
      const unsupported = await core.fail('dr:policies.create', { ...input, resources: [{ type: 'aws.eks', nativeId: 'c', name: 'c' }] });
      expect(unsupported.details?.[0]?.message).toMatch(/not supported/);
      const twice = await core.fail('dr:policies.create', { ...input, resources: [input.resources[0]!, input.resources[0]!] });
      expect(twice.details?.[0]).toMatchObject({ path: 'resources.1', message: 'is listed twice' });
    });
    await core.close();
  });

  it('edits with the version it was read at; a stale version is a Conflict', async () => {
    const { core, input } = await setup();
    const created = await core.call('dr:policies.create', input);
    const edited = await core.call('dr:policies.update', {
      policyId: created.id,
      expectedUpdatedAt: created.updatedAt,
      policy: { ...input, name: 'Payments EU', schedule: null, resources: input.resources.slice(1) },
    });
    expect(edited).toMatchObject({ name: 'Payments EU', schedule: null, nextReplicationAt: null, resourceCount: 2 });
    expect(edited.updatedAt > created.updatedAt).toBe(true);
    await expectUnchanged(core, async () => {
      const stale = await core.fail('dr:policies.update', { policyId: created.id, expectedUpdatedAt: created.updatedAt, policy: input });
      expect(stale.code).toBe('Conflict');
    });
    await core.close();
  });

  it('retires dropped resources instead of deleting them, so recovery point items survive an edit', async () => {
    const { core, input } = await setup();
    const created = await core.call('dr:policies.create', input);
    const { jobId } = await core.call('dr:replication.run', { policyId: created.id });
    const job = await waitForJob(core, jobId);
    const before = await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! });
    expect(before.items).toHaveLength(3);
    const current = await core.call('dr:policies.get', { policyId: created.id });
    const edited = await core.call('dr:policies.update', {
      policyId: created.id,
      expectedUpdatedAt: current.updatedAt,
      policy: { ...input, resources: input.resources.slice(0, 1) },
    });
    expect(edited.resources).toHaveLength(1);
    expect((await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! })).items).toHaveLength(3);
    // Adding it back revives the same protected resource row.
    const again = await core.call('dr:policies.update', { policyId: created.id, expectedUpdatedAt: edited.updatedAt, policy: input });
    expect(again.resources.map((r) => r.id).sort()).toEqual(before.items.map((i) => i.protectedResourceId).sort());
    await core.close();
  });

  it('refuses to move a policy with recovery points to other environments', async () => {
    const { core, input, account } = await setup();
    const created = await core.call('dr:policies.create', input);
    await waitForJob(core, (await core.call('dr:replication.run', { policyId: created.id })).jobId);
    const other = await core.call('dr:environments.create', { accountId: account.id, name: 'Other', region: 'eu-west-1', scope: '' });
    const current = await core.call('dr:policies.get', { policyId: created.id });
    const err = await core.fail('dr:policies.update', {
      policyId: created.id,
      expectedUpdatedAt: current.updatedAt,
      policy: { ...input, targetEnvironmentId: other.id },
    });
    expect(err.code).toBe('ValidationFailed');
    await core.close();
  });

  it('edits and deletes only while active', async () => {
    const { core, input } = await setup();
    const created = await core.call('dr:policies.create', input);
    core.db.prepare(`UPDATE policies SET state = 'failed_over' WHERE id = ?`).run(created.id);
    await expectUnchanged(core, async () => {
      const del = await core.fail('dr:policies.delete', { policyId: created.id });
      expect(del).toMatchObject({ code: 'PreconditionFailed' });
      expect(del.message).toMatch(/failed over/);
      const upd = await core.fail('dr:policies.update', { policyId: created.id, expectedUpdatedAt: created.updatedAt, policy: input });
      expect(upd.code).toBe('PreconditionFailed');
    });
    core.db.prepare(`UPDATE policies SET state = 'active' WHERE id = ?`).run(created.id);
    await core.call('dr:policies.delete', { policyId: created.id });
    expect(await core.call('dr:policies.list', {})).toEqual([]);
    const audit = (await core.call('dr:audit.list', { subjectId: created.id })).items.map((e) => e.action);
    expect(audit).toEqual(['policy.delete', 'policy.create']);
    await core.close();
  });

  it('refuses to delete a policy that still has live test failover resources', async () => {
    const { core, input } = await setup();
    const created = await core.call('dr:policies.create', input);
    const at = '2030-01-01T00:00:00.000Z';
    core.db.prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at) VALUES ('jt', ?, 'test_failover', 'succeeded', 'manual', ?)`).run(created.id, at);
    core.db
      .prepare(`INSERT INTO test_resources (id, policy_id, job_id, kind, native_id, name, region, created_at) VALUES ('t1', ?, 'jt', 'Bucket', 'n', 'n', 'r', ?)`)
      .run(created.id, at);
    expect((await core.fail('dr:policies.delete', { policyId: created.id })).message).toMatch(/Reset/);
    await core.close();
  });

  it('filters the list by state', async () => {
    const { core, input } = await setup();
    const a = await core.call('dr:policies.create', input);
    await core.call('dr:policies.create', { ...input, name: 'Other' });
    core.db.prepare(`UPDATE policies SET state = 'failed_over' WHERE id = ?`).run(a.id);
    expect((await core.call('dr:policies.list', { state: 'active' })).map((p) => p.name)).toEqual(['Other']);
    const failed = await core.call('dr:policies.list', { state: 'failed_over' });
    expect(failed.map((p) => [p.name, p.nextReplicationAt])).toEqual([['Payments', null]]);
    await core.close();
  });
});
