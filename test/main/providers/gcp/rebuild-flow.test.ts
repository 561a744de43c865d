// Rebuild from the clouds against the Google peers (the GCP peer, every exchange held to Google's
// discovery documents; fake-gcs-server for Cloud Storage), with the real Google handlers: laptop A
// protects Cloud SQL instances and a bucket, replicates, test-fails over one policy (and leaves the
// copy) and fails another over; laptop B, on a fresh data dir, rebuilds from what A left in the target:
// the catalog manifests and the failover lease in the console bucket, and the dr-* labels on what the
// handlers made there (read back with the ids as the manifests spell them, though labels are lower case).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { consoleBucketName } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { GCP_SOURCE, GCP_TARGET, gcpAccount, sqlDone } from '../../../conformance/gcp-data-peer';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth, gcpClients, type GcpClients } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';

describeGcpPeer('rebuild from the clouds against the Google peers (real Google handlers)', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer;
    let gcs: FakeGcs;
    let c: GcpClients;
    let storage: Storage;
    let P = '';
    const dirs: string[] = [];
    const cores: Core[] = [];
    beforeAll(async () => {
      peer = await startGcpPeer();
      gcs = await startFakeGcs();
      P = peer.project;
      c = gcpClients(peer);
      storage = new Storage({ apiEndpoint: gcs.url, projectId: P });
    }, 120_000);
    afterAll(async () => {
      for (const core of cores) await core.close();
      await c?.close();
      await gcs?.stop();
      await peer?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const laptop = (host: string): Core => {
      const dir = mkdtempSync(join(tmpdir(), 'fc-gcp-rebuild-'));
      dirs.push(dir);
      const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
      const core = composeCore({
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
          },
        },
        leaseHolder: { consoleId: `console-${host}`, host, user: 'ops' },
      });
      cores.push(core);
      return core;
    };
    const succeeded = async (core: Core, jobId: string) => {
      const job = await waitForJob(core, jobId, 60_000);
      expect(job.status, JSON.stringify(job)).toBe('succeeded');
      return job;
    };
    const points = async (core: Core, policyId: string) => {
      const page = await call(core, 'dr:recoveryPoints.list', { policyId, offset: 0, limit: 50 });
      return Promise.all(
        page.items.map(async (rp) => ({
          id: rp.id,
          status: rp.status,
          createdAt: rp.createdAt,
          items: (await call(core, 'dr:recoveryPoints.get', { recoveryPointId: rp.id })).items.map((i) => ({ resource: i.resourceName, status: i.status, metadata: i.metadata, dataRefs: i.dataRefs })),
        })),
      );
    };
    const seedSql = async (name: string) => {
      const op = await c.sql.instances.insert({ project: P, requestBody: { name, region: GCP_SOURCE, databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-2-7680', userLabels: { app: name } } } });
      await sqlDone(c, P, op.data.name!);
    };

    it('gives a fresh data dir the same recovery points, the failed-over policy from the lease, and names the test copy the labels show', async () => {
      await seedSql('orders-db');
      await seedSql('reports-db');
      await storage.createBucket('media-assets', { location: GCP_SOURCE.toUpperCase(), versioning: { enabled: true } });

      // Laptop A: three policies over one project, Iowa to Belgium.
      const a = laptop('laptop-a');
      const account = await call(a, 'dr:accounts.create', { name: 'DR project', provider: 'gcp', cloud: 'gcp', credentials: gcpAccount(P).credentials });
      const iowa = await call(a, 'dr:environments.create', { accountId: account.id, name: 'Iowa', region: GCP_SOURCE, scope: P });
      const belgium = await call(a, 'dr:environments.create', { accountId: account.id, name: 'Belgium', region: GCP_TARGET, scope: P });
      const found = await call(a, 'dr:inventory.discover', { environmentId: iowa.id });
      const policy = async (name: string, nativeId: string) => {
        const picked = found.filter((f) => f.nativeId === nativeId);
        expect(picked).toHaveLength(1);
        return call(a, 'dr:policies.create', {
          name,
          sourceEnvironmentId: iowa.id,
          targetEnvironmentId: belgium.id,
          resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
          schedule: null,
          webhookUrl: null,
        });
      };
      const orders = await policy('Orders', 'orders-db');
      const reports = await policy('Reports', 'reports-db');
      const media = await policy('Media', 'media-assets');
      const replicate = async (policyId: string) => succeeded(a, (await call(a, 'dr:replication.run', { policyId })).jobId);
      for (const p of [orders, orders, reports, media]) await replicate(p.id);
      await succeeded(a, (await call(a, 'dr:testFailover.run', { policyId: reports.id })).jobId);
      const reportsCopies = (await call(a, 'dr:testResources.list', { policyId: reports.id })).map((t) => t.name);
      expect(reportsCopies).toHaveLength(1);
      const plan = await call(a, 'dr:failover.prepare', { policyId: orders.id });
      const ordersFailover = await succeeded(a, (await call(a, 'dr:failover.start', { token: plan.token })).jobId);
      await a.services.catalog.idle();
      await a.services.leases.idle();

      // What A left in the console bucket: one manifest per point, and Orders' lease as the completed tombstone.
      const bucket = storage.bucket(consoleBucketName(P, GCP_TARGET));
      const [objects] = await bucket.getFiles({ prefix: 'failover-console/' });
      expect(objects.map((o) => o.name).sort()).toEqual(
        [
          STORE_KEYS.lease(orders.id),
          ...(await Promise.all([orders, reports, media].map(async (p) => (await points(a, p.id)).map((rp) => STORE_KEYS.manifest(p.id, rp.id))))).flat(),
        ].sort(),
      );
      // The labels of the promoted replica say failover, in lower case (Google's label rules).
      const promoted = (await c.sql.instances.list({ project: P })).data.items?.find((i) => i.settings?.userLabels?.['dr-role'] === 'failover');
      expect(promoted?.settings?.userLabels).toMatchObject({ 'dr-policy': orders.id.toLowerCase(), 'dr-job': ordersFailover.id.toLowerCase() });

      // Laptop B lost everything: the account and the target environment are added again, then rebuild.
      const b = laptop('laptop-b');
      const accountB = await call(b, 'dr:accounts.create', { name: 'DR project', provider: 'gcp', cloud: 'gcp', credentials: gcpAccount(P).credentials });
      const belgiumB = await call(b, 'dr:environments.create', { accountId: accountB.id, name: 'Belgium', region: GCP_TARGET, scope: P });
      const report = await call(b, 'dr:rebuild.run', { environmentIds: [belgiumB.id] });
      expect(report.environmentsUnreachable).toEqual([]);
      expect(report.unreadable).toEqual([]);
      // Three policies, not more: the labels' lower-case ids are matched to the manifests' policies.
      const byName = Object.fromEntries(report.policies.map((p) => [p.policyName, p]));
      expect(Object.keys(byName).sort()).toEqual(['Media', 'Orders', 'Reports']);

      expect(byName.Orders).toMatchObject({ outcome: 'created', state: 'failed_over', recoveryPointsAdded: 2 });
      expect(byName.Orders!.note).toContain(`Failed over by console laptop-a (job ${ordersFailover.id})`);
      expect(await points(b, orders.id)).toEqual(await points(a, orders.id));

      expect(byName.Reports).toMatchObject({ outcome: 'created', state: 'active', recoveryPointsAdded: 1 });
      expect(byName.Reports!.note).toContain(`1 test failover resource(s) of this policy are still in the target (tagged dr:test: ${reportsCopies[0]})`);
      expect(await points(b, reports.id)).toEqual(await points(a, reports.id));

      expect(byName.Media).toMatchObject({ outcome: 'created', state: 'active', recoveryPointsAdded: 1 });
      expect(await points(b, media.id)).toEqual(await points(a, media.id));

      const states = Object.fromEntries((await call(b, 'dr:policies.list', {})).map((p) => [p.name, p.state]));
      expect(states).toEqual({ Orders: 'failed_over', Reports: 'active', Media: 'active' });
      // The failed-over policy is never offered for failover again from the second laptop.
      expect((await b.router.dispatch('dr:failover.prepare', { policyId: orders.id })).ok).toBe(false);
      expect(peer.violations).toEqual([]);
    }, 300_000);
  });
});
