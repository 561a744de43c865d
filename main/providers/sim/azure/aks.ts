// Azure Kubernetes Service on the sim provider: each recovery point snapshots the persistent-volume
// disks; failover creates the managed cluster and its disk storage in the target.

import type { ComputeTypeSpec } from '../compute-family';
import { azureId, azureResourceGroup, azureSubscription } from '../naming';

interface PersistentVolume {
  id: string;
  name: string;
  claim: string;
  sizeGb: number;
  sku: string;
}
interface AksSettings {
  kubernetesVersion: string;
  skuTier: string;
  networkPlugin: string;
  dnsPrefix: string;
  nodePools: { name: string; mode: string; vmSize: string; count: number; autoscale: boolean }[];
  persistentVolumes: PersistentVolume[];
}

const CLAIMS = ['shop/orders-data', 'shop/redis-data', 'monitoring/prometheus-data', 'search/elastic-data', 'cms/uploads'] as const;

export const azureAks: ComputeTypeSpec = {
  family: 'compute',
  type: 'azure.aks',
  linkKind: 'SnapshotCopySchedule',
  settings: ['kubernetesVersion', 'skuTier', 'networkPlugin', 'dnsPrefix', 'nodePools', 'persistentVolumes'],
  inventory: {
    count: [1, 1],
    make(g) {
      const name = g.name(['aks-prod', 'aks-platform', 'aks-shop']);
      const nodeRg = `MC_${azureResourceGroup(g.env, 'inventory')}_${name}_${g.env.region}`;
      const pvs: PersistentVolume[] = g.pick
        .shuffled(CLAIMS)
        .slice(0, g.pick.int(1, 3))
        .map((claim) => {
          const disk = `pvc-${g.pick.uuid()}`;
          return {
            id: `/subscriptions/${azureSubscription(g.env)}/resourceGroups/${nodeRg}/providers/Microsoft.Compute/disks/${disk}`,
            name: disk,
            claim,
            sizeGb: g.pick.pick([8, 32, 64, 128]),
            sku: 'Premium_LRS',
          };
        });
      const settings: AksSettings = {
        kubernetesVersion: g.pick.pick(['1.31.7', '1.32.4', '1.33.1']),
        skuTier: g.pick.pick(['Free', 'Standard']),
        networkPlugin: 'azure',
        dnsPrefix: `${name}-dns`,
        nodePools: [
          { name: 'system', mode: 'System', vmSize: 'Standard_D2s_v5', count: 2, autoscale: false },
          { name: 'apps', mode: 'User', vmSize: g.pick.pick(['Standard_D4s_v5', 'Standard_E4s_v5']), count: g.pick.int(2, 6), autoscale: true },
        ],
        persistentVolumes: pvs,
      };
      return {
        kind: 'ManagedCluster',
        name,
        nativeId: azureId(g.env, 'inventory', `Microsoft.ContainerService/managedClusters/${name}`),
        tags: g.tags('kubernetes'),
        attributes: { ...settings },
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as AksSettings;
      const nodes = s.nodePools.reduce((n, p) => n + p.count, 0);
      return `Kubernetes ${s.kubernetesVersion}, ${nodes} nodes, ${s.persistentVolumes.length} persistent volumes`;
    },
  },
  volumes: (s) => (s as unknown as AksSettings).persistentVolumes.map((v) => ({ id: v.id, name: v.name, sizeGb: v.sizeGb })),
  snapshot(vol, target, _token, pointTag) {
    const name = `${vol.name}-rp-${pointTag}`;
    return { name, nativeId: azureId(target, 'dr', `Microsoft.Compute/snapshots/${name}`) };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as AksSettings;
    const clusterName = p.name(meta.name);
    const disks = s.persistentVolumes.map((v) => {
      const name = p.name(v.name);
      return {
        kind: 'Disk',
        name,
        nativeId: azureId(p.target, 'dr', `Microsoft.Compute/disks/${name}`),
        sourceId: v.id,
        attributes: { sizeGb: v.sizeGb, sku: v.sku, claim: v.claim, createdFromSnapshot: p.snapshotOf(v.id) },
        rank: 1,
      };
    });
    return [
      ...disks,
      {
        kind: 'ManagedCluster',
        name: clusterName,
        nativeId: azureId(p.target, 'dr', `Microsoft.ContainerService/managedClusters/${clusterName}`),
        sourceId: meta.sourceId,
        attributes: {
          kubernetesVersion: s.kubernetesVersion,
          skuTier: s.skuTier,
          networkPlugin: s.networkPlugin,
          dnsPrefix: p.name(s.dnsPrefix),
          nodePools: s.nodePools,
          persistentVolumeDiskIds: disks.map((d) => d.nativeId),
        },
        rank: 0,
      },
    ];
  },
};
