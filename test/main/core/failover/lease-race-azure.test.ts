// Two consoles on two database files against one Azure target (the ARM peer, Azurite as the console
// storage account's blob data plane): console A protects fresh policies, console B (a second laptop)
// rebuilds them from the manifests in the target's blobs, then both race failover.start on each
// policy. The lease blob's create-only write (If-None-Match: *) lets exactly one job start; the other
// console gets the sentence naming who holds the lease and since when.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { AzureContext } from '../../../../main/providers/azure/clients';
import { consoleStorageAccountName, CONSOLE_CONTAINER, createAzureTargetStore } from '../../../../main/providers/azure/target-store';
import { STORE_KEYS, parseLease } from '../../../../main/providers/target-store';
import type { ProviderAdapter, ResourceHandler } from '../../../../main/providers/types';
import { createFakeProvider } from '../../../helpers/fake-provider';
import { createTestCore, waitForJob, type TestCore } from '../../../helpers/test-core';
import { useTempDirs } from '../../../helpers/temp-dir';
import { peerClients, peerProviderOptions } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';

const tempDir = useTempDirs();
const POLICIES = 12;
const SUBSCRIPTION = '6a1b2c3d-0000-4000-8000-00000000a1ce';
const TARGET_RG = 'dr-race';
const TARGET_LOCATION = 'northeurope';

/** Azure kind with the REAL blob target store on the peers; handlers are the fake's (failover succeeds at once). */
function azureOnPeers(arm: ArmPeer): { adapter: ProviderAdapter; az: AzureContext } {
  const az = new AzureContext(peerProviderOptions(arm));
  const fake = createFakeProvider({ kind: 'azure', label: 'Azure', simulated: false, clouds: ['azure'], perType: 1 });
  const handler = (type: Parameters<ProviderAdapter['handler']>[0]): ResourceHandler | undefined => {
    const h = fake.handler(type);
    if (!h) return undefined;
    return { ...h, failover: async (item) => [{ sourceId: item.resource.nativeId, kind: 'StorageAccount', name: item.resource.name, targetId: `target/${item.resource.id}` }] };
  };
  return { az, adapter: { ...fake, handler, targetStore: createAzureTargetStore(az), observeCalls: (l) => az.observe(l) } };
}

async function setUpConsole(core: TestCore) {
  const account = await core.call('dr:accounts.create', {
    name: 'Azure on the peers',
    provider: 'azure',
    cloud: 'azure',
    credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: 'race-secret-0000000000' },
  });
  const source = await core.call('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'westeurope', scope: `${SUBSCRIPTION}/prod-race` });
  const target = await core.call('dr:environments.create', { accountId: account.id, name: 'DR', region: TARGET_LOCATION, scope: `${SUBSCRIPTION}/${TARGET_RG}` });
  return { account, source, target };
}

describeAzurite('the failover lease on Azure blobs (ARM peer + Azurite)', () => {
  let arm: ArmPeer;
  let azurite: AzuritePeer;
  const contexts: AzureContext[] = [];
  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 2 });
    arm = await startArmPeer({ subscriptionIds: [SUBSCRIPTION], blobDataPlane: (name) => azurite.dataPlane(name) });
    const c = peerClients(arm);
    await c.resources.resourceGroups.createOrUpdate('prod-race', { location: 'westeurope' });
    await c.resources.resourceGroups.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) c.destroy();
    await arm?.close();
    await azurite?.stop();
  });

  it('lets exactly one of two consoles start each fresh policy\'s failover, and tells the other who holds it', async () => {
    const a = azureOnPeers(arm);
    const b = azureOnPeers(arm);
    contexts.push(a.az, b.az);
    const coreA = createTestCore(tempDir(), { adapters: [a.adapter], leaseHolder: { consoleId: 'console-a', host: 'laptop-a', user: 'alice' } });
    const coreB = createTestCore(tempDir(), { adapters: [b.adapter], leaseHolder: { consoleId: 'console-b', host: 'laptop-b', user: 'bob' } });
    try {
      const envA = await setUpConsole(coreA);
      const inventory = await coreA.call('dr:inventory.discover', { environmentId: envA.source.id });
      const resource = inventory.find((r) => r.type === 'azure.storage-account')!;
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

      // Console B never saw these policies: it rebuilds them from the manifests in the target's blobs.
      const envB = await setUpConsole(coreB);
      const rebuilt = await coreB.call('dr:rebuild.run', { environmentIds: [envB.target.id] });
      expect(rebuilt.environmentsUnreachable).toEqual([]);
      expect(rebuilt.policies.filter((p) => p.outcome === 'created').map((p) => p.policyId).sort()).toEqual([...policyIds].sort());

      const container = azurite.client(consoleStorageAccountName(SUBSCRIPTION, TARGET_LOCATION)).getContainerClient(CONSOLE_CONTAINER);
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
        // The lease blob names the winner's job and is the completed tombstone, still under its blob lease.
        const blob = container.getBlockBlobClient(STORE_KEYS.lease(policyId));
        expect(parseLease((await blob.downloadToBuffer()).toString('utf8'))).toMatchObject({ jobId: job.id, state: 'completed', holder: { host: winnerName } });
        expect((await blob.getProperties()).leaseState).toBe('leased');
      }

      // Released by completion, the lease stays "completed": nobody can fail the policy over again.
      const first = policyIds[0]!;
      const loserCore = coreA.services.repos.policies.get(first)!.state === 'failed_over' ? coreB : coreA;
      const again = await loserCore.call('dr:failover.prepare', { policyId: first });
      const refused = await loserCore.router.dispatch('dr:failover.start', { token: again.token });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.message).toMatch(/was already failed over by console laptop-[ab] .*finished \d{4}-/);
    } finally {
      await coreA.close();
      await coreB.close();
    }
  }, 600_000);
});
