// Google Kubernetes Engine on the sim provider: points snapshot the persistent disks; failover creates
// the cluster, disks, custom IAM role, principal and bindings (same-named IAM is reused, R7).

import type { ComputeTypeSpec } from '../compute-family';
import { gcpProject, gcpZone } from '../naming';
import { gcpIamInventory, gcpIamSteps, gcpServiceAccount, type GcpIam } from './iam';

interface GkeDisk {
  id: string;
  name: string;
  claim: string;
  sizeGb: number;
  type: string;
}
interface GkeSettings {
  version: string;
  releaseChannel: string;
  nodePools: { name: string; machineType: string; nodeCount: number; autoscaling: boolean }[];
  workloadIdentity: boolean;
  networkPolicy: boolean;
  iam: GcpIam;
  persistentVolumes: GkeDisk[];
}

const CLAIMS = ['shop/orders-data', 'shop/redis-data', 'monitoring/prometheus-data', 'ml/feature-store'] as const;

export const gcpGke: ComputeTypeSpec = {
  family: 'compute',
  type: 'gcp.gke',
  linkKind: 'SnapshotSchedule',
  settings: ['version', 'releaseChannel', 'nodePools', 'workloadIdentity', 'networkPolicy', 'iam', 'persistentVolumes'],
  inventory: {
    count: [1, 2],
    make(g) {
      const name = g.name(['gke-prod', 'gke-apps', 'gke-data']);
      const project = gcpProject(g.env);
      const zone = gcpZone(g.env);
      const roleId = `${name.replace(/-/g, '')}WorkloadReader`;
      const settings: GkeSettings = {
        version: g.pick.pick(['1.31.6-gke.1020000', '1.32.2-gke.1182000']),
        releaseChannel: g.pick.pick(['REGULAR', 'STABLE']),
        nodePools: [
          { name: 'default-pool', machineType: 'e2-standard-4', nodeCount: 3, autoscaling: true },
          ...(g.pick.chance(0.5) ? [{ name: 'highmem', machineType: 'n2-highmem-4', nodeCount: 2, autoscaling: true }] : []),
        ],
        workloadIdentity: true,
        networkPolicy: g.pick.chance(0.5),
        iam: {
          roles: [{ id: roleId, title: `${name} workload reader`, permissions: ['storage.objects.get', 'pubsub.subscriptions.consume'] }],
          serviceAccounts: [gcpServiceAccount(g.env, `${name}-nodes`, [roleId, 'roles/logging.logWriter', 'roles/monitoring.metricWriter'])],
        },
        persistentVolumes: g.pick
          .shuffled(CLAIMS)
          .slice(0, g.pick.int(1, 3))
          .map((claim) => {
            const disk = `pvc-${g.pick.uuid()}`;
            return { id: `projects/${project}/zones/${zone}/disks/${disk}`, name: disk, claim, sizeGb: g.pick.pick([10, 50, 100]), type: 'pd-balanced' };
          }),
      };
      return {
        kind: 'Cluster',
        name,
        nativeId: `projects/${project}/locations/${g.env.region}/clusters/${name}`,
        tags: g.tags('kubernetes'),
        attributes: { ...settings },
        extras: gcpIamInventory(g.env, settings.iam, { app: 'kubernetes', env: 'production' }),
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as GkeSettings;
      const nodes = s.nodePools.reduce((n, np) => n + np.nodeCount, 0);
      return `GKE ${s.version.split('-')[0]}, ${nodes} nodes, ${s.persistentVolumes.length} persistent disks`;
    },
  },
  volumes: (s) => (s as unknown as GkeSettings).persistentVolumes.map((v) => ({ id: v.id, name: v.name, sizeGb: v.sizeGb })),
  snapshot(vol, target, _token, pointTag) {
    const name = `${vol.name}-${pointTag}`.slice(0, 63);
    return { name, nativeId: `projects/${gcpProject(target)}/global/snapshots/${name}` };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as GkeSettings;
    const project = gcpProject(p.target);
    const zone = gcpZone(p.target);
    const sourceProject = /^projects\/([^/]+)/.exec(meta.sourceId)?.[1] ?? project;
    const cluster = p.name(meta.name);
    const disks = s.persistentVolumes.map((v) => {
      const name = p.name(v.name);
      return {
        kind: 'Disk',
        name,
        nativeId: `projects/${project}/zones/${zone}/disks/${name}`,
        sourceId: v.id,
        attributes: { claim: v.claim, sizeGb: v.sizeGb, type: v.type, sourceSnapshot: p.snapshotOf(v.id) },
        rank: 1,
      };
    });
    const nodeSa = s.iam.serviceAccounts[0];
    return [
      ...gcpIamSteps(s.iam, sourceProject, p, { role: 2, principal: 3, binding: 4 }),
      ...disks,
      {
        kind: 'Cluster',
        name: cluster,
        nativeId: `projects/${project}/locations/${p.target.region}/clusters/${cluster}`,
        sourceId: meta.sourceId,
        attributes: {
          version: s.version,
          releaseChannel: s.releaseChannel,
          nodePools: s.nodePools,
          workloadIdentity: s.workloadIdentity,
          networkPolicy: s.networkPolicy,
          nodeServiceAccount: nodeSa ? `${p.name(nodeSa.name).slice(0, 30)}@${project}.iam.gserviceaccount.com` : null,
          persistentDiskIds: disks.map((d) => d.nativeId),
        },
        rank: 0,
      },
    ];
  },
};
