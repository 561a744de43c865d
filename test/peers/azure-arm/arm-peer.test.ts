// The ARM test peer, driven only through the real @azure/arm-* clients: every type's create, read,
// list and delete; idempotent PUT by name; ARM errors the SDK surfaces as RestError codes;
// throttling buckets and injected 429s; failed long-running operations; a long-running PUT
// serialized mid-poll and resumed to completion (what the journal of operations will store). At
// the end of each test every response the peer sent is held to the contract table (contract.ts).

import { restorePoller } from '@azure/arm-compute';
import { restorePoller as restorePollerAks } from '@azure/arm-containerservice';
import { SqlManagementClient } from '@azure/arm-sql';
import type { RestError } from '@azure/core-rest-pipeline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTRACT, checkResponse } from './contract';
import { FAST_POLL, peerClientOptions, peerClients, useTestToken, type PeerClients } from './sdk';
import { startArmPeer, type ArmPeer } from './server';

const LOC = 'westeurope';
const RG = 'dr-source';

let peer: ArmPeer;
let c: PeerClients;

async function code(p: Promise<unknown>): Promise<{ code: string | undefined; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as RestError;
    return { code: e.code, status: e.statusCode };
  }
  throw new Error('expected the call to fail');
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A group with a network, a NIC with a public IP and an NSG, and a VM on it. */
async function seedVm(name = 'vm1') {
  await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
  const vnet = await c.network.virtualNetworks.createOrUpdate(RG, 'vnet1', { location: LOC, addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.1.0.0/24' }] }, FAST_POLL);
  const nsg = await c.network.networkSecurityGroups.createOrUpdate(RG, 'nsg1', { location: LOC }, FAST_POLL);
  const pip = await c.network.publicIPAddresses.createOrUpdate(RG, `${name}-ip`, { location: LOC, sku: { name: 'Standard' } }, FAST_POLL);
  const nic = await c.network.networkInterfaces.createOrUpdate(
    RG,
    `${name}-nic`,
    { location: LOC, networkSecurityGroup: { id: nsg.id }, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0]!.id }, publicIPAddress: { id: pip.id } }] },
    FAST_POLL,
  );
  const vm = await c.compute.virtualMachines.createOrUpdate(
    RG,
    name,
    {
      location: LOC,
      tags: { app: 'billing' },
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } },
        dataDisks: [{ lun: 0, createOption: 'Empty', diskSizeGB: 64 }],
      },
      osProfile: { computerName: name, adminUsername: 'azureuser', adminPassword: 'S3cret-never-returned!' },
      networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
    },
    FAST_POLL,
  );
  return { vnet, nsg, pip, nic, vm };
}

beforeEach(async () => {
  peer = await startArmPeer();
  c = peerClients(peer);
});

afterEach(async () => {
  // Whatever the test did, every response the peer sent must hold to the contract table.
  const problems = peer.responses.flatMap(checkResponse);
  await peer.close();
  expect(problems).toEqual([]);
});

describe('the ARM peer through the real SDK clients', () => {
  it('creates, reads, lists and deletes a VM with its disks, NIC, public IP, NSG and virtual network', async () => {
    const { vm, nic, vnet } = await seedVm();
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.vmId).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.id).toBe(`/subscriptions/${peer.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm1`);
    expect(vm.osProfile?.adminPassword).toBeUndefined();

    const disks = await all(c.compute.disks.listByResourceGroup(RG));
    expect(disks).toHaveLength(2);
    expect(disks.every((d) => d.managedBy === vm.id && d.diskState === 'Attached')).toBe(true);
    expect((await c.network.networkInterfaces.get(RG, 'vm1-nic')).virtualMachine?.id).toBe(vm.id);
    expect((await all(c.network.subnets.list(RG, 'vnet1'))).map((s) => s.name)).toEqual(['default']);
    expect((await all(c.compute.virtualMachines.list(RG))).map((v) => v.name)).toEqual(['vm1']);
    expect((await all(c.compute.virtualMachines.listAll())).map((v) => v.name)).toEqual(['vm1']);

    // Incremental snapshots of every disk, then a disk back from one of them.
    for (const d of disks) {
      const snap = await c.compute.snapshots.createOrUpdate(RG, `${d.name}-snap`, { location: LOC, incremental: true, creationData: { createOption: 'Copy', sourceResourceId: d.id } }, FAST_POLL);
      expect(snap).toMatchObject({ provisioningState: 'Succeeded', incremental: true, diskSizeGB: d.diskSizeGB });
      expect(snap.creationData?.sourceUniqueId).toBe(d.uniqueId);
    }
    const data = disks.find((d) => d.diskSizeGB === 64)!;
    const restored = await c.compute.disks.createOrUpdate(RG, 'restored', { location: LOC, creationData: { createOption: 'Copy', sourceResourceId: `${data.id}-snap`.replace('/disks/', '/snapshots/') } }, FAST_POLL);
    expect(restored.diskSizeGB).toBe(64);

    // An attached disk and a NIC in use cannot go; once the VM is gone they can.
    expect(await code(c.compute.disks.delete(RG, data.name!, FAST_POLL))).toEqual({ code: 'OperationNotAllowed', status: 409 });
    expect(await code(c.network.networkInterfaces.delete(RG, 'vm1-nic', FAST_POLL))).toEqual({ code: 'NicInUse', status: 400 });
    expect(await code(c.network.subnets.delete(RG, 'vnet1', 'default', FAST_POLL))).toEqual({ code: 'InUseSubnetCannotBeDeleted', status: 400 });
    await c.compute.virtualMachines.delete(RG, 'vm1', FAST_POLL);
    expect(await code(c.compute.virtualMachines.get(RG, 'vm1'))).toEqual({ code: 'ResourceNotFound', status: 404 });
    expect((await c.compute.disks.get(RG, data.name!)).diskState).toBe('Unattached');
    await c.compute.disks.delete(RG, data.name!, FAST_POLL);
    await c.network.networkInterfaces.delete(RG, nic.name!, FAST_POLL);
    await c.network.virtualNetworks.delete(RG, vnet.name!, FAST_POLL);
    expect(peer.resource(vnet.subnets![0]!.id!)).toBeUndefined();

    // Deleting what is already gone succeeds, as ARM answers 204.
    await c.compute.virtualMachines.delete(RG, 'vm1', FAST_POLL);
    await c.resources.resourceGroups.delete(RG, FAST_POLL);
    expect(peer.list()).toEqual([]);
    expect(await code(c.resources.resourceGroups.get(RG))).toEqual({ code: 'ResourceGroupNotFound', status: 404 });
  });

  it('serves SQL, storage with object replication, AKS and both flexible servers', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });

    const server = await c.sql.servers.beginCreateOrUpdateAndWait(RG, 'sql-src', { location: LOC, administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    expect(server).toMatchObject({ state: 'Ready', fullyQualifiedDomainName: 'sql-src.database.windows.net' });
    expect(server.administratorLoginPassword).toBeUndefined();
    const db = await c.sql.databases.beginCreateOrUpdateAndWait(RG, 'sql-src', 'orders', { location: LOC, sku: { name: 'S1', tier: 'Standard' } }, FAST_POLL);
    expect(db.status).toBe('Online');
    await c.sql.servers.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', { location: 'northeurope', administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    const secondary = await c.sql.databases.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', 'orders', { location: 'northeurope', createMode: 'Secondary', sourceDatabaseId: db.id }, FAST_POLL);
    expect(secondary.secondaryType).toBe('Geo');
    expect((await all(c.sql.databases.listByServer(RG, 'sql-src'))).map((d) => d.name)).toEqual(['orders']);

    const src = await c.storage.storageAccounts.create(RG, 'srcacct', { location: LOC, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', tags: { tier: 'gold' } }, FAST_POLL);
    expect(src).toMatchObject({ provisioningState: 'Succeeded', tags: { tier: 'gold' } });
    await c.storage.storageAccounts.create('dr-target', 'dstacct', { location: 'northeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    await c.storage.blobServices.setServiceProperties(RG, 'srcacct', { isVersioningEnabled: true, changeFeed: { enabled: true } });
    await c.storage.blobServices.setServiceProperties('dr-target', 'dstacct', { isVersioningEnabled: true });
    const onDst = await c.storage.objectReplicationPolicies.createOrUpdate('dr-target', 'dstacct', 'default', {
      sourceAccount: 'srcacct',
      destinationAccount: 'dstacct',
      rules: [{ sourceContainer: 'invoices', destinationContainer: 'invoices' }],
    });
    expect(onDst.policyId).toMatch(/^[0-9a-f-]{36}$/);
    expect(onDst.rules?.[0]?.ruleId).toBeTruthy();
    const onSrc = await c.storage.objectReplicationPolicies.createOrUpdate(RG, 'srcacct', onDst.policyId!, {
      sourceAccount: 'srcacct',
      destinationAccount: 'dstacct',
      rules: onDst.rules!,
    });
    expect(onSrc.policyId).toBe(onDst.policyId);
    expect((await all(c.storage.objectReplicationPolicies.list(RG, 'srcacct'))).map((p) => p.policyId)).toEqual([onDst.policyId]);
    await c.storage.objectReplicationPolicies.delete(RG, 'srcacct', onDst.policyId!);
    expect(await all(c.storage.objectReplicationPolicies.list(RG, 'srcacct'))).toEqual([]);

    const aks = await c.aks.managedClusters.createOrUpdate(RG, 'aks1', { location: LOC, dnsPrefix: 'aks1', agentPoolProfiles: [{ name: 'system', count: 3, vmSize: 'Standard_D4s_v5', mode: 'System' }] }, FAST_POLL);
    expect(aks.provisioningState).toBe('Succeeded');
    expect(aks.agentPoolProfiles?.[0]?.provisioningState).toBe('Succeeded');

    const mysql = await c.mysql.servers.beginCreateAndWait(RG, 'my-src', { location: LOC, version: '8.0.21', administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    expect(mysql).toMatchObject({ state: 'Ready', replicationRole: 'None' });
    const myReplica = await c.mysql.servers.beginCreateAndWait('dr-target', 'my-dst', { location: 'northeurope', createMode: 'Replica', sourceServerResourceId: mysql.id }, FAST_POLL);
    expect(myReplica).toMatchObject({ replicationRole: 'Replica', version: '8.0.21' });
    expect((await c.mysql.servers.get(RG, 'my-src')).replicationRole).toBe('Source');

    const pg = await c.postgres.servers.beginCreateOrUpdateAndWait(RG, 'pg-src', { location: LOC, version: '16', administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    expect(pg).toMatchObject({ state: 'Ready', replicationRole: 'Primary' });
    const pgReplica = await c.postgres.servers.beginCreateOrUpdateAndWait('dr-target', 'pg-dst', { location: 'northeurope', createMode: 'Replica', sourceServerResourceId: pg.id }, FAST_POLL);
    expect(pgReplica.replicationRole).toBe('GeoAsyncReplica');

    // AKS made the cluster's node resource group beside ours.
    expect((await all(c.resources.resourceGroups.list())).map((g) => g.name).sort()).toEqual(['MC_dr-source_aks1_westeurope', 'dr-source', 'dr-target']);
    await c.sql.databases.beginDeleteAndWait('dr-target', 'sql-dst', 'orders', FAST_POLL);
    await c.sql.servers.beginDeleteAndWait(RG, 'sql-src', FAST_POLL);
    expect(peer.resource(db.id!)).toBeUndefined();
    await c.storage.storageAccounts.delete(RG, 'srcacct');
    await c.aks.managedClusters.delete(RG, 'aks1', FAST_POLL);
    await c.mysql.servers.beginDeleteAndWait('dr-target', 'my-dst', FAST_POLL);
    await c.postgres.servers.beginDeleteAndWait('dr-target', 'pg-dst', FAST_POLL);
    expect(await code(c.postgres.servers.get('dr-target', 'pg-dst'))).toEqual({ code: 'ResourceNotFound', status: 404 });
  });

  it('links a geo-secondary to its primary and fails over through the link: roles swap, the old primary becomes secondary', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });
    await c.sql.servers.beginCreateOrUpdateAndWait(RG, 'sql-src', { location: LOC, administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    await c.sql.servers.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', { location: 'northeurope', administratorLogin: 'dba', administratorLoginPassword: 'Pa55word!' }, FAST_POLL);
    const db = await c.sql.databases.beginCreateOrUpdateAndWait(RG, 'sql-src', 'orders', { location: LOC, sku: { name: 'S1', tier: 'Standard' }, tags: { app: 'orders' } }, FAST_POLL);
    expect(await all(c.sql.replicationLinks.listByDatabase(RG, 'sql-src', 'orders'))).toEqual([]);
    const secondary = await c.sql.databases.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', 'orders', { location: 'northeurope', createMode: 'Secondary', sourceDatabaseId: db.id }, FAST_POLL);

    const [onSecondary] = await all(c.sql.replicationLinks.listByDatabase('dr-target', 'sql-dst', 'orders'));
    const [onPrimary] = await all(c.sql.replicationLinks.listByDatabase(RG, 'sql-src', 'orders'));
    expect(onSecondary).toMatchObject({ role: 'Secondary', partnerRole: 'Primary', partnerServer: 'sql-src', partnerDatabase: 'orders', linkType: 'GEO', replicationState: 'CATCH_UP' });
    expect(onPrimary).toMatchObject({ role: 'Primary', partnerRole: 'Secondary', partnerServer: 'sql-dst' });
    expect(onPrimary!.name).toBe(onSecondary!.name);
    // partnerDatabaseId is on the wire (ReplicationLinkGet) but not in this SDK's model.
    await c.sql.replicationLinks.get('dr-target', 'sql-dst', 'orders', onSecondary!.name!);
    expect((peer.responses.at(-1)!.body as { properties: { partnerDatabaseId: string } }).properties.partnerDatabaseId).toBe(db.id);
    // The provider makes and removes links: a client cannot PUT one.
    const put = await fetch(`${peer.url}${onSecondary!.id}?api-version=2022-02-01-preview`, { method: 'PUT', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"properties":{}}' });
    expect(put.status).toBe(405);

    // PATCH changes what it sends (tags, sku) and keeps the rest; a long-running 202.
    const patched = await c.sql.databases.beginUpdateAndWait('dr-target', 'sql-dst', 'orders', { tags: { app: 'orders', dr: 'yes' }, sku: { name: 'S2', tier: 'Standard' } }, FAST_POLL);
    expect(patched).toMatchObject({ tags: { app: 'orders', dr: 'yes' }, sku: { name: 'S2' }, status: 'Online', databaseId: secondary.databaseId, secondaryType: 'Geo' });

    // Planned failover, called on the secondary's link: it becomes primary.
    peer.hold();
    const poller = await c.sql.replicationLinks.beginFailover('dr-target', 'sql-dst', 'orders', onSecondary!.name!, FAST_POLL);
    await poller.poll();
    expect(poller.isDone()).toBe(false);
    expect((await c.sql.replicationLinks.get('dr-target', 'sql-dst', 'orders', onSecondary!.name!)).role).toBe('Secondary');
    peer.release();
    const done = await poller.pollUntilDone();
    expect(done).toMatchObject({ role: 'Primary', partnerRole: 'Secondary' });
    expect((await c.sql.replicationLinks.get(RG, 'sql-src', 'orders', onPrimary!.name!)).role).toBe('Secondary');
    expect((await c.sql.databases.get('dr-target', 'sql-dst', 'orders')).secondaryType).toBeUndefined();
    expect((await c.sql.databases.get(RG, 'sql-src', 'orders')).secondaryType).toBe('Geo');
    // Forced failover back to the old primary; then failing over to a primary changes nothing.
    await c.sql.replicationLinks.beginFailoverAllowDataLossAndWait(RG, 'sql-src', 'orders', onPrimary!.name!, FAST_POLL);
    expect((await c.sql.replicationLinks.get(RG, 'sql-src', 'orders', onPrimary!.name!)).role).toBe('Primary');
    await c.sql.replicationLinks.beginFailoverAllowDataLossAndWait(RG, 'sql-src', 'orders', onPrimary!.name!, FAST_POLL);
    expect((await c.sql.replicationLinks.get('dr-target', 'sql-dst', 'orders', onSecondary!.name!)).role).toBe('Secondary');
    expect(peer.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual(['failover', 'forceFailoverAllowDataLoss', 'forceFailoverAllowDataLoss']);

    // Deleting the link ends geo-replication on both sides: the databases stay, standalone.
    await c.sql.replicationLinks.beginDeleteAndWait(RG, 'sql-src', 'orders', onPrimary!.name!, FAST_POLL);
    expect(await all(c.sql.replicationLinks.listByDatabase('dr-target', 'sql-dst', 'orders'))).toEqual([]);
    expect((await c.sql.databases.get('dr-target', 'sql-dst', 'orders')).secondaryType).toBeUndefined();
    await c.sql.replicationLinks.beginDeleteAndWait(RG, 'sql-src', 'orders', onPrimary!.name!, FAST_POLL);
    await c.sql.databases.beginDeleteAndWait('dr-target', 'sql-dst', 'orders', FAST_POLL);
    const again = await c.sql.databases.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', 'orders', { location: 'northeurope', createMode: 'Secondary', sourceDatabaseId: db.id }, FAST_POLL);
    expect(again.secondaryType).toBe('Geo');
    // A copy has no link; dropping the secondary removes the link on the primary too.
    const copy = await c.sql.databases.beginCreateOrUpdateAndWait('dr-target', 'sql-dst', 'orders-copy', { location: 'northeurope', createMode: 'Copy', sourceDatabaseId: db.id }, FAST_POLL);
    expect(copy.sku?.name).toBe('S1');
    expect(await all(c.sql.replicationLinks.listByDatabase('dr-target', 'sql-dst', 'orders-copy'))).toEqual([]);
    await c.sql.databases.beginDeleteAndWait('dr-target', 'sql-dst', 'orders', FAST_POLL);
    expect(await all(c.sql.replicationLinks.listByDatabase(RG, 'sql-src', 'orders'))).toEqual([]);
    expect(await code(c.sql.replicationLinks.get(RG, 'sql-src', 'orders', onPrimary!.name!))).toEqual({ code: 'ResourceNotFound', status: 404 });
  });

  it('updates storage accounts, lists their keys, and holds object replication to the service rules', async () => {
    const plane = { endpoint: 'http://127.0.0.1:1/dstacct', key: Buffer.from('k'.repeat(64)).toString('base64') };
    await peer.close();
    peer = await startArmPeer({ blobDataPlane: (name) => (name === 'dstacct' ? plane : undefined) });
    c = peerClients(peer);
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });
    await c.storage.storageAccounts.create(RG, 'srcacct', { location: LOC, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', tags: { tier: 'gold' } }, FAST_POLL);
    const dst = await c.storage.storageAccounts.create('dr-target', 'dstacct', { location: 'northeurope', sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    expect(dst.primaryEndpoints?.blob).toBe(plane.endpoint);
    const keys = await c.storage.storageAccounts.listKeys('dr-target', 'dstacct');
    expect(keys.keys?.map((k) => k.keyName)).toEqual(['key1', 'key2']);
    expect(keys.keys?.[0]?.value).toBe(plane.key);
    expect(JSON.stringify(peer.responses.filter((r) => r.method === 'GET'))).not.toContain(plane.key);

    const updated = await c.storage.storageAccounts.update('dr-target', 'dstacct', { tags: { tier: 'gold' }, sku: { name: 'Standard_GRS' }, accessTier: 'Cool', minimumTlsVersion: 'TLS1_2', networkRuleSet: { defaultAction: 'Deny', ipRules: [{ iPAddressOrRange: '203.0.113.0/24' }] } });
    expect(updated).toMatchObject({ tags: { tier: 'gold' }, sku: { name: 'Standard_GRS' }, accessTier: 'Cool', minimumTlsVersion: 'TLS1_2', networkRuleSet: { defaultAction: 'Deny' }, kind: 'StorageV2' });
    expect((await c.storage.storageAccounts.getProperties('dr-target', 'dstacct')).accessTier).toBe('Cool');

    const rules = [{ sourceContainer: 'invoices', destinationContainer: 'invoices' }];
    const policy = { sourceAccount: 'srcacct', destinationAccount: 'dstacct', rules };
    // Versioning on both, change feed on the source, and the destination first.
    expect(await code(c.storage.objectReplicationPolicies.createOrUpdate('dr-target', 'dstacct', 'default', policy))).toEqual({ code: 'InvalidRequestPropertyValue', status: 400 });
    expect((await c.storage.blobServices.getServiceProperties(RG, 'srcacct')).isVersioningEnabled).toBe(false);
    const blob = await c.storage.blobServices.setServiceProperties(RG, 'srcacct', { isVersioningEnabled: true, changeFeed: { enabled: true } });
    expect(blob).toMatchObject({ name: 'default', isVersioningEnabled: true, changeFeed: { enabled: true }, sku: { name: 'Standard_GRS' } });
    await c.storage.blobServices.setServiceProperties('dr-target', 'dstacct', { isVersioningEnabled: true });
    expect(await code(c.storage.objectReplicationPolicies.createOrUpdate(RG, 'srcacct', 'default', policy))).toEqual({ code: 'InvalidRequestPropertyValue', status: 400 });
    const onDst = await c.storage.objectReplicationPolicies.createOrUpdate('dr-target', 'dstacct', 'default', policy);
    expect(await code(c.storage.objectReplicationPolicies.createOrUpdate(RG, 'srcacct', onDst.policyId!, policy))).toEqual({ code: 'InvalidRequestPropertyValue', status: 400 });
    const onSrc = await c.storage.objectReplicationPolicies.createOrUpdate(RG, 'srcacct', onDst.policyId!, { ...policy, rules: onDst.rules! });
    expect(onSrc.rules?.[0]?.ruleId).toBe(onDst.rules?.[0]?.ruleId);
    // While the policy holds, versioning and the source's change feed stay on.
    expect(await code(c.storage.blobServices.setServiceProperties(RG, 'srcacct', { isVersioningEnabled: true, changeFeed: { enabled: false } }))).toEqual({ code: 'InvalidRequestPropertyValue', status: 400 });
    expect(await code(c.storage.blobServices.setServiceProperties('dr-target', 'dstacct', { isVersioningEnabled: false }))).toEqual({ code: 'InvalidRequestPropertyValue', status: 400 });
    await c.storage.objectReplicationPolicies.delete(RG, 'srcacct', onDst.policyId!);
    await c.storage.objectReplicationPolicies.delete('dr-target', 'dstacct', onDst.policyId!);
    expect(await all(c.storage.objectReplicationPolicies.list('dr-target', 'dstacct'))).toEqual([]);
    await c.storage.blobServices.setServiceProperties('dr-target', 'dstacct', { isVersioningEnabled: false });
  });

  it('serves AKS agent pools as child resources of the cluster, tags by PATCH and a node resource group', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    const cluster = await c.aks.managedClusters.createOrUpdate(
      RG,
      'aks1',
      { location: LOC, dnsPrefix: 'aks1', kubernetesVersion: '1.30.4', agentPoolProfiles: [{ name: 'system', count: 3, vmSize: 'Standard_D4s_v5', mode: 'System' }] },
      FAST_POLL,
    );
    expect(cluster.nodeResourceGroup).toBe(`MC_${RG}_aks1_${LOC}`);
    // The node resource group exists (the persistent-volume disks live there) and goes with the cluster.
    expect((await c.resources.resourceGroups.get(cluster.nodeResourceGroup!)).managedBy).toBe(cluster.id);
    expect((await all(c.aks.agentPools.list(RG, 'aks1'))).map((p) => [p.name, p.count, p.mode])).toEqual([['system', 3, 'System']]);

    const pool = await c.aks.agentPools.createOrUpdate(
      RG,
      'aks1',
      'user1',
      { count: 2, vmSize: 'Standard_D8s_v5', mode: 'User', availabilityZones: ['1', '2'], nodeLabels: { tier: 'web' }, nodeTaints: ['dedicated=web:NoSchedule'] },
      FAST_POLL,
    );
    expect(pool).toMatchObject({ provisioningState: 'Succeeded', orchestratorVersion: '1.30.4', availabilityZones: ['1', '2'], nodeLabels: { tier: 'web' }, nodeTaints: ['dedicated=web:NoSchedule'] });
    expect(peer.responses.filter((r) => r.operation === 'AgentPools_CreateOrUpdate').map((r) => r.status)).toEqual([201]);
    expect((await c.aks.agentPools.get(RG, 'aks1', 'user1')).vmSize).toBe('Standard_D8s_v5');
    expect((await c.aks.managedClusters.get(RG, 'aks1')).agentPoolProfiles?.map((p) => p.name).sort()).toEqual(['system', 'user1']);

    const tagged = await c.aks.managedClusters.updateTags(RG, 'aks1', { tags: { env: 'prod', dr: 'protected' } }, FAST_POLL);
    expect(tagged.tags).toEqual({ env: 'prod', dr: 'protected' });
    expect(tagged.agentPoolProfiles).toHaveLength(2);

    // The last System pool cannot go; a User pool can, and leaves the cluster's list.
    expect(await code(c.aks.agentPools.delete(RG, 'aks1', 'system', FAST_POLL))).toEqual({ code: 'OperationNotAllowed', status: 400 });
    await c.aks.agentPools.delete(RG, 'aks1', 'user1', FAST_POLL);
    expect(await code(c.aks.agentPools.get(RG, 'aks1', 'user1'))).toEqual({ code: 'ResourceNotFound', status: 404 });
    expect((await c.aks.managedClusters.get(RG, 'aks1')).agentPoolProfiles?.map((p) => p.name)).toEqual(['system']);

    await c.aks.managedClusters.delete(RG, 'aks1', FAST_POLL);
    expect(await code(c.resources.resourceGroups.get(cluster.nodeResourceGroup!))).toEqual({ code: 'ResourceGroupNotFound', status: 404 });
    expect(await code(c.aks.agentPools.list(RG, 'aks1').next())).toEqual({ code: 'ResourceNotFound', status: 404 });
  });

  it('updates a MySQL flexible server by PATCH and stops replication with replicationRole None', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });
    const src = await c.mysql.servers.beginCreateAndWait(RG, 'my-src', { location: LOC, version: '8.0.21', sku: { name: 'Standard_D2ds_v4', tier: 'GeneralPurpose' }, storage: { storageSizeGB: 64 } }, FAST_POLL);
    const replica = await c.mysql.servers.beginCreateAndWait('dr-target', 'my-dst', { location: 'northeurope', createMode: 'Replica', sourceServerResourceId: src.id }, FAST_POLL);
    expect((await all(c.mysql.replicas.listByServer(RG, 'my-src'))).map((r) => [r.name, r.replicationRole, r.sourceServerResourceId])).toEqual([['my-dst', 'Replica', src.id]]);

    const updated = await c.mysql.servers.beginUpdateAndWait('dr-target', 'my-dst', { tags: { app: 'orders' }, storage: { storageSizeGB: 128 }, backup: { backupRetentionDays: 14 } }, FAST_POLL);
    expect(updated).toMatchObject({ tags: { app: 'orders' }, storage: { storageSizeGB: 128 }, backup: { backupRetentionDays: 14 }, replicationRole: 'Replica', state: 'Ready' });
    expect(peer.responses.filter((r) => r.operation === 'MySqlServers_Update').map((r) => r.status)).toEqual([202]);

    expect(await code(c.mysql.servers.beginUpdateAndWait('dr-target', 'my-dst', { replicationRole: 'Source' }, FAST_POLL))).toEqual({ code: 'InvalidParameter', status: 400 });
    // While the stop runs the replica is still listed; once it ends it is standalone and the source lists nothing.
    peer.hold();
    const stop = await c.mysql.servers.beginUpdate('dr-target', 'my-dst', { replicationRole: 'None' }, FAST_POLL);
    expect((await c.mysql.servers.get('dr-target', 'my-dst')).state).toBe('Updating');
    expect(await all(c.mysql.replicas.listByServer(RG, 'my-src'))).toHaveLength(1);
    peer.release();
    const standalone = await stop.pollUntilDone();
    expect(standalone).toMatchObject({ replicationRole: 'None', state: 'Ready', storage: { storageSizeGB: 128 } });
    expect(standalone.sourceServerResourceId).toBeUndefined();
    expect(await all(c.mysql.replicas.listByServer(RG, 'my-src'))).toEqual([]);
    expect((await c.mysql.servers.get(RG, 'my-src')).replicationRole).toBe('None');
    expect(replica.id).toBe(standalone.id);
  });

  it('updates a PostgreSQL flexible server by PATCH and promotes a replica to standalone', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });
    const src = await c.postgres.servers.beginCreateOrUpdateAndWait(RG, 'pg-src', { location: LOC, version: '16', sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' } }, FAST_POLL);
    expect(src.replica).toMatchObject({ role: 'Primary', capacity: 5 });
    await c.postgres.servers.beginCreateOrUpdateAndWait('dr-target', 'pg-dst', { location: 'northeurope', createMode: 'Replica', sourceServerResourceId: src.id }, FAST_POLL);
    const listed = await all(c.postgres.replicas.listByServer(RG, 'pg-src'));
    expect(listed.map((r) => [r.name, r.replicationRole, r.replica?.role, r.replica?.replicationState])).toEqual([['pg-dst', 'GeoAsyncReplica', 'GeoAsyncReplica', 'Active']]);

    const updated = await c.postgres.servers.beginUpdateAndWait('dr-target', 'pg-dst', { tags: { app: 'ledger' }, backup: { backupRetentionDays: 21 } }, FAST_POLL);
    expect(updated).toMatchObject({ tags: { app: 'ledger' }, backup: { backupRetentionDays: 21 }, replicationRole: 'GeoAsyncReplica' });
    expect(await code(c.postgres.servers.beginUpdateAndWait('dr-target', 'pg-dst', { replica: { promoteMode: 'Switchover' } }, FAST_POLL))).toEqual({ code: 'InvalidParameter', status: 400 });

    const promoted = await c.postgres.servers.beginUpdateAndWait('dr-target', 'pg-dst', { replica: { promoteMode: 'Standalone', promoteOption: 'Forced' } }, FAST_POLL);
    expect(promoted).toMatchObject({ replicationRole: 'Primary', replica: { role: 'Primary' }, state: 'Ready', tags: { app: 'ledger' } });
    expect(promoted.sourceServerResourceId).toBeUndefined();
    expect(await all(c.postgres.replicas.listByServer(RG, 'pg-src'))).toEqual([]);
    expect(peer.responses.filter((r) => r.operation === 'PostgreSqlServers_Update').map((r) => r.status)).toEqual([202, 202]);
    expect(await code(c.postgres.replicas.listByServer(RG, 'nope').next())).toEqual({ code: 'ResourceNotFound', status: 404 });
  });

  it('treats PUT as create-or-update by name: one resource, 200 on the second, read-only ids kept', async () => {
    const { vm } = await seedVm();
    const again = await c.compute.virtualMachines.createOrUpdate(RG, 'vm1', { ...vm, tags: { app: 'billing', tier: 'gold' } }, FAST_POLL);
    expect(again.vmId).toBe(vm.vmId);
    expect(again.tags).toEqual({ app: 'billing', tier: 'gold' });
    expect(peer.list('Microsoft.Compute/virtualMachines')).toHaveLength(1);
    const puts = peer.responses.filter((r) => r.operation === 'VirtualMachines_CreateOrUpdate').map((r) => r.status);
    expect(puts).toEqual([201, 200]);
    // The resource group too: a second PUT in another location is a conflict, not a second group.
    expect(await code(c.resources.resourceGroups.createOrUpdate(RG, { location: 'eastus' }))).toEqual({ code: 'InvalidResourceGroupLocation', status: 409 });
  });

  it('answers with ARM error bodies the SDK maps to codes', async () => {
    expect(await code(c.compute.disks.get('nowhere', 'd1'))).toEqual({ code: 'ResourceGroupNotFound', status: 404 });
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    expect(await code(c.compute.disks.get(RG, 'd1'))).toEqual({ code: 'ResourceNotFound', status: 404 });
    expect(await code(c.network.subnets.createOrUpdate(RG, 'no-vnet', 's1', { addressPrefix: '10.0.0.0/24' }, FAST_POLL))).toEqual({ code: 'ParentResourceNotFound', status: 404 });
    expect(
      await code(c.network.networkInterfaces.createOrUpdate(RG, 'nic', { location: LOC, ipConfigurations: [{ name: 'ip', subnet: { id: `/subscriptions/${peer.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s` } }] }, FAST_POLL)),
    ).toEqual({ code: 'InvalidResourceReference', status: 400 });
    expect(await code(c.compute.disks.createOrUpdate(RG, 'd1', { location: LOC, creationData: { createOption: 'Empty' } }, FAST_POLL))).toEqual({ code: 'InvalidParameter', status: 400 });
    expect(await code(c.compute.disks.createOrUpdate(RG, 'd1', { creationData: { createOption: 'Empty' }, diskSizeGB: 8 } as never, FAST_POLL))).toEqual({ code: 'LocationRequired', status: 400 });
    peer.inject({ method: 'PUT', path: /\/disks\/d1$/, status: 403, code: 'AuthorizationFailed', message: "The client 'x' does not have authorization to perform action 'Microsoft.Compute/disks/write' over scope '/subscriptions/s'." });
    expect(await code(c.compute.disks.createOrUpdate(RG, 'd1', { location: LOC, creationData: { createOption: 'Empty' }, diskSizeGB: 8 }, FAST_POLL))).toEqual({ code: 'AuthorizationFailed', status: 403 });
    // The fault was used up: the same call now goes through.
    expect((await c.compute.disks.createOrUpdate(RG, 'd1', { location: LOC, creationData: { createOption: 'Empty' }, diskSizeGB: 8 }, FAST_POLL)).provisioningState).toBe('Succeeded');
    // Another subscription, and a request without a bearer token.
    const other = peerClients(peer, '00000000-0000-0000-0000-000000000001');
    expect(await code(other.resources.resourceGroups.get(RG))).toEqual({ code: 'SubscriptionNotFound', status: 404 });
    const r = await fetch(`${peer.url}/subscriptions/${peer.subscriptionId}/resourcegroups?api-version=2025-04-01`);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('AuthenticationFailed');
  });

  it('counts ARM rate-limit buckets per subscription and throttles with 429 and Retry-After', async () => {
    await peer.close();
    peer = await startArmPeer({ buckets: { reads: { size: 3, refillPerSecond: 0.001 } } });
    c = peerClients(peer);
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    expect(peer.responses.at(-1)!.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
    for (let i = 0; i < 3; i += 1) await c.resources.resourceGroups.get(RG);
    expect(peer.responses.map((r) => r.headers['x-ms-ratelimit-remaining-subscription-reads']).filter(Boolean)).toEqual(['2', '1', '0']);
    const noRetry = useTestToken(new SqlManagementClient({ getToken: async () => null }, peer.subscriptionId, { ...peerClientOptions(peer), retryOptions: { maxRetries: 0 } }));
    expect(await code(noRetry.servers.get(RG, 'x'))).toEqual({ code: 'SubscriptionRequestsThrottled', status: 429 });
    const throttled = peer.responses.at(-1)!;
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    // Writes have their own bucket.
    await c.resources.resourceGroups.createOrUpdate('another', { location: LOC });
  });

  it('lets the SDK retry an injected 429 after its Retry-After', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    peer.inject({ method: 'GET', path: /resourcegroups\/dr-source$/i, status: 429, code: 'TooManyRequests', message: 'Too many requests.', retryAfter: 0 });
    expect((await c.resources.resourceGroups.get(RG)).name).toBe(RG);
    expect(peer.responses.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([429, 200]);
  });

  it('ends a long-running PUT Failed with its error, and marks the resource Failed', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    peer.failNextOperation({ method: 'PUT', path: /\/managedClusters\/aks1$/, code: 'QuotaExceeded', message: "Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota. Location: 'westeurope'." });
    // core-lro reports a failed operation as a plain Error whose message carries the ARM code and
    // message ("The long-running operation has failed. QuotaExceeded. ..."): no RestError, no code.
    const err = await c.aks.managedClusters
      .createOrUpdate(RG, 'aks1', { location: LOC, dnsPrefix: 'a', agentPoolProfiles: [{ name: 'p', count: 1, vmSize: 'Standard_D2s_v5' }] }, FAST_POLL)
      .then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/^The long-running operation has failed\. QuotaExceeded\. Operation could not be completed/);
    expect((await c.aks.managedClusters.get(RG, 'aks1')).provisioningState).toBe('Failed');
    const failed = peer.responses.find((r) => r.operation === 'AsyncOperation_Get' && (r.body as { status: string }).status === 'Failed');
    expect(failed?.body).toMatchObject({ error: { code: 'QuotaExceeded' } });
  });

  it('resumes a VM PUT serialized mid-poll (poller toString / restorePoller) with no second PUT', async () => {
    const { vnet } = await seedVm('seed');
    const nic = await c.network.networkInterfaces.createOrUpdate(RG, 'vm2-nic', { location: LOC, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0]!.id } }] }, FAST_POLL);
    peer.hold();
    const poller = await c.compute.virtualMachines.beginCreateOrUpdate(
      RG,
      'vm2',
      { location: LOC, hardwareProfile: { vmSize: 'Standard_B2s' }, storageProfile: { osDisk: { createOption: 'FromImage' } }, networkProfile: { networkInterfaces: [{ id: nic.id }] } },
      FAST_POLL,
    );
    await poller.poll();
    expect(poller.getOperationState().status).toBe('running');
    const saved = poller.toString();
    // What the journal stores: the poll URL is inside, so a resumed step polls instead of PUTting again.
    const op = peer.operations().find((o) => o.resourceId.endsWith('/vm2'))!;
    expect(saved).toContain(op.id);

    // A new process: fresh clients, the same serialized state.
    const fresh = peerClients(peer);
    const restored = restorePoller(fresh.compute, saved, fresh.compute.virtualMachines.createOrUpdate, FAST_POLL);
    peer.release();
    const vm = await restored.pollUntilDone();
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.name).toBe('vm2');
    expect(peer.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/virtualMachines/vm2'))).toHaveLength(1);
  });

  it('resumes a classic SQL database poller from toString() with resumeFrom', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.sql.servers.beginCreateOrUpdateAndWait(RG, 'sql1', { location: LOC, administratorLogin: 'dba', administratorLoginPassword: 'x' }, FAST_POLL);
    peer.hold();
    const poller = await c.sql.databases.beginCreateOrUpdate(RG, 'sql1', 'db1', { location: LOC }, FAST_POLL);
    await poller.poll();
    expect(poller.isDone()).toBe(false);
    const saved = poller.toString();
    poller.stopPolling();

    const fresh = peerClients(peer);
    const resumed = await fresh.sql.databases.beginCreateOrUpdate(RG, 'sql1', 'db1', { location: LOC }, { ...FAST_POLL, resumeFrom: saved });
    peer.release();
    const db = await resumed.pollUntilDone();
    expect(db.status).toBe('Online');
    expect(peer.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/databases/db1'))).toHaveLength(1);
  });

  it('resumes a PostgreSQL promote PATCH (resumeFrom) and an AKS agent-pool PUT (restorePoller) serialized mid-poll, with no second request', async () => {
    await c.resources.resourceGroups.createOrUpdate(RG, { location: LOC });
    await c.resources.resourceGroups.createOrUpdate('dr-target', { location: 'northeurope' });
    const src = await c.postgres.servers.beginCreateOrUpdateAndWait(RG, 'pg-src', { location: LOC, version: '16' }, FAST_POLL);
    await c.postgres.servers.beginCreateOrUpdateAndWait('dr-target', 'pg-dst', { location: 'northeurope', createMode: 'Replica', sourceServerResourceId: src.id }, FAST_POLL);
    await c.aks.managedClusters.createOrUpdate(RG, 'aks1', { location: LOC, dnsPrefix: 'a', agentPoolProfiles: [{ name: 'system', mode: 'System', count: 1, vmSize: 'Standard_D2s_v5' }] }, FAST_POLL);

    peer.hold();
    const promote = await c.postgres.servers.beginUpdate('dr-target', 'pg-dst', { replica: { promoteMode: 'Standalone', promoteOption: 'Forced' } }, FAST_POLL);
    await promote.poll();
    expect(promote.isDone()).toBe(false);
    const promoteState = promote.toString();
    promote.stopPolling();
    const poolPoller = c.aks.agentPools.beginCreateOrUpdate(RG, 'aks1', 'apps', { count: 2, vmSize: 'Standard_D8s_v5' }, FAST_POLL);
    const pool = await poolPoller;
    await pool.poll();
    expect(pool.getOperationState().status).toBe('running');
    const poolState = pool.toString();

    // A new process: fresh clients, the saved states.
    const fresh = peerClients(peer);
    const resumed = await fresh.postgres.servers.beginUpdate('dr-target', 'pg-dst', { replica: { promoteMode: 'Standalone' } }, { ...FAST_POLL, resumeFrom: promoteState });
    const restoredPool = restorePollerAks(fresh.aks, poolState, fresh.aks.agentPools.createOrUpdate, FAST_POLL);
    peer.release();
    expect(await resumed.pollUntilDone()).toMatchObject({ replicationRole: 'Primary' });
    expect(await restoredPool.pollUntilDone()).toMatchObject({ name: 'apps', provisioningState: 'Succeeded', count: 2 });
    expect(peer.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(peer.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/agentPools/apps'))).toHaveLength(1);
    expect(await all(c.postgres.replicas.listByServer(RG, 'pg-src'))).toEqual([]);
  });

  it('sends the api-versions the contract table records for each operation', async () => {
    await seedVm();
    await c.storage.storageAccounts.create(RG, 'acct', { location: LOC, sku: { name: 'Standard_LRS' }, kind: 'StorageV2' }, FAST_POLL);
    await c.sql.servers.beginCreateOrUpdateAndWait(RG, 'sql1', { location: LOC }, FAST_POLL);
    await c.mysql.servers.beginCreateAndWait(RG, 'my1', { location: LOC }, FAST_POLL);
    await c.postgres.servers.beginCreateOrUpdateAndWait(RG, 'pg1', { location: LOC }, FAST_POLL);
    await c.aks.managedClusters.createOrUpdate(RG, 'aks', { location: LOC, dnsPrefix: 'a', agentPoolProfiles: [{ name: 'p', count: 1, vmSize: 'Standard_D2s_v5' }] }, FAST_POLL);
    await c.aks.agentPools.createOrUpdate(RG, 'aks', 'p2', { count: 1, vmSize: 'Standard_D2s_v5' }, FAST_POLL);
    await c.aks.managedClusters.updateTags(RG, 'aks', { tags: { a: 'b' } }, FAST_POLL);
    await c.mysql.servers.beginUpdateAndWait(RG, 'my1', { tags: { a: 'b' } }, FAST_POLL);
    await c.postgres.servers.beginUpdateAndWait(RG, 'pg1', { tags: { a: 'b' } }, FAST_POLL);
    await all(c.mysql.replicas.listByServer(RG, 'my1'));
    await all(c.postgres.replicas.listByServer(RG, 'pg1'));
    const sent = /_(CreateOrUpdate|Update|UpdateTags|ListReplicas)$/;
    const creates = peer.responses.filter((r) => sent.test(r.operation));
    expect(creates.length).toBeGreaterThan(14);
    for (const r of creates) {
      const req = peer.requests.find((q) => q.method === r.method && q.path === r.path)!;
      const row = CONTRACT.find((x) => x.operation === r.operation)!;
      expect({ op: r.operation, v: req.apiVersion }).toEqual({ op: r.operation, v: row.sdkApiVersion });
    }
  });
});

describe('the contract checker', () => {
  it('refuses a response that lacks a key of its row, has a flattened key, or has no row', async () => {
    const ok = {
      operation: 'Disks_Get',
      method: 'GET',
      path: '/x',
      status: 200,
      headers: { 'x-ms-request-id': 'a', 'x-ms-correlation-request-id': 'b', 'x-ms-ratelimit-remaining-subscription-reads': '1' },
      body: {
        id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d',
        name: 'd',
        type: 'Microsoft.Compute/disks',
        location: 'westeurope',
        sku: { name: 'Standard_LRS' },
        properties: { provisioningState: 'Succeeded', creationData: { createOption: 'Empty' }, timeCreated: 't', encryption: { type: 'EncryptionAtRestWithPlatformKey' } },
      },
    };
    expect(checkResponse(ok)).toEqual([]);
    const body = structuredClone(ok.body) as Record<string, unknown> & { properties: Record<string, unknown> };
    delete body.properties.provisioningState;
    body.provisioningState = 'Succeeded';
    expect(checkResponse({ ...ok, body })).toEqual([
      'GET /x -> 200 (Disks_Get): missing properties.provisioningState',
      'GET /x -> 200 (Disks_Get): has provisioningState, which the wire format never carries there',
    ]);
    expect(checkResponse({ ...ok, status: 201 })).toEqual(['GET /x -> 201 (Disks_Get): no contract row for this operation and status']);
    expect(checkResponse({ ...ok, operation: 'Disks_Delete', status: 202, body: undefined as never })).toEqual(['GET /x -> 202 (Disks_Delete): header location is missing']);
    peer.responses.length = 0;
  });
});
