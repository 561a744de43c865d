// The AKS and flexible-server rows of the Azure conformance world (azure-peer.ts): what each type
// seeds in the source resource group, as a customer would have it, and the census lines of what the
// console could have made for it (by names, roles and tags; subscription GUIDs masked, since each
// world's peer has its own).

import type { ResourceTypeId } from '../../shared/catalog';
import { FAST_POLL, type PeerClients } from '../peers/azure-arm/sdk';

export const FLEX_AKS_TYPES = ['azure.aks', 'azure.mysql-flexible', 'azure.postgresql-flexible'] as const satisfies readonly ResourceTypeId[];
export type FlexAksType = (typeof FLEX_AKS_TYPES)[number];

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const tagLine = (tags: Record<string, string> | undefined) =>
  Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v.replace(GUID, '*')}`)
    .sort()
    .join(',');

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Seeds one resource of the type in the source group; returns what a policy protects. */
export async function seedFlexAks(c: PeerClients, type: FlexAksType, source: { group: string; location: string }): Promise<{ nativeId: string; name: string }> {
  switch (type) {
    case 'azure.mysql-flexible': {
      const s = await c.mysql.servers.beginCreateAndWait(
        source.group,
        'orders-my',
        { location: source.location, version: '8.0.21', sku: { name: 'Standard_D2ds_v4', tier: 'GeneralPurpose' }, storage: { storageSizeGB: 64 }, backup: { backupRetentionDays: 7 }, tags: { team: 'orders' } },
        FAST_POLL,
      );
      return { nativeId: s.id!, name: 'orders-my' };
    }
    case 'azure.postgresql-flexible': {
      const s = await c.postgres.servers.beginCreateOrUpdateAndWait(
        source.group,
        'ledger-pg',
        { location: source.location, version: '16', sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' }, storage: { storageSizeGB: 128 }, tags: { team: 'ledger' } },
        FAST_POLL,
      );
      return { nativeId: s.id!, name: 'ledger-pg' };
    }
    case 'azure.aks': {
      const cluster = await c.aks.managedClusters.createOrUpdate(
        source.group,
        'shop',
        {
          location: source.location,
          tags: { team: 'shop' },
          dnsPrefix: 'shop',
          kubernetesVersion: '1.30.4',
          identity: { type: 'SystemAssigned' },
          networkProfile: { networkPlugin: 'azure' },
          agentPoolProfiles: [{ name: 'system', mode: 'System', vmSize: 'Standard_D4s_v5', count: 2 }],
        },
        FAST_POLL,
      );
      await c.aks.agentPools.createOrUpdate(source.group, 'shop', 'apps', { mode: 'User', vmSize: 'Standard_D8s_v5', count: 2, nodeLabels: { tier: 'apps' } }, FAST_POLL);
      await c.compute.disks.createOrUpdate(
        cluster.nodeResourceGroup!,
        'pvc-0a1b2c',
        { location: source.location, diskSizeGB: 32, creationData: { createOption: 'Empty' }, tags: { 'kubernetes.io-created-for-pv-name': 'pvc-0a1b2c', 'kubernetes.io-created-for-pvc-name': 'data' } },
        FAST_POLL,
      );
      return { nativeId: cluster.id!, name: 'shop' };
    }
  }
}

/** What the console could have made for these types, in the target group (and the source's replica lists and snapshots). */
export async function censusFlexAks(c: PeerClients, source: { group: string }, target: { group: string }): Promise<string[]> {
  const lines: string[] = [];
  for (const s of await all(c.mysql.servers.listByResourceGroup(target.group))) lines.push(`MySqlFlexibleServer|${s.name}|${s.replicationRole}|${tagLine(s.tags)}`);
  for (const s of await all(c.postgres.servers.listByResourceGroup(target.group))) lines.push(`PostgreSqlFlexibleServer|${s.name}|${s.replicationRole}|${tagLine(s.tags)}`);
  for (const s of await all(c.mysql.servers.listByResourceGroup(source.group))) {
    lines.push(`MySqlReplicasOf|${s.name}|${(await all(c.mysql.replicas.listByServer(source.group, s.name!))).map((r) => r.name).sort().join(',')}`);
  }
  for (const s of await all(c.postgres.servers.listByResourceGroup(source.group))) {
    lines.push(`PostgreSqlReplicasOf|${s.name}|${(await all(c.postgres.replicas.listByServer(source.group, s.name!))).map((r) => r.name).sort().join(',')}`);
  }
  for (const k of await all(c.aks.managedClusters.listByResourceGroup(target.group))) {
    const pools = (await all(c.aks.agentPools.list(target.group, k.name!))).map((p) => `${p.name}:${p.mode}:${p.vmSize}:${p.count}`).sort();
    lines.push(`ManagedCluster|${k.name}|${pools.join(',')}|${tagLine(k.tags)}`);
    if (k.nodeResourceGroup) for (const d of await all(c.compute.disks.listByResourceGroup(k.nodeResourceGroup))) lines.push(`Disk|${k.name}|${d.name}|${d.diskSizeGB}|${tagLine(d.tags)}`);
  }
  for (const group of [source.group, target.group]) {
    for (const s of await all(c.compute.snapshots.listByResourceGroup(group))) {
      if (/\/providers\/Microsoft.Compute\/disks\//i.test(s.tags?.['dr:source'] ?? '')) lines.push(`Snapshot|${group}|${s.name}|${s.creationData?.createOption}|${tagLine(s.tags)}`);
    }
  }
  return lines.sort();
}
