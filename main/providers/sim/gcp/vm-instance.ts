// Compute Engine VM instance on the sim provider: points snapshot the disks into the target; failover
// creates the instance, its disks, IAM role and principal (same-named IAM is reused, R7).

import type { ComputeTypeSpec } from '../compute-family';
import { gcpProject, gcpZone } from '../naming';
import { gcpIamInventory, gcpIamSteps, gcpServiceAccount, type GcpIam } from './iam';

interface GceDisk {
  id: string;
  name: string;
  boot: boolean;
  sizeGb: number;
  type: string;
}
interface GceSettings {
  machineType: string;
  zone: string;
  disks: GceDisk[];
  networkInterfaces: { network: string; subnetwork: string; internalIp: string; externalIp: boolean }[];
  networkTags: string[];
  serviceAccount: string | null;
  iam: GcpIam;
  scheduling: { preemptible: boolean; onHostMaintenance: string; automaticRestart: boolean };
  shieldedVm: boolean;
}

const MACHINE_TYPES = ['e2-medium', 'e2-standard-4', 'n2-standard-2', 'n2-standard-4', 'c3-standard-4'] as const;

export const gcpVmInstance: ComputeTypeSpec = {
  family: 'compute',
  type: 'gcp.vm-instance',
  linkKind: 'SnapshotSchedule',
  settings: ['machineType', 'disks', 'networkInterfaces', 'networkTags', 'serviceAccount', 'iam', 'scheduling', 'shieldedVm'],
  inventory: {
    count: [3, 5],
    make(g) {
      const name = g.name(['web-1', 'web-2', 'api-1', 'worker-1', 'batch-1', 'vpn-gw-1']);
      const app = name.replace(/-\d+$/, '');
      const project = gcpProject(g.env);
      const zone = gcpZone(g.env);
      const iam = g.shared(`gcp.iam.${app}`, (): GcpIam => {
        if (app === 'vpn-gw') return { roles: [], serviceAccounts: [] };
        const roleId = `${app.replace(/-/g, '')}Runtime`;
        return {
          roles: [{ id: roleId, title: `${app} runtime`, permissions: ['storage.objects.get', 'secretmanager.versions.access'] }],
          serviceAccounts: [gcpServiceAccount(g.env, `${app}-runtime`, [roleId, 'roles/logging.logWriter'])],
        };
      });
      const disks: GceDisk[] = [
        { id: `projects/${project}/zones/${zone}/disks/${name}`, name, boot: true, sizeGb: g.pick.pick([10, 20, 50]), type: 'pd-balanced' },
      ];
      if (app === 'worker' || app === 'batch' || g.pick.chance(0.3)) {
        disks.push({ id: `projects/${project}/zones/${zone}/disks/${name}-data`, name: `${name}-data`, boot: false, sizeGb: g.pick.pick([100, 250, 500]), type: 'pd-ssd' });
      }
      const settings: GceSettings = {
        machineType: g.pick.pick(MACHINE_TYPES),
        zone,
        disks,
        networkInterfaces: [
          { network: 'vpc-prod', subnetwork: `subnet-${g.env.region}`, internalIp: `10.30.0.${g.pick.int(2, 250)}`, externalIp: app === 'web' || app === 'vpn-gw' },
        ],
        networkTags: app === 'web' ? ['http-server', 'https-server'] : [app],
        serviceAccount: iam.serviceAccounts[0]?.email ?? null,
        iam,
        scheduling: { preemptible: app === 'batch', onHostMaintenance: app === 'batch' ? 'TERMINATE' : 'MIGRATE', automaticRestart: app !== 'batch' },
        shieldedVm: true,
      };
      return {
        kind: 'Instance',
        name,
        nativeId: `projects/${project}/zones/${zone}/instances/${name}`,
        tags: g.tags(app),
        attributes: { ...settings },
        extras: gcpIamInventory(g.env, iam, { app, env: 'production' }),
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as GceSettings;
      return `${s.machineType}, ${s.disks.length} disk${s.disks.length === 1 ? '' : 's'}${s.serviceAccount ? `, runs as ${s.serviceAccount.split('@')[0]}` : ''}`;
    },
  },
  volumes: (s) => (s as unknown as GceSettings).disks.map((d) => ({ id: d.id, name: d.name, sizeGb: d.sizeGb })),
  snapshot(vol, target, _token, pointTag) {
    const name = `${vol.name}-${pointTag}`.slice(0, 63);
    return { name, nativeId: `projects/${gcpProject(target)}/global/snapshots/${name}` };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as GceSettings;
    const project = gcpProject(p.target);
    const zone = gcpZone(p.target);
    const sourceProject = /^projects\/([^/]+)/.exec(meta.sourceId)?.[1] ?? project;
    const instance = p.name(meta.name);
    const disks = s.disks.map((d) => {
      const name = p.name(d.name);
      return {
        kind: 'Disk',
        name,
        nativeId: `projects/${project}/zones/${zone}/disks/${name}`,
        sourceId: d.id,
        attributes: { boot: d.boot, sizeGb: d.sizeGb, type: d.type, sourceSnapshot: p.snapshotOf(d.id) },
        rank: 1,
      };
    });
    const sa = s.iam.serviceAccounts[0];
    return [
      ...gcpIamSteps(s.iam, sourceProject, p, { role: 2, principal: 3, binding: 4 }),
      ...disks,
      {
        kind: 'Instance',
        name: instance,
        nativeId: `projects/${project}/zones/${zone}/instances/${instance}`,
        sourceId: meta.sourceId,
        attributes: {
          machineType: s.machineType,
          zone,
          networkInterfaces: s.networkInterfaces.map((n) => ({ ...n, subnetwork: `subnet-${p.target.region}` })),
          networkTags: s.networkTags,
          scheduling: s.scheduling,
          shieldedVm: s.shieldedVm,
          serviceAccount: sa ? `${p.name(sa.name).slice(0, 30)}@${project}.iam.gserviceaccount.com` : null,
          diskIds: disks.map((d) => d.nativeId),
        },
        rank: 0,
      },
    ];
  },
};
