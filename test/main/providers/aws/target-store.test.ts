import { expect, it } from 'vitest';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { consoleBucketName, createAwsTargetStore } from '../../../../main/providers/aws/target-store';
import type { FailoverLease } from '../../../../main/providers/target-store';
import type { EnvRef } from '../../../../main/providers/types';
import { describeMoto } from '../../../peers/moto';
import { MOTO_CREDENTIALS, useMoto } from './moto-fixture';

const env: EnvRef = {
  environmentId: 'env-dr',
  region: 'us-west-2',
  scope: { cloud: 'aws', region: 'us-west-2', accountId: '123456789012' },
  account: { id: 'acct-1', name: 'AWS', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', ...MOTO_CREDENTIALS } },
};
const lease = (jobId: string, host = 'laptop-a'): FailoverLease => ({
  version: 1,
  policyId: 'pol_1',
  policyName: 'Shop',
  jobId,
  holder: { consoleId: `c-${host}`, host, user: 'ops' },
  acquiredAt: '2030-01-01T00:00:00.000Z',
  state: 'held',
  releasedAt: null,
});

describeMoto('the AWS target store on moto', () => {
  const moto = useMoto();

  it('creates the lease once (If-None-Match: *), hands a second creator the holder, and replaces it only at the version read', async () => {
    const store = createAwsTargetStore(moto.context());
    const signal = new AbortController().signal;
    const first = await store.createLease(env, lease('job_a'), signal);
    expect(first.created).toBe(true);
    const second = await store.createLease(env, lease('job_b', 'laptop-b'), signal);
    expect(second).toMatchObject({ created: false, current: { jobId: 'job_a', holder: { host: 'laptop-a' } } });
    if (second.created) throw new Error('unreachable');
    const released = await store.replaceLease(env, { ...lease('job_a'), state: 'completed', releasedAt: '2030-01-01T01:00:00.000Z' }, second.version, signal);
    expect(released).not.toBeNull();
    // The version read before the release is stale now: If-Match answers 412 and nothing changes.
    expect(await store.replaceLease(env, lease('job_c'), second.version, signal)).toBeNull();
    expect((await store.readLease(env, 'pol_1', signal))?.lease).toMatchObject({ jobId: 'job_a', state: 'completed' });
  });

  it('writes manifests and finds them, the leases and damaged objects again in a scan', async () => {
    const aws = moto.context();
    const store = createAwsTargetStore(aws);
    const signal = new AbortController().signal;
    await store.createLease(env, lease('job_a'), signal);
    const manifest = {
      version: 1 as const,
      policy: {
        id: 'pol_1',
        name: 'Shop',
        schedule: null,
        webhookUrl: null,
        createdAt: '2030-01-01T00:00:00.000Z',
        source: { environmentId: 'e1', name: 'Prod', accountId: 'acct-1', accountName: 'AWS', provider: 'aws', cloud: 'aws', region: 'us-east-1', scope: { cloud: 'aws' as const, region: 'us-east-1', accountId: '123456789012' } },
        target: { environmentId: 'env-dr', name: 'DR', accountId: 'acct-1', accountName: 'AWS', provider: 'aws', cloud: 'aws', region: 'us-west-2', scope: { cloud: 'aws' as const, region: 'us-west-2', accountId: '123456789012' } },
      },
      recoveryPoint: { id: 'rp_1', jobId: 'job_r', status: 'succeeded' as const, createdAt: '2030-01-01T00:00:00.000Z', completedAt: '2030-01-01T00:01:00.000Z' },
      items: [],
      writtenAt: '2030-01-01T00:01:00.000Z',
      writtenBy: { consoleId: 'c', host: 'h', user: 'u' },
    };
    await store.putManifest(env, manifest, signal);
    const s3 = new S3Client({ ...moto.client('us-west-2'), forcePathStyle: true });
    await s3.send(new PutObjectCommand({ Bucket: consoleBucketName('123456789012', 'us-west-2'), Key: 'failover-console/catalog/pol_1/garbage.json', Body: '{not json' }));
    s3.destroy();
    const scan = await store.scan(env, signal);
    expect(scan.manifests).toEqual([manifest]);
    expect(scan.leases.map((l) => l.jobId)).toEqual(['job_a']);
    expect(scan.unreadable).toEqual([`s3://${consoleBucketName('123456789012', 'us-west-2')}/failover-console/catalog/pol_1/garbage.json`]);
  });

  it('creates its bucket with every public access blocked and default encryption on', async () => {
    const store = createAwsTargetStore(moto.context());
    await store.createLease(env, lease('job_a'), new AbortController().signal);
    const s3 = new S3Client({ ...moto.client('us-west-2'), forcePathStyle: true });
    const bucket = consoleBucketName('123456789012', 'us-west-2');
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const rules = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules;
    expect(rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    s3.destroy();
  });

  it('gives a bucket it finds already there what it lacks: the whole public access block, and encryption only when it has none', async () => {
    const s3 = new S3Client({ ...moto.client('us-west-2'), forcePathStyle: true });
    const bucket = consoleBucketName('123456789012', 'us-west-2');
    // Made by hand (or by an older console): public policies allowed, its own KMS encryption.
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } }),
    );
    await s3.send(
      new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/dr-console' } }] } }),
    );
    const store = createAwsTargetStore(moto.context());
    expect((await store.createLease(env, lease('job_a'), new AbortController().signal)).created).toBe(true);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toMatchObject({ BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const rules = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration?.Rules;
    expect(rules?.[0]?.ApplyServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/dr-console' });
    s3.destroy();
  });

  it('says offline when the endpoint cannot be reached', async () => {
    const { AwsContext } = await import('../../../../main/providers/aws/clients');
    const aws = new AwsContext({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const outcomes: boolean[] = [];
    aws.observe((o) => outcomes.push(o.reachable));
    const store = createAwsTargetStore(aws);
    await expect(store.createLease(env, lease('job_a'), new AbortController().signal)).rejects.toMatchObject({ code: 'ProviderOffline' });
    expect(outcomes).toContain(false);
    aws.destroy();
  });
});
