// Two consoles on two database files against one moto target: console A protects 100 fresh policies,
// console B (a second laptop) rebuilds them from the manifests in moto's S3, then both race
// failover.start on each policy. The S3 lease (If-None-Match: *) lets exactly one job start; the
// other console gets the sentence naming who holds the lease and since when.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { AwsContext } from '../../../../main/providers/aws/clients';
import { createAwsTargetStore } from '../../../../main/providers/aws/target-store';
import type { ProviderAdapter, ResourceHandler } from '../../../../main/providers/types';
import { createFakeProvider } from '../../../helpers/fake-provider';
import { createTestCore, waitForJob, type TestCore } from '../../../helpers/test-core';
import { useTempDirs } from '../../../helpers/temp-dir';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const tempDir = useTempDirs();
const CREDS = { accessKeyId: 'AKIAMOTOLEASERACE001', secretAccessKey: 'moto-lease' };
const POLICIES = 100;

/** AWS kind with the REAL S3 target store on moto; handlers are the fake's (failover succeeds at once). */
function awsOnMoto(endpoint: string): { adapter: ProviderAdapter; aws: AwsContext } {
  const aws = new AwsContext({ endpoint, pollIntervalMs: 10 });
  const fake = createFakeProvider({ kind: 'aws', label: 'AWS', simulated: false, clouds: ['aws'], perType: 1 });
  const handler = (type: Parameters<ProviderAdapter['handler']>[0]): ResourceHandler | undefined => {
    const h = fake.handler(type);
    if (!h) return undefined;
    return { ...h, failover: async (item) => [{ sourceId: item.resource.nativeId, kind: 'Bucket', name: item.resource.name, targetId: `target/${item.resource.id}` }] };
  };
  return {
    aws,
    adapter: { ...fake, handler, targetStore: createAwsTargetStore(aws), observeCalls: (l) => aws.observe(l) },
  };
}

async function setUpConsole(core: TestCore) {
  const account = await core.call('dr:accounts.create', { name: 'AWS on moto', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...CREDS } });
  const source = await core.call('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'us-east-1', scope: '123456789012' });
  const target = await core.call('dr:environments.create', { accountId: account.id, name: 'DR', region: 'us-west-2', scope: '123456789012' });
  return { account, source, target };
}

describeMoto('the failover lease on moto S3', () => {
  let moto: MotoServer;
  const contexts: AwsContext[] = [];
  beforeAll(async () => {
    // Serialized: moto's own conditional PUT is not atomic across its threads (see moto-server.ts).
    moto = await startMoto({ serial: true });
  });
  afterAll(async () => {
    for (const c of contexts) c.destroy();
    await moto?.stop();
  });

  it('lets exactly one of two consoles start each of 100 fresh policies\' failover, and tells the other who holds it', async () => {
    const a = awsOnMoto(moto.url);
    const b = awsOnMoto(moto.url);
    contexts.push(a.aws, b.aws);
    const coreA = createTestCore(tempDir(), { adapters: [a.adapter], leaseHolder: { consoleId: 'console-a', host: 'laptop-a', user: 'alice' } });
    const coreB = createTestCore(tempDir(), { adapters: [b.adapter], leaseHolder: { consoleId: 'console-b', host: 'laptop-b', user: 'bob' } });
    try {
      const envA = await setUpConsole(coreA);
      const inventory = await coreA.call('dr:inventory.discover', { environmentId: envA.source.id });
      const bucket = inventory.find((r) => r.type === 'aws.s3-bucket')!;
      const policyIds: string[] = [];
      for (let i = 0; i < POLICIES; i++) {
        const policy = await coreA.call('dr:policies.create', {
          name: `Race ${String(i).padStart(3, '0')}`,
          sourceEnvironmentId: envA.source.id,
          targetEnvironmentId: envA.target.id,
          resources: [bucket],
          schedule: null,
          webhookUrl: null,
        });
        const job = await waitForJob(coreA, (await coreA.call('dr:replication.run', { policyId: policy.id })).jobId);
        expect(job.status).toBe('succeeded');
        policyIds.push(policy.id);
      }
      await coreA.services.catalog.idle();

      // Console B never saw these policies: it rebuilds them from the manifests in moto.
      const envB = await setUpConsole(coreB);
      const rebuilt = await coreB.call('dr:rebuild.run', { environmentIds: [envB.target.id] });
      expect(rebuilt.environmentsUnreachable).toEqual([]);
      expect(rebuilt.policies.filter((p) => p.outcome === 'created').map((p) => p.policyId).sort()).toEqual([...policyIds].sort());

      let winsA = 0;
      let winsB = 0;
      for (const policyId of policyIds) {
        const [planA, planB] = await Promise.all([
          coreA.call('dr:failover.prepare', { policyId }),
          coreB.call('dr:failover.prepare', { policyId }),
        ]);
        const [ra, rb] = await Promise.all([
          coreA.router.dispatch('dr:failover.start', { token: planA.token }),
          coreB.router.dispatch('dr:failover.start', { token: planB.token }),
        ]);
        expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
        const [winner, loser, loserResult, winnerName] = ra.ok ? [coreA, coreB, rb, 'laptop-a'] : [coreB, coreA, ra, 'laptop-b'];
        if (ra.ok) winsA++;
        else winsB++;
        if (loserResult.ok) throw new Error('both started');
        expect(loserResult.error.code).toBe('Conflict');
        expect(loserResult.error.message).toMatch(new RegExp(`already (running from|failed over by) console ${winnerName} \\((alice|bob)\\)`));
        expect(loserResult.error.message).toMatch(/since \d{4}-\d\d-\d\dT|finished \d{4}-/);
        // The loser changed nothing: its policy is still active, it has no failover job.
        expect(loser.services.repos.policies.get(policyId)!.state).toBe('active');
        expect(loser.services.jobs.list({ policyId, kind: 'failover', offset: 0, limit: 5 }).total).toBe(0);
        const job = winner.services.jobs.list({ policyId, kind: 'failover', offset: 0, limit: 5 }).items[0]!;
        expect((await waitForJob(winner, job.id)).status).toBe('succeeded');
      }
      await Promise.all([coreA.services.leases.idle(), coreB.services.leases.idle()]);
      expect(winsA + winsB).toBe(POLICIES);
      console.log(`lease race on moto: ${POLICIES} policies, console A won ${winsA}, console B won ${winsB}; every loser got the sentence`);

      // Released by completion, the lease stays as "completed": nobody can fail the policy over again.
      const first = policyIds[0]!;
      const loserCore = coreA.services.repos.policies.get(first)!.state === 'failed_over' ? coreB : coreA;
      const again = await loserCore.call('dr:failover.prepare', { policyId: first });
      const refused = await loserCore.router.dispatch('dr:failover.start', { token: again.token });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.message).toMatch(/was already failed over by console laptop-[ab] .*finished \d{4}-/);

      // A third laptop that lost everything rebuilds from moto: the same recovery points, every
      // policy failed over (from the completed leases), none available.
      const c = awsOnMoto(moto.url);
      contexts.push(c.aws);
      const coreC = createTestCore(tempDir(), { adapters: [c.adapter], leaseHolder: { consoleId: 'console-c', host: 'laptop-c', user: 'carol' } });
      try {
        const envC = await setUpConsole(coreC);
        const report = await coreC.call('dr:rebuild.run', { environmentIds: [envC.target.id] });
        expect(report.policies).toHaveLength(POLICIES);
        expect(new Set(report.policies.map((p) => p.state))).toEqual(new Set(['failed_over']));
        const pointsOf = async (core: TestCore, policyId: string) =>
          (await core.call('dr:recoveryPoints.list', { policyId, offset: 0, limit: 10 })).items.map((rp) => ({ id: rp.id, status: rp.status, createdAt: rp.createdAt, itemCount: rp.itemCount }));
        for (const policyId of policyIds.slice(0, 10)) expect(await pointsOf(coreC, policyId)).toEqual(await pointsOf(coreA, policyId));
      } finally {
        await coreC.close();
      }
    } finally {
      await coreA.close();
      await coreB.close();
    }
  }, 600_000);
});
