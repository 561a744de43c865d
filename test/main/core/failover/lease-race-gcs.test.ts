// Two consoles on two database files against one Google Cloud target (fake-gcs-server for the console
// bucket; the GCP peer for the labels a rebuild reads): console A protects fresh policies, console B
// (a second laptop) rebuilds them from the manifests in the target's bucket, then both race
// failover.start on each policy. The lease object's create-only write (ifGenerationMatch=0) lets
// exactly one job start; the other console gets the sentence naming who holds the lease and since when.

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GcpContext } from '../../../../main/providers/gcp/clients';
import { consoleBucketName, createGcpTargetStore } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS, parseLease } from '../../../../main/providers/target-store';
import type { ProviderAdapter, ResourceHandler } from '../../../../main/providers/types';
import { gcpAccount } from '../../../conformance/gcp-peer';
import { createFakeProvider } from '../../../helpers/fake-provider';
import { createTestCore, waitForJob, type TestCore } from '../../../helpers/test-core';
import { useTempDirs } from '../../../helpers/temp-dir';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';

const tempDir = useTempDirs();
const POLICIES = 12;
const TARGET_REGION = 'europe-west1';

/** Google kind with the REAL Cloud Storage target store on the peers; handlers are the fake's (failover succeeds at once). */
function gcpOnPeers(peer: GcpPeer, gcs: FakeGcs): { adapter: ProviderAdapter; gcp: GcpContext } {
  const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
  const gcp = new GcpContext({ endpoints: { compute: gapic, container: gapic, sqladmin: `${peer.url}/`, storage: gcs.url }, authClientFor: () => fakeAuth() });
  const fake = createFakeProvider({ kind: 'gcp', label: 'Google Cloud', simulated: false, clouds: ['gcp'], perType: 1 });
  const handler = (type: Parameters<ProviderAdapter['handler']>[0]): ResourceHandler | undefined => {
    const h = fake.handler(type);
    if (!h) return undefined;
    return { ...h, failover: async (item) => [{ sourceId: item.resource.nativeId, kind: 'Bucket', name: item.resource.name, targetId: `target/${item.resource.id}` }] };
  };
  return { gcp, adapter: { ...fake, handler, targetStore: createGcpTargetStore(gcp), observeCalls: (l) => gcp.observe(l) } };
}

async function setUpConsole(core: TestCore, project: string) {
  const account = await core.call('dr:accounts.create', { name: 'Google Cloud on the peers', provider: 'gcp', cloud: 'gcp', credentials: gcpAccount(project).credentials });
  const source = await core.call('dr:environments.create', { accountId: account.id, name: 'Iowa', region: 'us-central1', scope: project });
  const target = await core.call('dr:environments.create', { accountId: account.id, name: 'Belgium', region: TARGET_REGION, scope: project });
  return { account, source, target };
}

describeGcpPeer('the failover lease on Cloud Storage (GCP peer)', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer;
    let gcs: FakeGcs;
    const contexts: GcpContext[] = [];
    beforeAll(async () => {
      peer = await startGcpPeer();
      gcs = await startFakeGcs();
    }, 120_000);
    afterAll(async () => {
      for (const c of contexts) await c.destroy();
      await gcs?.stop();
      await peer?.close();
    });

    it('lets exactly one of two consoles start each fresh policy\'s failover, and tells the other who holds it', async () => {
      const P = peer.project;
      const a = gcpOnPeers(peer, gcs);
      const b = gcpOnPeers(peer, gcs);
      contexts.push(a.gcp, b.gcp);
      const coreA = createTestCore(tempDir(), { adapters: [a.adapter], leaseHolder: { consoleId: 'console-a', host: 'laptop-a', user: 'alice' } });
      const coreB = createTestCore(tempDir(), { adapters: [b.adapter], leaseHolder: { consoleId: 'console-b', host: 'laptop-b', user: 'bob' } });
      try {
        const envA = await setUpConsole(coreA, P);
        const inventory = await coreA.call('dr:inventory.discover', { environmentId: envA.source.id });
        const resource = inventory.find((r) => r.type === 'gcp.cloud-storage')!;
        const policyIds: string[] = [];
        for (let i = 0; i < POLICIES; i++) {
          const policy = await coreA.call('dr:policies.create', {
            name: `Race ${String(i).padStart(2, '0')}`,
            sourceEnvironmentId: envA.source.id,
            targetEnvironmentId: envA.target.id,
            resources: [resource],
            schedule: null,
            webhookUrl: null,
          });
          const job = await waitForJob(coreA, (await coreA.call('dr:replication.run', { policyId: policy.id })).jobId);
          expect(job.status).toBe('succeeded');
          policyIds.push(policy.id);
        }
        await coreA.services.catalog.idle();

        // Console B never saw these policies: it rebuilds them from the manifests in the target's bucket.
        const envB = await setUpConsole(coreB, P);
        const rebuilt = await coreB.call('dr:rebuild.run', { environmentIds: [envB.target.id] });
        expect(rebuilt.environmentsUnreachable).toEqual([]);
        expect(rebuilt.policies.filter((p) => p.outcome === 'created').map((p) => p.policyId).sort()).toEqual([...policyIds].sort());

        const bucket = new Storage({ apiEndpoint: gcs.url, projectId: P }).bucket(consoleBucketName(P, TARGET_REGION));
        for (const policyId of policyIds) {
          const [planA, planB] = await Promise.all([coreA.call('dr:failover.prepare', { policyId }), coreB.call('dr:failover.prepare', { policyId })]);
          const [ra, rb] = await Promise.all([coreA.router.dispatch('dr:failover.start', { token: planA.token }), coreB.router.dispatch('dr:failover.start', { token: planB.token })]);
          expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
          const [winner, loser, loserResult, winnerName] = ra.ok ? [coreA, coreB, rb, 'laptop-a'] : [coreB, coreA, ra, 'laptop-b'];
          if (loserResult.ok) throw new Error('both started');
          expect(loserResult.error.code).toBe('Conflict');
          expect(loserResult.error.message).toMatch(new RegExp(`already (running from|failed over by) console ${winnerName} \\((alice|bob)\\)`));
          expect(loserResult.error.message).toMatch(/since \d{4}-\d\d-\d\dT|finished \d{4}-/);
          // The loser changed nothing: its policy is still active, it has no failover job.
          expect(loser.services.repos.policies.get(policyId)!.state).toBe('active');
          expect(loser.services.jobs.list({ policyId, kind: 'failover', offset: 0, limit: 5 }).total).toBe(0);
          const job = winner.services.jobs.list({ policyId, kind: 'failover', offset: 0, limit: 5 }).items[0]!;
          expect((await waitForJob(winner, job.id)).status).toBe('succeeded');
          await winner.services.leases.idle();
          // The lease object names the winner's job and is the completed tombstone.
          const object = bucket.file(STORE_KEYS.lease(policyId));
          expect(parseLease((await object.download())[0].toString('utf8'))).toMatchObject({ jobId: job.id, state: 'completed', holder: { host: winnerName } });
          expect((await object.getMetadata())[0].metadata).toMatchObject({ job: job.id, state: 'completed' });
        }

        // Released by completion, the lease stays "completed": nobody can fail the policy over again.
        const first = policyIds[0]!;
        const loserCore = coreA.services.repos.policies.get(first)!.state === 'failed_over' ? coreB : coreA;
        const again = await loserCore.call('dr:failover.prepare', { policyId: first });
        const refused = await loserCore.router.dispatch('dr:failover.start', { token: again.token });
        expect(refused.ok).toBe(false);
        if (!refused.ok) expect(refused.error.message).toMatch(/was already failed over by console laptop-[ab] .*finished \d{4}-/);
        expect(peer.violations).toEqual([]);
      } finally {
        await coreA.close();
        await coreB.close();
      }
    }, 600_000);
  });
});
