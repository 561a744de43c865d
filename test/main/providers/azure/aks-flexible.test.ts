// The AKS and flexible-server handlers against the ARM peer, for what the conformance suite and the
// engine flow do not reach: a failover whose source region does not answer (a warning, not a failed
// failover), a replica name taken by someone else or a replica stopped outside a failover (a
// sentence, nothing changed), Reset refusing a server that is no test copy, a failover into the
// source's own resource group (a suffixed cluster name), and foresee naming a pool subnet.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replicaName } from '../../../../main/providers/azure/dr-shared';
import { ProviderFailure } from '../../../../main/providers/provider-failure';
import type { RecoveryPointItemRef, ResourceHandler, StepContext } from '../../../../main/providers/types';
import { StepJournal } from '../../../conformance/crash-context';
import { azureEnv, openAzureWorld, SOURCE_LOCATION, SOURCE_RG, TARGET_RG } from '../../../conformance/azure-peer';
import { FAST_POLL } from '../../../peers/azure-arm/sdk';

type World = Awaited<ReturnType<typeof openAzureWorld>>;
const POLICY = 'pol-edge';

let world: World;
beforeEach(async () => {
  world = await openAzureWorld(null);
});
afterEach(async () => {
  await world.close();
});

function step(key: string, opts: { target?: World['target'] } = {}): { ctx: StepContext; warnings: string[] } {
  const warnings: string[] = [];
  const j = new StepJournal({ key, jobId: `job-${key}`, policyId: POLICY, source: world.source, target: opts.target ?? world.target, recoveryPointId: 'rp-edge' });
  const ctx = { ...j.attempt().ctx, warn: (m: string) => void warnings.push(m) };
  return { ctx, warnings };
}

const handler = (type: 'azure.aks' | 'azure.mysql-flexible' | 'azure.postgresql-flexible'): ResourceHandler => world.adapter.handler(type)!;

async function point(type: 'azure.aks' | 'azure.mysql-flexible' | 'azure.postgresql-flexible', opts: { target?: World['target'] } = {}): Promise<RecoveryPointItemRef> {
  const ref = { ...(await world.protect(type)), policyId: POLICY };
  const item = await handler(type).replicate(ref, step(`replicate-${type}`, opts).ctx);
  return { id: `rpi-${type}`, recoveryPointId: 'rp-edge', resource: ref, capturedAt: '2030-01-01T00:00:00.000Z', ...item };
}

async function failure(p: Promise<unknown>): Promise<ProviderFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderFailure);
  return err as ProviderFailure;
}

describe('flexible servers', () => {
  it('fails over when the source region does not answer: the replica is standalone, and a warning says the source was not read', async () => {
    const item = await point('azure.postgresql-flexible');
    // The source region is down: its replica list answers 503 however often it is asked.
    world.arm.inject({ method: 'GET', path: /\/flexibleServers\/ledger-pg\/replicas$/, status: 503, code: 'ServiceUnavailable', message: 'The service is unavailable in West Europe.', times: 20 });
    const { ctx, warnings } = step('failover-pg');
    const mapping = await handler('azure.postgresql-flexible').failover(item, ctx);
    const name = replicaName('ledger-pg', item.resource.nativeId, POLICY);
    expect(mapping).toEqual([expect.objectContaining({ kind: 'PostgreSqlFlexibleServer', name, reused: true })]);
    expect((await world.clients.postgres.servers.get(TARGET_RG, name)).replicationRole).toBe('Primary');
    expect(warnings).toEqual([expect.stringMatching(/^Could not read the replicas of ledger-pg in westeurope .*check there that .* is no longer listed\.$/)]);
  });

  it('refuses a replica name another resource holds, and a replica stopped outside a failover, changing nothing', async () => {
    const ref = { ...(await world.protect('azure.mysql-flexible')), policyId: POLICY };
    const name = replicaName('orders-my', ref.nativeId, POLICY);
    // Someone else's server under the policy's replica name.
    await world.clients.mysql.servers.beginCreateAndWait(TARGET_RG, name, { location: 'northeurope', version: '8.0.21', tags: { owner: 'someone-else' } }, FAST_POLL);
    const taken = await failure(handler('azure.mysql-flexible').replicate(ref, step('replicate-taken').ctx));
    expect(taken.code).toBe('Conflict');
    expect(taken.message).toContain(`${name} already exists in northeurope (${TARGET_RG}) and is not this policy's replica of orders-my`);
    expect((await world.clients.mysql.servers.get(TARGET_RG, name)).tags).toEqual({ owner: 'someone-else' });

    await world.clients.mysql.servers.beginDeleteAndWait(TARGET_RG, name, FAST_POLL);
    await handler('azure.mysql-flexible').replicate(ref, step('replicate-1').ctx);
    // The replica is promoted by hand: the next replication says so instead of carrying on.
    await world.clients.mysql.servers.beginUpdateAndWait(TARGET_RG, name, { replicationRole: 'None' }, FAST_POLL);
    const stopped = await failure(handler('azure.mysql-flexible').replicate(ref, step('replicate-2').ctx));
    expect(stopped.code).toBe('Conflict');
    expect(stopped.message).toMatch(/no longer replicates from orders-my .* Delete it, then run a replication to make a new replica\.$/);
  });

  it('Reset refuses a server that is no test copy and deletes nothing', async () => {
    const item = await point('azure.mysql-flexible');
    const replicaId = (item.metadata.replica as { id: string }).id;
    const refused = await failure(
      handler('azure.mysql-flexible').reset({ kind: 'MySqlFlexibleServer', nativeId: replicaId, name: 'replica', region: 'northeurope' }, step('reset-wrong').ctx),
    );
    expect(refused).toMatchObject({ code: 'PreconditionFailed' });
    expect(refused.message).toMatch(/was not created by a test failover \(no dr:test tag\); Reset leaves it alone\.$/);
    expect((await world.clients.mysql.servers.get(TARGET_RG, replicaId.split('/').pop()!)).replicationRole).toBe('Replica');
  });

  it('refuses a point without server settings with a sentence', async () => {
    const item = await point('azure.mysql-flexible');
    const bad = { ...item, metadata: { name: 'orders-my' } };
    const err = await failure(handler('azure.mysql-flexible').failover(bad, step('failover-bad').ctx));
    expect(err).toMatchObject({ code: 'PreconditionFailed', message: expect.stringContaining('holds no settings this console can apply') });
  });
});

describe('AKS', () => {
  it('fails over into the source resource group under a suffixed name, leaving the source cluster alone', async () => {
    const sameGroup = azureEnv(world.source.account, 'northeurope', SOURCE_RG);
    const item = await point('azure.aks', { target: sameGroup });
    const mapping = await handler('azure.aks').failover(item, step('failover-same-group', { target: sameGroup }).ctx);
    const cluster = mapping.find((m) => m.kind === 'ManagedCluster')!;
    expect(cluster.name).toMatch(/^shop-dr-[0-9a-f]{8}$/);
    expect((await world.clients.aks.managedClusters.get(SOURCE_RG, 'shop')).location).toBe(SOURCE_LOCATION);
    expect((await world.clients.aks.managedClusters.get(SOURCE_RG, cluster.name)).location).toBe('northeurope');
    expect(mapping.filter((m) => m.kind === 'Disk').map((m) => m.name)).toEqual(['pvc-0a1b2c']);
  });

  it('refuses a cluster name in the target that is not the policy\'s, and foresees a pool subnet that cannot carry', async () => {
    const item = await point('azure.aks');
    await world.clients.aks.managedClusters.createOrUpdate(TARGET_RG, 'shop', { location: 'northeurope', dnsPrefix: 'x', agentPoolProfiles: [{ name: 'p', mode: 'System', vmSize: 'Standard_D2s_v5', count: 1 }] }, FAST_POLL);
    const err = await failure(handler('azure.aks').failover(item, step('failover-taken').ctx));
    expect(err.code).toBe('Conflict');
    expect(err.message).toContain('Kubernetes cluster shop already exists in northeurope (dr-target)');
    const pools = (item.metadata.pools as Array<Record<string, unknown>>).map((p) => (p.name === 'apps' ? { ...p, vnetSubnetID: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/apps' } : p));
    expect(handler('azure.aks').foresee!({ ...item, metadata: { ...item.metadata, pools } })).toEqual([
      "Agent pool apps of shop runs in a subnet of the source's virtual network; the target cluster uses the network AKS makes.",
    ]);
  });
});
