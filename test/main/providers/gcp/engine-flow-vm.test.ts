// A Google Cloud VM instance through the composed core and its job engine against the GCP peer, as
// the operator drives it: discover → replicate twice → test failover → Reset → failover of the OLDER
// (selected) point, with the peer's state read back by the real clients and every exchange held to
// Google's discovery documents.

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
import { fakeAuth, PEER_TOKEN } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { gcpAccount, GCP_SOURCE, GCP_SOURCE_ZONE, GCP_TARGET, seedClients, seedVm, type SeedClients } from '../../../conformance/gcp-peer';

type Json = Record<string, unknown>;

// The account's connectivity check lists buckets too (Test connection's API checks): Cloud Storage is
// fake-gcs-server's, so both peers run.
describeGcpPeer('a Google Cloud VM instance through the engine against the GCP peer', () => describeFakeGcs('with fake-gcs-server for Cloud Storage', () => {
  let peer: GcpPeer;
  let gcs: FakeGcs;
  let c: SeedClients;
  let dir: string;
  let core: Core;
  beforeAll(async () => {
    peer = await startGcpPeer();
    gcs = await startFakeGcs();
    c = seedClients(peer);
    dir = mkdtempSync(join(tmpdir(), 'fc-gcp-engine-'));
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
  const instancesIn = (zone: string) => peer.resources(`projects/${P()}/zones/${zone}/instances/`);
  const disksIn = (zone: string) => peer.resources(`projects/${P()}/zones/${zone}/disks/`);
  const snapshots = () => peer.resources(`projects/${P()}/global/snapshots/`);
  const TARGET_ZONE = 'europe-west1-b';

  it('replicates twice, test-fails over, resets, and fails over the selected point with its service account and roles', async () => {
    const seeded = await seedVm(c, 'billing-01', 'billing-app');
    const source = instancesIn(GCP_SOURCE_ZONE).find((i) => i.name === 'billing-01')!;
    const sourceFingerprint = JSON.stringify(source);
    const seedExchanges = peer.exchanges.length;

    const account = await call(core, 'dr:accounts.create', { name: 'GCP', provider: 'gcp', cloud: 'gcp', credentials: JSON.parse(JSON.stringify(gcpAccount(P()).credentials)) });
    const src = await call(core, 'dr:environments.create', { accountId: account.id, name: 'iowa', region: GCP_SOURCE, scope: P() });
    const dst = await call(core, 'dr:environments.create', { accountId: account.id, name: 'belgium', region: GCP_TARGET, scope: P() });
    const found = await call(core, 'dr:inventory.discover', { environmentId: src.id });
    const picked = found.filter((f) => f.nativeId === seeded.nativeId);
    expect(picked).toHaveLength(1);
    expect(picked[0]).toMatchObject({ type: 'gcp.vm-instance', name: 'billing-01', tags: { team: 'payments', app: 'web' } });
    expect(picked[0]!.summary).toContain(`runs as ${seeded.serviceAccount}`);
    const policy = await call(core, 'dr:policies.create', {
      name: 'Billing',
      sourceEnvironmentId: src.id,
      targetEnvironmentId: dst.id,
      resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });

    for (let i = 0; i < 2; i++) await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);
    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.items).toHaveLength(2);
    // Two points, each a snapshot of both disks, stored in the target's region.
    expect(snapshots()).toHaveLength(4);
    for (const s of snapshots()) expect(s).toMatchObject({ status: 'READY', storageLocations: [GCP_TARGET] });
    const older = [...points.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
    const details = await call(core, 'dr:recoveryPoints.get', { recoveryPointId: older.id });
    const item = details.items[0]!;
    const olderSnaps = item.dataRefs.filter((d) => d.kind === 'Snapshot').map((d) => d.id);
    expect(olderSnaps).toHaveLength(2);
    expect(item.metadata).toMatchObject({ machineType: 'e2-standard-2', tags: ['web', 'https-server'], roles: ['roles/logging.logWriter', 'roles/storage.objectViewer'], serviceAccount: { email: seeded.serviceAccount } });

    await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
    expect(tests.map((t) => t.kind).sort()).toEqual(['Disk', 'Disk', 'VirtualMachine']);
    const [testVm] = instancesIn(TARGET_ZONE);
    expect(testVm?.name).toMatch(/^drtest-billing-01-/);
    // Isolated: no external address, no network tags, no service account; production untouched.
    const nic = (testVm!.networkInterfaces as Json[])[0]!;
    expect(nic.accessConfigs).toBeUndefined();
    expect(nic.subnetwork).toContain(`/regions/${GCP_TARGET}/subnetworks/default`);
    expect(testVm!.tags).not.toHaveProperty('items');
    expect(testVm!.serviceAccounts).toBeUndefined();
    expect(JSON.stringify(instancesIn(GCP_SOURCE_ZONE).find((i) => i.name === 'billing-01'))).toBe(sourceFingerprint);
    expect(snapshots()).toHaveLength(4);

    await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    expect(instancesIn(TARGET_ZONE)).toEqual([]);
    expect(disksIn(TARGET_ZONE)).toEqual([]);
    expect(snapshots()).toHaveLength(4);

    // The principal was lost after the points were taken: failover makes it again and grants its roles.
    await fetch(`${peer.url}/v1/projects/${P()}/serviceAccounts/${seeded.serviceAccount}`, { method: 'DELETE', headers: { authorization: `Bearer ${PEER_TOKEN}` } });
    const [policyNow] = await c.projects.getIamPolicy({ resource: `projects/${P()}` });
    const stripped = (policyNow.bindings ?? []).map((b) => ({ role: b.role, members: (b.members ?? []).filter((m) => m !== `serviceAccount:${seeded.serviceAccount}`) })).filter((b) => b.members.length > 0);
    await c.projects.setIamPolicy({ resource: `projects/${P()}`, policy: { etag: policyNow.etag ?? null, bindings: stripped } });

    const plan = await call(core, 'dr:failover.prepare', { policyId: policy.id, recoveryPointId: older.id });
    expect(plan.recoveryPoint.id).toBe(older.id);
    // The failover lease is taken in the target's console bucket (fake-gcs-server), not overridden.
    expect(plan.warnings.join(' ')).not.toMatch(/keeps no failover lease/);
    const fo = await succeeded((await call(core, 'dr:failover.start', { token: plan.token })).jobId);
    await core.services.leases.idle();
    const leaseObject = new Storage({ apiEndpoint: gcs.url, projectId: P() }).bucket(consoleBucketName(P(), GCP_TARGET)).file(STORE_KEYS.lease(policy.id));
    expect(JSON.parse((await leaseObject.download())[0].toString())).toMatchObject({ policyId: policy.id, jobId: fo.id, state: 'completed', holder: { consoleId: core.services.leases.holder.consoleId } });
    expect((await leaseObject.getMetadata())[0].metadata).toMatchObject({ job: fo.id, state: 'completed' });
    expect(core.services.leases.local(policy.id)).toMatchObject({ jobId: fo.id, state: 'completed' });

    // Read back and compared with the point: everything carried, so no step warns.
    expect(fo.steps.flatMap((st) => st.warnings)).toEqual([]);
    const [vm] = instancesIn(TARGET_ZONE);
    expect((vm!.networkInterfaces as Json[])[0]!.accessConfigs).toHaveLength(1);
    expect(vm).toMatchObject({ name: 'billing-01', status: 'RUNNING', labels: expect.objectContaining({ team: 'payments', app: 'web' }), tags: expect.objectContaining({ items: ['web', 'https-server'] }) });
    expect(String(vm!.machineType)).toMatch(/zones\/europe-west1-b\/machineTypes\/e2-standard-2$/);
    expect((vm!.serviceAccounts as Json[])[0]).toMatchObject({ email: seeded.serviceAccount });
    expect(((vm!.metadata as Json).items as Json[]).map((m) => m.key)).toEqual(['startup-script', 'env']);
    // The disks come from the SELECTED (older) point's snapshots.
    const disks = disksIn(TARGET_ZONE);
    expect(disks.map((d) => d.name).sort()).toEqual(['billing-01-boot', 'billing-01-data']);
    expect(disks.map((d) => d.sourceSnapshot).sort()).toEqual([...olderSnaps].sort());
    expect((vm!.disks as Json[]).map((d) => d.source).sort()).toEqual(disks.map((d) => d.selfLink).sort());
    // The service account is back, with its roles.
    const sa = peer.resources('iam:').find((a) => a.email === seeded.serviceAccount);
    expect(sa).toBeDefined();
    const [after] = await c.projects.getIamPolicy({ resource: `projects/${P()}` });
    for (const role of ['roles/logging.logWriter', 'roles/storage.objectViewer']) {
      expect(after.bindings?.find((b) => b.role === role)?.members).toContain(`serviceAccount:${seeded.serviceAccount}`);
    }
    const mappings = await call(core, 'dr:jobs.mappings', { jobId: fo.id });
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'VirtualMachine', name: 'billing-01', targetId: vm!.selfLink }),
        expect.objectContaining({ kind: 'Disk', name: 'billing-01-boot', targetId: disks.find((d) => d.name === 'billing-01-boot')!.selfLink }),
        expect.objectContaining({ kind: 'ServiceAccount', name: seeded.serviceAccount, reused: false }),
        expect.objectContaining({ kind: 'IamRoleBinding', name: `roles/logging.logWriter → ${seeded.serviceAccount}`, reused: false }),
      ]),
    );
    // Every Compute insert the engine made carried a requestId.
    const inserts = peer.exchanges.slice(seedExchanges).filter((e) => /^compute\.(instances|disks|snapshots)\.(insert|delete)$/.test(e.methodId) && e.status === 200);
    expect(inserts.length).toBeGreaterThan(0);
    for (const e of inserts) expect(new URLSearchParams(e.query).get('requestId')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(core, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
  }, 180_000);
}));
