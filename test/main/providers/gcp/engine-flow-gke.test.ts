// A Google Kubernetes Engine cluster through the composed core and its job engine against the GCP peer,
// as the operator drives it: discover → replicate twice → test failover → Reset → failover of the OLDER
// (selected) point. The cluster's disks come from the selected point's snapshots and the same-named IAM
// (custom role, node service account, its bindings) is reused, not made again; the peer's state is read
// back by the real clients and every exchange is held to Google's discovery documents.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Storage } from '@google-cloud/storage';
import { composeCore, type Core } from '../../../../main/compose';
import { consoleBucketName } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { gcpAccount, GCP_SOURCE, GCP_TARGET, GKE_ROLES, iamCensus, seedClients, seedGke, type SeedClients } from '../../../conformance/gcp-peer';

type Json = Record<string, unknown>;

// The account's connectivity check lists buckets too (Test connection's API checks): Cloud Storage is
// fake-gcs-server's, so both peers run.
describeGcpPeer('a GKE cluster through the engine against the GCP peer', () => describeFakeGcs('with fake-gcs-server for Cloud Storage', () => {
  let peer: GcpPeer;
  let gcs: FakeGcs;
  let c: SeedClients;
  let dir: string;
  let core: Core;
  beforeAll(async () => {
    peer = await startGcpPeer();
    gcs = await startFakeGcs();
    c = seedClients(peer);
    dir = mkdtempSync(join(tmpdir(), 'fc-gcp-gke-engine-'));
    const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
    core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: {
        sim: false,
        aws: false,
        gcp: {
          endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, resourcemanager: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/`, storage: gcs.url },
          authClientFor: () => fakeAuth(),
          pollIntervalMs: 5,
          retryDelayMs: 5,
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await core?.close();
    await c?.close();
    await peer?.close();
    await gcs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(peer.violations).toEqual([]));

  const P = () => peer.project;
  const succeeded = async (jobId: string) => {
    const job = await waitForJob(core, jobId, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    return job;
  };
  const clustersIn = (location: string) => peer.resources(`container:projects/${P()}/locations/${location}/clusters/`);
  const disksIn = (zone: string) => peer.resources(`projects/${P()}/zones/${zone}/disks/`);
  const snapshots = () => peer.resources(`projects/${P()}/global/snapshots/`);
  const TARGET_ZONE = 'europe-west1-b';

  it('replicates twice, test-fails over, resets, and fails over the selected point reusing the same-named IAM', async () => {
    const seeded = await seedGke(c, 'orders', 'orders-nodes');
    const sourceFingerprint = JSON.stringify(clustersIn(GCP_SOURCE));

    const account = await call(core, 'dr:accounts.create', { name: 'GCP', provider: 'gcp', cloud: 'gcp', credentials: JSON.parse(JSON.stringify(gcpAccount(P()).credentials)) });
    const src = await call(core, 'dr:environments.create', { accountId: account.id, name: 'iowa', region: GCP_SOURCE, scope: P() });
    const dst = await call(core, 'dr:environments.create', { accountId: account.id, name: 'belgium', region: GCP_TARGET, scope: P() });
    const found = await call(core, 'dr:inventory.discover', { environmentId: src.id });
    const picked = found.filter((f) => f.nativeId === seeded.nativeId);
    expect(picked).toHaveLength(1);
    expect(picked[0]).toMatchObject({ type: 'gcp.gke', name: 'orders', tags: { team: 'payments', env: 'prod' } });
    const policy = await call(core, 'dr:policies.create', {
      name: 'Orders',
      sourceEnvironmentId: src.id,
      targetEnvironmentId: dst.id,
      resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });

    for (let i = 0; i < 2; i++) await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);
    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.items).toHaveLength(2);
    // Two points, each a snapshot of both volumes, stored in the target's region.
    expect(snapshots()).toHaveLength(4);
    for (const s of snapshots()) expect(s).toMatchObject({ status: 'READY', storageLocations: [GCP_TARGET] });
    const older = [...points.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    const details = await call(core, 'dr:recoveryPoints.get', { recoveryPointId: older.id });
    const item = details.items[0]!;
    const olderSnaps = item.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id);
    expect(olderSnaps).toHaveLength(2);
    expect(item.metadata).toMatchObject({ name: 'orders', serviceAccounts: [{ email: seeded.serviceAccount, roles: [...GKE_ROLES(P())].sort() }] });

    const iamBefore = await iamCensus(c);
    await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
    expect(tests.map((t) => t.kind).sort()).toEqual(['Disk', 'Disk', 'KubernetesCluster']);
    const [testCluster] = clustersIn(GCP_TARGET);
    expect(testCluster).toMatchObject({ status: 'RUNNING', resourceLabels: expect.objectContaining({ 'dr-role': 'test' }) });
    expect(String(testCluster!.name)).toMatch(/^drtest-orders-/);
    expect(disksIn(TARGET_ZONE)).toHaveLength(2);
    // Production untouched, no IAM change for a test.
    expect(JSON.stringify(clustersIn(GCP_SOURCE))).toBe(sourceFingerprint);
    expect(await iamCensus(c)).toEqual(iamBefore);

    await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    expect(clustersIn(GCP_TARGET)).toEqual([]);
    expect(disksIn(TARGET_ZONE)).toEqual([]);
    expect(snapshots()).toHaveLength(4);

    const plan = await call(core, 'dr:failover.prepare', { policyId: policy.id, recoveryPointId: older.id });
    expect(plan.recoveryPoint.id).toBe(older.id);
    // The failover lease is taken in the target's console bucket (fake-gcs-server), not overridden.
    expect(plan.warnings.join(' ')).not.toMatch(/keeps no failover lease/);
    const fo = await succeeded((await call(core, 'dr:failover.start', { token: plan.token })).jobId);
    await core.services.leases.idle();
    const leaseObject = new Storage({ apiEndpoint: gcs.url, projectId: P() }).bucket(consoleBucketName(P(), GCP_TARGET)).file(STORE_KEYS.lease(policy.id));
    expect(JSON.parse((await leaseObject.download())[0].toString())).toMatchObject({ policyId: policy.id, jobId: fo.id, state: 'completed' });
    expect(fo.steps.flatMap((st) => st.warnings)).toEqual([]);

    const [cluster] = clustersIn(GCP_TARGET);
    expect(cluster).toMatchObject({ name: 'orders', status: 'RUNNING', resourceLabels: expect.objectContaining({ team: 'payments', env: 'prod', 'dr-role': 'failover' }) });
    expect((cluster!.nodePools as Json[]).map((p) => [p.name, (p.config as Json).machineType, (p.config as Json).serviceAccount])).toEqual([
      ['default-pool', 'e2-standard-4', seeded.serviceAccount],
      ['batch', 'e2-highmem-2', seeded.serviceAccount],
    ]);
    // The disks come from the SELECTED (older) point's snapshots.
    const disks = disksIn(TARGET_ZONE);
    expect(disks.map((d) => d.name).sort()).toEqual([...seeded.disks].sort());
    expect(disks.map((d) => d.sourceSnapshot).sort()).toEqual([...olderSnaps].sort());
    // Same-named IAM reused: no role, service account or binding was made.
    expect(await iamCensus(c)).toEqual(iamBefore);
    expect(iamBefore.filter((l) => l.startsWith('role|'))).toHaveLength(1);
    expect(iamBefore.filter((l) => l.startsWith('sa|'))).toHaveLength(1);
    const mappings = await call(core, 'dr:jobs.mappings', { jobId: fo.id });
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'KubernetesCluster', name: 'orders', targetId: cluster!.selfLink }),
        expect.objectContaining({ kind: 'NodePool', name: 'orders/batch' }),
        expect.objectContaining({ kind: 'Disk', name: seeded.disks[0], targetId: disks.find((d) => d.name === seeded.disks[0])!.selfLink }),
        expect.objectContaining({ kind: 'IamRole', reused: true }),
        expect.objectContaining({ kind: 'ServiceAccount', name: seeded.serviceAccount, reused: true }),
        expect.objectContaining({ kind: 'IamRoleBinding', name: `roles/logging.logWriter → ${seeded.serviceAccount}`, reused: true }),
      ]),
    );
    expect(mappings.filter((m) => ['IamRole', 'ServiceAccount', 'IamRoleBinding'].includes(m.kind)).every((m) => m.reused === true)).toBe(true);
    expect((await call(core, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
  }, 180_000);
}));
