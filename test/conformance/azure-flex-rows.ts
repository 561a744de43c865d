// The AKS and flexible-server rows of the Azure conformance world (azure-peer.ts's AZURE_SEEDS): what
// each type seeds in the source resource group, as a customer would have it. The world's census
// (every resource the seed did not make) covers what the handlers make.

import type { ResourceTypeId } from '../../shared/catalog';
import { FAST_POLL, type PeerClients } from '../peers/azure-arm/sdk';

export const FLEX_AKS_TYPES = ['azure.aks', 'azure.mysql-flexible', 'azure.postgresql-flexible'] as const satisfies readonly ResourceTypeId[];
export type FlexAksType = (typeof FLEX_AKS_TYPES)[number];

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
