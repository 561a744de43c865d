import { describe, expect, it } from 'vitest';
import { createSimProvider, type SimFaults } from '../../../../main/providers/sim';
import { dbChecksum } from '../../../helpers/db-checksum';
import type { Db } from '../../../../main/db/connection';

/** Every table but the connectivity indicator (a refused call still proves the cloud answered). */
function stateSum(db: Db): string {
  const saved = db.prepare('SELECT * FROM account_connectivity').all();
  db.prepare('DELETE FROM account_connectivity').run();
  try {
    return dbChecksum(db);
  } finally {
    const ins = db.prepare('INSERT INTO account_connectivity (account_id, status, last_ok_at, last_failure_at, last_error, changed_at) VALUES (@account_id, @status, @last_ok_at, @last_failure_at, @last_error, @changed_at)');
    for (const r of saved) ins.run(r);
  }
}
import { useTempDirs } from '../../../helpers/temp-dir';
import { call, fail, open, protect, waitJob } from './failover-bed';

const tempDir = useTempDirs();

function leaseRow(core: ReturnType<typeof open>, policyId: string) {
  return core.db.prepare('SELECT key, body FROM sim_objects WHERE key = ?').get(`failover-console/leases/${policyId}.json`) as { key: string; body: string } | undefined;
}

describe('the failover lease (sim)', () => {
  it('is taken in the target before the job starts, records the job, and is released only by its completion', async () => {
    const faults: SimFaults = { failNames: [], operations: ['failover'] };
    const core = open(tempDir(), { faults });
    const p = await protect(core, 'aws', ['aws.ec2-instance']);
    (faults.failNames as string[]).push(...p.names);
    const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    const { jobId } = await call(core, 'dr:failover.start', { token: plan.token });
    const held = JSON.parse(leaseRow(core, p.policyId)!.body) as { jobId: string; state: string; holder: { consoleId: string } };
    expect(held).toMatchObject({ jobId, state: 'held' });
    expect(held.holder.consoleId).toBe(core.services.leases.holder.consoleId);
    // The job stops part-way: the lease stays held (R9: the same job is retried until it completes).
    expect((await waitJob(core, jobId)).status).not.toBe('succeeded');
    await core.services.leases.idle();
    expect(JSON.parse(leaseRow(core, p.policyId)!.body)).toMatchObject({ state: 'held' });
    expect(await call(core, 'dr:failover.lease', { policyId: p.policyId })).toMatchObject({ jobId, state: 'held', releasedAt: null });
    (faults.failNames as string[]).length = 0;
    await call(core, 'dr:jobs.retryFailed', { jobId });
    expect((await waitJob(core, jobId)).status).toBe('succeeded');
    await core.services.leases.idle();
    expect(JSON.parse(leaseRow(core, p.policyId)!.body)).toMatchObject({ jobId, state: 'completed' });
    expect(await call(core, 'dr:failover.lease', { policyId: p.policyId })).toMatchObject({ state: 'completed' });
    const actions = (await call(core, 'dr:audit.list', { subjectId: p.policyId, offset: 0, limit: 50 })).items.map((e) => e.action);
    expect(actions).toContain('failover.lease');
    expect(actions).toContain('failover.lease-release');
    await core.close();
  });

  it('gives a second console on the same cloud a sentence naming who holds the lease and since when', async () => {
    const first = open(tempDir(), { leaseHolder: { host: 'laptop-a', user: 'alice' } });
    const p = await protect(first, 'azure', ['azure.sql-database']);
    const bundle = await call(first, 'dr:handover.export', { passphrase: 'a long shared passphrase', includeCredentials: false });
    const second = open(tempDir(), { leaseHolder: { host: 'laptop-b', user: 'bob' }, providers: ({ clock }) => [createSimProvider({ db: first.db, clock })] });
    await call(second, 'dr:handover.import', { bundleBase64: bundle.bundleBase64, passphrase: 'a long shared passphrase' });
    const planB = await call(second, 'dr:failover.prepare', { policyId: p.policyId });
    const planA = await call(first, 'dr:failover.prepare', { policyId: p.policyId });
    const { jobId } = await call(first, 'dr:failover.start', { token: planA.token });
    const sum = stateSum(second.db);
    const refused = await fail(second, 'dr:failover.start', { token: planB.token });
    expect(refused.code).toBe('Conflict');
    expect(refused.message).toMatch(new RegExp(`already (running from console laptop-a \\(alice\\) since \\d{4}-.*\\(job ${jobId}\\)|failed over by console laptop-a \\(alice\\))`));
    expect(stateSum(second.db)).toBe(sum);
    await waitJob(first, jobId);
    await first.close();
    await second.close();
  });

  it('refuses to start when the target cannot be reached, unless the operator overrides, and audits the override', async () => {
    const network = { online: true };
    const core = open(tempDir(), { providers: ({ db, clock }) => [createSimProvider({ db, clock, network })] });
    const p = await protect(core, 'gcp', ['gcp.cloud-storage']);
    const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    network.online = false;
    const sum = stateSum(core.db);
    const offline = await fail(core, 'dr:failover.start', { token: plan.token });
    expect(offline.code).toBe('ProviderOffline');
    expect(offline.message).toMatch(/^Offline: the failover lease could not be taken in DR \(europe-west1\).*failover did not start and nothing was changed/);
    // The refusal is marked as one the override can lift (the dialog offers "Start without the lease").
    expect(offline.details).toContainEqual(expect.objectContaining({ path: 'leaseOverride' }));
    expect(stateSum(core.db)).toBe(sum);

    const short = await fail(core, 'dr:failover.start', { token: (await call(core, 'dr:failover.prepare', { policyId: p.policyId })).token, leaseOverride: { reason: 'x' } });
    expect(short.code).toBe('ValidationFailed');

    const again = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    const { jobId } = await call(core, 'dr:failover.start', { token: again.token, leaseOverride: { reason: 'Region lost; laptop B is destroyed' } });
    const audit = (await call(core, 'dr:audit.list', { subjectId: p.policyId, offset: 0, limit: 50 })).items;
    expect(audit.find((e) => e.action === 'failover.lease-override')?.detail).toMatch(new RegExp(`job ${jobId}: started WITHOUT the failover lease .*reason: Region lost; laptop B is destroyed`));
    expect(await call(core, 'dr:failover.lease', { policyId: p.policyId })).toMatchObject({ jobId, state: 'overridden' });
    network.online = true;
    await waitJob(core, jobId, 30_000).catch(() => undefined);
    await core.close();
  });

  it('refuses a failover where the provider keeps no lease at all, unless the operator overrides, and audits the override', async () => {
    // The sim's handlers without its target store: an adapter that has no way to hold a lease.
    const core = open(tempDir(), {
      providers: ({ db, clock }) => {
        const { targetStore: _none, ...withoutStore } = createSimProvider({ db, clock });
        return [withoutStore];
      },
    });
    const p = await protect(core, 'azure', ['azure.vm']);
    const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    expect(plan.warnings).toContainEqual(expect.stringMatching(/keeps no failover lease.*starts only with the override, recorded in the audit log/));
    const sum = stateSum(core.db);
    const refused = await fail(core, 'dr:failover.start', { token: plan.token });
    expect(refused.code).toBe('PreconditionFailed');
    expect(refused.message).toMatch(
      /^No failover lease: Rehearsal \(simulated\) cannot keep a failover lease in DR \(westus2\), so nothing in the target stops another console from failing policy "Policy azure" over at the same time\. Failover did not start and nothing was changed/,
    );
    expect(refused.details).toContainEqual(expect.objectContaining({ path: 'leaseOverride' }));
    expect(stateSum(core.db)).toBe(sum);
    expect(await call(core, 'dr:failover.lease', { policyId: p.policyId })).toBeNull();

    const again = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    const { jobId } = await call(core, 'dr:failover.start', { token: again.token, leaseOverride: { reason: 'Only laptop in the room; the other is gone' } });
    expect((await waitJob(core, jobId)).status).toBe('succeeded');
    const audit = (await call(core, 'dr:audit.list', { subjectId: p.policyId, offset: 0, limit: 50 })).items;
    expect(audit.find((e) => e.action === 'failover.lease-override')?.detail).toBe(
      `job ${jobId}: started WITHOUT the failover lease (Rehearsal (simulated) keeps no failover lease in the target); reason: Only laptop in the room; the other is gone`,
    );
    expect(await call(core, 'dr:failover.lease', { policyId: p.policyId })).toMatchObject({ jobId, state: 'overridden' });
    await core.close();
  });

  it('leaves every failover started on sim with its lease in the target or an audited override, never neither', async () => {
    const network = { online: true };
    const core = open(tempDir(), { providers: ({ db, clock }) => [createSimProvider({ db, clock, network })] });
    const started: { policyId: string; jobId: string; override: boolean }[] = [];
    for (const [i, cloud] of (['aws', 'azure', 'gcp'] as const).entries()) {
      const p = await protect(core, cloud, [cloud === 'aws' ? 'aws.s3-bucket' : cloud === 'azure' ? 'azure.storage-account' : 'gcp.cloud-storage'], { name: `Every ${cloud}` });
      const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
      // The second one is started while the target cannot be reached.
      network.online = i !== 1;
      const r = await core.router.dispatch('dr:failover.start', { token: plan.token });
      if (!r.ok) {
        expect(r.error.code).toBe('ProviderOffline');
        const retry = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
        started.push({ policyId: p.policyId, jobId: (await call(core, 'dr:failover.start', { token: retry.token, leaseOverride: { reason: 'target region unreachable' } })).jobId, override: true });
      } else started.push({ policyId: p.policyId, jobId: (r.value as { jobId: string }).jobId, override: false });
      network.online = true;
      await waitJob(core, started[started.length - 1]!.jobId);
    }
    expect(started.map((s) => s.override)).toEqual([false, true, false]);
    await core.services.leases.idle();
    for (const s of started) {
      const actions = (await call(core, 'dr:audit.list', { subjectId: s.policyId, offset: 0, limit: 50 })).items.map((e) => e.action);
      expect(actions.filter((a) => a === 'failover.lease' || a === 'failover.lease-override')).toEqual([s.override ? 'failover.lease-override' : 'failover.lease']);
      expect(leaseRow(core, s.policyId) !== undefined).toBe(!s.override);
      expect(await call(core, 'dr:failover.lease', { policyId: s.policyId })).toMatchObject({ jobId: s.jobId, state: s.override ? 'overridden' : 'completed' });
    }
    await core.close();
  });

  it('lets this console take back a lease it took for a start that never committed', async () => {
    const core = open(tempDir());
    const p = await protect(core, 'aws', ['aws.s3-bucket']);
    // A crash between the lease and the commit leaves the lease held by a job that does not exist.
    const stale = await core.services.leases.acquire(core.services.repos.policies.get(p.policyId)!, 'job_neverCommitted000000001');
    core.services.leases.settle(stale);
    const plan = await call(core, 'dr:failover.prepare', { policyId: p.policyId });
    const { jobId } = await call(core, 'dr:failover.start', { token: plan.token });
    expect(JSON.parse(leaseRow(core, p.policyId)!.body)).toMatchObject({ jobId });
    await waitJob(core, jobId);
    await core.close();
  });
});
