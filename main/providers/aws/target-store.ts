// The AWS target store: the failover lease and the recovery-point catalog as S3 objects in one
// console bucket per target account and region. The lease is created with `If-None-Match: *` and
// changed only with `If-Match: <ETag>`, so S3 itself decides which console wins (no consensus of
// ours). A rebuild lists the bucket and reads the tags the handlers put on EC2 instances and AMIs.

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
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
import { DR_TAG, tagRecord } from './naming';

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

  /** The bucket name, created on first use (BucketAlreadyOwnedByYou is fine). */
  function bucket(env: EnvRef, signal: AbortSignal): Promise<string> {
    const key = `${env.account.id}|${env.region}|${env.scope}`;
    let p = ready.get(key);
    if (!p) {
      p = (async () => {
        const name = consoleBucketName(await aws.accountId(env), env.region);
        const exists = await aws.find(env, 's3:ListBucket', () => aws.s3(env).send(new HeadBucketCommand({ Bucket: name }), { abortSignal: signal }));
        if (exists) return name;
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
        return name;
      })();
      p.catch(() => ready.delete(key));
      ready.set(key, p);
    }
    return p;
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
      out.tagged.push(...(await taggedEc2(aws, env, signal)));
      return out;
    },
  };
}

/** Instances and AMIs in the target carrying dr:policy: AMIs are replication data, instances failover or test copies. */
async function taggedEc2(aws: AwsContext, env: EnvRef, signal: AbortSignal): Promise<TaggedResource[]> {
  const out: TaggedResource[] = [];
  const filter = [{ Name: 'tag-key', Values: [DR_TAG.policy] }];
  let token: string | undefined;
  do {
    const page = await aws.call(env, 'ec2:DescribeInstances', () =>
      aws.ec2(env).send(new DescribeInstancesCommand({ Filters: filter, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal }),
    );
    for (const r of page.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        const state = i.State?.Name;
        if (!i.InstanceId || state === 'terminated' || state === 'shutting-down') continue;
        const tags = tagRecord(i.Tags);
        const policyId = tags[DR_TAG.policy];
        if (!policyId) continue;
        out.push({
          nativeId: i.InstanceId,
          kind: 'Instance',
          name: tags.Name ?? i.InstanceId,
          region: env.region,
          policyId,
          jobId: tags[DR_TAG.job] ?? null,
          recoveryPointId: tags[DR_TAG.recoveryPoint] ?? null,
          role: tags[DR_TAG.test] === 'true' ? 'test' : 'failover',
        });
      }
    }
    token = page.NextToken;
  } while (token);
  const images = await aws.call(env, 'ec2:DescribeImages', () =>
    aws.ec2(env).send(new DescribeImagesCommand({ Owners: ['self'], Filters: filter }), { abortSignal: signal }),
  );
  for (const im of images.Images ?? []) {
    const tags = tagRecord(im.Tags);
    const policyId = tags[DR_TAG.policy];
    if (!im.ImageId || !policyId) continue;
    out.push({
      nativeId: im.ImageId,
      kind: 'Image',
      name: im.Name ?? im.ImageId,
      region: env.region,
      policyId,
      jobId: tags[DR_TAG.job] ?? null,
      recoveryPointId: tags[DR_TAG.recoveryPoint] ?? null,
      role: tags[DR_TAG.test] === 'true' ? 'test' : 'replication',
    });
  }
  return out;
}
