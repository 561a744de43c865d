import { scopeFromText } from '../../../shared/scope';
import { describe, expect, it } from 'vitest';
import type { Core } from '../../../main/compose';
import { createSimProvider } from '../../../main/providers/sim';
import { REBUILD_CANNOT_RECOVER } from '../../../main/core/rebuild-service';
import { useTempDirs } from '../../helpers/temp-dir';
import { call, failover, open, protect, replicate, REGIONS, waitJob } from './failover/failover-bed';

const tempDir = useTempDirs();

/**
 * A second laptop on the same simulated cloud: its sim provider reads the first console's file (the
 * sim's cloud lives there). The operator adds the account again; the sim keys its cloud by the
 * account's id, so the account row is re-created with that id, as the operator's configuration.
 */
function laptopOn(cloudOwner: Core, accounts: { id: string; name: string; cloud: 'aws' | 'azure' | 'gcp' }[]): Core {
  const core = open(tempDir(), { providers: ({ clock }) => [createSimProvider({ db: cloudOwner.db, clock })] });
  for (const a of accounts) {
    core.services.repos.accounts.insert({ id: a.id, name: a.name, provider: 'sim', cloud: a.cloud, credentialKind: 'none', secret: Buffer.alloc(0), createdAt: new Date().toISOString() });
    const r = REGIONS[a.cloud];
    core.services.repos.environments.insert({ id: `env-dr-${a.cloud}`, accountId: a.id, name: 'DR', region: r.target, scope: scopeFromText(a.cloud, r.target, r.scope), createdAt: new Date().toISOString() });
  }
  return core;
}

async function points(core: Core, policyId: string) {
  const page = await call(core, 'dr:recoveryPoints.list', { policyId, offset: 0, limit: 100 });
  return Promise.all(page.items.map(async (rp) => ({ id: rp.id, status: rp.status, createdAt: rp.createdAt, items: (await call(core, 'dr:recoveryPoints.get', { recoveryPointId: rp.id })).items.map((i) => ({ resource: i.resourceName, status: i.status, metadata: i.metadata, dataRefs: i.dataRefs })) })));
}

describe('rebuild from the clouds (sim)', () => {
  it("gives a fresh database the same policies' recovery points, and marks failed-over and failing-over policies", async () => {
    const first = open(tempDir());
    const shop = await protect(first, 'aws', ['aws.ec2-instance', 'aws.rds'], { name: 'Shop' });
    await replicate(first, shop.policyId);
    const billing = await protect(first, 'azure', ['azure.vm'], { name: 'Billing' });
    const done = await failover(first, billing.policyId);
    expect(done.status).toBe('succeeded');
    await first.services.catalog.idle();
    await first.services.leases.idle();

    const laptop = laptopOn(first, [
      { id: shop.accountId, name: 'Sim aws Shop', cloud: 'aws' },
      { id: billing.accountId, name: 'Sim azure Billing', cloud: 'azure' },
    ]);
    const report = await call(laptop, 'dr:rebuild.run', {});
    expect(report.environmentsUnreachable).toEqual([]);
    expect(report.cannotRecover).toEqual(REBUILD_CANNOT_RECOVER);
    const byName = Object.fromEntries(report.policies.map((p) => [p.policyName, p]));
    expect(byName.Shop).toMatchObject({ outcome: 'created', state: 'active', recoveryPointsAdded: 2 });
    expect(byName.Billing).toMatchObject({ outcome: 'created', state: 'failed_over' });
    expect(byName.Billing!.note).toMatch(/Failed over by console/);

    expect(await points(laptop, shop.policyId)).toEqual(await points(first, shop.policyId));
    expect(await points(laptop, billing.policyId)).toEqual(await points(first, billing.policyId));
    const policies = await call(laptop, 'dr:policies.list', {});
    expect(policies.map((p) => [p.name, p.state]).sort()).toEqual([['Billing', 'failed_over'], ['Shop', 'active']]);

    // The rebuilt laptop can fail over from a rebuilt point (the manifest carries what to apply).
    const plan = await call(laptop, 'dr:failover.prepare', { policyId: shop.policyId });
    expect(plan.resources.map((r) => r.name).sort()).toEqual([...shop.names].sort());

    // A second rebuild adds nothing.
    const again = await call(laptop, 'dr:rebuild.run', {});
    expect(again.policies.map((p) => p.outcome)).toEqual(['unchanged', 'unchanged']);
    await first.close();
    await laptop.close();
  });

  it('shows a policy whose failover started elsewhere as failing over, never active, and refuses to start it again', async () => {
    const first = open(tempDir());
    const p = await protect(first, 'gcp', ['gcp.vm-instance'], { name: 'Orders' });
    await first.services.catalog.idle();
    // The first console has taken the lease for its failover (the job runs there, not here).
    const lease = await first.services.leases.acquire(first.services.repos.policies.get(p.policyId)!, 'job_elsewhere0000000000001');
    expect(lease.kind).toBe('held');

    const laptop = laptopOn(first, [{ id: p.accountId, name: 'Sim gcp Orders', cloud: 'gcp' }]);
    const report = await call(laptop, 'dr:rebuild.run', {});
    expect(report.policies[0]).toMatchObject({ policyName: 'Orders', state: 'failing_over' });
    expect(report.policies[0]!.note).toMatch(/holds the failover lease since/);
    const prepared = await laptop.router.dispatch('dr:failover.prepare', { policyId: p.policyId });
    expect(prepared.ok).toBe(false);
    if (!prepared.ok) expect(prepared.error.message).toMatch(/has already started/);
    await first.close();
    await laptop.close();
  });

  it('marks a policy failing over when failover resources exist in the target without a lease', async () => {
    const first = open(tempDir());
    const p = await protect(first, 'aws', ['aws.ec2-instance'], { name: 'Legacy' });
    await failover(first, p.policyId);
    await first.services.catalog.idle();
    await first.services.leases.idle();
    // As if that failover had run without a lease (an override, or an older console).
    first.db.prepare('DELETE FROM sim_objects WHERE key LIKE ?').run('failover-console/leases/%');
    const laptop = laptopOn(first, [{ id: p.accountId, name: 'Sim aws Legacy', cloud: 'aws' }]);
    const report = await call(laptop, 'dr:rebuild.run', {});
    expect(report.policies[0]).toMatchObject({ policyName: 'Legacy', state: 'failing_over' });
    expect(report.policies[0]!.note).toMatch(/Failover resources of this policy exist in the target but no failover lease/);
    await first.close();
    await laptop.close();
  });

  it('reports an unreachable target and changes nothing for it', async () => {
    const first = open(tempDir());
    const p = await protect(first, 'aws', ['aws.s3-bucket'], { name: 'Web' });
    await first.services.catalog.idle();
    const network = { online: false };
    const laptop = open(tempDir(), { providers: ({ clock }) => [createSimProvider({ db: first.db, clock, network })] });
    laptop.services.repos.accounts.insert({ id: p.accountId, name: 'Sim aws', provider: 'sim', cloud: 'aws', credentialKind: 'none', secret: Buffer.alloc(0), createdAt: new Date().toISOString() });
    laptop.services.repos.environments.insert({ id: 'env-dr', accountId: p.accountId, name: 'DR', region: 'us-west-2', scope: scopeFromText('aws', 'us-west-2', REGIONS.aws.scope), createdAt: new Date().toISOString() });
    const report = await call(laptop, 'dr:rebuild.run', {});
    expect(report.environmentsUnreachable).toHaveLength(1);
    expect(report.environmentsUnreachable[0]!.error).toMatch(/offline/);
    expect(await call(laptop, 'dr:policies.list', {})).toEqual([]);
    await first.close();
    await laptop.close();
  });
  it('tags everything the sim makes in a target with the policy, its job, the recovery point and the role', async () => {
    const core = open(tempDir());
    const p = await protect(core, 'aws', ['aws.ec2-instance', 'aws.rds'], { name: 'Tagged' });
    const test = await waitJob(core, (await call(core, 'dr:testFailover.run', { policyId: p.policyId })).jobId);
    expect(test.status).toBe('succeeded');
    expect((await failover(core, p.policyId)).status).toBe('succeeded');
    const jobs = new Set(core.services.jobs.list({ policyId: p.policyId, offset: 0, limit: 50 }).items.map((j) => j.id));
    const points = new Set((await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 50 })).items.map((rp) => rp.id));
    const rows = core.db.prepare(`SELECT kind, name, origin, tags FROM sim_resources WHERE account_id = ? AND origin <> 'inventory'`).all(p.accountId) as { kind: string; name: string; origin: string; tags: string }[];
    expect(rows.length).toBeGreaterThan(3);
    const roles = new Set<string>();
    for (const r of rows) {
      const tags = JSON.parse(r.tags) as Record<string, string>;
      const what = `${r.kind} ${r.name} (${r.origin})`;
      expect(tags['dr:policy'], what).toBe(p.policyId);
      expect(jobs.has(tags['dr:job'] ?? ''), `${what}: dr:job ${tags['dr:job']}`).toBe(true);
      expect(points.has(tags['dr:recovery-point'] ?? ''), `${what}: dr:recovery-point ${tags['dr:recovery-point']}`).toBe(true);
      roles.add(tags['dr:role'] ?? '');
      if (r.origin === 'test') expect(tags, what).toMatchObject({ 'dr:role': 'test', 'dr:test': 'true' });
    }
    expect([...roles].sort()).toEqual(['failover', 'replication', 'test']);
    await core.close();
  });

  it('names, from the tags, recovery points whose manifest never reached the target and test copies left there', async () => {
    const first = open(tempDir());
    const p = await protect(first, 'aws', ['aws.ec2-instance'], { name: 'Web' });
    await replicate(first, p.policyId);
    await first.services.catalog.idle();
    const [older, newer] = (await call(first, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 10 })).items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect((await waitJob(first, (await call(first, 'dr:testFailover.run', { policyId: p.policyId })).jobId)).status).toBe('succeeded');
    const copies = (await call(first, 'dr:testResources.list', { policyId: p.policyId })).map((t) => t.name);
    expect(copies.length).toBeGreaterThan(0);
    // As if the target had been unreachable when the older point was taken: its manifest never got there.
    first.db.prepare('DELETE FROM sim_objects WHERE key = ?').run(`failover-console/catalog/${p.policyId}/${older!.id}.json`);

    const laptop = laptopOn(first, [{ id: p.accountId, name: 'Sim aws Web', cloud: 'aws' }]);
    const report = await call(laptop, 'dr:rebuild.run', {});
    expect(report.policies).toHaveLength(1);
    const web = report.policies[0]!;
    expect(web).toMatchObject({ policyName: 'Web', outcome: 'created', state: 'active', recoveryPointsAdded: 1 });
    expect((await call(laptop, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 10 })).items.map((rp) => rp.id)).toEqual([newer!.id]);
    expect(web.note).toContain(`1 recovery point(s) have replication data in the target (tagged dr:recovery-point: ${older!.id}) but no catalog manifest there`);
    expect(web.note).toMatch(new RegExp(`${copies.length} test failover resource\\(s\\) of this policy are still in the target`));
    for (const name of [...copies].sort().slice(0, 5)) expect(web.note).toContain(name);
    await first.close();
    await laptop.close();
  });
});
