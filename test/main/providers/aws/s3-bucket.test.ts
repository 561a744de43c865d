// The S3 handler against moto: discover → replicate twice → test failover → reset → failover, reading
// back the buckets and replication rules; the owner's own rules survive, ours alone goes.

import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import type { MiddlewareStack } from '@smithy/types';
import { expect, it } from 'vitest';
import { AwsContext } from '../../../../main/providers/aws/clients';
import { createS3BucketHandler, mergeReplicationRule, type S3Capture } from '../../../../main/providers/aws/s3-bucket';
import { replicaBucketName, replicationRuleId } from '../../../../main/providers/aws/naming';
import { describeMoto } from '../../../peers/moto';
import { useMoto } from './moto-fixture';
import { env, pointItem, resourceRef, step } from './step-context';

/** An AWS context on moto whose S3 requests to us-east-1 end in `fault` (a lost or refusing source region). */
function sourceS3Fault(endpoint: string, fault: () => Error, seen: string[] = []): AwsContext {
  return new AwsContext({
    endpoint,
    pollIntervalMs: 10,
    instrument: (client, service) => {
      const region = (client as unknown as { config: { region: () => Promise<string> } }).config.region;
      (client.middlewareStack as MiddlewareStack<object, object>).add(
        (next, context) => async (args) => {
          if (service !== 's3' || (await region()) !== 'us-east-1') return next(args);
          seen.push(String((context as { commandName?: string }).commandName));
          throw fault();
        },
        { step: 'finalizeRequest', priority: 'low', name: 'sourceS3Fault' },
      );
    },
  });
}

const OWNER_ROLE = 'arn:aws:iam::123456789012:role/owner-replication';

describeMoto('S3 bucket handler against moto', () => {
  const moto = useMoto();
  const source = env('us-east-1');
  const target = env('eu-west-1');
  const s3 = (region: string) => new S3Client({ ...moto.client(region), forcePathStyle: true });

  const fresh = () => createS3BucketHandler(moto.context());

  async function seedBucket(name: string, opts: { ownerRule?: boolean } = {}) {
    const c = s3('us-east-1');
    await c.send(new CreateBucketCommand({ Bucket: name }));
    await c.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    await c.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'team', Value: 'media' }] } }));
    await c.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: name,
        LifecycleConfiguration: { Rules: [{ ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } }] },
      }),
    );
    await c.send(new PutBucketCorsCommand({ Bucket: name, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://shop.example'] }] } }));
    await c.send(
      new PutBucketPolicyCommand({
        Bucket: name,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'ReadFromAnalytics', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:GetObject', Resource: [`arn:aws:s3:::${name}/*`] }] }),
      }),
    );
    if (opts.ownerRule) {
      await new IAMClient(moto.client('us-east-1')).send(
        new CreateRoleCommand({ RoleName: 'owner-replication', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }),
      );
      await c.send(new CreateBucketCommand({ Bucket: `${name}-owner-copy`, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
      await c.send(
        new PutBucketReplicationCommand({
          Bucket: name,
          ReplicationConfiguration: {
            Role: OWNER_ROLE,
            Rules: [{ ID: 'owner-rule', Status: 'Enabled', Priority: 0, Filter: { Prefix: 'logs/' }, DeleteMarkerReplication: { Status: 'Disabled' }, Destination: { Bucket: `arn:aws:s3:::${name}-owner-copy` } }],
          },
        }),
      );
    }
    await c.send(new PutObjectCommand({ Bucket: name, Key: 'a.txt', Body: 'hello' }));
  }

  const rules = async (bucket: string) =>
    (await s3('us-east-1').send(new GetBucketReplicationCommand({ Bucket: bucket })).catch(() => undefined))?.ReplicationConfiguration;

  it('discovers buckets of the region with tags and a summary, not the console own buckets', async () => {
    const h = fresh();
    await seedBucket('media-assets');
    await s3('eu-west-1').send(new CreateBucketCommand({ Bucket: 'eu-only', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const found = await h.discover({ env: source, signal: new AbortController().signal });
    expect(found.map((f) => f.name)).toEqual(['media-assets']);
    expect(found[0]).toMatchObject({ type: 'aws.s3-bucket', region: 'us-east-1', tags: { team: 'media' }, summary: 'versioning on' });
  });

  it('replicates twice, test-fails over, resets and fails over; only the policy rule is removed', async () => {
    const h = fresh();
    await seedBucket('media-assets', { ownerRule: true });
    const ref = resourceRef('aws.s3-bucket', 'media-assets', 'media-assets');
    const replica = replicaBucketName('media-assets', 'eu-west-1', 'policy-1');

    await h.replicate(ref, step({ jobId: 'rep-1', source, target }));
    const captured = await h.replicate(ref, step({ jobId: 'rep-2', source, target }));
    const m = captured.metadata as unknown as S3Capture;
    expect(m).toMatchObject({ bucket: 'media-assets', versioning: 'Enabled', replicaBucket: replica, tags: { team: 'media' } });
    expect(m.lifecycle?.[0]).toMatchObject({ ID: 'expire-tmp' });
    expect(m.cors?.[0]?.AllowedOrigins).toEqual(['https://shop.example']);
    expect(m.policy).toContain('ReadFromAnalytics');

    // The target bucket exists with versioning; the source has both rules, ours once, the owner's role kept.
    await s3('eu-west-1').send(new HeadBucketCommand({ Bucket: replica }));
    expect((await s3('eu-west-1').send(new GetBucketVersioningCommand({ Bucket: replica }))).Status).toBe('Enabled');
    const config = await rules('media-assets');
    expect(config?.Rules?.map((r) => r.ID).sort()).toEqual(['dr-console-policy-1', 'owner-rule']);
    expect(config?.Role).toBe(OWNER_ROLE);
    // The owner's role gained one inline policy for our destination; no console role was made.
    const iam = new IAMClient(moto.client('us-east-1'));
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'owner-replication' }))).PolicyNames).toHaveLength(1);
    expect((await iam.send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName)).toEqual(['owner-replication']);
    expect(config?.Rules?.find((r) => r.ID === replicationRuleId('policy-1'))?.Destination?.Bucket).toBe(`arn:aws:s3:::${replica}`);

    // Test failover: a test bucket carrying the metadata; reset deletes it (objects and all).
    const item = pointItem(ref, captured);
    const testStep = step({ jobId: 'test-1', source, target });
    const created = await h.testFailover(item, testStep);
    const testBucket = created[0]?.nativeId ?? '';
    expect(testBucket).toMatch(/^drtest-media-assets-/);
    const t = s3('eu-west-1');
    expect((await t.send(new GetBucketLifecycleConfigurationCommand({ Bucket: testBucket }))).Rules?.[0]?.ID).toBe('expire-tmp');
    expect((await t.send(new GetBucketCorsCommand({ Bucket: testBucket }))).CORSRules?.[0]?.AllowedMethods).toEqual(['GET']);
    expect((await t.send(new GetBucketPolicyCommand({ Bucket: testBucket }))).Policy).toContain(`arn:aws:s3:::${testBucket}/*`);
    expect((await t.send(new GetBucketTaggingCommand({ Bucket: testBucket }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'dr:test', Value: 'true' }, { Key: 'team', Value: 'media' }]));
    await t.send(new PutObjectCommand({ Bucket: testBucket, Key: 'probe.txt', Body: 'x' }));
    await h.reset(created[0]!, testStep);
    await h.reset(created[0]!, testStep);
    const names = (await t.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(names).not.toContain(testBucket);
    expect(config?.Rules).toHaveLength(2); // production replication untouched by test and reset
    expect((await rules('media-assets'))?.Rules).toHaveLength(2);

    // Failover: metadata on the replica, our rule gone, the owner's rule kept.
    const mapping = await h.failover(item, step({ jobId: 'fo-1', source, target }));
    expect(mapping).toEqual([{ sourceId: 'media-assets', kind: 'Bucket', name: replica, targetId: `arn:aws:s3:::${replica}`, reused: true }]);
    expect((await t.send(new GetBucketLifecycleConfigurationCommand({ Bucket: replica }))).Rules?.[0]?.ID).toBe('expire-tmp');
    expect((await t.send(new GetBucketTaggingCommand({ Bucket: replica }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'media' }]));
    const after = await rules('media-assets');
    expect(after?.Rules?.map((r) => r.ID)).toEqual(['owner-rule']);
    expect(after?.Role).toBe(OWNER_ROLE);
    // Replayed failover step: nothing left to remove, still succeeds.
    await h.failover(item, step({ jobId: 'fo-1', source, target }));
    expect((await rules('media-assets'))?.Rules?.map((r) => r.ID)).toEqual(['owner-rule']);
  });

  it('deletes the whole replication configuration when the policy rule was the last one', async () => {
    const h = fresh();
    await seedBucket('logs-archive');
    const ref = resourceRef('aws.s3-bucket', 'logs-archive', 'logs-archive');
    const captured = await h.replicate(ref, step({ jobId: 'rep-1', source, target }));
    expect((await rules('logs-archive'))?.Rules?.map((r) => r.ID)).toEqual(['dr-console-policy-1']);
    // The console's replication role, once, reused by a second policy's replication.
    await h.replicate(resourceRef('aws.s3-bucket', 'logs-archive', 'logs-archive', 'policy-2'), step({ jobId: 'rep-2', policyId: 'policy-2', source, target }));
    const iam = new IAMClient(moto.client('us-east-1'));
    expect((await iam.send(new ListRolesCommand({}))).Roles?.filter((r) => r.RoleName === 'dr-console-s3-replication')).toHaveLength(1);
    await h.stopReplication(resourceRef('aws.s3-bucket', 'logs-archive', 'logs-archive', 'policy-2'), step({ jobId: 'stop-2', policyId: 'policy-2', source, target }));
    await h.failover(pointItem(ref, captured), step({ jobId: 'fo-1', source, target }));
    expect(await rules('logs-archive')).toBeUndefined();
    // The replica (recovery data) stays.
    await s3('eu-west-1').send(new HeadBucketCommand({ Bucket: replicaBucketName('logs-archive', 'eu-west-1', 'policy-1') }));
  });

  it('fails over when the source region does not answer: the replica gets the metadata, and the step says the rule is still on the source', async () => {
    await seedBucket('orders-archive');
    const ref = resourceRef('aws.s3-bucket', 'orders-archive', 'orders-archive');
    const captured = await fresh().replicate(ref, step({ jobId: 'rep-1', source, target }));
    const replica = replicaBucketName('orders-archive', 'eu-west-1', 'policy-1');
    // The source region is lost: every S3 request to us-east-1 fails as an unreachable host would.
    const refused: string[] = [];
    const lost = sourceS3Fault(moto.client('us-east-1').endpoint, () => Object.assign(new Error('connect EHOSTUNREACH 10.0.0.1:443'), { code: 'EHOSTUNREACH' }), refused);
    try {
      const fo = step({ jobId: 'fo-1', source, target });
      const mapping = await createS3BucketHandler(lost).failover(pointItem(ref, captured), fo);
      expect(mapping).toEqual([expect.objectContaining({ kind: 'Bucket', name: replica, reused: true })]);
      expect(refused.length).toBeGreaterThan(0);
      expect(fo.warnings).toContainEqual(expect.stringMatching(new RegExp(`^The replication rule ${replicationRuleId('policy-1')} is still on the source bucket orders-archive in us-east-1, which could not be reached .*delete it there once the region answers\\.$`)));
      const t = s3('eu-west-1');
      expect((await t.send(new GetBucketLifecycleConfigurationCommand({ Bucket: replica }))).Rules?.[0]?.ID).toBe('expire-tmp');
      expect((await t.send(new GetBucketTaggingCommand({ Bucket: replica }))).TagSet).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'media' }]));
      // Nothing reached the source: the rule is still there, as the warning says.
      expect((await rules('orders-archive'))?.Rules?.map((r) => r.ID)).toEqual([replicationRuleId('policy-1')]);
    } finally {
      lost.destroy();
    }
  });

  it('still fails the failover when the source answers with a refusal (not unreachable)', async () => {
    await seedBucket('orders-denied');
    const ref = resourceRef('aws.s3-bucket', 'orders-denied', 'orders-denied');
    const captured = await fresh().replicate(ref, step({ jobId: 'rep-1', source, target }));
    const denied = sourceS3Fault(moto.client('us-east-1').endpoint, () => Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    try {
      await expect(createS3BucketHandler(denied).failover(pointItem(ref, captured), step({ jobId: 'fo-1', source, target }))).rejects.toMatchObject({ code: 'ProviderPermissionDenied' });
      expect((await rules('orders-denied'))?.Rules?.map((r) => r.ID)).toEqual([replicationRuleId('policy-1')]);
    } finally {
      denied.destroy();
    }
  });

  it('merging keeps other rules and moves our priority off a taken one', () => {
    const merged = mergeReplicationRule(
      { Role: OWNER_ROLE, Rules: [{ ID: 'a', Priority: 0, Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::x' } }] },
      { ID: 'ours', Priority: 0, Status: 'Enabled', Destination: { Bucket: 'arn:aws:s3:::y' } },
      'arn:aws:iam::123456789012:role/dr',
    );
    expect(merged.Role).toBe(OWNER_ROLE);
    expect(merged.Rules?.map((r) => [r.ID, r.Priority])).toEqual([
      ['a', 0],
      ['ours', 1],
    ]);
    expect(mergeReplicationRule(undefined, { ID: 'ours', Status: 'Enabled', Destination: { Bucket: 'b' } }, 'r').Role).toBe('r');
  });
});
