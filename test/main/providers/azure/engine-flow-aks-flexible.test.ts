// AKS, MySQL and PostgreSQL flexible servers through the composed core and its job engine against the
// ARM peer, as the operator drives them: discover → replicate twice (the source changed in between)
// → test failover → Reset → failover from the OLDER point, with the peer's state read back through
// the real SDK clients after every phase. The flexible servers must use the latest point anyway (R6),
// and end standalone with their source listing no replica; the AKS cluster is built from the selected
// (older) point, pools and disk included.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { replicaName } from '../../../../main/providers/azure/dr-shared';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { checkResponse } from '../../../peers/azure-arm/contract';
import { FAST_POLL, peerClients, peerProviderOptions, type PeerClients } from '../../../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../../../peers/azure-arm/server';
import { describeAzurite, startAzurite, type AzuritePeer } from '../../../peers/azurite';

const SRC = { group: 'dr-source', location: 'westeurope' };
const DST = { group: 'dr-target', location: 'northeurope' };

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

// Azurite is the console storage account's blob data plane: the failover lease is kept in the target.
describeAzurite('AKS and flexible servers through the engine against the ARM peer', () => {
  let peer: ArmPeer;
  let azurite: AzuritePeer;
  let c: PeerClients;
  let core: Core;
  let dir = '';

  beforeAll(async () => {
    azurite = await startAzurite({ accounts: 2 });
    peer = await startArmPeer({ blobDataPlane: (name) => azurite.dataPlane(name) });
    c = peerClients(peer);
    dir = mkdtempSync(join(tmpdir(), 'fc-azure-engine-'));
    core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: { sim: false, aws: false, azure: peerProviderOptions(peer) },
    });
  }, 120_000);
  afterAll(async () => {
    await core?.close();
    const problems = peer ? peer.responses.flatMap(checkResponse) : [];
    await peer?.close();
    await azurite?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // Everything the handlers made the peer answer holds to the contract table.
    expect(problems).toEqual([]);
  });

  const succeeded = async (jobId: string) => {
    const job = await waitForJob(core, jobId, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    return job;
  };

  it('replicates, tests, resets and fails over a cluster from the selected point and both servers from the latest', async () => {
    await c.resources.resourceGroups.createOrUpdate(SRC.group, { location: SRC.location });
    await c.resources.resourceGroups.createOrUpdate(DST.group, { location: DST.location });
    const my = await c.mysql.servers.beginCreateAndWait(
      SRC.group,
      'orders-my',
      { location: SRC.location, version: '8.0.21', sku: { name: 'Standard_D2ds_v4', tier: 'GeneralPurpose' }, storage: { storageSizeGB: 64, autoGrow: 'Enabled' }, backup: { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' }, tags: { app: 'orders' } },
      FAST_POLL,
    );
    const pg = await c.postgres.servers.beginCreateOrUpdateAndWait(
      SRC.group,
      'ledger-pg',
      { location: SRC.location, version: '16', sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' }, storage: { storageSizeGB: 128 }, backup: { backupRetentionDays: 7 }, tags: { app: 'ledger' } },
      FAST_POLL,
    );
    const shop = await c.aks.managedClusters.createOrUpdate(
      SRC.group,
      'shop',
      {
        location: SRC.location,
        tags: { app: 'shop' },
        dnsPrefix: 'shop',
        kubernetesVersion: '1.30.4',
        identity: { type: 'SystemAssigned' },
        networkProfile: { networkPlugin: 'azure', networkPolicy: 'calico', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
        agentPoolProfiles: [{ name: 'system', mode: 'System', vmSize: 'Standard_D4s_v5', count: 3, availabilityZones: ['1', '2', '3'] }],
      },
      FAST_POLL,
    );
    await c.aks.agentPools.createOrUpdate(
      SRC.group,
      'shop',
      'apps',
      { mode: 'User', vmSize: 'Standard_D8s_v5', count: 2, availabilityZones: ['1'], nodeLabels: { tier: 'apps' }, nodeTaints: ['dedicated=apps:NoSchedule'] },
      FAST_POLL,
    );
    // The persistent volume's disk, where the CSI driver makes it: the node resource group, tagged.
    const pv = await c.compute.disks.createOrUpdate(
      shop.nodeResourceGroup!,
      'pvc-6f1e2d',
      {
        location: SRC.location,
        sku: { name: 'Premium_LRS' },
        zones: ['1'],
        diskSizeGB: 50,
        creationData: { createOption: 'Empty' },
        tags: { 'kubernetes.io-created-for-pv-name': 'pvc-6f1e2d', 'kubernetes.io-created-for-pvc-name': 'orders-data', 'kubernetes.io-created-for-pvc-namespace': 'shop' },
      },
      FAST_POLL,
    );
    // A disk of the node resource group that is no persistent volume (an OS disk) is not snapshotted.
    await c.compute.disks.createOrUpdate(shop.nodeResourceGroup!, 'aks-system-os', { location: SRC.location, diskSizeGB: 128, creationData: { createOption: 'Empty' } }, FAST_POLL);

    const account = await call(core, 'dr:accounts.create', {
      name: 'Azure peer',
      provider: 'azure',
      cloud: 'azure',
      credentials: { kind: 'azure-service-principal', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', clientSecret: 'peer-never-asked' },
    });
    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'West Europe', region: SRC.location, scope: `${peer.subscriptionId}/${SRC.group}` });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'North Europe', region: DST.location, scope: `${peer.subscriptionId}/${DST.group}` });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    expect(found.map((f) => [f.type, f.name, f.tags]).sort()).toEqual([
      ['azure.aks', 'shop', { app: 'shop' }],
      ['azure.mysql-flexible', 'orders-my', { app: 'orders' }],
      ['azure.postgresql-flexible', 'ledger-pg', { app: 'ledger' }],
    ]);
    const policy = await call(core, 'dr:policies.create', {
      name: 'Shop',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: found.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });

    await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);
    // Between the two points: the servers' settings change, and so does the cluster's apps pool.
    await c.mysql.servers.beginUpdateAndWait(SRC.group, 'orders-my', { backup: { backupRetentionDays: 14 }, tags: { app: 'orders', tier: 'gold' } }, FAST_POLL);
    await c.postgres.servers.beginUpdateAndWait(SRC.group, 'ledger-pg', { storage: { storageSizeGB: 256 }, tags: { app: 'ledger', tier: 'gold' } }, FAST_POLL);
    await c.aks.agentPools.createOrUpdate(SRC.group, 'shop', 'apps', { mode: 'User', vmSize: 'Standard_D8s_v5', count: 5, availabilityZones: ['1'], nodeLabels: { tier: 'apps' }, nodeTaints: ['dedicated=apps:NoSchedule'] }, FAST_POLL);
    await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);

    const points = (await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items;
    expect(points).toHaveLength(2);
    const [older, latest] = [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    // One replica per server for two replications, in the target, replicating from the source.
    const myReplica = replicaName('orders-my', my.id!, policy.id);
    const pgReplica = replicaName('ledger-pg', pg.id!, policy.id);
    expect((await all(c.mysql.servers.listByResourceGroup(DST.group))).map((s) => [s.name, s.replicationRole])).toEqual([[myReplica, 'Replica']]);
    expect((await all(c.postgres.servers.listByResourceGroup(DST.group))).map((s) => [s.name, s.replicationRole])).toEqual([[pgReplica, 'GeoAsyncReplica']]);
    expect((await all(c.mysql.replicas.listByServer(SRC.group, 'orders-my'))).map((s) => s.name)).toEqual([myReplica]);
    // Two points: two snapshot copies of the one persistent volume in the target region (the OS disk has none).
    const copies = (await all(c.compute.snapshots.listByResourceGroup(DST.group))).filter((s) => s.creationData?.createOption === 'CopyStart');
    expect(copies).toHaveLength(2);
    expect(copies.every((s) => s.location === DST.location && s.incremental === true)).toBe(true);
    const olderPoint = await call(core, 'dr:recoveryPoints.get', { recoveryPointId: older!.id });
    const olderAks = olderPoint.items.find((i) => i.type === 'azure.aks')!;
    expect(olderAks.metadata).toMatchObject({ kubernetesVersion: '1.30.4', network: { networkPlugin: 'azure', networkPolicy: 'calico' } });
    expect((olderAks.metadata.pools as Array<{ name: string; count: number }>).map((p) => [p.name, p.count])).toEqual([
      ['apps', 2],
      ['system', 3],
    ]);
    const olderSnapshot = olderAks.dataRefs.find((d) => d.kind === 'Snapshot')!;
    expect(copies.map((s) => s.id)).toContain(olderSnapshot.id);

    // Test failover: copies under test names; production replication untouched.
    await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
    expect(tests.map((t) => t.kind).sort()).toEqual(['Disk', 'ManagedCluster', 'MySqlFlexibleServer', 'PostgreSqlFlexibleServer']);
    for (const t of tests) expect(t.name).toMatch(/^drtest-/);
    const testCluster = tests.find((t) => t.kind === 'ManagedCluster')!;
    const tc = await c.aks.managedClusters.get(DST.group, testCluster.name);
    expect(tc.tags).toMatchObject({ 'dr:test': 'true', app: 'shop' });
    expect((await all(c.aks.agentPools.list(DST.group, testCluster.name))).map((p) => p.name).sort()).toEqual(['apps', 'system']);
    const testMy = await c.mysql.servers.get(DST.group, tests.find((t) => t.kind === 'MySqlFlexibleServer')!.name);
    expect(testMy.replicationRole).toBe('None');
    expect((await c.mysql.servers.get(DST.group, myReplica)).replicationRole).toBe('Replica');
    expect((await c.postgres.servers.get(DST.group, pgReplica)).replicationRole).toBe('GeoAsyncReplica');
    expect((await all(c.mysql.replicas.listByServer(SRC.group, 'orders-my'))).map((s) => s.name)).toEqual([myReplica]);
    expect((await all(c.postgres.replicas.listByServer(SRC.group, 'ledger-pg'))).map((s) => s.name)).toEqual([pgReplica]);

    await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    expect(await call(core, 'dr:testResources.list', { policyId: policy.id })).toEqual([]);
    expect(peer.list('Microsoft.ContainerService/ManagedClusters').map((x) => x.name)).toEqual(['shop']);
    expect(peer.list().filter((x) => x.name.startsWith('drtest-'))).toEqual([]);
    expect((await c.mysql.servers.get(DST.group, myReplica)).replicationRole).toBe('Replica');

    // Failover from the OLDER point: AKS uses it; the servers use the latest (R6).
    const plan = await call(core, 'dr:failover.prepare', { policyId: policy.id, recoveryPointId: older!.id });
    const byType = new Map(plan.resources.map((r) => [r.type, r]));
    expect(byType.get('azure.aks')).toMatchObject({ usesLatestPoint: false, recoveryPointId: older!.id });
    expect(byType.get('azure.mysql-flexible')).toMatchObject({ usesLatestPoint: true, recoveryPointId: latest!.id });
    expect(byType.get('azure.postgresql-flexible')).toMatchObject({ usesLatestPoint: true, recoveryPointId: latest!.id });
    // The Azure target store (the blob-lease failover lease) is not part of these types: the override says so.
    const job = await succeeded((await call(core, 'dr:failover.start', { token: plan.token })).jobId);
    expect((await call(core, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
    // Every step read its target back and found the point carried: no warning on any step.
    expect(job.steps.flatMap((st) => st.warnings)).toEqual([]);

    // MySQL: standalone, the latest point's settings, the source lists no replica.
    const myNow = await c.mysql.servers.get(DST.group, myReplica);
    expect(myNow).toMatchObject({ replicationRole: 'None', state: 'Ready', backup: { backupRetentionDays: 14 }, tags: { app: 'orders', tier: 'gold', 'dr:role': 'failover' } });
    expect(myNow.sourceServerResourceId).toBeUndefined();
    expect(await all(c.mysql.replicas.listByServer(SRC.group, 'orders-my'))).toEqual([]);
    // PostgreSQL: promoted standalone, the latest point's storage.
    const pgNow = await c.postgres.servers.get(DST.group, pgReplica);
    expect(pgNow).toMatchObject({ replicationRole: 'Primary', replica: { role: 'Primary' }, storage: { storageSizeGB: 256 }, tags: { tier: 'gold' } });
    expect(await all(c.postgres.replicas.listByServer(SRC.group, 'ledger-pg'))).toEqual([]);
    // The PATCH that promoted it is the 2025-08-01 example's body.
    expect(peer.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/flexibleServers/${pgReplica}`)).map((r) => r.body)).toContainEqual({ properties: { replica: { promoteMode: 'Standalone', promoteOption: 'Forced' } } });

    // AKS: the cluster under the source's name in the target group, with the older point's pools and disk.
    const restored = await c.aks.managedClusters.get(DST.group, 'shop');
    expect(restored).toMatchObject({ location: DST.location, kubernetesVersion: '1.30.4', networkProfile: { networkPlugin: 'azure', networkPolicy: 'calico' }, identity: { type: 'SystemAssigned' } });
    const pools = new Map((await all(c.aks.agentPools.list(DST.group, 'shop'))).map((p) => [p.name, p]));
    expect([...pools.keys()].sort()).toEqual(['apps', 'system']);
    expect(pools.get('system')).toMatchObject({ mode: 'System', vmSize: 'Standard_D4s_v5', count: 3, availabilityZones: ['1', '2', '3'] });
    expect(pools.get('apps')).toMatchObject({ mode: 'User', vmSize: 'Standard_D8s_v5', count: 2, nodeLabels: { tier: 'apps' }, nodeTaints: ['dedicated=apps:NoSchedule'] });
    const disks = await all(c.compute.disks.listByResourceGroup(restored.nodeResourceGroup!));
    expect(disks.map((d) => [d.name, d.diskSizeGB, d.creationData?.sourceResourceId, d.zones])).toEqual([['pvc-6f1e2d', 50, olderSnapshot.id, ['1']]]);
    expect(disks[0]!.tags).toMatchObject({ 'kubernetes.io-created-for-pvc-name': 'orders-data' });

    const mappings = await call(core, 'dr:jobs.mappings', { jobId: job.id });
    expect(mappings.map((m) => [m.kind, m.name, m.sourceId, m.targetId]).sort()).toEqual(
      [
        ['Disk', 'pvc-6f1e2d', pv.id, disks[0]!.id],
        ['ManagedCluster', 'shop', shop.id, restored.id],
        ['MySqlFlexibleServer', myReplica, my.id, myNow.id],
        ['PostgreSqlFlexibleServer', pgReplica, pg.id, pgNow.id],
      ].sort(),
    );
    // R2/R3: the policy is read-only now.
    await expect(call(core, 'dr:replication.run', { policyId: policy.id })).rejects.toMatchObject({ code: 'PreconditionFailed' });
  }, 60_000);
});
