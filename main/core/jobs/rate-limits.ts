// Provider rate limits modelled on the published throttles: token buckets (limiter's TokenBucket)
// for EC2 and ARM, fixed per-minute windows (p-queue's interval cap) for Compute Engine.

import { TokenBucket } from 'limiter';
import PQueue from 'p-queue';
import type { ResourceTypeId } from '../../../shared/catalog';
import { resourceType } from '../../../shared/catalog';
import type { ProviderKind } from '../../../shared/domain';
import { sleep } from '../backoff';

export type RateLimitSpec =
  | { kind: 'token-bucket'; bucketSize: number; refillPerSecond: number }
  | { kind: 'window'; limit: number; windowMs: number }
  | { kind: 'unlimited' };

/** Per provider kind, per API family; `default` covers families not listed. */
export type RateLimitTable = Partial<Record<ProviderKind, Partial<Record<string, RateLimitSpec>>>>;

const bucket = (bucketSize: number, refillPerSecond: number): RateLimitSpec => ({ kind: 'token-bucket', bucketSize, refillPerSecond });
const perMinute = (limit: number): RateLimitSpec => ({ kind: 'window', limit, windowMs: 60_000 });

/**
 * The providers' published defaults (per account / subscription / project):
 * - EC2 API request throttling: RunInstances bucket 1,000 refilling 2/s; other mutating actions
 *   bucket 200 refilling 5/s (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 * - Azure Resource Manager: writes 200 refilling 10/s per subscription (token-bucket throttling, 2024).
 * - Compute Engine: per-minute request quotas per project (write requests, 1,500/min by default).
 * The sim provider is unlimited unless a rehearsal or benchmark sets its own table.
 */
export const PUBLISHED_RATE_LIMITS: RateLimitTable = {
  aws: { 'ec2.run-instances': bucket(1000, 2), 'ec2.mutating': bucket(200, 5), default: bucket(200, 5) },
  azure: { 'arm.write': bucket(200, 10), default: bucket(200, 10) },
  gcp: { 'compute.write': perMinute(1500), default: perMinute(1500) },
  sim: { default: { kind: 'unlimited' } },
};

/** Step actions that mutate the cloud; each attempt takes one token of its family. */
export type StepAction = 'replicate' | 'testFailover' | 'reset' | 'failover' | 'stopReplication';

/** The API family a step's calls fall in, named after the cloud the resource type belongs to. */
export function rateFamily(type: ResourceTypeId | null, action: string): string {
  if (!type) return 'default';
  const info = resourceType(type);
  switch (info.cloud) {
    case 'aws':
      return (action === 'failover' || action === 'testFailover') && (type === 'aws.ec2-instance' || type === 'aws.eks')
        ? 'ec2.run-instances'
        : 'ec2.mutating';
    case 'azure':
      return 'arm.write';
    case 'gcp':
      return 'compute.write';
  }
}

export interface RateGate {
  /** Resolves when the call may go out; rejects with the signal's reason when aborted first. */
  take(signal: AbortSignal): Promise<void>;
}

const OPEN: RateGate = { take: (signal) => (signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()) };

class BucketGate implements RateGate {
  private readonly bucket: TokenBucket;
  constructor(size: number, refillPerSecond: number) {
    this.bucket = new TokenBucket({ bucketSize: size, tokensPerInterval: refillPerSecond, interval: 1000 });
    // limiter starts a bucket empty; the providers' buckets start full.
    this.bucket.content = size;
  }
  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.bucket.tryRemoveTokens(1)) return;
      await sleep(Math.max(1, this.bucket.getWaitTime(1)), signal);
    }
  }
}

class WindowGate implements RateGate {
  private readonly queue: PQueue;
  constructor(limit: number, windowMs: number) {
    this.queue = new PQueue({ concurrency: Number.POSITIVE_INFINITY, intervalCap: limit, interval: windowMs });
  }
  async take(signal: AbortSignal): Promise<void> {
    await this.queue.add(() => undefined, { signal });
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

/** One gate per provider + account + family, made on first use. */
export class RateLimiters {
  private readonly gates = new Map<string, RateGate>();
  constructor(private readonly table: RateLimitTable) {}

  spec(provider: ProviderKind, family: string): RateLimitSpec {
    const forProvider = this.table[provider] ?? PUBLISHED_RATE_LIMITS[provider];
    return forProvider?.[family] ?? forProvider?.default ?? { kind: 'unlimited' };
  }

  gate(provider: ProviderKind, accountKey: string, family: string): RateGate {
    const key = `${provider}\u0000${accountKey}\u0000${family}`;
    let gate = this.gates.get(key);
    if (!gate) {
      gate = makeGate(this.spec(provider, family));
      this.gates.set(key, gate);
    }
    return gate;
  }
}
