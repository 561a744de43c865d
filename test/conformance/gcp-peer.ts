// The Google Cloud provider's conformance peer: a fresh GCP peer (test/peers/gcp/server.ts, every
// exchange held to Google's discovery documents) per world, with one seeded resource per type in
// us-central1 (the source) and a census of what the console could have made, by names and labels.
// Source and target share the peer's one project (us-central1 → europe-west1), so the IAM a source
// resource uses already exists in the target under the same names (R7). A type is one row of SEEDS.

import { generateKeyPairSync } from 'node:crypto';
import { InstancesClient, DisksClient, SnapshotsClient, ZoneOperationsClient, ZonesClient } from '@google-cloud/compute';
import { ClusterManagerClient } from '@google-cloud/container';
import { ProjectsClient } from '@google-cloud/resource-manager';
import type { ResourceTypeId } from '../../shared/catalog';
import { createGcpProvider } from '../../main/providers/gcp';
import type { EnvRef, ResolvedAccount } from '../../main/providers/types';
import { fakeAuth, gaxOptions, PEER_TOKEN } from '../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../peers/gcp/server';
import type { ConformancePeer, ConformanceWorld } from './adapter-conformance';
import { blackhole } from './aws-peer';

export const GCP_SOURCE = 'us-central1';
export const GCP_TARGET = 'europe-west1';
export const GCP_SOURCE_ZONE = 'us-central1-a';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** The account's key: it must never reach an error sentence. */
const PRIVATE_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = PRIVATE_KEY.split('\n').slice(1, -2).join('');

export function gcpAccount(project: string): ResolvedAccount {
  return {
    id: 'acct-conf-gcp',
    name: 'Conformance Google Cloud',
    provider: 'gcp',
    cloud: 'gcp',
    credentials: {
      kind: 'gcp-service-account-key',
      keyJson: JSON.stringify({ type: 'service_account', project_id: project, private_key_id: 'k1', private_key: PRIVATE_KEY, client_email: `dr-console@${project}.iam.gserviceaccount.com` }),
    },
  } as ResolvedAccount;
}

export const gcpEnv = (account: ResolvedAccount, project: string, region: string): EnvRef => ({
  environmentId: `env-conf-${region}`,
  account,
  region,
  scope: { cloud: 'gcp', region, projectId: project, zone: null },
});

/** The real clients the seeds and the census use (only those: constructing a client loads protos). */
export interface SeedClients {
  peer: GcpPeer;
  instances: InstancesClient;
  disks: DisksClient;
  snapshots: SnapshotsClient;
  zoneOps: ZoneOperationsClient;
  zones: ZonesClient;
  projects: ProjectsClient;
  container: ClusterManagerClient;
  close(): Promise<void>;
}

export function seedClients(peer: GcpPeer): SeedClients {
  const o = gaxOptions(peer);
  const c = {
    instances: new InstancesClient(o),
    disks: new DisksClient(o),
    snapshots: new SnapshotsClient(o),
    zoneOps: new ZoneOperationsClient(o),
    zones: new ZonesClient(o),
    projects: new ProjectsClient(o as never),
    container: new ClusterManagerClient(o as never),
  };
  return { peer, ...c, close: async () => void (await Promise.all(Object.values(c).map((x) => x.close()))) };
}

export async function iamCall(peer: GcpPeer, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  // IAM v1 over its REST surface (the adapter uses @googleapis/iam; the seeds need a few calls only).
  const r = await fetch(`${peer.url}/v1/${path}`, { method, headers: { authorization: `Bearer ${PEER_TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function done(c: SeedClients, zone: string, operation: string | null | undefined): Promise<void> {
  for (;;) {
    const [op] = await c.zoneOps.wait({ project: c.peer.project, zone, operation: operation ?? '' });
    if (String(op.status) === 'DONE') {
      if (op.error?.errors?.length) throw new Error(JSON.stringify(op.error));
      return;
    }
  }
}

/** The source VM as a customer has it: a boot and a data disk, labels, tags, metadata, a service account with two project roles. */
export async function seedVm(c: SeedClients, name = 'web-01', accountId = 'web-app'): Promise<{ nativeId: string; name: string; serviceAccount: string }> {
  const P = c.peer.project;
  const email = `${accountId}@${P}.iam.gserviceaccount.com`;
  await iamCall(c.peer, 'POST', `projects/${P}/serviceAccounts`, { accountId, serviceAccount: { displayName: 'Web application' } }).catch((e: unknown) => {
    if (!String(e).includes('already exists')) throw e;
  });
  const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
  const bindings = (policy.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])] }));
  for (const role of ['roles/logging.logWriter', 'roles/storage.objectViewer']) {
    const b = bindings.find((x) => x.role === role);
    if (b) {
      if (!b.members.includes(`serviceAccount:${email}`)) b.members.push(`serviceAccount:${email}`);
    } else bindings.push({ role, members: [`serviceAccount:${email}`] });
  }
  await c.projects.setIamPolicy({ resource: `projects/${P}`, policy: { etag: policy.etag ?? null, bindings } });
  const zone = GCP_SOURCE_ZONE;
  const [data] = await c.disks.insert({ project: P, zone, diskResource: { name: `${name}-data`, sizeGb: '50', type: `zones/${zone}/diskTypes/pd-ssd`, labels: { team: 'payments' } } });
  await done(c, zone, data.latestResponse.name as string);
  const [vm] = await c.instances.insert({
    project: P,
    zone,
    instanceResource: {
      name,
      machineType: `zones/${zone}/machineTypes/e2-standard-2`,
      labels: { team: 'payments', app: 'web' },
      tags: { items: ['web', 'https-server'] },
      metadata: { items: [{ key: 'startup-script', value: '#!/bin/sh\necho ready' }, { key: 'env', value: 'prod' }] },
      serviceAccounts: [{ email, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
      networkInterfaces: [{ network: 'global/networks/default', accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] }],
      disks: [
        { boot: true, autoDelete: true, deviceName: 'boot', initializeParams: { diskName: `${name}-boot`, sourceImage: 'projects/debian-cloud/global/images/family/debian-12', diskSizeGb: '20' } },
        { boot: false, autoDelete: false, deviceName: 'data', source: `projects/${P}/zones/${zone}/disks/${name}-data` },
      ],
    },
  });
  await done(c, zone, vm.latestResponse.name as string);
  return { nativeId: `projects/${P}/zones/${zone}/instances/${name}`, name, serviceAccount: email };
}

/** Grants `roles` on the project to `email` (one read-modify-write of the project IAM policy). */
async function grant(c: SeedClients, email: string, roles: string[]): Promise<void> {
  const P = c.peer.project;
  const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
  const bindings = (policy.bindings ?? []).map((b) => ({ role: b.role, members: [...(b.members ?? [])] }));
  for (const role of roles) {
    const b = bindings.find((x) => x.role === role);
    if (b) {
      if (!b.members.includes(`serviceAccount:${email}`)) b.members.push(`serviceAccount:${email}`);
    } else bindings.push({ role, members: [`serviceAccount:${email}`] });
  }
  await c.projects.setIamPolicy({ resource: `projects/${P}`, policy: { etag: policy.etag ?? null, bindings } });
}

export const GKE_CUSTOM_ROLE = 'gkeVolumeReader';
export const GKE_ROLES = (project: string) => ['roles/logging.logWriter', 'roles/monitoring.metricWriter', `projects/${project}/roles/${GKE_CUSTOM_ROLE}`];

/**
 * The source GKE cluster as a customer has it: regional in us-central1, two node pools running as a
 * user-managed node service account that holds two predefined roles and a custom role of the project,
 * and two persistent volumes (Compute disks GKE's PD CSI driver labelled for the cluster) beside a
 * node boot disk, which is not the cluster's data.
 */
export async function seedGke(c: SeedClients, name = 'shop', accountId = 'gke-nodes'): Promise<{ nativeId: string; name: string; serviceAccount: string; disks: string[] }> {
  const P = c.peer.project;
  const email = `${accountId}@${P}.iam.gserviceaccount.com`;
  const tolerate = (e: unknown) => {
    if (!String(e).includes('already exists')) throw e;
  };
  await iamCall(c.peer, 'POST', `projects/${P}/serviceAccounts`, { accountId, serviceAccount: { displayName: 'GKE nodes' } }).catch(tolerate);
  await iamCall(c.peer, 'POST', `projects/${P}/roles`, {
    roleId: GKE_CUSTOM_ROLE,
    role: { title: 'GKE volume reader', description: 'Reads the disks and snapshots of the cluster', includedPermissions: ['compute.disks.get', 'compute.snapshots.get'], stage: 'GA' },
  }).catch(tolerate);
  await grant(c, email, GKE_ROLES(P));
  const parent = `projects/${P}/locations/${GCP_SOURCE}`;
  const [op] = await c.container.createCluster({
    parent,
    cluster: {
      name,
      description: 'Shop front end',
      resourceLabels: { team: 'payments', env: 'prod' },
      initialClusterVersion: '1.33.5-gke.1000',
      releaseChannel: { channel: 'REGULAR' },
      nodePools: [
        { name: 'default-pool', initialNodeCount: 2, config: { machineType: 'e2-standard-4', diskSizeGb: 100, serviceAccount: email, labels: { tier: 'web' }, oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'] } },
        { name: 'batch', initialNodeCount: 1, config: { machineType: 'e2-highmem-2', serviceAccount: email, taints: [{ key: 'batch', value: 'true', effect: 'NO_SCHEDULE' }] } },
      ],
    },
  });
  for (;;) {
    const [o] = await c.container.getOperation({ name: `${parent}/operations/${op.name ?? ''}` });
    if (String(o.status) === 'DONE') break;
  }
  const zone = GCP_SOURCE_ZONE;
  const disks: string[] = [];
  for (const [pv, size] of [['pvc-4f1c2a9e-orders', '20'], ['pvc-8b3d7e10-carts', '10']] as const) {
    const [d] = await c.disks.insert({
      project: P,
      zone,
      diskResource: {
        name: pv,
        sizeGb: size,
        type: `zones/${zone}/diskTypes/pd-balanced`,
        description: JSON.stringify({ 'kubernetes.io/created-for/pv/name': pv, 'kubernetes.io/created-for/pvc/name': pv.split('-').at(-1), 'storage.gke.io/created-by': 'pd.csi.storage.gke.io' }),
        labels: { 'goog-k8s-cluster-name': name, 'goog-gke-volume': '', team: 'payments' },
      },
    });
    await done(c, zone, d.latestResponse.name as string);
    disks.push(pv);
  }
  const [boot] = await c.disks.insert({ project: P, zone, diskResource: { name: `gke-${name}-default-pool-1a2b`, sizeGb: '100', labels: { 'goog-k8s-cluster-name': name, 'goog-gke-node': '' } } });
  await done(c, zone, boot.latestResponse.name as string);
  return { nativeId: `projects/${P}/locations/${GCP_SOURCE}/clusters/${name}`, name, serviceAccount: email, disks };
}

/**
 * The GKE node IAM is lost after the points were taken (the custom role deleted and purged, the node
 * service account deleted, its project bindings removed): a failover makes all of it again.
 */
export async function loseGkeIam(c: SeedClients, accountId = 'gke-nodes'): Promise<void> {
  const P = c.peer.project;
  const email = `${accountId}@${P}.iam.gserviceaccount.com`;
  await iamCall(c.peer, 'DELETE', `projects/${P}/roles/${GKE_CUSTOM_ROLE}`);
  c.peer.purgeDeletedRoles();
  await iamCall(c.peer, 'DELETE', `projects/${P}/serviceAccounts/${email}`);
  const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
  await c.projects.setIamPolicy({
    resource: `projects/${P}`,
    policy: { etag: policy.etag ?? null, bindings: (policy.bindings ?? []).map((b) => ({ role: b.role, members: (b.members ?? []).filter((m) => m !== `serviceAccount:${email}`) })).filter((b) => b.members.length > 0) },
  });
}

/** GKE clusters of every location with their node pools, one stable line each. */
export async function gkeCensus(c: SeedClients): Promise<string[]> {
  const [list] = await c.container.listClusters({ parent: `projects/${c.peer.project}/locations/-` });
  return (list.clusters ?? []).map(
    (k) =>
      `cluster|${k.location}|${k.name}|${String(k.status)}|${labelLine(k.resourceLabels)}|${(k.nodePools ?? [])
        .map((p) => `${p.name}:${p.config?.machineType ?? ''}:${p.initialNodeCount ?? 0}:${p.config?.serviceAccount ?? ''}`)
        .join(',')}`,
  );
}

/**
 * One row per type: how to seed it in the source, and the census lines of what the console could make
 * for it beyond Compute and IAM (which every world counts). Other Google types are added as rows.
 */
interface GcpTypeRow {
  seed(c: SeedClients): Promise<{ nativeId: string; name: string }>;
  census?(c: SeedClients): Promise<string[]>;
}
const ROWS: Partial<Record<ResourceTypeId, GcpTypeRow>> = {
  'gcp.vm-instance': { seed: (c) => seedVm(c) },
  'gcp.gke': { seed: (c) => seedGke(c), census: gkeCensus },
};
export const GCP_TYPES = Object.keys(ROWS) as ResourceTypeId[];

const labelLine = (labels: Record<string, string> | null | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
const last = (s: string | null | undefined) => (s ?? '').split('/').at(-1) ?? '';

/** Instances, disks and snapshots of the project, one stable line each. */
export async function computeCensus(c: SeedClients): Promise<string[]> {
  const P = c.peer.project;
  const [zones] = await c.zones.list({ project: P });
  const lines: string[] = [];
  for (const z of zones) {
    const zone = z.name ?? '';
    const [vms] = await c.instances.list({ project: P, zone });
    for (const v of vms) lines.push(`instance|${zone}|${v.name}|${last(v.machineType)}|${labelLine(v.labels)}|${(v.disks ?? []).map((d) => last(d.source)).join(',')}|${v.serviceAccounts?.[0]?.email ?? ''}`);
    const [disks] = await c.disks.list({ project: P, zone });
    for (const d of disks) lines.push(`disk|${zone}|${d.name}|${d.sizeGb}|${last(d.sourceSnapshot)}|${labelLine(d.labels)}`);
  }
  const [snaps] = await c.snapshots.list({ project: P });
  for (const s of snaps) lines.push(`snapshot|${s.name}|${(s.storageLocations ?? []).join(',')}|${last(s.sourceDisk)}|${labelLine(s.labels)}`);
  return lines.sort();
}

/** Service accounts, custom roles and the project's role bindings, one line each. */
export async function iamCensus(c: SeedClients): Promise<string[]> {
  const P = c.peer.project;
  const accounts = ((await iamCall(c.peer, 'GET', `projects/${P}/serviceAccounts`)).accounts as { email: string }[] | undefined) ?? [];
  const [policy] = await c.projects.getIamPolicy({ resource: `projects/${P}` });
  const roles = ((await iamCall(c.peer, 'GET', `projects/${P}/roles?showDeleted=true&view=FULL`)).roles as { name: string; deleted?: boolean; includedPermissions?: string[] }[] | undefined) ?? [];
  return [
    ...accounts.map((a) => `sa|${a.email}`),
    ...roles.map((r) => `role|${r.name}|${r.deleted ? 'deleted' : 'live'}|${(r.includedPermissions ?? []).join(',')}`),
    ...(policy.bindings ?? []).flatMap((b) => (b.members ?? []).map((m) => `binding|${b.role}|${m}`)),
  ].sort();
}

/** A world with its peer, for suites that read the peer's state and exchanges. */
export interface GcpWorld extends ConformanceWorld {
  peer: GcpPeer;
}

export async function openGcpWorld(): Promise<GcpWorld> {
  const peer = await startGcpPeer();
  const c = seedClients(peer);
  const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
  const adapter = createGcpProvider({
    endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, resourcemanager: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/` },
    authClientFor: () => fakeAuth(),
    pollIntervalMs: 5,
    retryDelayMs: 5,
  });
  const account = gcpAccount(peer.project);
  const seeded = new Map<ResourceTypeId, { nativeId: string; name: string }>();
  return {
    peer,
    adapter,
    source: gcpEnv(account, peer.project, GCP_SOURCE),
    target: gcpEnv(account, peer.project, GCP_TARGET),
    async protect(type) {
      let s = seeded.get(type);
      const row = ROWS[type];
      if (!row) throw new Error(`the GCP conformance peer cannot seed ${type}`);
      if (!s) seeded.set(type, (s = await row.seed(c)));
      return { id: `pr-${type}`, policyId: 'pol-conformance', type, nativeId: s.nativeId, name: s.name };
    },
    async census() {
      const rows = await Promise.all(Object.values(ROWS).map((r) => r.census?.(c) ?? Promise.resolve([])));
      return [...(await computeCensus(c)), ...(await iamCensus(c)), ...rows.flat()].sort();
    },
    iamCensus: () => iamCensus(c),
    async close() {
      await adapter.dispose();
      await c.close();
      await peer.close();
      // Every exchange of the world was held to the discovery documents.
      if (peer.violations.length) throw new Error(`the GCP peer saw contract violations:\n${peer.violations.join('\n')}`);
    },
  };
}

export function gcpPeer(): ConformancePeer {
  return {
    name: 'gcp (GCP peer)',
    types: GCP_TYPES,
    // The same adapter also serves Cloud Storage and Cloud SQL, held to the suite in gcp-data-peer.ts.
    servesOtherTypes: true,
    secrets: [SECRET, PEER_TOKEN],
    timeoutMs: 120_000,
    open: openGcpWorld,
    async openStalled() {
      const hole = await blackhole();
      const port = Number(new URL(hole.url).port);
      const gapic = { apiEndpoint: '127.0.0.1', port, protocol: 'http' as const };
      const adapter = createGcpProvider({ endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, resourcemanager: gapic, sqladmin: `${hole.url}/`, iam: `${hole.url}/` }, authClientFor: () => fakeAuth() });
      const account = gcpAccount('fc-test-project');
      return {
        adapter,
        source: gcpEnv(account, 'fc-test-project', GCP_SOURCE),
        async close() {
          await adapter.dispose();
          await hole.close();
        },
      };
    },
  };
}
