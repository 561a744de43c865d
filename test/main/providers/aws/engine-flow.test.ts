// EC2 and S3 through the composed core and its job engine against moto, as the operator drives them:
// discover → replicate twice → test failover → reset → failover, with the AWS state read back by the SDK.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { replicaBucketName } from '../../../../main/providers/aws/naming';
import { call, stderrLogger, waitForJob } from '../../../fixtures/failover-scenario';
import { testKeyProvider } from '../../../helpers/keys';
import { describeMoto, startMoto, type MotoServer } from '../../../peers/moto';

const creds = { accessKeyId: 'AKIAMOTOENGINEFLOW01', secretAccessKey: 'moto-engine' };

describeMoto('EC2 and S3 through the engine against moto', () => {
  let moto: MotoServer;
  let dir: string;
  let core: Core;
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'fc-aws-engine-'));
    core = composeCore({
      dataDir: dir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      startWebhooks: false,
      logger: stderrLogger,
      providers: { sim: false, aws: { endpoint: moto.url, pollIntervalMs: 10 } },
    });
  });
  afterAll(async () => {
    await core?.close();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ec2 = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: creds });
  const s3 = (region: string) => new S3Client({ region, endpoint: moto.url, forcePathStyle: true, credentials: creds });
  const liveIn = async (region: string): Promise<Instance[]> => {
    const r = await ec2(region).send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
  };
  const succeeded = async (jobId: string) => {
    const job = await waitForJob(core, jobId, 60_000);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    return job;
  };

  it('replicates twice, test-fails over, resets and fails over an instance and a bucket', async () => {
    const images = await ec2('us-east-1').send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const run = await ec2('us-east-1').send(
      new RunInstancesCommand({
        ImageId: images.Images?.[0]?.ImageId,
        InstanceType: 'c5.large',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'billing-01' }, { Key: 'cost-center', Value: '42' }] }],
      }),
    );
    const instanceId = run.Instances?.[0]?.InstanceId ?? '';
    await s3('us-east-1').send(new CreateBucketCommand({ Bucket: 'billing-exports' }));
    await s3('us-east-1').send(new PutBucketVersioningCommand({ Bucket: 'billing-exports', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3('us-east-1').send(new PutBucketTaggingCommand({ Bucket: 'billing-exports', Tagging: { TagSet: [{ Key: 'cost-center', Value: '42' }] } }));
    await new IAMClient({ region: 'us-east-1', endpoint: moto.url, credentials: creds }).send(
      new CreateRoleCommand({ RoleName: 'owner-repl', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }),
    );
    await s3('us-east-1').send(new CreateBucketCommand({ Bucket: 'billing-audit-copy', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
    await s3('us-east-1').send(
      new PutBucketReplicationCommand({
        Bucket: 'billing-exports',
        ReplicationConfiguration: {
          Role: 'arn:aws:iam::123456789012:role/owner-repl',
          Rules: [{ ID: 'audit-copy', Status: 'Enabled', Priority: 0, Filter: { Prefix: 'audit/' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: 'arn:aws:s3:::billing-audit-copy' } }],
        },
      }),
    );

    const account = await call(core, 'dr:accounts.create', { name: 'AWS', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...creds } });
    expect(await call(core, 'dr:accounts.test', { accountId: account.id })).toMatchObject({ ok: true, identity: '123456789012' });
    const source = await call(core, 'dr:environments.create', { accountId: account.id, name: 'east', region: 'us-east-1', scope: '' });
    const target = await call(core, 'dr:environments.create', { accountId: account.id, name: 'west', region: 'eu-west-1', scope: '' });
    const found = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    const picked = found.filter((f) => f.nativeId === instanceId || f.nativeId === 'billing-exports');
    expect(picked.map((p) => p.type).sort()).toEqual(['aws.ec2-instance', 'aws.s3-bucket']);
    const policy = await call(core, 'dr:policies.create', {
      name: 'Billing',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: picked.map((f) => ({ type: f.type, nativeId: f.nativeId, name: f.name })),
      schedule: null,
      webhookUrl: null,
    });

    for (let i = 0; i < 2; i++) await succeeded((await call(core, 'dr:replication.run', { policyId: policy.id })).jobId);
    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.items).toHaveLength(2);
    expect((await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images).toHaveLength(2);

    await succeeded((await call(core, 'dr:testFailover.run', { policyId: policy.id })).jobId);
    const tests = await call(core, 'dr:testResources.list', { policyId: policy.id });
    expect(tests.map((t) => t.kind).sort()).toEqual(['Bucket', 'Instance']);
    expect(await liveIn('eu-west-1')).toHaveLength(1);
    await succeeded((await call(core, 'dr:testFailover.reset', { policyId: policy.id })).jobId);
    expect(await liveIn('eu-west-1')).toHaveLength(0);
    const bucketsAfterReset = (await s3('eu-west-1').send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? [];
    expect(bucketsAfterReset.some((b) => b?.startsWith('drtest-'))).toBe(false);

    const plan = await call(core, 'dr:failover.prepare', { policyId: policy.id });
    const fo = await succeeded((await call(core, 'dr:failover.start', { token: plan.token })).jobId);
    const [launched] = await liveIn('eu-west-1');
    const targetImages = (await ec2('eu-west-1').send(new DescribeImagesCommand({ Owners: ['self'] }))).Images?.map((i) => i.ImageId);
    expect(targetImages).toContain(launched?.ImageId);
    expect(launched).toMatchObject({ InstanceType: 'c5.large' });
    expect(launched?.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'billing-01' }, { Key: 'cost-center', Value: '42' }]));
    const replica = replicaBucketName('billing-exports', 'eu-west-1', policy.id);
    expect((await s3('eu-west-1').send(new GetBucketTaggingCommand({ Bucket: replica }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'cost-center', Value: '42' }]));
    const rules = (await s3('us-east-1').send(new GetBucketReplicationCommand({ Bucket: 'billing-exports' }))).ReplicationConfiguration?.Rules;
    expect(rules?.map((r) => r.ID)).toEqual(['audit-copy']);
    const mappings = await call(core, 'dr:jobs.mappings', { jobId: fo.id });
    expect(mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'Instance', sourceId: instanceId, targetId: launched?.InstanceId }),
        expect.objectContaining({ kind: 'Bucket', sourceId: 'billing-exports', targetId: `arn:aws:s3:::${replica}` }),
      ]),
    );
    expect((await call(core, 'dr:policies.get', { policyId: policy.id })).state).toBe('failed_over');
  }, 120_000);
});
