// Cloud Storage and Cloud SQL through the composed core and its job engine against their peers
// (fake-gcs-server; the GCP peer, every exchange held to Google's discovery documents), as the operator
// drives them: discover → replicate twice → test failover → Reset → failover from the OLDER point,
// with the peers' state read back by the real clients after every phase. Both types fail over from
// the latest point whatever point is selected (R6): the source is changed between the two points, and
// what the target ends with is the second point's.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { replicaBucketName, transferJobName } from '../../../../main/providers/gcp/cloud-storage';
import { sqlReplicaName } from '../../../../main/providers/gcp/cloud-sql';
import { consoleBucketName } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { GCP_SOURCE, GCP_TARGET, gcpAccount, sqlDone } from '../../../conformance/gcp-data-peer';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth, gcpClients, type GcpClients } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';

describeGcpPeer('Cloud Storage and Cloud SQL through the engine against the GCP peer', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer;
    let gcs: FakeGcs;
    let c: GcpClients;
    let storage: Storage;
    let core: Core;
    let dir = '';
    let P = '';

    beforeAll(async () => {
      peer = await startGcpPeer();
      gcs = await startFakeGcs();
      P = peer.project;
      c = gcpClients(peer);
      storage = new Storage({ apiEndpoint: gcs.url, projectId: P });
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
            endpoints: { compute: gapic, container: gapic, storagetransfer: gapic, sqladmin: `${peer.url}/`, iam: `${peer.url}/`, storage: gcs.url },
            authClientFor: () => fakeAuth(),
            pollIntervalMs: 5,
          },
        },
      });
    }, 120_000);
    afterAll(async () => {
      await core?.close();
      await c?.close();
      await gcs?.stop();
      await peer?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const succeeded = async (jobId: string) => {
      const job = await waitForJob(core, jobId, 60_000);
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      return job;
    };
    const sqlGet = async (name: string) => (await c.sql.instances.get({ project: P, instance: name })).data;
    const sqlMissing = async (name: string) => (await c.sql.instances.get({ project: P, instance: name }).then(() => 200, (e: { status?: number }) => e.status)) === 404;
    const jobsOf = async () =>
      (await c.transfer.listTransferJobs({ filter: JSON.stringify({ projectId: P, jobStatuses: ['ENABLED', 'DISABLED', 'DELETED'] }) }, { autoPaginate: false }))[0];

    let account: { id: string } | undefined;
    /** As the operator does it: one account, Iowa (source) and Belgium (target), discovery, a policy of what `pick` selects. */
    async function protect(name: string, type: string) {
      account ??= await call(core, 'dr:accounts.create', { name: 'DR project', provider: 'gcp', cloud: 'gcp', credentials: gcpAccount(P).credentials });
      const source = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} Iowa`, region: GCP_SOURCE, scope: P });
      const target = await call(core, 'dr:environments.create', { accountId: account.id, name: `${name} Belgium`, region: GCP_TARGET, scope: P });
      const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
      const picked = found.filter((f) => f.type === type);
      expect(picked).toHaveLength(1);
      const policy = await call(core, 'dr:policies.create', {
        name,
        sourceEnvironmentId: source.id,
        targetEnvironmentId: target.id,
        resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
        schedule: null,
        webhookUrl: null,
      });
      return { policy, picked: picked[0]! };
    }
    const replicate = async (policyId: string) => succeeded((await call(core, 'dr:replication.run', { policyId })).jobId);
    const points = async (policyId: string) => {
      const items = (await call(core, 'dr:recoveryPoints.list', { policyId, offset: 0, limit: 10 })).items;
      expect(items).toHaveLength(2);
      return [...items].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    };
    /** Failover from the OLDER point (a type that uses the latest point still uses the latest). */
    async function failoverFromOlder(policyId: string, older: string) {
      const plan = await call(core, 'dr:failover.prepare', { policyId, recoveryPointId: older });
      expect(plan.recoveryPoint.id).toBe(older);
      expect(plan.latestRecoveryPoint.id).not.toBe(older);
      // The failover lease is taken in the target (no override): the plan says nothing of a missing one.
      expect(plan.warnings.join(' ')).not.toMatch(/keeps no failover lease/);
      const job = await succeeded((await call(core, 'dr:failover.start', { token: plan.token })).jobId);
      expect((await call(core, 'dr:policies.get', { policyId })).state).toBe('failed_over');
      // Released by the job's completion: the lease object stays in the console bucket as the completed tombstone.
      await core.services.leases.idle();
      const [body] = await storage.bucket(consoleBucketName(P, GCP_TARGET)).file(STORE_KEYS.lease(policyId)).download();
      expect(JSON.parse(body.toString())).toMatchObject({ policyId, jobId: job.id, state: 'completed', holder: { consoleId: core.services.leases.holder.consoleId } });
      return { job, mappings: await call(core, 'dr:jobs.mappings', { jobId: job.id }) };
    }
    const methodsUsed = () => new Set(peer.exchanges.map((e) => e.methodId));

    it('Cloud Storage: replica bucket and transfer job, a test bucket reset, failover applies the latest point and deletes the job', async () => {
      await storage.createBucket('media-assets', { location: GCP_SOURCE.toUpperCase(), versioning: { enabled: true } });
      const { policy, picked } = await protect('Media', 'gcp.cloud-storage');
      expect(picked).toMatchObject({ nativeId: 'media-assets', name: 'media-assets' });
      const replicaBucket = replicaBucketName('media-assets', GCP_TARGET, policy.id);
      const job = transferJobName('media-assets', GCP_TARGET, policy.id);

      // First point: versioning on. The source changes; the second point captures it (versioning off).
      await replicate(policy.id);
      await storage.bucket('media-assets').setMetadata({ versioning: { enabled: false } });
      await replicate(policy.id);
      const [older] = await points(policy.id);

      // One replica bucket and one replication job for two replications.
      // Besides, the console bucket of the target holds the two points' manifests (the catalog a rebuilt laptop reads).
      await core.services.catalog.idle();
      const [buckets] = await storage.getBuckets();
      expect(buckets.map((b) => b.name).sort()).toEqual(['media-assets', replicaBucket, consoleBucketName(P, GCP_TARGET)].sort());
      const [manifests] = await storage.bucket(consoleBucketName(P, GCP_TARGET)).getFiles({ prefix: `failover-console/catalog/${policy.id}/` });
      expect(manifests).toHaveLength(2);
      const enabled = await jobsOf();
      expect(enabled).toHaveLength(1);
      expect(enabled[0]).toMatchObject({ name: job, status: 'ENABLED', replicationSpec: { gcsDataSource: { bucketName: 'media-assets' }, gcsDataSink: { bucketName: replicaBucket } } });

      // Test failover: a test bucket; production replication untouched. Reset deletes it.
      await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
      const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
      expect(tests.map((t) => t.kind)).toEqual(['Bucket']);
      const testBucket = tests[0]!.name;
      expect(testBucket).toMatch(/^drtest-media-assets-[0-9a-f]{8}$/);
      expect((await storage.bucket(testBucket).exists())[0]).toBe(true);
      expect((await jobsOf()).map((j) => j.status)).toEqual(['ENABLED']);
      await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
      expect(await call(core, 'dr:testResources.list', { policyId: policy.id })).toEqual([]);
      expect((await storage.bucket(testBucket).exists())[0]).toBe(false);

      const { job: failed, mappings } = await failoverFromOlder(policy.id, older!.id);
      expect(mappings.map((m) => [m.kind, m.name, m.reused])).toEqual([['Bucket', replicaBucket, true]]);
      // The cross-bucket replication job is deleted; the replica bucket has the latest point's versioning (off).
      expect((await jobsOf()).map((j) => [j.name, j.status])).toEqual([[job, 'DELETED']]);
      expect((await storage.bucket(replicaBucket).getMetadata())[0].versioning?.enabled).toBe(false);
      // What fake-gcs-server does not keep is said on the step, not silently passed.
      const warnings = failed.steps.flatMap((s) => s.warnings);
      expect(warnings.some((w) => w.startsWith(`Bucket ${replicaBucket} is in US-CENTRAL1, not EUROPE-WEST1`))).toBe(true);
      expect(warnings.some((w) => w.includes(`Bucket ${replicaBucket} did not get an IAM policy`))).toBe(true);
      for (const m of ['storagetransfer.transferJobs.create', 'storagetransfer.transferJobs.get', 'storagetransfer.transferJobs.delete']) expect(methodsUsed().has(m), m).toBe(true);
      expect(peer.violations).toEqual([]);
    }, 120_000);

    it('Cloud SQL: a cross-region read replica, a promoted test copy reset, failover promotes the replica with the latest point\'s settings', async () => {
      const seeded = await c.sql.instances.insert({
        project: P,
        requestBody: { name: 'orders-db', region: GCP_SOURCE, databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-2-7680', userLabels: { app: 'orders' } } },
      });
      await sqlDone(c, P, seeded.data.name!);
      const { policy, picked } = await protect('Orders', 'gcp.cloud-sql');
      expect(picked).toMatchObject({ nativeId: 'orders-db', tags: { app: 'orders' } });
      const replicaDb = sqlReplicaName('orders-db', GCP_TARGET, policy.id);

      // First point: the small tier. The source changes; the second point captures it.
      await replicate(policy.id);
      const patched = await c.sql.instances.patch({
        project: P,
        instance: 'orders-db',
        requestBody: { settings: { tier: 'db-custom-4-15360', databaseFlags: [{ name: 'max_connections', value: '400' }], userLabels: { app: 'orders', tier: 'gold' } } },
      });
      await sqlDone(c, P, patched.data.name!);
      await replicate(policy.id);
      const [older] = await points(policy.id);

      // One read replica for two replications, linked to the source.
      const replica = await sqlGet(replicaDb);
      expect(replica).toMatchObject({ instanceType: 'READ_REPLICA_INSTANCE', masterInstanceName: `${P}:orders-db`, region: GCP_TARGET });
      expect(replica.settings?.tier).toBe('db-custom-2-7680');
      expect((await sqlGet('orders-db')).replicaNames).toEqual([replicaDb]);

      // Test failover: an independent copy (a replica promoted at once); the production replica untouched.
      await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
      const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
      expect(tests.map((t) => t.kind)).toEqual(['SqlInstance']);
      const testDb = tests[0]!.name;
      const copy = await sqlGet(testDb);
      expect(copy).toMatchObject({ instanceType: 'CLOUD_SQL_INSTANCE', region: GCP_TARGET });
      expect(copy.masterInstanceName).toBeUndefined();
      expect(copy.settings?.userLabels).toMatchObject({ 'dr-test': 'true', app: 'orders', tier: 'gold' });
      expect(copy.settings?.tier).toBe('db-custom-4-15360');
      expect((await sqlGet(replicaDb)).instanceType).toBe('READ_REPLICA_INSTANCE');
      await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
      expect(await call(core, 'dr:testResources.list', { policyId: policy.id })).toEqual([]);
      expect(await sqlMissing(testDb)).toBe(true);
      expect((await sqlGet('orders-db')).replicaNames).toEqual([replicaDb]);

      const { job: failed, mappings } = await failoverFromOlder(policy.id, older!.id);
      expect(mappings.map((m) => [m.kind, m.name, m.reused, m.targetId])).toEqual([['SqlInstance', replicaDb, true, `projects/${P}/instances/${replicaDb}`]]);
      // Promoted, carrying the latest point's settings, not the selected one's; no second instance.
      const promoted = await sqlGet(replicaDb);
      expect(promoted.instanceType).toBe('CLOUD_SQL_INSTANCE');
      expect(promoted.masterInstanceName).toBeUndefined();
      expect(promoted.settings?.tier).toBe('db-custom-4-15360');
      expect(promoted.settings?.databaseFlags).toEqual([{ name: 'max_connections', value: '400' }]);
      expect(promoted.settings?.userLabels).toMatchObject({ app: 'orders', tier: 'gold', 'dr-role': 'failover' });
      expect((await sqlGet('orders-db')).replicaNames).toBeUndefined();
      expect(((await c.sql.instances.list({ project: P })).data.items ?? []).map((i) => i.name).sort()).toEqual(['orders-db', replicaDb].sort());
      expect(failed.steps.flatMap((s) => s.warnings)).toEqual([]);
      // The promotion and the patch were awaited through their operations, both journaled as DONE.
      const ops = peer.exchanges.filter((e) => e.methodId === 'sql.operations.get').map((e) => e.responseBody as { operationType?: string; status?: string; targetId?: string });
      expect(ops.some((o) => o.operationType === 'PROMOTE_REPLICA' && o.status === 'DONE' && o.targetId === replicaDb)).toBe(true);
      expect(ops.some((o) => o.operationType === 'UPDATE' && o.status === 'DONE' && o.targetId === replicaDb)).toBe(true);
      for (const m of ['sql.instances.insert', 'sql.instances.promoteReplica', 'sql.instances.patch', 'sql.instances.delete']) expect(methodsUsed().has(m), m).toBe(true);
      expect(peer.violations).toEqual([]);
    }, 120_000);
  });
});
