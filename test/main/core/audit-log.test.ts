import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCore, seedAwsPair, waitForJob, type TestCore } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();
let core: TestCore | null = null;
afterEach(async () => {
  await core?.close();
  core = null;
});

async function policyWithJob() {
  core = createTestCore(tempDir(), { attribution: { osUser: () => 'dana', host: () => 'dr-laptop-07' } });
  const { source, target, inventory } = await seedAwsPair(core);
  const policy = await core.call('dr:policies.create', {
    name: 'Payments',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: inventory.slice(0, 2),
    schedule: null,
    webhookUrl: null,
  });
  const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
  return { core, policy, job };
}

describe('the audit log', () => {
  it('attributes operator actions to the OS user, the machine and the operator name set in settings', async () => {
    core = createTestCore(tempDir(), { attribution: { osUser: () => 'dana', host: () => 'dr-laptop-07' } });
    expect(await core.call('dr:operator.get', {})).toEqual({ operatorName: null, osUser: 'dana', host: 'dr-laptop-07' });
    await core.call('dr:accounts.create', { name: 'Before', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    expect(await core.call('dr:operator.set', { operatorName: '  Dana Reyes ' })).toMatchObject({ operatorName: 'Dana Reyes' });
    await core.call('dr:accounts.create', { name: 'After', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
    const { items } = await core.call('dr:audit.list', { kind: 'account', offset: 0, limit: 10 });
    expect(items.map((e) => [e.detail.split(' ')[0], e.actorLabel, e.osUser, e.operatorName, e.host])).toEqual([
      ['After', 'Dana Reyes (dana)', 'dana', 'Dana Reyes', 'dr-laptop-07'],
      ['Before', 'dana', 'dana', null, 'dr-laptop-07'],
    ]);
    const change = (await core.call('dr:audit.list', { kind: 'settings', offset: 0, limit: 1 })).items[0];
    expect(change).toMatchObject({ action: 'settings.operatorName', detail: '(none) -> Dana Reyes' });
  });

  it('refuses an operator name with control characters or over 80 characters, and keeps the old one', async () => {
    core = createTestCore(tempDir());
    await core.call('dr:operator.set', { operatorName: 'Dana' });
    expect((await core.fail('dr:operator.set', { operatorName: 'x'.repeat(81) })).code).toBe('ValidationFailed');
    expect((await core.fail('dr:operator.set', { operatorName: 'a\u0007b' })).code).toBe('ValidationFailed');
    expect((await core.call('dr:operator.get', {})).operatorName).toBe('Dana');
  });

  it('appends every job transition, linked to its policy and job, in order', async () => {
    const { core, policy, job } = await policyWithJob();
    const { items } = await core.call('dr:audit.list', { policyId: policy.id, offset: 0, limit: 50 });
    const forJob = items.filter((e) => e.jobId === job.id).reverse();
    expect(forJob.map((e) => e.action)).toEqual(['job.running', 'replication.start', 'replication.finish', 'job.succeeded']);
    expect(forJob.find((e) => e.action === 'job.succeeded')?.detail).toBe(`job ${job.id} (replication): running -> succeeded`);
    expect(forJob.every((e) => e.policyId === policy.id && e.policyName === 'Payments')).toBe(true);
  });

  it('names what entries refer to: policy, job (kind and time) and recovery point (time)', async () => {
    const { core, policy, job } = await policyWithJob();
    const start = (await core.call('dr:audit.list', { kind: 'replication', offset: 0, limit: 10 })).items.find((e) => e.action === 'replication.start')!;
    expect(start.refs).toEqual(
      expect.arrayContaining([
        { id: policy.id, type: 'policy', name: 'Payments', at: null, jobKind: null },
        { id: job.id, type: 'job', name: null, at: job.createdAt, jobKind: 'replication' },
      ]),
    );
  });

  it('filters by policy, actor and kind, and offers the values that occur', async () => {
    const { core, policy } = await policyWithJob();
    const facets = await core.call('dr:audit.facets', {});
    expect(facets.policies).toEqual([{ id: policy.id, name: 'Payments' }]);
    expect(facets.actors).toEqual(expect.arrayContaining(['dana', 'Console']));
    expect(facets.kinds).toEqual(expect.arrayContaining(['account', 'environment', 'policy', 'replication', 'job']));
    const byConsole = await core.call('dr:audit.list', { actor: 'Console', offset: 0, limit: 100 });
    expect(byConsole.total).toBeGreaterThan(0);
    expect(byConsole.items.every((e) => e.actorLabel === 'Console')).toBe(true);
    const jobs = await core.call('dr:audit.list', { kind: 'job', policyId: policy.id, offset: 0, limit: 100 });
    expect(jobs.items.every((e) => e.action.startsWith('job.'))).toBe(true);
    expect(jobs.total).toBe(2);
    expect((await core.call('dr:audit.list', { kind: 'jo', offset: 0, limit: 100 })).total).toBe(0);
  });

  it('Verify names the first broken entry after the file was changed outside the console', async () => {
    const { core } = await policyWithJob();
    expect(await core.call('dr:audit.verify', {})).toMatchObject({ ok: true, message: expect.stringMatching(/entries verify; the chain is intact/) });
    const target = (await core.call('dr:audit.list', { offset: 3, limit: 1 })).items[0]!;
    const db = new Database(core.file);
    db.prepare(`UPDATE audit_log SET detail = detail || ' (edited)' WHERE id = ?`).run(target.id);
    db.close();
    const v = await core.call('dr:audit.verify', {});
    expect(v).toMatchObject({ ok: false, brokenId: target.id, message: `The audit chain is broken at entry ${target.id}. Entry ${target.id} was changed after it was written: its content no longer matches its hash.` });
  });
});
