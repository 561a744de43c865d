// Amazon S3 buckets: the policy turns versioning on and adds ITS replication rule (merged with the
// owner's rules) to a bucket in the target region; failover applies the metadata there and drops the rule.

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketReplicationCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  type BucketLocationConstraint,
  type CORSRule,
  type LifecycleRule,
  type ReplicationConfiguration,
  type ReplicationRule,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext } from './clients';
import { ensureRole, iamScope } from './iam';
import { DR_TAG, drTags, hashHex, replicaBucketName, replicationRuleId, tagList, tagRecord, testBucketName, type AwsTag } from './naming';

export interface S3Capture {
  bucket: string;
  region: string;
  versioning: string | null;
  lifecycle: LifecycleRule[] | null;
  cors: CORSRule[] | null;
  encryption: ServerSideEncryptionConfiguration | null;
  policy: string | null;
  tags: Record<string, string>;
  /** The replica in the target region, and the rule that feeds it. */
  replicaBucket: string;
  replicationRuleId: string;
}

const A = (op: string) => `s3:${op}`;

export const bucketOf = (nativeId: string) => nativeId.replace(/^arn:aws[a-z-]*:s3:::/, '');
const bucketArn = (name: string) => `arn:aws:s3:::${name}`;

async function bucketRegion(aws: AwsContext, env: EnvRef, bucket: string): Promise<string | undefined> {
  const r = await aws.find(env, A('GetBucketLocation'), () => aws.s3(env).send(new GetBucketLocationCommand({ Bucket: bucket })));
  if (!r) return undefined;
  // us-east-1 answers with no constraint; "EU" is the legacy spelling of eu-west-1.
  const c = r.LocationConstraint as string | undefined;
  return !c ? 'us-east-1' : c === 'EU' ? 'eu-west-1' : c;
}

async function bucketExists(aws: AwsContext, env: EnvRef, bucket: string): Promise<boolean> {
  const r = await aws.find(env, A('ListBucket'), () => aws.s3(env).send(new HeadBucketCommand({ Bucket: bucket })));
  return r !== undefined;
}

async function ensureBucket(aws: AwsContext, env: EnvRef, bucket: string, signal: AbortSignal): Promise<boolean> {
  if (await bucketExists(aws, env, bucket)) return true;
  try {
    await aws.call(env, A('CreateBucket'), () =>
      aws.s3(env).send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(env.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint } }),
        }),
        { abortSignal: signal },
      ),
    );
    return false;
  } catch (err) {
    const name = err instanceof ProviderFailure ? (err.cause as { name?: string } | undefined)?.name : undefined;
    if (name === 'BucketAlreadyOwnedByYou') return true;
    if (name === 'BucketAlreadyExists') {
      throw new ProviderFailure('Conflict', `The bucket name ${bucket} is taken by another AWS account; S3 names are global.`, { cause: err });
    }
    throw err;
  }
}

async function setVersioning(aws: AwsContext, env: EnvRef, bucket: string): Promise<void> {
  await aws.call(env, A('PutBucketVersioning'), () =>
    aws.s3(env).send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })),
  );
}

export async function readReplication(aws: AwsContext, env: EnvRef, bucket: string): Promise<ReplicationConfiguration | undefined> {
  const r = await aws.find(env, A('GetReplicationConfiguration'), () => aws.s3(env).send(new GetBucketReplicationCommand({ Bucket: bucket })));
  return r?.ReplicationConfiguration;
}

/** Adds or replaces only the policy's rule; every other rule of the bucket is written back untouched. */
export function mergeReplicationRule(existing: ReplicationConfiguration | undefined, rule: ReplicationRule, role: string): ReplicationConfiguration {
  const others = (existing?.Rules ?? []).filter((r) => r.ID !== rule.ID);
  const mine = existing?.Rules?.find((r) => r.ID === rule.ID);
  const used = new Set(others.map((r) => r.Priority).filter((p): p is number => p !== undefined));
  let priority = mine?.Priority ?? rule.Priority ?? 0;
  if (used.has(priority)) priority = Math.max(...used) + 1;
  // A configuration has one role: the owner's role stays when there are other rules.
  return { Role: others.length && existing?.Role ? existing.Role : role, Rules: [...others, { ...rule, Priority: priority }] };
}

/** Removes only the policy's rule; the whole configuration goes only when that rule was the last. */
export async function removeReplicationRule(aws: AwsContext, env: EnvRef, bucket: string, ruleId: string): Promise<'removed' | 'absent'> {
  const config = await readReplication(aws, env, bucket);
  if (!config?.Rules?.some((r) => r.ID === ruleId)) return 'absent';
  const rest = config.Rules.filter((r) => r.ID !== ruleId);
  if (rest.length === 0) {
    await aws.call(env, A('PutReplicationConfiguration'), () => aws.s3(env).send(new DeleteBucketReplicationCommand({ Bucket: bucket })));
  } else {
    await aws.call(env, A('PutReplicationConfiguration'), () =>
      aws.s3(env).send(new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: { ...config, Rules: rest } })),
    );
  }
  return 'removed';
}

/** The role S3 assumes to replicate: one per account, same-named reused (R7); one inline policy per rule. */
async function replicationRole(aws: AwsContext, env: EnvRef, source: string, replica: string, policyId: string, existingRole: string | undefined): Promise<string> {
  const iam = iamScope(aws, env);
  const roleName = existingRole?.split('/').pop() ?? 'dr-console-s3-replication';
  const role = existingRole
    ? { name: roleName, arn: existingRole }
    : await ensureRole(iam, {
        name: roleName,
        trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
        description: 'Lets S3 replicate buckets protected by Failover Console policies.',
        tags: [{ Key: 'managed-by', Value: 'failover-console' }],
      });
  const document = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: [bucketArn(source)] },
      { Effect: 'Allow', Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'], Resource: [`${bucketArn(source)}/*`] },
      { Effect: 'Allow', Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], Resource: [`${bucketArn(replica)}/*`] },
    ],
  };
  await iam.call('iam:PutRolePolicy', () =>
    iam.client.send(
      new PutRolePolicyCommand({ RoleName: role.name, PolicyName: `dr-console-${hashHex(policyId, source).slice(0, 16)}`, PolicyDocument: JSON.stringify(document) }),
    ),
  );
  return role.arn;
}

async function capture(aws: AwsContext, env: EnvRef, bucket: string): Promise<Omit<S3Capture, 'replicaBucket' | 'replicationRuleId' | 'region'>> {
  const s3 = aws.s3(env);
  const versioning = await aws.call(env, A('GetBucketVersioning'), () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })));
  const lifecycle = await aws.find(env, A('GetLifecycleConfiguration'), () => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
  const cors = await aws.find(env, A('GetBucketCORS'), () => s3.send(new GetBucketCorsCommand({ Bucket: bucket })));
  const enc = await aws.find(env, A('GetEncryptionConfiguration'), () => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })));
  const policy = await aws.find(env, A('GetBucketPolicy'), () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
  const tags = await aws.find(env, A('GetBucketTagging'), () => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })));
  return {
    bucket,
    versioning: versioning.Status ?? null,
    lifecycle: lifecycle?.Rules?.length ? lifecycle.Rules : null,
    cors: cors?.CORSRules?.length ? cors.CORSRules : null,
    encryption: enc?.ServerSideEncryptionConfiguration ?? null,
    policy: policy?.Policy ?? null,
    tags: Object.fromEntries(Object.entries(tagRecord(tags?.TagSet)).filter(([k]) => !k.startsWith('dr:') && !k.startsWith('aws:'))),
  };
}

/** Applies a point's settings to a bucket; a bucket policy naming the source bucket is rewritten to this one. */
async function applyMetadata(aws: AwsContext, env: EnvRef, bucket: string, cap: S3Capture, extraTags: AwsTag[]): Promise<void> {
  const s3 = aws.s3(env);
  await setVersioning(aws, env, bucket);
  if (cap.lifecycle) {
    await aws.call(env, A('PutLifecycleConfiguration'), () => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: cap.lifecycle ?? [] } })));
  }
  if (cap.cors) {
    await aws.call(env, A('PutBucketCORS'), () => s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: cap.cors ?? [] } })));
  }
  if (cap.encryption) {
    await aws.call(env, A('PutEncryptionConfiguration'), () => s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: cap.encryption ?? undefined })));
  }
  if (cap.policy) {
    const rewritten = cap.policy.split(bucketArn(cap.bucket)).join(bucketArn(bucket));
    await aws.call(env, A('PutBucketPolicy'), () => s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: rewritten })));
  }
  const tags = [...tagList(cap.tags), ...extraTags];
  if (tags.length) {
    await aws.call(env, A('PutBucketTagging'), () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags } })));
  }
}

/** Deletes every version and delete marker, then the bucket; a bucket already gone is fine. */
export async function emptyAndDeleteBucket(aws: AwsContext, env: EnvRef, bucket: string, signal: AbortSignal): Promise<void> {
  const s3 = aws.s3(env);
  if (!(await bucketExists(aws, env, bucket))) return;
  for (;;) {
    const page = await aws.find(env, A('ListBucketVersions'), () => s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }), { abortSignal: signal }));
    if (!page) return;
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((o) => o.Key)
      .map((o) => ({ Key: o.Key ?? '', ...(o.VersionId ? { VersionId: o.VersionId } : {}) }));
    if (objects.length === 0) break;
    await aws.call(env, A('DeleteObjectVersion'), () => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } })));
  }
  await aws.find(env, A('DeleteBucket'), () => s3.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: signal }));
}

function readCapture(item: RecoveryPointItemRef): S3Capture {
  const m = item.metadata as Partial<S3Capture>;
  if (!m.bucket || !m.replicaBucket || !m.replicationRuleId) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of bucket ${item.resource.name} does not name its replica; choose a later recovery point.`);
  }
  return m as S3Capture;
}

export async function discoverS3(aws: AwsContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const s3 = aws.s3(ctx.env);
  const out: DiscoveredResource[] = [];
  let token: string | undefined;
  do {
    // BucketRegion keeps the listing to the environment's region without a location call per bucket.
    const page = await aws.call(ctx.env, A('ListAllMyBuckets'), () =>
      s3.send(new ListBucketsCommand({ BucketRegion: ctx.env.region, MaxBuckets: 1000, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: ctx.signal }),
    );
    for (const b of page.Buckets ?? []) {
      if (!b.Name) continue;
      const region = b.BucketRegion ?? (await bucketRegion(aws, ctx.env, b.Name));
      if (region !== ctx.env.region) continue;
      const tags = tagRecord((await aws.find(ctx.env, A('GetBucketTagging'), () => s3.send(new GetBucketTaggingCommand({ Bucket: b.Name }))))?.TagSet);
      if (tags[DR_TAG.test] || tags[DR_TAG.policy]) continue; // the console's own test and replica buckets
      const versioning = await aws.find(ctx.env, A('GetBucketVersioning'), () => s3.send(new GetBucketVersioningCommand({ Bucket: b.Name })));
      const replication = await readReplication(aws, ctx.env, b.Name);
      const n = replication?.Rules?.length ?? 0;
      out.push({
        type: 'aws.s3-bucket',
        nativeId: b.Name,
        name: b.Name,
        region,
        tags,
        summary: `versioning ${versioning?.Status === 'Enabled' ? 'on' : versioning?.Status === 'Suspended' ? 'suspended' : 'off'}${n ? `, ${n} replication rule${n === 1 ? '' : 's'}` : ''}`,
      });
    }
    token = page.ContinuationToken;
  } while (token);
  return out;
}

export function createS3BucketHandler(aws: AwsContext): ResourceHandler {
  return {
    type: 'aws.s3-bucket',
    usesLatestPoint: false,

    discover: (ctx) => discoverS3(aws, ctx),

    async replicate(resource, ctx: StepContext): Promise<CapturedItem> {
      const src = ctx.source;
      const bucket = bucketOf(resource.nativeId);
      const region = await bucketRegion(aws, src, bucket);
      if (!region) throw new ProviderFailure('NotFound', `S3 bucket ${bucket} no longer exists; remove it from the policy or restore it.`);
      const replica = replicaBucketName(bucket, ctx.target.region, ctx.policyId);
      const ruleId = replicationRuleId(ctx.policyId);
      ctx.recordIntent({ op: 's3:PutReplicationConfiguration', bucket, replica, ruleId, region: ctx.target.region });

      await setVersioning(aws, src, bucket);
      await ensureBucket(aws, ctx.target, replica, ctx.signal);
      await setVersioning(aws, ctx.target, replica);
      await aws.call(ctx.target, A('PutBucketTagging'), () =>
        aws.s3(ctx.target).send(new PutBucketTaggingCommand({ Bucket: replica, Tagging: { TagSet: [{ Key: DR_TAG.policy, Value: ctx.policyId }, { Key: DR_TAG.source, Value: bucket }] } })),
      );
      const existing = await readReplication(aws, src, bucket);
      const roleArn = await replicationRole(aws, src, bucket, replica, ctx.policyId, existing?.Rules?.some((r) => r.ID !== ruleId) ? existing.Role : undefined);
      const config = mergeReplicationRule(
        existing,
        {
          ID: ruleId,
          Status: 'Enabled',
          Priority: 0,
          Filter: { Prefix: '' },
          DeleteMarkerReplication: { Status: 'Enabled' },
          Destination: { Bucket: bucketArn(replica) },
        },
        roleArn,
      );
      await aws.call(src, A('PutReplicationConfiguration'), () =>
        aws.s3(src).send(new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: config }), { abortSignal: ctx.signal }),
      );
      const metadata: S3Capture = { ...(await capture(aws, src, bucket)), region, replicaBucket: replica, replicationRuleId: ruleId };
      return {
        metadata: { ...metadata },
        dataRefs: [
          { kind: 'Bucket', id: replica, region: ctx.target.region },
          { kind: 'ReplicationRule', id: ruleId, region },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      if (!(await bucketExists(aws, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is gone from ${ctx.target.region}; run a replication first.`);
      }
      const name = testBucketName(cap.bucket, ctx);
      ctx.recordIntent({ op: 's3:CreateBucket', bucket: name, region: ctx.target.region });
      await ensureBucket(aws, ctx.target, name, ctx.signal);
      await applyMetadata(aws, ctx.target, name, cap, drTags(ctx, { test: true, purpose: 'test', sourceId: cap.bucket }));
      return [{ kind: 'Bucket', nativeId: name, name, region: ctx.target.region, sourceId: cap.bucket }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'Bucket') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      await emptyAndDeleteBucket(aws, env, created.nativeId, ctx.signal);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      if (!(await bucketExists(aws, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is missing in ${ctx.target.region}.`);
      }
      ctx.progress(`Applying the settings of ${cap.bucket} to ${cap.replicaBucket}`);
      await applyMetadata(aws, ctx.target, cap.replicaBucket, cap, [{ Key: DR_TAG.policy, Value: ctx.policyId }, { Key: DR_TAG.source, Value: cap.bucket }]);
      const sourceEnv = { ...ctx.source, region: cap.region || ctx.source.region };
      await removeReplicationRule(aws, sourceEnv, cap.bucket, cap.replicationRuleId);
      return [{ sourceId: cap.bucket, kind: 'Bucket', name: cap.replicaBucket, targetId: bucketArn(cap.replicaBucket), reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // The replica bucket is recovery data and stays; only the rule this policy owns goes.
      const bucket = bucketOf(resource.nativeId);
      if ((await bucketRegion(aws, ctx.source, bucket)) === undefined) return;
      await removeReplicationRule(aws, ctx.source, bucket, replicationRuleId(ctx.policyId));
    },
  };
}
