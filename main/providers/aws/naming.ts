// Deterministic names, client tokens and tags of everything the AWS adapter creates: all derived from
// the step's idempotency key or the policy id, so a replayed step finds (or re-asks for) the same thing.

import { createHash } from 'node:crypto';
import type { StepContext } from '../types';

export const DR_TAG = {
  policy: 'dr:policy',
  job: 'dr:job',
  step: 'dr:step',
  test: 'dr:test',
  source: 'dr:source',
  /** The recovery point a resource belongs to (replication data) or was made from (failover, test). */
  recoveryPoint: 'dr:recovery-point',
  /** What made it: replication data, a test-failover copy, or a failover resource (a rebuild reads it). */
  role: 'dr:role',
} as const;

/** The `dr:role` values: the three kinds of job that create things in a target. */
export type DrRole = 'replication' | 'test' | 'failover';

export interface AwsTag {
  Key: string;
  Value: string;
}

type StepIds = Pick<StepContext, 'idempotencyKey' | 'policyId' | 'jobId' | 'recoveryPointId'>;

export function hashHex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** The value of the `dr:step` tag: a short digest of the idempotency key (tag values allow 256 chars). */
export function stepToken(ctx: Pick<StepContext, 'idempotencyKey'>, purpose = ''): string {
  return hashHex('step', ctx.idempotencyKey, purpose).slice(0, 32);
}

/** An EC2/RDS/EKS ClientToken: ≤ 64 ASCII characters, the same for every attempt of one step. */
export function clientToken(ctx: Pick<StepContext, 'idempotencyKey'>, purpose = ''): string {
  return `dr-${hashHex('token', ctx.idempotencyKey, purpose).slice(0, 48)}`;
}

/**
 * Tags on everything the adapter creates (or takes over) for a step: the policy, the job, the recovery
 * point (the one being made, or the one a failover or test failover used), the role, the step's digest.
 * A rebuilt console reads them back (target-store.ts); `dr:test` is what Reset insists on.
 */
export function drTags(ctx: StepIds, opts: { role: DrRole; purpose?: string; sourceId?: string }): AwsTag[] {
  const tags: AwsTag[] = [
    { Key: DR_TAG.policy, Value: ctx.policyId },
    { Key: DR_TAG.job, Value: ctx.jobId },
    { Key: DR_TAG.step, Value: stepToken(ctx, opts.purpose) },
    { Key: DR_TAG.role, Value: opts.role },
  ];
  if (ctx.recoveryPointId) tags.push({ Key: DR_TAG.recoveryPoint, Value: ctx.recoveryPointId });
  if (opts.role === 'test') tags.push({ Key: DR_TAG.test, Value: 'true' });
  if (opts.sourceId) tags.push({ Key: DR_TAG.source, Value: opts.sourceId.slice(0, 256) });
  return tags;
}

/** The role a tagged resource declares; older resources without `dr:role` are read from `dr:test` and their kind. */
export function roleOf(tags: Record<string, string>, fallback: DrRole): DrRole {
  const r = tags[DR_TAG.role];
  if (r === 'replication' || r === 'test' || r === 'failover') return r;
  return tags[DR_TAG.test] === 'true' ? 'test' : fallback;
}

/** Tag list → record; drops entries without key. */
export function tagRecord(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Record → tag list, leaving out the console's own dr:* bookkeeping tags (they are per job). */
export function tagList(tags: Record<string, string>, opts: { keepDr?: boolean } = {}): AwsTag[] {
  return Object.entries(tags)
    .filter(([k]) => opts.keepDr || !k.startsWith('dr:'))
    .filter(([k]) => !k.startsWith('aws:'))
    .map(([Key, Value]) => ({ Key, Value }));
}

/** The DescribeInstances/DescribeImages filter that finds what this step already created. */
export function stepFilter(ctx: Pick<StepContext, 'idempotencyKey'>, purpose = ''): { Name: string; Values: string[] } {
  return { Name: `tag:${DR_TAG.step}`, Values: [stepToken(ctx, purpose)] };
}

function slug(s: string, max: number): string {
  const cleaned = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return cleaned.slice(0, max).replace(/-$/, '') || 'r';
}

/** A test-failover name: `drtest-<base>-<digest>`, ≤ `max` characters, stable per step. */
export function testName(base: string, ctx: Pick<StepContext, 'idempotencyKey'>, max = 63): string {
  const suffix = hashHex('test', ctx.idempotencyKey).slice(0, 8);
  return `drtest-${slug(base, max - 16)}-${suffix}`;
}

/** The policy's replica bucket in the target region: deterministic, ≤ 63 chars, DNS-safe. */
export function replicaBucketName(sourceBucket: string, targetRegion: string, policyId: string): string {
  const suffix = hashHex('replica-bucket', policyId, sourceBucket, targetRegion).slice(0, 10);
  return `${slug(sourceBucket, 63 - 15)}-dr-${suffix}`;
}

/** A test bucket for one test-failover step. */
export function testBucketName(sourceBucket: string, ctx: Pick<StepContext, 'idempotencyKey'>): string {
  return testName(sourceBucket, ctx, 63);
}

/** The ID of the replication rule a policy owns on a source bucket (≤ 255 chars). */
export function replicationRuleId(policyId: string): string {
  return `dr-console-${policyId}`.slice(0, 255);
}

/** An IAM-safe name (roles 64, instance profiles 128, policies 128 chars). */
export function iamName(base: string, max = 64): string {
  return base.replace(/[^\w+=,.@-]+/g, '-').slice(0, max);
}
