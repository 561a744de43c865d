// Rebuild from the clouds against moto, with the real AWS handlers: laptop A protects, replicates,
// test-fails over and fails over EC2 instances and S3 buckets; laptop B, on a fresh database, rebuilds
// from what A left in the target: the catalog manifests, the failover leases and the dr:* tags (policy,
// job, recovery point, role) on every resource the handlers made there.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, DeleteObjectCommand, GetBucketTaggingCommand, ListBucketsCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { consoleBucketName } from '../../../../main/providers/aws/target-store';
import { STORE_KEYS } from '../../../../main/providers/target-store';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const creds = { accessKeyId: 'AKIAMOTOREBUILDFLOW1', secretAccessKey: 'moto-rebuild' };
const SOURCE = 'us-east-1';
const TARGET = 'us-west-2';
const ACCOUNT = '123456789012';

describeMoto('rebuild from the clouds against moto (real AWS handlers)', () => {
  let moto: MotoServer;
  const dirs: string[] = [];
  const cores: Core[] = [];
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    for (const c of cores) await c.close();
    await moto?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const laptop = (host: string): Core => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-aws-rebuild-'));
    dirs.push(dir);
    const core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: { sim: false, aws: { endpoint: moto.url, pollIntervalMs: 10 } },
      leaseHolder: { consoleId: `console-${host}`, host, user: 'ops' },
    });
    cores.push(core);
    return core;
  };
  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });
  const s3 = (region: string) => new S3Client({ region, endpoint: moto.url, forcePathStyle: true, credentials: creds });
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

  it("gives a fresh database the same recovery points, marks failed-over policies from the lease or the tags, and names what the tags show without a manifest", async () => {
    const images = await ec2(SOURCE).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const launch = async (name: string) => {
      const r = await ec2(SOURCE).send(
        new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }] }),
      );
      return r.Instances?.[0]?.InstanceId ?? '';
    };
    const bucket = async (name: string) => {
      await s3(SOURCE).send(new CreateBucketCommand({ Bucket: name }));
      await s3(SOURCE).send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    };
    const shopInstance = await launch('shop-01');
    const webInstance = await launch('web-01');
    await bucket('shop-media');
    await bucket('orders-data');

    // Laptop A: three policies over one account, target us-west-2.
    const a = laptop('laptop-a');
    const account = await call(a, 'dr:accounts.create', { name: 'AWS', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    const east = await call(a, 'dr:environments.create', { accountId: account.id, name: 'east', region: SOURCE, scope: '' });
    const west = await call(a, 'dr:environments.create', { accountId: account.id, name: 'west', region: TARGET, scope: '' });
    const found = await call(a, 'dr:inventory.discover', { environmentId: east.id });
    const policy = async (name: string, nativeIds: string[]) =>
      call(a, 'dr:policies.create', {
        name,
        sourceEnvironmentId: east.id,
        targetEnvironmentId: west.id,
        resources: found.filter((f) => nativeIds.includes(f.nativeId)).map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
        schedule: null,
        webhookUrl: null,
      });
    const shop = await policy('Shop', [shopInstance, 'shop-media']);
    const orders = await policy('Orders', ['orders-data']);
    const web = await policy('Web', [webInstance]);
    const replicate = async (policyId: string) => succeeded(a, (await call(a, 'dr:replication.run', { policyId })).jobId);
    const failover = async (policyId: string) => {
      const plan = await call(a, 'dr:failover.prepare', { policyId });
      return succeeded(a, (await call(a, 'dr:failover.start', { token: plan.token })).jobId);
    };
    for (const p of [shop, shop, orders, web, web]) await replicate(p.id);
    await succeeded(a, (await call(a, 'dr:testFailover.run', { policyId: shop.id })).jobId);
    const shopFailover = await failover(shop.id);
    const ordersFailover = await failover(orders.id);
    await succeeded(a, (await call(a, 'dr:testFailover.run', { policyId: web.id })).jobId);
    await a.services.catalog.idle();
    await a.services.leases.idle();

    // Every resource the handlers made in the target carries the policy, its job, the recovery point and the role.
    const jobsOf = new Map(await Promise.all([shop, orders, web].map(async (p) => [p.id, new Set(a.services.jobs.list({ policyId: p.id, offset: 0, limit: 50 }).items.map((j) => j.id))] as const)));
    const pointsOf = new Map(await Promise.all([shop, orders, web].map(async (p) => [p.id, new Set((await points(a, p.id)).map((rp) => rp.id))] as const)));
    const tagged: { what: string; tags: Record<string, string> }[] = [];
    const rec = (tags: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    for (const r of (await ec2(TARGET).send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['dr:policy'] }] }))).Reservations ?? []) {
      for (const i of r.Instances ?? []) tagged.push({ what: `instance ${i.InstanceId}`, tags: rec(i.Tags) });
    }
    for (const im of (await ec2(TARGET).send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? []) tagged.push({ what: `image ${im.ImageId}`, tags: rec(im.Tags) });
    for (const sn of (await ec2(TARGET).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag-key', Values: ['dr:policy'] }] }))).Snapshots ?? []) {
      tagged.push({ what: `snapshot ${sn.SnapshotId}`, tags: rec(sn.Tags) });
    }
    for (const b of (await s3(TARGET).send(new ListBucketsCommand({ BucketRegion: TARGET }))).Buckets ?? []) {
      if (!b.Name || b.Name === consoleBucketName(ACCOUNT, TARGET)) continue;
      tagged.push({ what: `bucket ${b.Name}`, tags: rec((await s3(TARGET).send(new GetBucketTaggingCommand({ Bucket: b.Name }))).TagSet) });
    }
    expect(tagged.filter((t) => t.what.startsWith('instance')).length).toBeGreaterThanOrEqual(2);
    expect(tagged.filter((t) => t.what.startsWith('bucket')).length).toBeGreaterThanOrEqual(2);
    for (const { what, tags } of tagged) {
      const policyId = tags['dr:policy'] ?? '';
      expect(jobsOf.has(policyId), `${what}: dr:policy ${policyId}`).toBe(true);
      expect(jobsOf.get(policyId)!.has(tags['dr:job'] ?? ''), `${what}: dr:job ${tags['dr:job']}`).toBe(true);
      expect(pointsOf.get(policyId)!.has(tags['dr:recovery-point'] ?? ''), `${what}: dr:recovery-point ${tags['dr:recovery-point']}`).toBe(true);
      expect(['replication', 'test', 'failover'], `${what}: dr:role`).toContain(tags['dr:role']);
    }
    // The replica bucket the Orders failover took over now says so, with the failover's job and point.
    const ordersBucket = tagged.find((t) => t.what.startsWith('bucket') && t.tags['dr:policy'] === orders.id)!;
    expect(ordersBucket.tags).toMatchObject({ 'dr:role': 'failover', 'dr:job': ordersFailover.id, 'dr:recovery-point': ordersFailover.recoveryPointId });

    // As if Orders had been failed over under the audited override (no lease), and Web's older point
    // had been taken while the target was unreachable (no manifest).
    const [webOlder, webNewer] = (await points(a, web.id)).sort((x, y) => x.createdAt.localeCompare(y.createdAt));
    const bucketName = consoleBucketName(ACCOUNT, TARGET);
    await s3(TARGET).send(new DeleteObjectCommand({ Bucket: bucketName, Key: STORE_KEYS.lease(orders.id) }));
    await s3(TARGET).send(new DeleteObjectCommand({ Bucket: bucketName, Key: STORE_KEYS.manifest(web.id, webOlder!.id) }));
    const webCopies = (await call(a, 'dr:testResources.list', { policyId: web.id })).map((t) => t.name);
    expect(webCopies.length).toBeGreaterThan(0);

    // Laptop B lost everything: the account and the target environment are added again, then rebuild.
    const b = laptop('laptop-b');
    const accountB = await call(b, 'dr:accounts.create', { name: 'AWS', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    const westB = await call(b, 'dr:environments.create', { accountId: accountB.id, name: 'west', region: TARGET, scope: '' });
    const report = await call(b, 'dr:rebuild.run', { environmentIds: [westB.id] });
    expect(report.environmentsUnreachable).toEqual([]);
    expect(report.unreadable).toEqual([]);
    const byName = Object.fromEntries(report.policies.map((p) => [p.policyName, p]));
    expect(Object.keys(byName).sort()).toEqual(['Orders', 'Shop', 'Web']);

    expect(byName.Shop).toMatchObject({ outcome: 'created', state: 'failed_over', recoveryPointsAdded: 2 });
    expect(byName.Shop!.note).toContain(`Failed over by console laptop-a (job ${shopFailover.id})`);
    expect(await points(b, shop.id)).toEqual(await points(a, shop.id));

    expect(byName.Orders).toMatchObject({ outcome: 'created', state: 'failing_over', recoveryPointsAdded: 1 });
    expect(byName.Orders!.note).toContain(`Failover resources of this policy exist in the target but no failover lease does (job ${ordersFailover.id}, from recovery point ${ordersFailover.recoveryPointId})`);
    expect(await points(b, orders.id)).toEqual(await points(a, orders.id));

    expect(byName.Web).toMatchObject({ outcome: 'created', state: 'active', recoveryPointsAdded: 1 });
    expect((await points(b, web.id)).map((rp) => rp.id)).toEqual([webNewer!.id]);
    expect(byName.Web!.note).toContain(`(tagged dr:recovery-point: ${webOlder!.id}) but no catalog manifest there`);
    for (const name of webCopies) expect(byName.Web!.note).toContain(name);

    const states = Object.fromEntries((await call(b, 'dr:policies.list', {})).map((p) => [p.name, p.state]));
    expect(states).toEqual({ Shop: 'failed_over', Orders: 'failing_over', Web: 'active' });
    // A policy failing over elsewhere is never offered for failover here.
    const refused = await b.router.dispatch('dr:failover.prepare', { policyId: orders.id });
    expect(refused.ok).toBe(false);
  }, 300_000);
});
