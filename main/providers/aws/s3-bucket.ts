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
  ListObjectVersionsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  paginateListBuckets,
  type BucketLocationConstraint,
  type CORSRule,
  type LifecycleRule,
  type ReplicationConfiguration,
  type ReplicationRule,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { DiscoveredResource } from '../../../shared/domain';
import { UNREACHABLE_CODES } from '../../../shared/errors';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
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

async function bucketRegion(aws: AwsContext, ctx: CallContext, env: EnvRef, bucket: string): Promise<string | undefined> {
  const r = await aws.lookup(ctx, env, A('GetBucketLocation'), (signal) => aws.s3(env).send(new GetBucketLocationCommand({ Bucket: bucket }), { abortSignal: signal }));
  if (!r) return undefined;
  // us-east-1 answers with no constraint; "EU" is the legacy spelling of eu-west-1.
  const c = r.LocationConstraint as string | undefined;
  return !c ? 'us-east-1' : c === 'EU' ? 'eu-west-1' : c;
}

async function bucketExists(aws: AwsContext, ctx: CallContext, env: EnvRef, bucket: string): Promise<boolean> {
  const r = await aws.lookup(ctx, env, A('ListBucket'), (signal) => aws.s3(env).send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }));
  return r !== undefined;
}

/** One S3 call under one opKey of the step's journal; S3 puts replace in place, so a replay is harmless. */
function s3Mutate(aws: AwsContext, ctx: StepContext, env: EnvRef, opKey: string, action: string, intent: Record<string, unknown>, run: (signal: AbortSignal) => Promise<unknown>, absentOk = false) {
  return aws.mutate(ctx, env, opKey, {
    action,
    intent,
    ...(absentOk ? { absentOk } : {}),
    call: async (signal) => {
      await run(signal);
      return { done: opKey };
    },
  });
}

async function ensureBucket(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string): Promise<boolean> {
  if (await bucketExists(aws, ctx, env, bucket)) return true;
  try {
    await s3Mutate(aws, ctx, env, `create-bucket:${bucket}`, A('CreateBucket'), { bucket }, (signal) =>
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

async function setVersioning(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string): Promise<void> {
  await s3Mutate(aws, ctx, env, `put-bucket-versioning:${bucket}`, A('PutBucketVersioning'), { bucket }, (signal) =>
    aws.s3(env).send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }), { abortSignal: signal }),
  );
}

export async function readReplication(aws: AwsContext, ctx: CallContext, env: EnvRef, bucket: string): Promise<ReplicationConfiguration | undefined> {
  const r = await aws.lookup(ctx, env, A('GetReplicationConfiguration'), (signal) => aws.s3(env).send(new GetBucketReplicationCommand({ Bucket: bucket }), { abortSignal: signal }));
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
export async function removeReplicationRule(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string, ruleId: string): Promise<'removed' | 'absent'> {
  const config = await readReplication(aws, ctx, env, bucket);
  if (!config?.Rules?.some((r) => r.ID === ruleId)) return 'absent';
  const rest = config.Rules.filter((r) => r.ID !== ruleId);
  if (rest.length === 0) {
    await s3Mutate(aws, ctx, env, `delete-bucket-replication:${bucket}`, A('PutReplicationConfiguration'), { bucket, ruleId }, (signal) =>
      aws.s3(env).send(new DeleteBucketReplicationCommand({ Bucket: bucket }), { abortSignal: signal }),
    );
  } else {
    await s3Mutate(aws, ctx, env, `put-bucket-replication:${bucket}:without-rule`, A('PutReplicationConfiguration'), { bucket, ruleId }, (signal) =>
      aws.s3(env).send(new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: { ...config, Rules: rest } }), { abortSignal: signal }),
    );
  }
  return 'removed';
}

/** The role S3 assumes to replicate: one per account, same-named reused (R7); one inline policy per rule. */
async function replicationRole(aws: AwsContext, ctx: StepContext, env: EnvRef, source: string, replica: string, policyId: string, existingRole: string | undefined): Promise<string> {
  const iam = iamScope(aws, env, ctx);
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
  const policyName = `dr-console-${hashHex(policyId, source).slice(0, 16)}`;
  await iam.mutate(`put-role-policy:${role.name}:${policyName}`, {
    action: 'iam:PutRolePolicy',
    intent: { roleName: role.name, policyName },
    call: async (signal) => {
      await iam.client.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: policyName, PolicyDocument: JSON.stringify(document) }), { abortSignal: signal });
      return { put: true };
    },
  });
  return role.arn;
}

async function capture(aws: AwsContext, ctx: CallContext, env: EnvRef, bucket: string): Promise<Omit<S3Capture, 'replicaBucket' | 'replicationRuleId' | 'region'>> {
  const s3 = aws.s3(env);
  const versioning = await aws.read(ctx, env, A('GetBucketVersioning'), (signal) => s3.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal: signal }));
  const lifecycle = await aws.lookup(ctx, env, A('GetLifecycleConfiguration'), (signal) => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }), { abortSignal: signal }));
  const cors = await aws.lookup(ctx, env, A('GetBucketCORS'), (signal) => s3.send(new GetBucketCorsCommand({ Bucket: bucket }), { abortSignal: signal }));
  const enc = await aws.lookup(ctx, env, A('GetEncryptionConfiguration'), (signal) => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }), { abortSignal: signal }));
  const policy = await aws.lookup(ctx, env, A('GetBucketPolicy'), (signal) => s3.send(new GetBucketPolicyCommand({ Bucket: bucket }), { abortSignal: signal }));
  const tags = await aws.lookup(ctx, env, A('GetBucketTagging'), (signal) => s3.send(new GetBucketTaggingCommand({ Bucket: bucket }), { abortSignal: signal }));
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

const rewritePolicy = (cap: S3Capture, bucket: string) => (cap.policy ? cap.policy.split(bucketArn(cap.bucket)).join(bucketArn(bucket)) : null);

/** Applies a point's settings to a bucket; a bucket policy naming the source bucket is rewritten to this one. */
async function applyMetadata(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string, cap: S3Capture, extraTags: AwsTag[]): Promise<AwsTag[]> {
  const s3 = aws.s3(env);
  await setVersioning(aws, ctx, env, bucket);
  const intent = { bucket };
  if (cap.lifecycle) {
    const rules = cap.lifecycle;
    await s3Mutate(aws, ctx, env, `put-bucket-lifecycle:${bucket}`, A('PutLifecycleConfiguration'), intent, (signal) =>
      s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }), { abortSignal: signal }),
    );
  }
  if (cap.cors) {
    const rules = cap.cors;
    await s3Mutate(aws, ctx, env, `put-bucket-cors:${bucket}`, A('PutBucketCORS'), intent, (signal) =>
      s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: rules } }), { abortSignal: signal }),
    );
  }
  if (cap.encryption) {
    const config = cap.encryption;
    await s3Mutate(aws, ctx, env, `put-bucket-encryption:${bucket}`, A('PutEncryptionConfiguration'), intent, (signal) =>
      s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: config }), { abortSignal: signal }),
    );
  }
  const policy = rewritePolicy(cap, bucket);
  if (policy) {
    await s3Mutate(aws, ctx, env, `put-bucket-policy:${bucket}`, A('PutBucketPolicy'), intent, (signal) =>
      s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }), { abortSignal: signal }),
    );
  }
  const tags = [...tagList(cap.tags), ...extraTags];
  if (tags.length) {
    await s3Mutate(aws, ctx, env, `put-bucket-tagging:${bucket}`, A('PutBucketTagging'), intent, (signal) =>
      s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags } }), { abortSignal: signal }),
    );
  }
  return tags;
}

/** Reads the bucket back and compares it with the point; every setting the point has must be there. */
async function compareWithPoint(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string, cap: S3Capture, tags: AwsTag[]): Promise<string[]> {
  const now = await capture(aws, ctx, env, bucket);
  const out: string[] = [];
  const said = (what: string) => out.push(`S3 bucket ${bucket} in ${env.region} ${what} (from ${cap.bucket}'s recovery point).`);
  if (now.versioning !== 'Enabled') said('does not have versioning enabled');
  const ids = (rules: { ID?: string | undefined }[] | null) => new Set((rules ?? []).map((r) => r.ID ?? ''));
  const lifecycle = ids(now.lifecycle);
  for (const r of cap.lifecycle ?? []) if (!lifecycle.has(r.ID ?? '')) said(`lacks the lifecycle rule ${r.ID ?? '(unnamed)'}`);
  if ((cap.cors?.length ?? 0) > (now.cors?.length ?? 0)) said(`has ${now.cors?.length ?? 0} of the ${cap.cors?.length ?? 0} CORS rules`);
  const algorithm = (e: ServerSideEncryptionConfiguration | null) => e?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? null;
  if (cap.encryption && algorithm(now.encryption) !== algorithm(cap.encryption)) said(`is encrypted with ${algorithm(now.encryption) ?? 'nothing'}, not ${algorithm(cap.encryption) ?? '?'}`);
  if (cap.policy && !now.policy) said('has no bucket policy');
  const have = tagRecord((await aws.lookup(ctx, env, A('GetBucketTagging'), (signal) => aws.s3(env).send(new GetBucketTaggingCommand({ Bucket: bucket }), { abortSignal: signal })))?.TagSet);
  const missing = tags.filter((t) => have[t.Key] !== t.Value).map((t) => t.Key);
  if (missing.length) said(`lacks the tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
  return out;
}

/** Deletes every version and delete marker, then the bucket; a bucket already gone is fine. */
export async function emptyAndDeleteBucket(aws: AwsContext, ctx: StepContext, env: EnvRef, bucket: string): Promise<void> {
  const s3 = aws.s3(env);
  if (!(await bucketExists(aws, ctx, env, bucket))) return;
  // ListObjectVersions has no SDK paginator (two markers); each batch is deleted before the next listing.
  for (let batch = 0; ; batch++) {
    const page = await aws.lookup(ctx, env, A('ListBucketVersions'), (signal) => s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }), { abortSignal: signal }));
    if (!page) return;
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((o) => o.Key)
      .map((o) => ({ Key: o.Key ?? '', ...(o.VersionId ? { VersionId: o.VersionId } : {}) }));
    if (objects.length === 0) break;
    await s3Mutate(aws, ctx, env, `delete-objects:${bucket}:${batch}`, A('DeleteObjectVersion'), { bucket, objects: objects.length }, (signal) =>
      s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }), { abortSignal: signal }),
    );
  }
  await s3Mutate(aws, ctx, env, `delete-bucket:${bucket}`, A('DeleteBucket'), { bucket }, (signal) => s3.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: signal }), true);
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
  // BucketRegion keeps the listing to the environment's region without a location call per bucket.
  const pages = await aws.pages(ctx, ctx.env, 's3:ListBuckets', paginateListBuckets, s3, { BucketRegion: ctx.env.region });
  {
    for (const b of pages.flatMap((p) => p.Buckets ?? [])) {
      if (!b.Name) continue;
      const bucket = b.Name;
      const region = b.BucketRegion ?? (await bucketRegion(aws, ctx, ctx.env, bucket));
      if (region !== ctx.env.region) continue;
      const tags = tagRecord((await aws.lookup(ctx, ctx.env, A('GetBucketTagging'), (signal) => s3.send(new GetBucketTaggingCommand({ Bucket: bucket }), { abortSignal: signal })))?.TagSet);
      if (tags[DR_TAG.test] || tags[DR_TAG.policy]) continue; // the console's own test and replica buckets
      const versioning = await aws.lookup(ctx, ctx.env, A('GetBucketVersioning'), (signal) => s3.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal: signal }));
      const replication = await readReplication(aws, ctx, ctx.env, bucket);
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
  }
  return out;
}

export function createS3BucketHandler(aws: AwsContext): ResourceHandler {
  const report = (ctx: StepContext, warnings: string[]) => {
    for (const w of warnings) ctx.warn?.(w);
  };

  return {
    type: 'aws.s3-bucket',
    usesLatestPoint: false,

    discover: (ctx) => discoverS3(aws, ctx),

    async replicate(resource, ctx: StepContext): Promise<CapturedItem> {
      const src = ctx.source;
      const bucket = bucketOf(resource.nativeId);
      const region = await bucketRegion(aws, ctx, src, bucket);
      if (!region) throw new ProviderFailure('NotFound', `S3 bucket ${bucket} no longer exists; remove it from the policy or restore it.`);
      const replica = replicaBucketName(bucket, ctx.target.region, ctx.policyId);
      const ruleId = replicationRuleId(ctx.policyId);

      await setVersioning(aws, ctx, src, bucket);
      await ensureBucket(aws, ctx, ctx.target, replica);
      await setVersioning(aws, ctx, ctx.target, replica);
      await s3Mutate(aws, ctx, ctx.target, `put-bucket-tagging:${replica}`, A('PutBucketTagging'), { bucket: replica }, (signal) =>
        aws.s3(ctx.target).send(
          new PutBucketTaggingCommand({ Bucket: replica, Tagging: { TagSet: drTags(ctx, { role: 'replication', purpose: 'replica', sourceId: bucket }) } }),
          { abortSignal: signal },
        ),
      );
      const existing = await readReplication(aws, ctx, src, bucket);
      const roleArn = await replicationRole(aws, ctx, src, bucket, replica, ctx.policyId, existing?.Rules?.some((r) => r.ID !== ruleId) ? existing.Role : undefined);
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
      await s3Mutate(aws, ctx, src, `put-bucket-replication:${bucket}`, A('PutReplicationConfiguration'), { bucket, replica, ruleId }, (signal) =>
        aws.s3(src).send(new PutBucketReplicationCommand({ Bucket: bucket, ReplicationConfiguration: config }), { abortSignal: signal }),
      );
      const metadata: S3Capture = { ...(await capture(aws, ctx, src, bucket)), region, replicaBucket: replica, replicationRuleId: ruleId };
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
      if (!(await bucketExists(aws, ctx, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is gone from ${ctx.target.region}; run a replication first.`);
      }
      const name = testBucketName(cap.bucket, ctx);
      await ensureBucket(aws, ctx, ctx.target, name);
      const tags = await applyMetadata(aws, ctx, ctx.target, name, cap, drTags(ctx, { role: 'test', purpose: 'test', sourceId: cap.bucket }));
      report(ctx, await compareWithPoint(aws, ctx, ctx.target, name, cap, tags));
      return [{ kind: 'Bucket', nativeId: name, name, region: ctx.target.region, sourceId: cap.bucket }];
    },

    async reset(created, ctx): Promise<void> {
      if (created.kind !== 'Bucket') return;
      const env = { ...ctx.target, region: created.region || ctx.target.region };
      await emptyAndDeleteBucket(aws, ctx, env, created.nativeId);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      if (!(await bucketExists(aws, ctx, ctx.target, cap.replicaBucket))) {
        throw new ProviderFailure('PreconditionFailed', `The replica bucket ${cap.replicaBucket} of ${cap.bucket} is missing in ${ctx.target.region}.`);
      }
      ctx.progress(`Applying the settings of ${cap.bucket} to ${cap.replicaBucket}`);
      const tags = await applyMetadata(aws, ctx, ctx.target, cap.replicaBucket, cap, drTags(ctx, { role: 'failover', purpose: 'failover', sourceId: cap.bucket }));
      const sourceEnv = { ...ctx.source, region: cap.region || ctx.source.region };
      try {
        await removeReplicationRule(aws, ctx, sourceEnv, cap.bucket, cap.replicationRuleId);
        // Deleting the policy's rule is promised: read the source back; the rule still there fails the step.
        const left = await readReplication(aws, ctx, sourceEnv, cap.bucket);
        if (left?.Rules?.some((r) => r.ID === cap.replicationRuleId)) {
          throw new ProviderFailure('ProviderError', `The replication rule ${cap.replicationRuleId} is still on ${cap.bucket} after it was deleted; retry the failover.`);
        }
      } catch (err) {
        // The source may be the region that was lost: a rule there copies nothing any more, and the
        // replica is what the failover promised. Say what is left instead of failing the failover.
        if (!(err instanceof ProviderFailure) || !UNREACHABLE_CODES.has(err.code) || ctx.signal.aborted) throw err;
        ctx.warn?.(`The replication rule ${cap.replicationRuleId} is still on the source bucket ${cap.bucket} in ${sourceEnv.region}, which could not be reached (${err.message}); delete it there once the region answers.`);
      }
      report(ctx, await compareWithPoint(aws, ctx, ctx.target, cap.replicaBucket, cap, tags));
      return [{ sourceId: cap.bucket, kind: 'Bucket', name: cap.replicaBucket, targetId: bucketArn(cap.replicaBucket), reused: true }];
    },

    async stopReplication(resource, ctx): Promise<void> {
      // The replica bucket is recovery data and stays; only the rule this policy owns goes.
      const bucket = bucketOf(resource.nativeId);
      if ((await bucketRegion(aws, ctx, ctx.source, bucket)) === undefined) return;
      await removeReplicationRule(aws, ctx, ctx.source, bucket, replicationRuleId(ctx.policyId));
    },
  };
}
