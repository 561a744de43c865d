// The GCP peer driven only through the real clients over REST, every exchange held to Google's
// discovery documents (the afterEach asserts no request or response broke them), plus a self-check
// that the contract check can fail.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { InstancesClient, ZoneOperationsClient, ZonesClient } from '@google-cloud/compute';
import { StorageTransferServiceClient } from '@google-cloud/storage-transfer';
import { JWT } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeGcpPeer } from './describe-gcp';
import { gaxOptions, gcpClients, type GcpClients } from './sdk';
import { startGcpPeer, type GcpPeer } from './server';

let peer: GcpPeer;
let c: GcpClients;
let P: string;
const ZONE = 'us-central1-a';
const DR_ZONE = 'europe-west1-b';

function startOtherKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A gax error's fields the adapters map from. */
async function rejection(p: Promise<unknown>): Promise<{ code?: number; httpStatusCode?: number; status?: number; message: string; reason?: string; errorInfoMetadata?: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a rejection');
}

async function waitZone(zone: string, operation: string) {
  for (;;) {
    const [op] = await c.zoneOperations.wait({ project: P, zone, operation });
    if (op.status === 'DONE') return op;
  }
}

async function waitGlobal(operation: string) {
  for (;;) {
    const [op] = await c.globalOperations.wait({ project: P, operation });
    if (op.status === 'DONE') return op;
  }
}

async function insertVm(name: string, zone = ZONE, requestId: string = randomUUID()) {
  const [lro] = await c.instances.insert({
    project: P,
    zone,
    requestId,
    instanceResource: {
      name,
      machineType: `zones/${zone}/machineTypes/e2-medium`,
      labels: { app: 'shop' },
      tags: { items: ['web'] },
      metadata: { items: [{ key: 'startup-script', value: 'echo hi' }] },
      serviceAccounts: [{ email: `app@${P}.iam.gserviceaccount.com`, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }],
      disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12', diskSizeGb: '20' } }],
    },
  });
  return lro.latestResponse as unknown as { name: string; status: string };
}

describeGcpPeer('GCP peer (Compute, GKE, Cloud SQL Admin, IAM, Storage Transfer) through the real clients', () => {
  beforeAll(async () => {
    peer = await startGcpPeer();
    P = peer.project;
    c = gcpClients(peer);
  });
  afterAll(async () => {
    await c?.close();
    await peer?.close();
  });
  afterEach(() => {
    expect(peer.violations).toEqual([]);
  });

  describe('Compute Engine', () => {
    it('lists zones, machine types and the default network with its subnetworks', async () => {
      const [zones] = await c.zones.list({ project: P });
      expect(zones.map((z) => z.name)).toContain(DR_ZONE);
      const [types] = await c.machineTypes.list({ project: P, zone: ZONE });
      expect(types.find((t) => t.name === 'e2-medium')?.guestCpus).toBe(2);
      const [net] = await c.networks.get({ project: P, network: 'default' });
      expect(net.subnetworks).toContain(`https://www.googleapis.com/compute/v1/projects/${P}/regions/europe-west1/subnetworks/default`);
      const [sub] = await c.subnetworks.get({ project: P, region: 'europe-west1', subnetwork: 'default' });
      expect(sub.network).toBe(net.selfLink);
    });

    it('pages lists by maxResults / pageToken, and the client follows nextPageToken to the end', async () => {
      const before = peer.exchanges.length;
      const [zones] = await c.zones.list({ project: P, maxResults: 1 });
      expect(zones.map((z) => z.name)).toEqual(['us-central1-a', 'us-central1-b', 'europe-west1-b', 'europe-west1-c']);
      const pages = peer.exchanges.slice(before).filter((e) => e.methodId === 'compute.zones.list');
      expect(pages).toHaveLength(4);
      expect(pages[1]?.query).toContain('pageToken=');
    });

    it('creates a custom network (global operation) and a subnetwork in it (region operation)', async () => {
      const [netOp] = await c.networks.insert({ project: P, requestId: randomUUID(), networkResource: { name: 'dr-net', autoCreateSubnetworks: false } });
      await waitGlobal(netOp.latestResponse.name as string);
      const [subOp] = await c.subnetworks.insert({
        project: P,
        region: 'europe-west1',
        requestId: randomUUID(),
        subnetworkResource: { name: 'dr-sub', network: `projects/${P}/global/networks/dr-net`, ipCidrRange: '10.200.0.0/24' },
      });
      expect((subOp.latestResponse as { region?: string }).region).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/regions/europe-west1`);
      for (;;) {
        const [op] = await c.regionOperations.wait({ project: P, region: 'europe-west1', operation: subOp.latestResponse.name as string });
        if (op.status === 'DONE') break;
      }
      const [net] = await c.networks.get({ project: P, network: 'dr-net' });
      expect(net.subnetworks).toEqual([`https://www.googleapis.com/compute/v1/projects/${P}/regions/europe-west1/subnetworks/dr-sub`]);
      const [subs] = await c.subnetworks.list({ project: P, region: 'europe-west1' });
      expect(subs.map((x) => x.name).sort()).toEqual(['default', 'dr-sub']);
    });

    it('answers an instance insert with a PENDING operation that polls go RUNNING then DONE, and the instance RUNNING', async () => {
      const op = await insertVm('vm-poll');
      expect(op.status).toBe('PENDING');
      const [mid] = await c.instances.get({ project: P, zone: ZONE, instance: 'vm-poll' });
      expect(mid.status).toBe('PROVISIONING');
      const [r1] = await c.zoneOperations.get({ project: P, zone: ZONE, operation: op.name });
      expect(r1.status).toBe('RUNNING');
      const [r2] = await c.zoneOperations.get({ project: P, zone: ZONE, operation: op.name });
      expect(r2.status).toBe('DONE');
      expect(r2.targetLink).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/zones/${ZONE}/instances/vm-poll`);
      const [vm] = await c.instances.get({ project: P, zone: ZONE, instance: 'vm-poll' });
      expect(vm.status).toBe('RUNNING');
      expect(vm.selfLink).toBe(r2.targetLink);
      expect(vm.disks?.[0]?.source).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/zones/${ZONE}/disks/vm-poll`);
      expect(vm.labels).toEqual({ app: 'shop' });
    });

    it('lists instances across zones with aggregatedList (empty zones carry NO_RESULTS_ON_PAGE)', async () => {
      await waitZone('us-central1-b', (await insertVm('vm-agg', 'us-central1-b')).name);
      const scopes = new Map<string, string[]>();
      for await (const [scope, scoped] of c.instances.aggregatedListAsync({ project: P })) {
        scopes.set(scope, (scoped.instances ?? []).map((i) => i.name ?? ''));
      }
      expect(scopes.get('zones/us-central1-b')).toContain('vm-agg');
      expect([...scopes.keys()].sort()).toEqual(['zones/europe-west1-b', 'zones/europe-west1-c', 'zones/us-central1-a', 'zones/us-central1-b']);
      const [zoned] = await c.instances.list({ project: P, zone: 'us-central1-b' });
      expect(zoned.map((i) => i.name)).toEqual(['vm-agg']);
    });

    it('deduplicates by requestId: the same requestId returns the same operation and creates one instance', async () => {
      const requestId = randomUUID();
      const first = await insertVm('vm-dedup', ZONE, requestId);
      await waitZone(ZONE, first.name);
      const again = await insertVm('vm-dedup', ZONE, requestId);
      expect(again.name).toBe(first.name);
      expect(again.status).toBe('DONE');
      const [list] = await c.instances.list({ project: P, zone: ZONE, filter: 'name = "vm-dedup"' });
      expect(list).toHaveLength(1);
      // Without the requestId the retry is a second insert, which Compute refuses by name.
      const err = await rejection(insertVm('vm-dedup'));
      expect(err.code).toBe(6);
      expect(err.message).toContain('already exists');
    });

    it('deduplicates a replay that arrives before DONE (a resumed step after a crash): same operation, one instance', async () => {
      peer.hold();
      const requestId = randomUUID();
      const first = await insertVm('vm-crash', ZONE, requestId);
      // A fresh client, as a restarted process would build, replays the step with its journaled requestId.
      const resumed = new InstancesClient(gaxOptions(peer));
      const [lro] = await resumed.insert({
        project: P,
        zone: ZONE,
        requestId,
        instanceResource: { name: 'vm-crash', machineType: `zones/${ZONE}/machineTypes/e2-medium`, disks: [{ boot: true, initializeParams: { sourceImage: 'x' } }] },
      });
      expect(lro.latestResponse.name).toBe(first.name);
      expect((lro.latestResponse as unknown as { status: string }).status).toBe('PENDING');
      peer.release();
      expect((await waitZone(ZONE, first.name)).status).toBe('DONE');
      const [list] = await c.instances.list({ project: P, zone: ZONE, filter: 'name = "vm-crash"' });
      expect(list).toHaveLength(1);
      await resumed.close();
    });

    it('refuses a requestId that is not a UUID, as Compute does', async () => {
      const err = await rejection(insertVm('vm-bad-rid', ZONE, 'not-a-uuid'));
      expect(err.httpStatusCode).toBe(400);
      expect(err.message).toContain('requestId');
    });

    it('holds operations while held: wait answers RUNNING until released', async () => {
      peer.hold();
      const op = await insertVm('vm-held');
      const [r] = await c.zoneOperations.wait({ project: P, zone: ZONE, operation: op.name });
      expect(r.status).toBe('PENDING');
      peer.release();
      expect((await waitZone(ZONE, op.name)).status).toBe('DONE');
    });

    it('with waitReturnsEarly, wait is one poll as get is: RUNNING first, then DONE', async () => {
      const early = await startGcpPeer({ waitReturnsEarly: true, contract: peer.contract });
      const o = gaxOptions(early);
      const instances = new InstancesClient(o);
      const ops = new ZoneOperationsClient(o);
      try {
        const [lro] = await instances.insert({
          project: early.project,
          zone: ZONE,
          requestId: randomUUID(),
          instanceResource: {
            name: 'vm-early',
            machineType: `zones/${ZONE}/machineTypes/e2-medium`,
            disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12', diskSizeGb: '20' } }],
          },
        });
        const operation = (lro.latestResponse as { name: string }).name;
        const statuses = [];
        for (let i = 0; i < 2; i++) statuses.push(String((await ops.wait({ project: early.project, zone: ZONE, operation }))[0].status));
        expect(statuses).toEqual(['RUNNING', 'DONE']);
        expect(early.violations).toEqual([]);
      } finally {
        await instances.close();
        await ops.close();
        await early.close();
      }
    });

    it('setLabels and setMetadata require the current fingerprint (412 conditionNotMet otherwise)', async () => {
      await waitZone(ZONE, (await insertVm('vm-labels')).name);
      const [vm] = await c.instances.get({ project: P, zone: ZONE, instance: 'vm-labels' });
      const [lro] = await c.instances.setLabels({
        project: P,
        zone: ZONE,
        instance: 'vm-labels',
        requestId: randomUUID(),
        instancesSetLabelsRequestResource: { labels: { app: 'shop', 'dr-step': 's1' }, labelFingerprint: vm.labelFingerprint },
      });
      await waitZone(ZONE, lro.latestResponse.name as string);
      const [after] = await c.instances.get({ project: P, zone: ZONE, instance: 'vm-labels' });
      expect(after.labels).toEqual({ app: 'shop', 'dr-step': 's1' });
      expect(after.labelFingerprint).not.toBe(vm.labelFingerprint);
      const stale = await rejection(
        c.instances.setLabels({ project: P, zone: ZONE, instance: 'vm-labels', instancesSetLabelsRequestResource: { labels: {}, labelFingerprint: vm.labelFingerprint } }),
      );
      expect(stale.httpStatusCode).toBe(412);
      const [m] = await c.instances.setMetadata({
        project: P,
        zone: ZONE,
        instance: 'vm-labels',
        metadataResource: { fingerprint: after.metadata?.fingerprint, items: [{ key: 'role', value: 'web' }] },
      });
      await waitZone(ZONE, m.latestResponse.name as string);
      const [meta] = await c.instances.get({ project: P, zone: ZONE, instance: 'vm-labels' });
      expect(meta.metadata?.items?.map((i) => [i.key, i.value])).toEqual([['role', 'web']]);
    });

    it('snapshots a disk into storageLocations, builds a disk from the snapshot in another region, and an instance on it', async () => {
      await waitZone(ZONE, (await insertVm('vm-src')).name);
      const [snapLro] = await c.snapshots.insert({
        project: P,
        requestId: randomUUID(),
        snapshotResource: { name: 'vm-src-snap-1', sourceDisk: `projects/${P}/zones/${ZONE}/disks/vm-src`, storageLocations: ['europe-west1'], labels: { 'dr-point': 'p1' } },
      });
      const [creating] = await c.snapshots.get({ project: P, snapshot: 'vm-src-snap-1' });
      expect(creating.status).toBe('CREATING');
      await waitGlobal(snapLro.latestResponse.name as string);
      const [snap] = await c.snapshots.get({ project: P, snapshot: 'vm-src-snap-1' });
      expect(snap.status).toBe('READY');
      expect(snap.storageLocations).toEqual(['europe-west1']);
      expect(snap.diskSizeGb).toBe('20');
      expect(snap.sourceDisk).toBe(`https://www.googleapis.com/compute/v1/projects/${P}/zones/${ZONE}/disks/vm-src`);

      const [diskLro] = await c.disks.insert({
        project: P,
        zone: DR_ZONE,
        requestId: randomUUID(),
        diskResource: { name: 'vm-src-dr', sourceSnapshot: snap.selfLink },
      });
      await waitZone(DR_ZONE, diskLro.latestResponse.name as string);
      const [disk] = await c.disks.get({ project: P, zone: DR_ZONE, disk: 'vm-src-dr' });
      expect(disk.status).toBe('READY');
      expect(disk.sourceSnapshot).toBe(snap.selfLink);
      expect(disk.sourceSnapshotId).toBe(snap.id);
      expect(disk.sizeGb).toBe('20');

      const [vmLro] = await c.instances.insert({
        project: P,
        zone: DR_ZONE,
        requestId: randomUUID(),
        instanceResource: { name: 'vm-src', machineType: `zones/${DR_ZONE}/machineTypes/e2-medium`, disks: [{ boot: true, source: disk.selfLink }] },
      });
      await waitZone(DR_ZONE, vmLro.latestResponse.name as string);
      const [dr] = await c.instances.get({ project: P, zone: DR_ZONE, instance: 'vm-src' });
      expect(dr.disks?.[0]?.source).toBe(disk.selfLink);
      expect(dr.networkInterfaces?.[0]?.subnetwork).toContain('/regions/europe-west1/subnetworks/default');

      // An attached disk cannot be deleted; deleting the instance (autoDelete false) frees it.
      const inUse = await rejection(c.disks.delete({ project: P, zone: DR_ZONE, disk: 'vm-src-dr' }));
      expect(inUse.httpStatusCode).toBe(400);
      expect(inUse.message).toContain('already being used');
      const [del] = await c.instances.delete({ project: P, zone: DR_ZONE, instance: 'vm-src', requestId: randomUUID() });
      await waitZone(DR_ZONE, del.latestResponse.name as string);
      const [freed] = await c.disks.get({ project: P, zone: DR_ZONE, disk: 'vm-src-dr' });
      expect(freed.users ?? []).toEqual([]);
      const [gone] = await c.instances.list({ project: P, zone: DR_ZONE });
      expect(gone.map((i) => i.name)).not.toContain('vm-src');

      // Cleaning up a recovery point: the disk, then the snapshot, each through its operation.
      const [delDisk] = await c.disks.delete({ project: P, zone: DR_ZONE, disk: 'vm-src-dr', requestId: randomUUID() });
      await waitZone(DR_ZONE, delDisk.latestResponse.name as string);
      const [delSnap] = await c.snapshots.delete({ project: P, snapshot: 'vm-src-snap-1', requestId: randomUUID() });
      await waitGlobal(delSnap.latestResponse.name as string);
      const [snaps] = await c.snapshots.list({ project: P });
      expect(snaps.map((x) => x.name)).not.toContain('vm-src-snap-1');
      expect((await rejection(c.disks.get({ project: P, zone: DR_ZONE, disk: 'vm-src-dr' }))).code).toBe(5);
    });

    it('refuses a snapshot storage location that does not exist', async () => {
      await waitZone(ZONE, (await insertVm('vm-loc')).name);
      const err = await rejection(
        c.snapshots.insert({ project: P, snapshotResource: { name: 'bad-loc', sourceDisk: `zones/${ZONE}/disks/vm-loc`, storageLocations: ['mars-north1'] } }),
      );
      expect(err.httpStatusCode).toBe(400);
      expect(err.message).toContain('storageLocations');
    });

    it('ends an operation DONE with its error when told to, and the instance does not appear', async () => {
      peer.failNextOperation({ method: 'compute.instances.insert', code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'The zone does not have enough resources.' });
      const op = await waitZone(ZONE, (await insertVm('vm-fails')).name);
      expect(op.error?.errors?.[0]?.code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED');
      const err = await rejection(c.instances.get({ project: P, zone: ZONE, instance: 'vm-fails' }));
      expect(err.code).toBe(5);
    });
  });

  describe('injected errors, as the clients surface them', () => {
    it('rateLimitExceeded (403): gax gives code 7 and the message, but not the legacy errors[].reason', async () => {
      peer.inject({ method: 'compute.instances.insert', kind: 'rateLimitExceeded' });
      const err = await rejection(insertVm('vm-rl'));
      expect(err.code).toBe(7);
      expect(err.httpStatusCode).toBe(403);
      expect(err.message).toBe(
        `Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'compute.googleapis.com' for consumer 'project_number:${peer.projectNumber}'.`,
      );
      expect(err.reason).toBeUndefined();
    });

    it('RESOURCE_EXHAUSTED (429) carries an ErrorInfo RATE_LIMIT_EXCEEDED with the quota metric', async () => {
      peer.inject({ method: 'container.projects.locations.clusters.list', kind: 'RESOURCE_EXHAUSTED' });
      const err = await rejection(c.container.listClusters({ parent: `projects/${P}/locations/-` }));
      expect(err.code).toBe(8);
      expect(err.reason).toBe('RATE_LIMIT_EXCEEDED');
      expect(err.errorInfoMetadata?.quota_metric).toBe('container.googleapis.com/default');
    });

    it('SERVICE_DISABLED names the API to enable', async () => {
      peer.inject({ method: /^compute\./, kind: 'SERVICE_DISABLED' });
      const err = await rejection(c.zones.list({ project: P }));
      expect(err.code).toBe(7);
      expect(err.reason).toBe('SERVICE_DISABLED');
      expect(err.errorInfoMetadata?.service).toBe('compute.googleapis.com');
      expect(err.message).toContain('Compute Engine API has not been used');
    });

    it('PERMISSION_DENIED names the permission (Compute style and One Platform style)', async () => {
      peer.inject({ method: 'compute.snapshots.insert', kind: 'PERMISSION_DENIED' });
      const err = await rejection(c.snapshots.insert({ project: P, snapshotResource: { name: 's', sourceDisk: 'zones/x/disks/y' } }));
      expect(err.message).toBe(`Required 'compute.snapshots.create' permission for 'projects/${P}/global/snapshots'`);
      expect(err.errorInfoMetadata?.permission).toBe('compute.snapshots.create');
      peer.inject({ method: 'iam.projects.serviceAccounts.create', kind: 'PERMISSION_DENIED' });
      const iamErr = await rejection(c.iam.projects.serviceAccounts.create({ name: `projects/${P}`, requestBody: { accountId: 'denied-sa' } }));
      expect(iamErr.status).toBe(403);
      expect(iamErr.message).toContain("Permission 'iam.serviceAccounts.create' denied");
    });

    it('a fault is used up: the retry of the same call succeeds', async () => {
      peer.inject({ method: 'compute.zones.get', kind: 'rateLimitExceeded429' });
      const err = await rejection(c.zones.get({ project: P, zone: ZONE }));
      expect(err.httpStatusCode).toBe(429);
      const [z] = await c.zones.get({ project: P, zone: ZONE });
      expect(z.name).toBe(ZONE);
    });
  });

  describe('GKE (container v1)', () => {
    const parent = () => `projects/${P}/locations/europe-west1`;
    async function waitGke(name: string) {
      for (;;) {
        const [op] = await c.container.getOperation({ name: `${parent()}/operations/${name}` });
        if (op.status === 'DONE') return op;
      }
    }

    it('creates a cluster with node pools through operations, adds and deletes a node pool, deletes the cluster', async () => {
      const [op] = await c.container.createCluster({
        parent: parent(),
        cluster: {
          name: 'shop',
          resourceLabels: { app: 'shop' },
          releaseChannel: { channel: 'REGULAR' },
          nodePools: [{ name: 'default-pool', initialNodeCount: 1, config: { machineType: 'e2-standard-2', serviceAccount: `gke@${P}.iam.gserviceaccount.com` } }],
        },
      });
      expect(op.status).toBe('PENDING');
      expect(op.operationType).toBe('CREATE_CLUSTER');
      const [provisioning] = await c.container.getCluster({ name: `${parent()}/clusters/shop` });
      expect(provisioning.status).toBe('PROVISIONING');
      const busy = await rejection(c.container.createNodePool({ parent: `${parent()}/clusters/shop`, nodePool: { name: 'extra' } }));
      expect(busy.code).toBe(9);
      expect(busy.reason).toBe('CLUSTER_ALREADY_HAS_OPERATION');
      await waitGke(op.name!);
      const [cluster] = await c.container.getCluster({ name: `${parent()}/clusters/shop` });
      expect(cluster.status).toBe('RUNNING');
      expect(cluster.releaseChannel?.channel).toBe('REGULAR');
      expect(cluster.nodePools?.map((n) => [n.name, n.status])).toEqual([['default-pool', 'RUNNING']]);

      const [npOp] = await c.container.createNodePool({ parent: `${parent()}/clusters/shop`, nodePool: { name: 'extra', initialNodeCount: 2, config: { machineType: 'e2-medium' } } });
      await waitGke(npOp.name!);
      const [pools] = await c.container.listNodePools({ parent: `${parent()}/clusters/shop` });
      expect(pools.nodePools?.map((n) => n.name)).toEqual(['default-pool', 'extra']);
      const dup = await rejection(c.container.createCluster({ parent: parent(), cluster: { name: 'shop', initialNodeCount: 1 } }));
      expect(dup.code).toBe(6);

      const [delNp] = await c.container.deleteNodePool({ name: `${parent()}/clusters/shop/nodePools/extra` });
      await waitGke(delNp.name!);
      const [del] = await c.container.deleteCluster({ name: `${parent()}/clusters/shop` });
      await waitGke(del.name!);
      const [list] = await c.container.listClusters({ parent: `projects/${P}/locations/-` });
      expect(list.clusters ?? []).toEqual([]);
    });
  });

  describe('Cloud SQL Admin', () => {
    async function waitSql(name: string) {
      for (;;) {
        const { data } = await c.sql.operations.get({ project: P, operation: name });
        if (data.status === 'DONE') return data;
      }
    }

    it('creates a primary and a cross-region read replica, patches settings, promotes the replica', async () => {
      const { data: op } = await c.sql.instances.insert({
        project: P,
        requestBody: { name: 'orders', region: 'us-central1', databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-1-3840', userLabels: { app: 'shop' } } },
      });
      expect(op.status).toBe('PENDING');
      await waitSql(op.name!);
      const { data: rop } = await c.sql.instances.insert({
        project: P,
        requestBody: { name: 'orders-dr', region: 'europe-west1', masterInstanceName: `${P}:orders`, settings: { tier: 'db-custom-1-3840' } },
      });
      expect(rop.operationType).toBe('CREATE_REPLICA');
      const busy = await rejection(c.sql.instances.promoteReplica({ project: P, instance: 'orders-dr' }));
      expect(busy.status).toBe(409);
      await waitSql(rop.name!);
      const { data: primary } = await c.sql.instances.get({ project: P, instance: 'orders' });
      expect(primary.replicaNames).toEqual(['orders-dr']);
      const { data: replica } = await c.sql.instances.get({ project: P, instance: 'orders-dr' });
      expect(replica.instanceType).toBe('READ_REPLICA_INSTANCE');
      expect(replica.masterInstanceName).toBe(`${P}:orders`);
      expect(replica.databaseVersion).toBe('POSTGRES_16');

      const { data: pop } = await c.sql.instances.patch({ project: P, instance: 'orders-dr', requestBody: { settings: { userLabels: { app: 'shop', dr: 'yes' } } } });
      await waitSql(pop.name!);
      const { data: patched } = await c.sql.instances.get({ project: P, instance: 'orders-dr' });
      expect(patched.settings?.userLabels).toEqual({ app: 'shop', dr: 'yes' });
      expect(patched.settings?.settingsVersion).toBe('2');

      const notReplica = await rejection(c.sql.instances.promoteReplica({ project: P, instance: 'orders' }));
      expect(notReplica.status).toBe(400);
      const { data: prom } = await c.sql.instances.promoteReplica({ project: P, instance: 'orders-dr' });
      expect(prom.operationType).toBe('PROMOTE_REPLICA');
      await waitSql(prom.name!);
      const { data: promoted } = await c.sql.instances.get({ project: P, instance: 'orders-dr' });
      expect(promoted.instanceType).toBe('CLOUD_SQL_INSTANCE');
      expect(promoted.masterInstanceName).toBeUndefined();
      const { data: formerPrimary } = await c.sql.instances.get({ project: P, instance: 'orders' });
      expect(formerPrimary.replicaNames).toBeUndefined();
      const { data: del } = await c.sql.instances.delete({ project: P, instance: 'orders-dr' });
      await waitSql(del.name!);
      const missing = await rejection(c.sql.instances.get({ project: P, instance: 'orders-dr' }));
      expect(missing.status).toBe(404);
    });
  });

  describe('IAM', () => {
    it('creates, reads, lists and deletes a service account; its IAM policy is read-modify-write by etag', async () => {
      const { data: sa } = await c.iam.projects.serviceAccounts.create({
        name: `projects/${P}`,
        requestBody: { accountId: 'shop-runner', serviceAccount: { displayName: 'Shop runner' } },
      });
      expect(sa.email).toBe(`shop-runner@${P}.iam.gserviceaccount.com`);
      const dup = await rejection(c.iam.projects.serviceAccounts.create({ name: `projects/${P}`, requestBody: { accountId: 'shop-runner' } }));
      expect(dup.status).toBe(409);
      const { data: got } = await c.iam.projects.serviceAccounts.get({ name: `projects/-/serviceAccounts/${sa.email}` });
      expect(got.uniqueId).toBe(sa.uniqueId);
      const resource = `projects/${P}/serviceAccounts/${sa.email}`;
      const { data: policy } = await c.iam.projects.serviceAccounts.getIamPolicy({ resource });
      const binding = { role: 'roles/iam.serviceAccountUser', members: [`user:ops@example.com`] };
      const { data: set } = await c.iam.projects.serviceAccounts.setIamPolicy({ resource, requestBody: { policy: { etag: policy.etag, bindings: [binding] } } });
      expect(set.bindings).toEqual([binding]);
      const stale = await rejection(c.iam.projects.serviceAccounts.setIamPolicy({ resource, requestBody: { policy: { etag: policy.etag, bindings: [] } } }));
      expect(stale.status).toBe(409);
      const { data: list } = await c.iam.projects.serviceAccounts.list({ name: `projects/${P}` });
      expect(list.accounts?.map((a) => a.email)).toContain(sa.email);
      await c.iam.projects.serviceAccounts.delete({ name: resource });
      const gone = await rejection(c.iam.projects.serviceAccounts.get({ name: resource }));
      expect(gone.status).toBe(404);
    });
  });

  describe('IAM custom roles', () => {
    it('creates, reads and lists a custom role (BASIC view without permissions), deletes it softly, undeletes it; a taken id answers 409', async () => {
      const parent = `projects/${P}`;
      const { data: role } = await c.iam.projects.roles.create({
        parent,
        requestBody: { roleId: 'shopReader', role: { title: 'Shop reader', includedPermissions: ['compute.disks.get', 'container.clusters.get'], stage: 'GA' } },
      });
      expect(role).toMatchObject({ name: `${parent}/roles/shopReader`, title: 'Shop reader', includedPermissions: ['compute.disks.get', 'container.clusters.get'], stage: 'GA' });
      expect(role.etag).toBeTruthy();
      const dup = await rejection(c.iam.projects.roles.create({ parent, requestBody: { roleId: 'shopReader', role: { title: 'again' } } }));
      expect(dup.status).toBe(409);
      const bad = await rejection(c.iam.projects.roles.create({ parent, requestBody: { roleId: 'x', role: { title: 'short' } } }));
      expect(bad.status).toBe(400);
      const alpha = (await c.iam.projects.roles.create({ parent, requestBody: { roleId: 'alphaRole', role: { title: 'Alpha', stage: 'ALPHA' } } })).data;
      expect(alpha).not.toHaveProperty('stage');
      const { data: basic } = await c.iam.projects.roles.list({ parent });
      expect(basic.roles?.map((r) => [r.name, r.includedPermissions])).toEqual([
        [`${parent}/roles/shopReader`, undefined],
        [`${parent}/roles/alphaRole`, undefined],
      ]);
      const { data: full } = await c.iam.projects.roles.list({ parent, view: 'FULL' });
      expect(full.roles?.[0]?.includedPermissions).toEqual(['compute.disks.get', 'container.clusters.get']);

      const name = `${parent}/roles/shopReader`;
      const stale = await rejection(c.iam.projects.roles.delete({ name, etag: 'c3RhbGU=' }));
      expect(stale.status).toBe(409);
      const { data: deleted } = await c.iam.projects.roles.delete({ name, etag: role.etag! });
      expect(deleted.deleted).toBe(true);
      expect((await c.iam.projects.roles.get({ name })).data.deleted).toBe(true);
      expect((await c.iam.projects.roles.list({ parent })).data.roles?.map((r) => r.name)).toEqual([`${parent}/roles/alphaRole`]);
      expect((await c.iam.projects.roles.list({ parent, showDeleted: true })).data.roles).toHaveLength(2);
      // A deleted role keeps its id: a create answers 409; undelete brings it back.
      expect((await rejection(c.iam.projects.roles.create({ parent, requestBody: { roleId: 'shopReader', role: { title: 'new' } } }))).status).toBe(409);
      const { data: back } = await c.iam.projects.roles.undelete({ name, requestBody: {} });
      expect(back).not.toHaveProperty('deleted');
      expect(back.includedPermissions).toEqual(['compute.disks.get', 'container.clusters.get']);
      const notDeleted = await rejection(c.iam.projects.roles.undelete({ name, requestBody: {} }));
      expect(notDeleted.status).toBe(400);
      const gone = await rejection(c.iam.projects.roles.get({ name: `${parent}/roles/neverMade` }));
      expect(gone.status).toBe(404);
      // Purged (the days a deleted role is kept are over): the id is free again.
      await c.iam.projects.roles.delete({ name });
      peer.purgeDeletedRoles();
      expect((await rejection(c.iam.projects.roles.get({ name }))).status).toBe(404);
    });

    it('a project IAM policy may bind a custom role only while it exists', async () => {
      const resource = `projects/${P}`;
      const member = `serviceAccount:shop-runner@${P}.iam.gserviceaccount.com`;
      const [policy] = await c.projects.getIamPolicy({ resource });
      const missing = await rejection(c.projects.setIamPolicy({ resource, policy: { etag: policy.etag, bindings: [...(policy.bindings ?? []), { role: `${resource}/roles/nope`, members: [member] }] } }));
      expect(missing.code).toBe(400);
      expect(JSON.parse(missing.message)).toMatchObject({ error: { message: `Role (${resource}/roles/nope) does not exist in the resource's hierarchy.` } });
      await c.iam.projects.roles.create({ parent: resource, requestBody: { roleId: 'nope', role: { title: 'Now it exists', includedPermissions: ['compute.disks.get'] } } });
      const [set] = await c.projects.setIamPolicy({ resource, policy: { etag: policy.etag, bindings: [...(policy.bindings ?? []), { role: `${resource}/roles/nope`, members: [member] }] } });
      expect(set.bindings?.find((b) => b.role === `${resource}/roles/nope`)?.members).toEqual([member]);
    });
  });

  describe('Cloud Resource Manager (project IAM policy)', () => {
    it('grants a role to a service account by read-modify-write with the etag; a stale etag answers ABORTED', async () => {
      const resource = `projects/${P}`;
      const [project] = await c.projects.getProject({ name: resource });
      expect(project.projectId).toBe(P);
      const [policy] = await c.projects.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } });
      const member = `serviceAccount:shop-runner@${P}.iam.gserviceaccount.com`;
      const bindings = [...(policy.bindings ?? []), { role: 'roles/compute.instanceAdmin.v1', members: [member] }];
      const [set] = await c.projects.setIamPolicy({ resource, policy: { etag: policy.etag, bindings } });
      expect(set.bindings?.find((b) => b.role === 'roles/compute.instanceAdmin.v1')?.members).toEqual([member]);
      // resource-manager 6.3.0 (google-gax 5.0.8) over REST rejects with the raw GaxiosError: `code` is
      // the HTTP status and `message` is the error body's JSON text, with no reason or ErrorInfo.
      const stale = await rejection(c.projects.setIamPolicy({ resource, policy: { etag: policy.etag, bindings } }));
      expect((stale as unknown as Error).constructor.name).toBe('GaxiosError');
      expect(stale.code).toBe(409);
      expect(JSON.parse(stale.message)).toMatchObject({ error: { status: 'ABORTED' } });
      const [again] = await c.projects.getIamPolicy({ resource });
      expect(again.etag).toEqual(set.etag);
    });
  });

  describe('Service Usage (which APIs are enabled)', () => {
    it('reports a disabled API by name, and calls to it answer SERVICE_DISABLED until it is enabled', async () => {
      peer.disableApi('container.googleapis.com');
      try {
        const apis = ['compute.googleapis.com', 'container.googleapis.com', 'sqladmin.googleapis.com'];
        const [res] = await c.serviceUsage.batchGetServices({ parent: `projects/${P}`, names: apis.map((a) => `projects/${P}/services/${a}`) });
        expect(res.services?.map((s) => [s.config?.name, s.state])).toEqual([
          ['compute.googleapis.com', 'ENABLED'],
          ['container.googleapis.com', 'DISABLED'],
          ['sqladmin.googleapis.com', 'ENABLED'],
        ]);
        expect(res.services?.[1]?.config?.title).toBe('Kubernetes Engine API');
        const [disabled] = await c.serviceUsage.listServices({ parent: `projects/${P}`, filter: 'state:DISABLED' });
        expect(disabled.map((s) => s.config?.name)).toEqual(['container.googleapis.com']);
        const err = await rejection(c.container.listClusters({ parent: `projects/${P}/locations/-` }));
        expect(err.reason).toBe('SERVICE_DISABLED');
        expect(err.errorInfoMetadata?.service).toBe('container.googleapis.com');
      } finally {
        peer.enableApi('container.googleapis.com');
      }
      const [ok] = await c.container.listClusters({ parent: `projects/${P}/locations/-` });
      expect(ok.clusters ?? []).toEqual([]);
    });
  });

  describe('Storage Transfer', () => {
    it('creates a bucket-to-bucket job, reads it, and deletes it by patching status DELETED', async () => {
      const [job] = await c.transfer.createTransferJob({
        transferJob: {
          projectId: P,
          description: 'dr replication shop-assets',
          status: 'ENABLED',
          transferSpec: { gcsDataSource: { bucketName: 'shop-assets' }, gcsDataSink: { bucketName: 'shop-assets-dr' } },
          schedule: { scheduleStartDate: { year: 2026, month: 12, day: 2 }, repeatInterval: { seconds: 3600 } },
        },
      });
      expect(job.name).toMatch(/^transferJobs\/\d+$/);
      const [got] = await c.transfer.getTransferJob({ jobName: job.name!, projectId: P });
      expect(got.transferSpec?.gcsDataSink?.bucketName).toBe('shop-assets-dr');
      expect(got.status).toBe('ENABLED');
      const [patched] = await c.transfer.updateTransferJob({
        jobName: job.name!,
        projectId: P,
        transferJob: { status: 'DELETED' },
        updateTransferJobFieldMask: { paths: ['status'] },
      });
      expect(patched.status).toBe('DELETED');
      const [listed] = await c.transfer.listTransferJobs({ filter: JSON.stringify({ projectId: P }) });
      expect(listed.map((j) => j.name)).not.toContain(job.name);
    });

    it('gets no Authorization header from a google-auth-library 11 client (its google-gax 4 drops it): 401', async () => {
      const client = new StorageTransferServiceClient({ ...gaxOptions(peer) } as never);
      const err = await rejection(client.getTransferJob({ jobName: 'transferJobs/1', projectId: P }));
      expect(err.code).toBe(16);
      expect(peer.exchanges.at(-1)?.status).toBe(401);
      await client.close();
    });
  });

  describe('service-account key files', () => {
    it('accepts a self-signed JWT from a key it issued, and refuses one signed by another key', async () => {
      const key = peer.createServiceAccountKey();
      // No scopes: google-auth-library then signs a JWT per request (aud = the URL) instead of asking
      // https://oauth2.googleapis.com/token, which it would call whatever the key's token_uri says.
      const jwt = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id });
      const zones = new ZonesClient({ ...gaxOptions(peer), authClient: jwt });
      const [list] = await zones.list({ project: P });
      expect(list.length).toBeGreaterThan(0);
      const other = startOtherKey();
      const forged = new ZonesClient({ ...gaxOptions(peer), authClient: new JWT({ email: key.client_email, key: other, keyId: key.private_key_id }) });
      const err = await rejection(forged.list({ project: P }));
      expect(err.code).toBe(16);
      expect(err.message).toContain('Invalid JWT Signature');
      await zones.close();
      await forged.close();
    });
  });

  describe('the contract check itself', () => {
    it('refuses a misspelt request field with the services\' 400 and records the violation', async () => {
      const r = await fetch(`${peer.url}/compute/v1/projects/${P}/global/snapshots`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'typo', sourceDisk: `zones/${ZONE}/disks/x`, storageLocation: ['eu'] }),
      });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { error: { message: string; status: string } };
      expect(body.error.status).toBe('INVALID_ARGUMENT');
      expect(body.error.message).toContain('Unknown name "storageLocation"');
      expect(peer.violations.splice(0)).toEqual(['request compute.snapshots.insert: body.storageLocation: unknown field']);
    });

    it('flags an unknown query parameter and a request without a bearer token', async () => {
      const r = await fetch(`${peer.url}/compute/v1/projects/${P}/zones?requestID=x`, { headers: { authorization: 'Bearer t' } });
      expect(r.status).toBe(400);
      expect(peer.violations.splice(0)).toEqual(["request compute.zones.list: unknown query parameter 'requestID'"]);
      const anon = await fetch(`${peer.url}/compute/v1/projects/${P}/zones`);
      expect(anon.status).toBe(401);
    });

    it('fails a response with a misspelt field, a wrong type or an int64 sent as a number', () => {
      const m = peer.contract.method('compute.snapshots.get');
      expect(peer.contract.checkResponse(m, { kind: 'compute#snapshot', name: 's', storageLocation: ['eu'] })).toEqual([
        'compute.snapshots.get: Snapshot.storageLocation: unknown field',
      ]);
      expect(peer.contract.checkResponse(m, { name: 7, diskSizeGb: 20, status: 'FINE' })).toEqual([
        'compute.snapshots.get: Snapshot.name: expected a string, got 7',
        'compute.snapshots.get: Snapshot.diskSizeGb: expected an int64 as a decimal string, got 20',
        'compute.snapshots.get: Snapshot.status: "FINE" is not one of CREATING, DELETING, FAILED, READY, UPLOADING',
      ]);
    });

    it('checked every exchange of this file against a discovery method', () => {
      const methods = new Set(peer.exchanges.map((e) => e.methodId));
      expect(methods.has('unknown')).toBe(false);
      for (const id of ['compute.instances.insert', 'compute.snapshots.insert', 'compute.disks.insert', 'container.projects.locations.clusters.create', 'sql.instances.promoteReplica', 'iam.projects.serviceAccounts.setIamPolicy', 'storagetransfer.transferJobs.patch']) {
        expect(methods.has(id)).toBe(true);
      }
    });
  });
});
