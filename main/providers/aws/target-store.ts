// The AWS target store: the failover lease and the recovery-point catalog as S3 objects in one
// console bucket per target account and region. The lease is created with `If-None-Match: *` and
// changed only with `If-Match: <ETag>`, so S3 itself decides which console wins (no consensus of
// ours). A rebuild lists the bucket and reads the dr:* tags the handlers put on what they create in
// the target (EC2, S3, RDS, DynamoDB, EKS): policy, job, recovery point and role.

import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { DescribeTableCommand, ListTablesCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ProviderFailure } from '../provider-failure';
import {
  STORE_KEYS,
  parseLease,
  parseManifest,
  type CatalogManifest,
  type FailoverLease,
  type LeaseCreateResult,
  type TaggedResource,
  type TargetScan,
  type TargetStore,
} from '../target-store';
import type { EnvRef } from '../types';
import type { AwsContext } from './clients';
import { DR_TAG, roleOf, tagRecord, type DrRole } from './naming';

/** The console's bucket in a target account and region: deterministic, so a rebuilt laptop finds it. */
export function consoleBucketName(accountId: string, region: string): string {
  return `dr-console-${accountId}-${region}`.slice(0, 63);
}

interface HttpError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** 412: the condition did not hold; 409 ConditionalRequestConflict: a concurrent conditional write won. */
function lostCondition(err: unknown): boolean {
  const e = err as HttpError;
  return e?.$metadata?.httpStatusCode === 412 || e?.name === 'PreconditionFailed' || e?.name === 'ConditionalRequestConflict' || e?.Code === 'ConditionalRequestConflict';
}

const LOST = Symbol('condition-lost');

export function createAwsTargetStore(aws: AwsContext): TargetStore {
  const ready = new Map<string, Promise<string>>();

  /**
   * The bucket name, created on first use (BucketAlreadyOwnedByYou is fine) with every public access
   * blocked and default encryption on; a bucket found already there is checked for both, and given
   * what it lacks. It holds which console fails a policy over and each recovery point's settings.
   */
  function bucket(env: EnvRef, signal: AbortSignal): Promise<string> {
    const key = `${env.account.id}|${env.region}|${env.scope}`;
    let p = ready.get(key);
    if (!p) {
      p = (async () => {
        const name = consoleBucketName(await aws.accountId(env), env.region);
        const exists = await aws.find(env, 's3:ListBucket', () => aws.s3(env).send(new HeadBucketCommand({ Bucket: name }), { abortSignal: signal }));
        if (!exists) {
          try {
            await aws.call(env, 's3:CreateBucket', () =>
              aws.s3(env).send(
                new CreateBucketCommand({
                  Bucket: name,
                  ...(env.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: env.region as BucketLocationConstraint } }),
                }),
                { abortSignal: signal },
              ),
            );
          } catch (err) {
            if (!(err instanceof ProviderFailure) || !/BucketAlreadyOwnedByYou/.test(err.message)) throw err;
          }
        }
        await harden(env, name, signal);
        return name;
      })();
      p.catch(() => ready.delete(key));
      ready.set(key, p);
    }
    return p;
  }

  /** Public access blocked (all four settings) and default encryption (SSE-S3 unless the bucket has its own). */
  async function harden(env: EnvRef, name: string, signal: AbortSignal): Promise<void> {
    const s3 = aws.s3(env);
    const block = await aws.find(env, 's3:GetBucketPublicAccessBlock', () => s3.send(new GetPublicAccessBlockCommand({ Bucket: name }), { abortSignal: signal }));
    const c = block?.PublicAccessBlockConfiguration;
    if (!(c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets)) {
      await aws.call(env, 's3:PutBucketPublicAccessBlock', () =>
        s3.send(
          new PutPublicAccessBlockCommand({
            Bucket: name,
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
          }),
          { abortSignal: signal },
        ),
      );
    }
    const encryption = await aws.find(env, 's3:GetEncryptionConfiguration', () => s3.send(new GetBucketEncryptionCommand({ Bucket: name }), { abortSignal: signal }));
    if (!encryption?.ServerSideEncryptionConfiguration?.Rules?.some((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm)) {
      await aws.call(env, 's3:PutEncryptionConfiguration', () =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket: name,
            ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
          }),
          { abortSignal: signal },
        ),
      );
    }
  }

  async function getText(env: EnvRef, b: string, key: string, signal: AbortSignal): Promise<{ text: string; etag: string } | undefined> {
    return aws.find(env, 's3:GetObject', async () => {
      const r = await aws.s3(env).send(new GetObjectCommand({ Bucket: b, Key: key }), { abortSignal: signal });
      return { text: (await r.Body?.transformToString('utf8')) ?? '', etag: r.ETag ?? '' };
    });
  }

  async function conditionalPut(env: EnvRef, b: string, key: string, body: string, cond: { ifNoneMatch?: '*'; ifMatch?: string }, signal: AbortSignal): Promise<string | typeof LOST> {
    return aws.call(env, 's3:PutObject', async () => {
      try {
        const r = await aws.s3(env).send(
          new PutObjectCommand({
            Bucket: b,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            ...(cond.ifNoneMatch ? { IfNoneMatch: cond.ifNoneMatch } : {}),
            ...(cond.ifMatch ? { IfMatch: cond.ifMatch } : {}),
          }),
          { abortSignal: signal },
        );
        return r.ETag ?? '';
      } catch (err) {
        if (lostCondition(err)) return LOST;
        throw err;
      }
    });
  }

  async function readLease(env: EnvRef, policyId: string, signal: AbortSignal) {
    const b = await bucket(env, signal);
    const got = await getText(env, b, STORE_KEYS.lease(policyId), signal);
    if (!got) return null;
    const lease = parseLease(got.text);
    if (!lease) {
      throw new ProviderFailure('Conflict', `The failover lease object for this policy in s3://${b} is damaged or not the console's; fix or remove ${STORE_KEYS.lease(policyId)} by hand.`);
    }
    return { lease, version: got.etag };
  }

  return {
    async createLease(env, lease, signal): Promise<LeaseCreateResult> {
      const b = await bucket(env, signal);
      for (let i = 0; i < 3; i++) {
        const put = await conditionalPut(env, b, STORE_KEYS.lease(lease.policyId), JSON.stringify(lease), { ifNoneMatch: '*' }, signal);
        if (put !== LOST) return { created: true, version: put };
        const current = await readLease(env, lease.policyId, signal);
        // Deleted between the two calls (by hand): try the create again.
        if (current) return { created: false, current: current.lease, version: current.version };
      }
      throw new ProviderFailure('Conflict', 'The failover lease object kept changing while the console read it; try again.');
    },
    async replaceLease(env, lease: FailoverLease, version, signal) {
      const b = await bucket(env, signal);
      const put = await conditionalPut(env, b, STORE_KEYS.lease(lease.policyId), JSON.stringify(lease), { ifMatch: version }, signal);
      return put === LOST ? null : put;
    },
    readLease,
    async putManifest(env, manifest: CatalogManifest, signal) {
      const b = await bucket(env, signal);
      await aws.call(env, 's3:PutObject', () =>
        aws.s3(env).send(
          new PutObjectCommand({
            Bucket: b,
            Key: STORE_KEYS.manifest(manifest.policy.id, manifest.recoveryPoint.id),
            Body: JSON.stringify(manifest),
            ContentType: 'application/json',
          }),
          { abortSignal: signal },
        ),
      );
    },
    async scan(env, signal): Promise<TargetScan> {
      const out: TargetScan = { manifests: [], leases: [], tagged: [], unreadable: [] };
      const name = consoleBucketName(await aws.accountId(env), env.region);
      const exists = await aws.find(env, 's3:ListBucket', () => aws.s3(env).send(new HeadBucketCommand({ Bucket: name }), { abortSignal: signal }));
      if (exists) {
        let token: string | undefined;
        do {
          const page = await aws.call(env, 's3:ListBucket', () =>
            aws.s3(env).send(new ListObjectsV2Command({ Bucket: name, Prefix: 'failover-console/', ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal }),
          );
          for (const o of page.Contents ?? []) {
            if (!o.Key) continue;
            const got = await getText(env, name, o.Key, signal);
            if (!got) continue;
            if (o.Key.startsWith(STORE_KEYS.leasePrefix)) {
              const lease = parseLease(got.text);
              if (lease) out.leases.push(lease);
              else out.unreadable.push(`s3://${name}/${o.Key}`);
            } else if (o.Key.startsWith(STORE_KEYS.catalogPrefix)) {
              const manifest = parseManifest(got.text);
              if (manifest) out.manifests.push(manifest);
              else out.unreadable.push(`s3://${name}/${o.Key}`);
            }
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      }
      out.tagged.push(...(await taggedInTarget(aws, env, name, signal, out.unreadable)));
      return out;
    },
  };
}

type TagFallback = DrRole;

/** One tagged resource read back: its role from dr:role (older ones: dr:test, else `fallback`). */
function taggedOf(env: EnvRef, kind: string, nativeId: string, name: string, tags: Record<string, string>, fallback: TagFallback): TaggedResource | null {
  const policyId = tags[DR_TAG.policy];
  if (!policyId) return null;
  return {
    nativeId,
    kind,
    name,
    region: env.region,
    policyId,
    jobId: tags[DR_TAG.job] ?? null,
    recoveryPointId: tags[DR_TAG.recoveryPoint] ?? null,
    role: roleOf(tags, fallback),
  };
}

/**
 * Everything in the target region carrying dr:policy, per service the handlers create in: EC2
 * instances, AMIs and snapshots, S3 buckets, RDS instances and clusters, DynamoDB tables, EKS
 * clusters. A service the credentials may not read is reported (unreadable) and the rest still
 * counts; no answer at all (offline, cancelled) fails the scan.
 */
async function taggedInTarget(aws: AwsContext, env: EnvRef, consoleBucket: string, signal: AbortSignal, unreadable: string[]): Promise<TaggedResource[]> {
  const out: TaggedResource[] = [];
  const push = (t: TaggedResource | null) => {
    if (t) out.push(t);
  };
  const part = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ProviderFailure) || err.code === 'ProviderOffline' || err.code === 'Cancelled' || err.code === 'ProviderUnavailable') throw err;
      unreadable.push(`${what} in ${env.region} (their dr:* tags could not be read: ${err.message})`);
    }
  };
  const opt = { abortSignal: signal };
  const tagFilter = [{ Name: 'tag-key', Values: [DR_TAG.policy] }];

  await part('EC2 instances', async () => {
    let token: string | undefined;
    do {
      const page = await aws.call(env, 'ec2:DescribeInstances', () => aws.ec2(env).send(new DescribeInstancesCommand({ Filters: tagFilter, ...(token ? { NextToken: token } : {}) }), opt));
      for (const i of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const state = i.State?.Name;
        if (!i.InstanceId || state === 'terminated' || state === 'shutting-down') continue;
        const tags = tagRecord(i.Tags);
        push(taggedOf(env, 'Instance', i.InstanceId, tags.Name ?? i.InstanceId, tags, 'failover'));
      }
      token = page.NextToken;
    } while (token);
  });
  await part('EC2 images', async () => {
    const images = await aws.call(env, 'ec2:DescribeImages', () => aws.ec2(env).send(new DescribeImagesCommand({ Owners: ['self'], Filters: tagFilter }), opt));
    for (const im of images.Images ?? []) if (im.ImageId) push(taggedOf(env, 'Image', im.ImageId, im.Name ?? im.ImageId, tagRecord(im.Tags), 'replication'));
  });
  await part('EBS snapshots', async () => {
    let token: string | undefined;
    do {
      const page = await aws.call(env, 'ec2:DescribeSnapshots', () =>
        aws.ec2(env).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilter, ...(token ? { NextToken: token } : {}) }), opt),
      );
      for (const sn of page.Snapshots ?? []) {
        if (!sn.SnapshotId) continue;
        const tags = tagRecord(sn.Tags);
        push(taggedOf(env, 'Snapshot', sn.SnapshotId, tags.Name ?? sn.SnapshotId, tags, 'replication'));
      }
      token = page.NextToken;
    } while (token);
  });
  await part('S3 buckets', async () => {
    let token: string | undefined;
    do {
      const page = await aws.call(env, 's3:ListAllMyBuckets', () =>
        aws.s3(env).send(new ListBucketsCommand({ BucketRegion: env.region, MaxBuckets: 1000, ...(token ? { ContinuationToken: token } : {}) }), opt),
      );
      for (const b of page.Buckets ?? []) {
        if (!b.Name || b.Name === consoleBucket) continue;
        const name = b.Name;
        const tagging = await aws.find(env, 's3:GetBucketTagging', () => aws.s3(env).send(new GetBucketTaggingCommand({ Bucket: name }), opt));
        if (tagging) push(taggedOf(env, 'Bucket', name, name, tagRecord(tagging.TagSet), 'replication'));
      }
      token = page.ContinuationToken;
    } while (token);
  });
  await part('RDS databases', async () => {
    let marker: string | undefined;
    do {
      const page = await aws.call(env, 'rds:DescribeDBInstances', () => aws.rds(env).send(new DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) }), opt));
      for (const db of page.DBInstances ?? []) {
        if (db.DBInstanceIdentifier) push(taggedOf(env, 'DBInstance', db.DBInstanceArn ?? db.DBInstanceIdentifier, db.DBInstanceIdentifier, tagRecord(db.TagList), 'replication'));
      }
      marker = page.Marker;
    } while (marker);
    marker = undefined;
    do {
      const page = await aws.call(env, 'rds:DescribeDBClusters', () => aws.rds(env).send(new DescribeDBClustersCommand({ ...(marker ? { Marker: marker } : {}) }), opt));
      for (const c of page.DBClusters ?? []) {
        if (c.DBClusterIdentifier) push(taggedOf(env, 'DBCluster', c.DBClusterArn ?? c.DBClusterIdentifier, c.DBClusterIdentifier, tagRecord(c.TagList), 'replication'));
      }
      marker = page.Marker;
    } while (marker);
  });
  await part('DynamoDB tables', async () => {
    let start: string | undefined;
    do {
      const page = await aws.call(env, 'dynamodb:ListTables', () => aws.dynamodb(env).send(new ListTablesCommand({ ...(start ? { ExclusiveStartTableName: start } : {}) }), opt));
      for (const table of page.TableNames ?? []) {
        const d = await aws.find(env, 'dynamodb:DescribeTable', () => aws.dynamodb(env).send(new DescribeTableCommand({ TableName: table }), opt));
        const arn = d?.Table?.TableArn;
        if (!arn) continue;
        const tags: Record<string, string> = {};
        let next: string | undefined;
        do {
          const t = await aws.call(env, 'dynamodb:ListTagsOfResource', () => aws.dynamodb(env).send(new ListTagsOfResourceCommand({ ResourceArn: arn, ...(next ? { NextToken: next } : {}) }), opt));
          Object.assign(tags, tagRecord(t.Tags));
          next = t.NextToken;
        } while (next);
        // The console tags tables it tests on or fails over; their replicas belong to the global table.
        push(taggedOf(env, 'Table', arn, table, tags, 'failover'));
      }
      start = page.LastEvaluatedTableName;
    } while (start);
  });
  await part('EKS clusters', async () => {
    let token: string | undefined;
    do {
      const page = await aws.call(env, 'eks:ListClusters', () => aws.eks(env).send(new ListClustersCommand({ ...(token ? { nextToken: token } : {}) }), opt));
      for (const name of page.clusters ?? []) {
        const c = await aws.find(env, 'eks:DescribeCluster', () => aws.eks(env).send(new DescribeClusterCommand({ name }), opt));
        if (c?.cluster) push(taggedOf(env, 'KubernetesCluster', c.cluster.arn ?? name, name, c.cluster.tags ?? {}, 'failover'));
      }
      token = page.nextToken;
    } while (token);
  });
  return out;
}
