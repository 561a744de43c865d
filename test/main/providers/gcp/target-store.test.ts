// The Google Cloud target store against fake-gcs-server (the console bucket and its objects) and the
// GCP peer (the dr-* labels of what the handlers make in the target): two consoles racing for one
// policy's lease (exactly one wins, the other is told who holds it and since when), release to the
// "completed" tombstone only at the generation read, an abandoned lease taken over by exactly one of
// two consoles, manifests written and scanned back, damaged documents refused with a sentence, the
// labelled resources of the target region found with their ids as the manifests spell them, the
// bucket's settings as sent, and offline said as offline.

import { createServer, request, type Server } from 'node:http';
import { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { leaseRefusal } from '../../../../main/core/failover/failover-lease';
import { GcpContext } from '../../../../main/providers/gcp/clients';
import { consoleBucketName, createGcpTargetStore } from '../../../../main/providers/gcp/target-store';
import { STORE_KEYS, type CatalogManifest, type FailoverLease } from '../../../../main/providers/target-store';
import type { EnvRef } from '../../../../main/providers/types';
import { emptyFakeGcs, GCP_SOURCE, GCP_TARGET } from '../../../conformance/gcp-data-peer';
import { gcpAccount, gcpEnv } from '../../../conformance/gcp-peer';
import { describeFakeGcs, startFakeGcs, type FakeGcs } from '../../../peers/fake-gcs';
import { describeGcpPeer } from '../../../peers/gcp/describe-gcp';
import { fakeAuth, gcpClients, type GcpClients } from '../../../peers/gcp/sdk';
import { startGcpPeer, type GcpPeer } from '../../../peers/gcp/server';

const lease = (jobId: string, host = 'laptop-a', over: Partial<FailoverLease> = {}): FailoverLease => ({
  version: 1,
  policyId: 'pol_Shop1',
  policyName: 'Shop',
  jobId,
  holder: { consoleId: `c-${host}`, host, user: 'ops' },
  acquiredAt: '2030-01-01T00:00:00.000Z',
  state: 'held',
  releasedAt: null,
  ...over,
});
const signal = () => new AbortController().signal;

it('names the console bucket dr-console-<project>-<region>, within the 63 characters of a bucket name', () => {
  expect(consoleBucketName('dr-project-1', 'europe-west1')).toBe('dr-console-dr-project-1-europe-west1');
  const long = consoleBucketName('a-thirty-character-project-id1', 'northamerica-northeast2');
  expect(long.length).toBeLessThanOrEqual(63);
  expect(long).toMatch(/^dr-console-a-thirty-character-project-id1-[a-z0-9-]+-[0-9a-f]{10}$/);
  expect(long).toBe(consoleBucketName('a-thirty-character-project-id1', 'northamerica-northeast2'));
  expect(long).not.toBe(consoleBucketName('a-thirty-character-project-id1', 'northamerica-northeast1'));
});

describeGcpPeer('the Google Cloud target store (GCP peer)', () => {
  describeFakeGcs('and fake-gcs-server', () => {
    let peer: GcpPeer;
    let gcs: FakeGcs;
    let c: GcpClients;
    let storage: Storage;
    let env: EnvRef;
    let P = '';
    const contexts: GcpContext[] = [];
    /** One console: its own GcpContext (own clients) on the same peers. */
    const console_ = (storageUrl = gcs.url) => {
      const gapic = { apiEndpoint: '127.0.0.1', port: peer.port, protocol: 'http' as const };
      const gcp = new GcpContext({ endpoints: { compute: gapic, container: gapic, sqladmin: `${peer.url}/`, storage: storageUrl }, authClientFor: () => fakeAuth() });
      contexts.push(gcp);
      return createGcpTargetStore(gcp);
    };
    const bucketName = () => consoleBucketName(P, GCP_TARGET);
    const leaseObject = () => storage.bucket(bucketName()).file(STORE_KEYS.lease('pol_Shop1'));

    beforeAll(async () => {
      peer = await startGcpPeer();
      gcs = await startFakeGcs();
      P = peer.project;
      c = gcpClients(peer);
      storage = new Storage({ apiEndpoint: gcs.url, projectId: P });
      env = gcpEnv(gcpAccount(P), P, GCP_TARGET);
    }, 120_000);
    afterAll(async () => {
      await c?.close();
      await gcs?.stop();
      await peer?.close();
    });
    beforeEach(async () => {
      await emptyFakeGcs(storage);
    });
    afterEach(async () => {
      await Promise.all(contexts.splice(0).map((g) => g.destroy()));
      expect(peer.violations).toEqual([]);
    });

    it('lets exactly one of two racing consoles create the lease (ifGenerationMatch=0); the other gets the holder and since, and the object names both', async () => {
      const a = console_();
      const b = console_();
      const [ra, rb] = await Promise.all([a.createLease(env, lease('job_a', 'laptop-a'), signal()), b.createLease(env, lease('job_b', 'laptop-b'), signal())]);
      expect([ra, rb].filter((r) => r.created)).toHaveLength(1);
      const lost = ra.created ? rb : ra;
      if (lost.created) throw new Error('unreachable');
      const winner = ra.created ? 'job_a' : 'job_b';
      expect(lost.current.jobId).toBe(winner);
      expect(leaseRefusal('Shop', lost.current)).toMatch(new RegExp(`already running from console laptop-[ab] \\(ops\\) since 2030-01-01T00:00:00.000Z \\(job ${winner}\\)`));

      // The version is the object's generation; its custom metadata says who holds it.
      const [md] = await leaseObject().getMetadata();
      expect(String(md.generation)).toBe(lost.version);
      expect(md.contentType).toBe('application/json');
      expect(md.metadata).toMatchObject({ holder: `laptop-${winner === 'job_a' ? 'a' : 'b'} (ops)`, job: winner, state: 'held', since: '2030-01-01T00:00:00.000Z' });
      expect(JSON.parse((await leaseObject().download())[0].toString())).toMatchObject({ jobId: winner, state: 'held' });
      // A third create, later, is refused the same way, and changes nothing.
      expect(await a.createLease(env, lease('job_c', 'laptop-c'), signal())).toMatchObject({ created: false, current: { jobId: winner }, version: lost.version });
      expect(String((await leaseObject().getMetadata())[0].generation)).toBe(lost.version);
    });

    it('releases to the completed tombstone only at the generation read; a stale generation is refused and changes nothing', async () => {
      const store = console_();
      const first = await store.createLease(env, lease('job_a'), signal());
      if (!first.created) throw new Error('the first create must win');
      const released = await store.replaceLease(env, lease('job_a', 'laptop-a', { state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }), first.version, signal());
      expect(released).not.toBeNull();
      expect(released).not.toBe(first.version);
      // The generation read before the release is stale now: ifGenerationMatch answers 412.
      expect(await store.replaceLease(env, lease('job_c', 'laptop-c'), first.version, signal())).toBeNull();
      // A version that is no generation (0 would be a create) is refused without a call.
      expect(await store.replaceLease(env, lease('job_c', 'laptop-c'), '0', signal())).toBeNull();
      expect(await store.replaceLease(env, lease('job_c', 'laptop-c'), 'etag-from-elsewhere', signal())).toBeNull();
      const read = await console_().readLease(env, 'pol_Shop1', signal());
      expect(read).toEqual({ lease: lease('job_a', 'laptop-a', { state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }), version: released });
      expect(leaseRefusal('Shop', read!.lease)).toMatch(/was already failed over by console laptop-a \(ops\), finished 2030-01-01T01:00:00.000Z \(job job_a\)/);
      expect((await leaseObject().getMetadata())[0].metadata).toMatchObject({ state: 'completed', job: 'job_a' });
      // The bucket keeps versions: the held generation is still there, noncurrent, under the tombstone.
      const [versions] = await storage.bucket(bucketName()).getFiles({ versions: true, prefix: STORE_KEYS.lease('pol_Shop1') });
      expect(versions.map((v) => String(v.metadata.generation)).sort()).toEqual([first.version, released].sort());
    });

    it('lets exactly one of two consoles take over an abandoned lease at the generation they read', async () => {
      const a = console_();
      const first = await a.createLease(env, lease('job_a'), signal());
      if (!first.created) throw new Error('the first create must win');
      const abandoned = await a.replaceLease(env, lease('job_a', 'laptop-a', { state: 'abandoned', releasedAt: '2030-01-01T00:00:05.000Z' }), first.version, signal());
      expect(abandoned).not.toBeNull();
      const b = console_();
      const x = console_();
      const seen = await b.createLease(env, lease('job_b', 'laptop-b'), signal());
      expect(seen).toMatchObject({ created: false, current: { state: 'abandoned' }, version: abandoned });
      if (seen.created) throw new Error('unreachable');
      const [taken, lostTo] = await Promise.all([b.replaceLease(env, lease('job_b', 'laptop-b'), seen.version, signal()), x.replaceLease(env, lease('job_x', 'laptop-x'), seen.version, signal())]);
      expect([taken, lostTo].filter((v) => v !== null)).toHaveLength(1);
      const winner = taken !== null ? 'job_b' : 'job_x';
      expect(await a.readLease(env, 'pol_Shop1', signal())).toMatchObject({ lease: { jobId: winner, state: 'held' }, version: taken ?? lostTo });
      expect(await a.replaceLease(env, lease('job_a', 'laptop-a', { state: 'completed', releasedAt: 'x' }), abandoned!, signal())).toBeNull();
    });

    it('writes manifests and scans them back with the leases; a damaged manifest is listed as unreadable and a damaged lease refused with a sentence', async () => {
      const store = console_();
      await store.createLease(env, lease('job_a'), signal());
      const manifest: CatalogManifest = {
        version: 1,
        policy: {
          id: 'pol_Shop1',
          name: 'Shop',
          schedule: null,
          webhookUrl: null,
          createdAt: '2030-01-01T00:00:00.000Z',
          source: { environmentId: 'e1', name: 'Iowa', accountId: 'acct', accountName: 'GCP', provider: 'gcp', cloud: 'gcp', region: GCP_SOURCE, scope: { cloud: 'gcp', region: GCP_SOURCE, projectId: P, zone: null } },
          target: { environmentId: 'e2', name: 'Belgium', accountId: 'acct', accountName: 'GCP', provider: 'gcp', cloud: 'gcp', region: GCP_TARGET, scope: { cloud: 'gcp', region: GCP_TARGET, projectId: P, zone: null } },
        },
        recoveryPoint: { id: 'rp_Point1', jobId: 'job_Repl1', status: 'succeeded', createdAt: '2030-01-01T00:00:00.000Z', completedAt: '2030-01-01T00:01:00.000Z' },
        items: [{ protectedResourceId: 'pr_1', type: 'gcp.cloud-sql', nativeId: 'orders-db', name: 'orders-db', status: 'succeeded', metadata: { tier: 'db-custom-2-7680' }, dataRefs: [{ kind: 'SqlInstance', id: 'orders-db-dr', region: GCP_TARGET }], error: null, capturedAt: '2030-01-01T00:00:30.000Z' }],
        writtenAt: '2030-01-01T00:01:00.000Z',
        writtenBy: { consoleId: 'c', host: 'h', user: 'u' },
      };
      await store.putManifest(env, manifest, signal());
      await store.putManifest(env, { ...manifest, writtenAt: '2030-01-01T00:02:00.000Z' }, signal());
      const bucket = storage.bucket(bucketName());
      await bucket.file('failover-console/catalog/pol_Shop1/garbage.json').save('{not json', { resumable: false });

      const scan = await console_().scan(env, signal());
      expect(scan.manifests).toEqual([{ ...manifest, writtenAt: '2030-01-01T00:02:00.000Z' }]);
      expect(scan.leases.map((l) => l.jobId)).toEqual(['job_a']);
      expect(scan.unreadable).toEqual([`gs://${bucketName()}/failover-console/catalog/pol_Shop1/garbage.json`]);

      await bucket.file(STORE_KEYS.lease('pol_2')).save('{"version":2}', { resumable: false });
      await expect(store.readLease(env, 'pol_2', signal())).rejects.toMatchObject({
        code: 'Conflict',
        message: `The failover lease object for this policy (gs://${bucketName()}/failover-console/leases/pol_2.json) is damaged or not the console's; fix or remove it by hand.`,
      });
      expect(await store.readLease(env, 'pol_none', signal())).toBeNull();
    });

    it('scans the dr-* labels of the target region, with the ids as the manifests spell them; an empty target scans empty and creates nothing', async () => {
      const store = console_();
      expect(await store.scan(env, signal())).toEqual({ manifests: [], leases: [], tagged: [], unreadable: [] });
      expect((await storage.getBuckets())[0]).toEqual([]);

      // Labels as the handlers write them (lower-case values: Google's label rules).
      const labels = { 'dr-policy': 'pol_shop1', 'dr-job': 'job_repl1', 'dr-role': 'replication', 'dr-recovery-point': 'rp_point1' };
      await c.sql.instances.insert({ project: P, requestBody: { name: 'orders-db-dr', region: GCP_TARGET, databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-2-7680', userLabels: labels } } });
      await c.sql.instances.insert({ project: P, requestBody: { name: 'orders-db', region: GCP_SOURCE, databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-2-7680', userLabels: labels } } });
      await c.sql.instances.insert({ project: P, requestBody: { name: 'unlabelled-db', region: GCP_TARGET, databaseVersion: 'POSTGRES_16', settings: { tier: 'db-custom-2-7680' } } });
      const image = 'projects/debian-cloud/global/images/family/debian-12';
      await c.disks.insert({ project: P, zone: 'europe-west1-b', diskResource: { name: 'billing-01-boot', sourceImage: image, labels: { 'dr-policy': 'pol_shop1', 'dr-role': 'failover' } } });
      await c.disks.insert({ project: P, zone: 'europe-west1-c', diskResource: { name: 'drtest-billing-01-boot', sourceImage: image, labels: { 'dr-policy': 'pol_shop1', 'dr-role': 'test' } } });
      await c.disks.insert({ project: P, zone: 'us-central1-a', diskResource: { name: 'source-boot', sourceImage: image, labels: { 'dr-policy': 'pol_shop1', 'dr-role': 'failover' } } });
      // Only the lease names this job: its id comes back as the lease spells it.
      await store.createLease(env, lease('job_FailA'), signal());
      await c.container.createCluster({ parent: `projects/${P}/locations/${GCP_TARGET}`, cluster: { name: 'shop-gke', initialNodeCount: 1, resourceLabels: { 'dr-policy': 'pol_shop1', 'dr-job': 'job_faila', 'dr-role': 'failover' } } });
      await store.putManifest(
        env,
        {
          version: 1,
          policy: { id: 'pol_Shop1', name: 'Shop', schedule: null, webhookUrl: null, createdAt: '2030-01-01T00:00:00.000Z', source: { environmentId: 'e1', name: 'Iowa', accountId: 'a', accountName: 'GCP', provider: 'gcp', cloud: 'gcp', region: GCP_SOURCE, scope: { cloud: 'gcp', region: GCP_SOURCE, projectId: P, zone: null } }, target: { environmentId: 'e2', name: 'Belgium', accountId: 'a', accountName: 'GCP', provider: 'gcp', cloud: 'gcp', region: GCP_TARGET, scope: { cloud: 'gcp', region: GCP_TARGET, projectId: P, zone: null } } },
          recoveryPoint: { id: 'rp_Point1', jobId: 'job_Repl1', status: 'succeeded', createdAt: '2030-01-01T00:00:00.000Z', completedAt: null },
          items: [],
          writtenAt: '2030-01-01T00:01:00.000Z',
          writtenBy: { consoleId: 'c', host: 'h', user: 'u' },
        },
        signal(),
      );

      const scan = await console_().scan(env, signal());
      expect(scan.unreadable).toEqual([]);
      const shown = scan.tagged.map((t) => [t.kind, t.name, t.policyId, t.jobId, t.recoveryPointId, t.role, t.region]).sort();
      expect(shown).toEqual(
        [
          ['Disk', 'billing-01-boot', 'pol_Shop1', null, null, 'failover', GCP_TARGET],
          ['Disk', 'drtest-billing-01-boot', 'pol_Shop1', null, null, 'test', GCP_TARGET],
          ['KubernetesCluster', 'shop-gke', 'pol_Shop1', 'job_FailA', null, 'failover', GCP_TARGET],
          ['SqlInstance', 'orders-db-dr', 'pol_Shop1', 'job_Repl1', 'rp_Point1', 'replication', GCP_TARGET],
        ].sort(),
      );
      expect(scan.tagged.find((t) => t.kind === 'Disk' && t.role === 'failover')?.nativeId).toBe(`projects/${P}/zones/europe-west1-b/disks/billing-01-boot`);
      // The console's own bucket is not one of the target's resources.
      expect(scan.tagged.some((t) => t.kind === 'Bucket')).toBe(false);
    });

    /** A loopback proxy in front of fake-gcs-server recording each request (fake-gcs drops most bucket settings: the request is what is checked). */
    async function recording<T>(run: (url: string, sent: { method: string; path: string; body: string }[]) => Promise<T>): Promise<T> {
      const sent: { method: string; path: string; body: string }[] = [];
      const proxy: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          sent.push({ method: req.method ?? '', path: req.url ?? '', body: body.toString() });
          const out = request(`${gcs.url}${req.url ?? ''}`, { method: req.method, headers: { ...req.headers, host: new URL(gcs.url).host } }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          });
          out.on('error', () => res.destroy());
          out.end(body);
        });
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      try {
        const address = proxy.address();
        return await run(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, sent);
      } finally {
        await new Promise<void>((r) => proxy.close(() => r()));
      }
    }
    const HARDENED = { iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' }, versioning: { enabled: true } };

    it('creates its bucket in the target region with uniform access, public access prevention enforced, versioning and its label (as sent), once per target', async () => {
      await recording(async (url, sent) => {
        const store = console_(url);
        expect((await store.createLease(env, lease('job_a'), signal())).created).toBe(true);
        await store.createLease({ ...env, environmentId: 'env-other' }, { ...lease('job_b'), policyId: 'pol_2' }, signal());
        const inserts = sent.filter((s) => s.method === 'POST' && /^\/storage\/v1\/b\?/.test(s.path));
        expect(inserts).toHaveLength(1);
        expect(new URLSearchParams(inserts[0]!.path.split('?')[1]).get('project')).toBe(P);
        expect(JSON.parse(inserts[0]!.body)).toEqual({ name: bucketName(), location: GCP_TARGET.toUpperCase(), ...HARDENED, labels: { 'dr-console-store': 'true', 'dr-role': 'console' } });
      });
      expect((await storage.bucket(bucketName()).getMetadata())[0].versioning?.enabled).toBe(true);
    });

    it('gives a bucket it finds already there what it lacks (uniform access, public access prevention, versioning), and does not create another', async () => {
      // Made by hand: versioning off, no public access prevention.
      await storage.createBucket(bucketName(), { versioning: { enabled: false } });
      await recording(async (url, sent) => {
        expect((await console_(url).createLease(env, lease('job_a'), signal())).created).toBe(true);
        expect(sent.filter((s) => s.method === 'POST' && /^\/storage\/v1\/b\?/.test(s.path))).toEqual([]);
        const patches = sent.filter((s) => s.method === 'PATCH' && s.path.startsWith(`/storage/v1/b/${bucketName()}?`));
        expect(patches.map((s) => JSON.parse(s.body) as unknown)).toEqual([HARDENED]);
      });
      expect((await storage.bucket(bucketName()).getMetadata())[0].versioning?.enabled).toBe(true);
    });

    it('says offline, and reports the account unreachable, when Cloud Storage cannot be reached', async () => {
      const gcp = new GcpContext({ endpoints: { storage: 'http://127.0.0.1:1' }, authClientFor: () => fakeAuth() });
      contexts.push(gcp);
      const outcomes: boolean[] = [];
      gcp.observe((o) => outcomes.push(o.reachable));
      await expect(createGcpTargetStore(gcp).createLease(env, lease('job_a'), signal())).rejects.toMatchObject({ code: 'ProviderOffline' });
      expect(outcomes).toContain(false);
    });
  });
});
