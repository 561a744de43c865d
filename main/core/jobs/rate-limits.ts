// Provider rate limits modelled on the published throttles, per API family a handler declares on each
// call (ctx.mutate / ctx.read / ctx.rateGate): token buckets (limiter's TokenBucket) for EC2 and ARM,
// fixed per-minute windows (limiter's RateLimiter) for the Google Cloud services.

import { RateLimiter, TokenBucket } from 'limiter';
import type { ProviderKind } from '../../../shared/domain';
import type { EnvRef } from '../../providers/types';
import { sleep } from '../backoff';

export type RateLimitSpec =
  | { kind: 'token-bucket'; bucketSize: number; refillPerSecond: number }
  | { kind: 'window'; limit: number; windowMs: number }
  | { kind: 'unlimited' };

/** Per provider kind, per API family (ApiFamily in providers/types.ts); `default` covers families not listed. */
export type RateLimitTable = Partial<Record<ProviderKind, Partial<Record<string, RateLimitSpec>>>>;

const bucket = (bucketSize: number, refillPerSecond: number): RateLimitSpec => ({ kind: 'token-bucket', bucketSize, refillPerSecond });
const perMinute = (limit: number): RateLimitSpec => ({ kind: 'window', limit, windowMs: 60_000 });

/**
 * The clouds' published default limits per API family, as data. Each figure carries its source. Rate
 * keys are per account scope (rateScopeKey): AWS account + region, ARM subscription, GCP project.
 */
export const CLOUD_RATE_LIMITS: Readonly<Record<string, RateLimitSpec>> = {
  // Amazon EC2, per account per Region, token buckets ("Request throttling for the Amazon EC2 API",
  // docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, request token bucket sizes and
  // refill rates): RunInstances has its own bucket of 1,000 refilling 2/s (resource rate limit, one
  // token per instance); other mutating actions 200 refilling 5/s; non-mutating (Describe*) 100
  // refilling 20/s.
  'aws.ec2.run-instances': bucket(1000, 2),
  'aws.ec2.mutating': bucket(200, 5),
  'aws.ec2.read': bucket(100, 20),
  // Other AWS services: the SDK's own retry handles their throttles; until a published bucket is
  // modelled they share EC2's mutating shape, the most conservative documented AWS control-plane figure.
  'aws.rds.mutating': bucket(200, 5),
  // RDS Describe* calls: no published bucket either; EC2's non-mutating shape (100 refilling 20/s).
  'aws.rds.read': bucket(100, 20),
  // AWS STS (GetCallerIdentity, AssumeRole on Test connection and sign-in): no published bucket; the
  // conservative control-plane shape above.
  'aws.sts': bucket(200, 5),
  'aws.s3': bucket(200, 5),
  'aws.iam': bucket(200, 5),
  'aws.eks': bucket(200, 5),
  'aws.dynamodb': bucket(200, 5),
  // Azure Resource Manager, per subscription per region instance, token buckets ("Understand how Azure
  // Resource Manager throttles requests", learn.microsoft.com/azure/azure-resource-manager/management/
  // request-limits-and-throttling, the 2024 token-bucket table): reads bucket 250 refilling 25/s;
  // writes bucket 200 refilling 10/s; deletes bucket 200 refilling 10/s (a bucket of their own).
  'azure.arm.read': bucket(250, 25),
  'azure.arm.write': bucket(200, 10),
  'azure.arm.delete': bucket(200, 10),
  // Azure Blob Storage data plane, per storage account ("Scalability and performance targets for
  // standard storage accounts", learn.microsoft.com/azure/storage/common/scalability-targets-standard-
  // account): 20,000 requests per second; the gate is per subscription, so it is the looser bound.
  'azure.storage.blob': bucket(20000, 20000),
  // Google Cloud, per project, per-minute windows, each service its own quota:
  // Compute Engine ("Compute Engine rate quotas", cloud.google.com/compute/api-quota): queries
  // (mutating methods, compute.googleapis.com/default) 1,500/min; read requests (*.get) 1,500/min.
  'gcp.compute.write': perMinute(1500),
  'gcp.compute.read': perMinute(1500),
  // IAM ("IAM quotas and limits", cloud.google.com/iam/quotas): reads 6,000/min, writes 600/min per
  // project; the console's IAM calls are writes (create role, bind), so the write figure.
  'gcp.iam': perMinute(600),
  // Cloud Storage ("Quotas & limits", cloud.google.com/storage/quotas): bucket create/delete about one
  // request every 2 seconds per project, i.e. 30/min (object calls are not what the console makes).
  'gcp.storage': perMinute(30),
  // GKE (container.googleapis.com) and Cloud SQL Admin (sqladmin.googleapis.com): their default
  // per-minute request quotas are listed only in the console's Quotas page (cloud.google.com/kubernetes-
  // engine/quotas, cloud.google.com/sql/docs/quotas say so); the figures below are NOT verified
  // published numbers: a conservative 600/min each until the adapters read the project's real quota.
  'gcp.container': perMinute(600),
  'gcp.sqladmin': perMinute(600),
};

/**
 * Per provider kind. A provider's calls go to one cloud, so its table is the cloud families; the
 * sim provider is unlimited unless a rehearsal or benchmark sets its own table.
 */
export const PUBLISHED_RATE_LIMITS: RateLimitTable = {
  aws: { ...CLOUD_RATE_LIMITS, default: bucket(200, 5) },
  azure: { ...CLOUD_RATE_LIMITS, default: bucket(200, 10) },
  gcp: { ...CLOUD_RATE_LIMITS, default: perMinute(1500) },
  sim: { default: { kind: 'unlimited' } },
};

/**
 * The rate key of an environment: the limits are per AWS account and region, per Azure subscription,
 * per Google Cloud project, read from the environment's typed scope (shared/scope.ts); when the scope
 * leaves it to the credentials, the console account stands for it.
 */
export function rateScopeKey(env: Pick<EnvRef, 'account' | 'region' | 'scope'>): string {
  const s = env.scope;
  switch (s.cloud) {
    case 'aws':
      return `aws|${env.account.id}|${s.accountId ?? ''}|${env.region}`;
    case 'azure':
      return `azure|${env.account.id}|${s.subscriptionId ?? ''}`;
    case 'gcp':
      return `gcp|${env.account.id}|${s.projectId ?? ''}`;
  }
}

export interface RateGate {
  /** Resolves when the call may go out; rejects with the signal's reason when aborted first. */
  take(signal: AbortSignal): Promise<void>;
  /** Takes a token if one is there now, without waiting (the engine parks a step only when this fails). */
  tryTake(): boolean;
}

const OPEN: RateGate = {
  take: (signal) => (signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()),
  tryTake: () => true,
};

class BucketGate implements RateGate {
  private readonly bucket: TokenBucket;
  constructor(size: number, refillPerSecond: number) {
    this.bucket = new TokenBucket({ bucketSize: size, tokensPerInterval: refillPerSecond, interval: 1000 });
    // limiter starts a bucket empty; the providers' buckets start full.
    this.bucket.content = size;
  }
  tryTake(): boolean {
    return this.bucket.tryRemoveTokens(1);
  }
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.bucket.tryRemoveTokens(1)) return;
      await sleep(Math.max(1, this.bucket.getWaitTime(1)), signal);
    }
  }
}

/** A fixed window: at most `limit` calls per `windowMs` (limiter's RateLimiter: a bucket plus a per-interval count). */
class WindowGate implements RateGate {
  private readonly limiter: RateLimiter;
  constructor(limit: number, windowMs: number) {
    this.limiter = new RateLimiter({ tokensPerInterval: limit, interval: windowMs });
  }
  tryTake(): boolean {
    return this.limiter.tryRemoveTokens(1);
  }
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.limiter.tryRemoveTokens(1)) return;
      await sleep(Math.max(1, this.limiter.getWaitTime(1)), signal);
    }
  }
}

export function makeGate(spec: RateLimitSpec): RateGate {
  switch (spec.kind) {
    case 'token-bucket':
      return new BucketGate(spec.bucketSize, spec.refillPerSecond);
    case 'window':
      return new WindowGate(spec.limit, spec.windowMs);
    case 'unlimited':
      return OPEN;
  }
}

/** One gate per provider + account scope + family, made on first use; counts the tokens taken. */
export class RateLimiters {
  private readonly gates = new Map<string, RateGate>();
  /** Tokens granted per family since start. */
  readonly taken = new Map<string, number>();
  /** Tokens granted per gate (account scope + family), with the gate's limit (the benchmark's drain bound). */
  readonly takenByGate = new Map<string, { scope: string; family: string; spec: RateLimitSpec; tokens: number }>();
  constructor(private readonly table: RateLimitTable) {}

  spec(provider: ProviderKind, family: string): RateLimitSpec {
    const forProvider = this.table[provider] ?? PUBLISHED_RATE_LIMITS[provider];
    return forProvider?.[family] ?? forProvider?.default ?? { kind: 'unlimited' };
  }

  gate(provider: ProviderKind, accountKey: string, family: string): RateGate {
    const key = `${provider}\u0000${accountKey}\u0000${family}`;
    let gate = this.gates.get(key);
    if (!gate) {
      const spec = this.spec(provider, family);
      const inner = makeGate(spec);
      const count = { scope: accountKey, family, spec, tokens: 0 };
      this.takenByGate.set(key, count);
      const granted = () => {
        count.tokens += 1;
        this.taken.set(family, (this.taken.get(family) ?? 0) + 1);
      };
      gate = {
        take: async (signal) => {
          await inner.take(signal);
          granted();
        },
        tryTake: () => {
          if (!inner.tryTake()) return false;
          granted();
          return true;
        },
      };
      this.gates.set(key, gate);
    }
    return gate;
  }
}
