// The simulated cloud's API for handlers: one latency, fault and cancellation model for every call,
// and mutations that go through ctx.mutate (intent journaled first, a journaled success never
// repeated, an interrupted one looked up before it is repeated) and reads through ctx.read, each
// taking a token of the API family of the cloud it simulates.

import { describeScope } from '../../../shared/scope';
import { CLOUD_LABELS, resourceType, type ResourceTypeId } from '../../../shared/catalog';
import type { Clock } from '../../core/clock';
import type { Db } from '../../db/connection';
import { ProviderFailure } from '../provider-failure';
import type { ApiFamily, ResolvedAccount, StepContext } from '../types';
import { digest } from './prng';
import {
  deleteResource,
  getResource,
  insertResource,
  updateResource,
  type SimOrigin,
  type SimResource,
} from './sim-store';

/** Simulated time per API call: baseMs plus up to jitterMs. */
export interface SimLatency {
  baseMs: number;
  jitterMs: number;
}

export const SIM_OPERATIONS = ['discover', 'replicate', 'testFailover', 'reset', 'failover', 'stopReplication'] as const;
export type SimOperation = (typeof SIM_OPERATIONS)[number];

/** Failure injection, per simulated API call. */
export interface SimFaults {
  /** Probability (0-1) that a call is throttled (ProviderThrottled with retryAfterMs). */
  throttleRate?: number;
  /** Probability (0-1) that a call fails hard (ProviderError). */
  errorRate?: number;
  /** Every call for these resource types fails hard. */
  failTypes?: readonly ResourceTypeId[];
  /** Every call for protected resources with these names fails hard. */
  failNames?: readonly string[];
  /** The Retry-After a throttled call reports (default 1000 ms). */
  retryAfterMs?: number;
  /**
   * Tries per call before a throttle reaches the handler, as the cloud SDKs retry throttled requests
   * themselves (AWS SDK v3 standard mode: 3 tries, short backoff). Default 3; 1: every throttle surfaces.
   */
  sdkAttempts?: number;
  /** Operations the faults apply to (default: every operation except discover). */
  operations?: readonly SimOperation[];
  /**
   * Regions that do not answer (a rehearsal of a lost region): every call about a resource in one of
   * them fails with ProviderUnavailable, whatever `operations` says, while the rest of the cloud works.
   */
  lostRegions?: readonly string[];
}

/** Whom a call is about, for fault targeting and the operator-facing sentences. */
export interface CallSubject {
  type: ResourceTypeId;
  /** The protected resource's name (failNames matches it). */
  name: string;
  region: string;
  /** What the call does, as an operator would say it: "create Disk web-01_OsDisk_1". */
  action: string;
}

/** A resource a handler wants to exist in the target. */
export interface PlannedResource {
  kind: string;
  /** Catalog type for protected-resource kinds, else the kind. */
  type?: string;
  name: string;
  nativeId: string;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  origin: Exclude<SimOrigin, 'inventory'>;
}

export interface Ensured {
  resource: SimResource;
  /** created: by this call; replayed: an earlier attempt of this step made it; reused: someone else did. */
  outcome: 'created' | 'replayed' | 'reused';
}

const IAM_KINDS = new Set(['IamRole', 'IamPolicy', 'InstanceProfile', 'ServiceAccount', 'RoleAssignment', 'ManagedIdentity']);

/**
 * The API family of a simulated call, named after the real API the sim stands for (limits in
 * core/jobs/rate-limits.ts): a launch of instances or nodes counts against EC2 RunInstances, IAM kinds
 * against IAM, the rest against the service of the resource type.
 */
export function simFamily(type: ResourceTypeId, mode: 'read' | 'write' | 'create', kind?: string): ApiFamily {
  const cloud = resourceType(type).cloud;
  const iam = kind !== undefined && IAM_KINDS.has(kind);
  const launch = mode === 'create' && (kind === 'Instance' || kind === 'NodeGroup');
  switch (cloud) {
    case 'aws':
      if (iam) return 'aws.iam';
      // Only launching instances (an instance, a node group's nodes) counts against RunInstances.
      if (launch) return 'aws.ec2.run-instances';
      if (type === 'aws.ec2-instance' || (type === 'aws.eks' && (kind === 'Volume' || kind === 'Snapshot'))) {
        return mode === 'read' ? 'aws.ec2.read' : 'aws.ec2.mutating';
      }
      return type === 'aws.rds' ? 'aws.rds.mutating' : type === 'aws.s3-bucket' ? 'aws.s3' : type === 'aws.eks' ? 'aws.eks' : 'aws.dynamodb';
    case 'azure':
      return mode === 'read' ? 'azure.arm.read' : 'azure.arm.write';
    case 'gcp':
      if (iam) return 'gcp.iam';
      if (type === 'gcp.gke' && kind !== 'Disk' && kind !== 'Snapshot') return 'gcp.container';
      if (type === 'gcp.cloud-sql') return 'gcp.sqladmin';
      if (type === 'gcp.cloud-storage') return 'gcp.storage';
      return mode === 'read' ? 'gcp.compute.read' : 'gcp.compute.write';
  }
}

export function cancelled(): ProviderFailure {
  return new ProviderFailure('Cancelled', 'The operation was cancelled before it finished; nothing more was changed.');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The simulated network, shared and mutable: `online: false` makes every call fail at once with
 * ProviderOffline, as a laptop with no network would (tests and the offline rehearsal flip it).
 */
export interface SimNetwork {
  online: boolean;
}

export function simOffline(what: string): ProviderFailure {
  return new ProviderFailure('ProviderOffline', `The simulated cloud could not be reached to ${what}: the network is down (offline).`);
}

export interface SimCloudOptions {
  db: Db;
  clock: Clock;
  network?: SimNetwork;
  latency?: SimLatency;
  faults?: SimFaults;
  random?: () => number;
}

export class SimCloud {
  readonly db: Db;
  readonly clock: Clock;
  private readonly latency: SimLatency;
  private readonly faults: SimFaults;
  private readonly random: () => number;
  private readonly faultOps: ReadonlySet<SimOperation>;
  /** Op keys used per step context (attempt), for opKey's occurrence counter. */
  private readonly opKeys = new WeakMap<StepContext, Map<string, number>>();
  readonly network: SimNetwork;

  constructor(opts: SimCloudOptions) {
    this.network = opts.network ?? { online: true };
    this.db = opts.db;
    this.clock = opts.clock;
    this.latency = opts.latency ?? { baseMs: 0, jitterMs: 0 };
    this.faults = opts.faults ?? {};
    this.random = opts.random ?? Math.random;
    this.faultOps = new Set(this.faults.operations ?? SIM_OPERATIONS.filter((o) => o !== 'discover'));
    for (const [label, v] of [
      ['latency.baseMs', this.latency.baseMs],
      ['latency.jitterMs', this.latency.jitterMs],
    ] as const) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`sim ${label} must be a non-negative number, got ${v}`);
    }
    for (const [label, v] of [
      ['faults.throttleRate', this.faults.throttleRate ?? 0],
      ['faults.errorRate', this.faults.errorRate ?? 0],
    ] as const) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`sim ${label} must be between 0 and 1, got ${v}`);
    }
  }

  now(): string {
    return this.clock.iso();
  }

  /**
   * One simulated API call: throttling answers at once (as a 429 would), then the call takes its
   * latency, then it may fail. Faults strike before anything changes, like a rejected request.
   */
  async call(op: SimOperation, subject: CallSubject, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw cancelled();
    if (!this.network.online) throw simOffline(subject.action);
    const faulty = this.faultOps.has(op);
    const cloud = CLOUD_LABELS[resourceType(subject.type).cloud];
    if (this.faults.lostRegions?.includes(subject.region)) {
      throw new ProviderFailure('ProviderUnavailable', `${cloud} (simulated) did not answer the request to ${subject.action} in ${subject.region}: the region is lost in this rehearsal.`);
    }
    const tries = Math.max(1, this.faults.sdkAttempts ?? 3);
    for (let attempt = 1; faulty && (this.faults.throttleRate ?? 0) > 0 && this.random() < (this.faults.throttleRate ?? 0); attempt++) {
      const retryAfterMs = this.faults.retryAfterMs ?? 1000;
      if (attempt < tries) {
        // The SDK's own short backoff (100 ms base), not the Retry-After the engine honours.
        await sleep(Math.min(retryAfterMs, 100 * attempt), signal);
        continue;
      }
      throw new ProviderFailure(
        'ProviderThrottled',
        `${cloud} (simulated) throttled the request to ${subject.action} in ${subject.region}: rate limit exceeded. It will be retried after ${retryAfterMs} ms.`,
        { retryAfterMs },
      );
    }
    const ms = this.latency.baseMs + (this.latency.jitterMs > 0 ? this.random() * this.latency.jitterMs : 0);
    if (ms > 0) await sleep(ms, signal);
    if (signal.aborted) throw cancelled();
    if (!faulty) return;
    const label = resourceType(subject.type).label;
    if (this.faults.failTypes?.includes(subject.type) || this.faults.failNames?.includes(subject.name)) {
      throw new ProviderFailure(
        'ProviderError',
        `${cloud} (simulated) rejected the request to ${subject.action} for ${label} ${subject.name} in ${subject.region}: a failure is injected for this resource in the rehearsal settings. Remove the injected failure and retry the step.`,
      );
    }
    if ((this.faults.errorRate ?? 0) > 0 && this.random() < (this.faults.errorRate ?? 0)) {
      throw new ProviderFailure(
        'ProviderError',
        `${cloud} (simulated) returned an internal error while trying to ${subject.action} for ${label} ${subject.name} in ${subject.region}. Retry the step; if it keeps failing, lower the rehearsal's error rate.`,
      );
    }
  }

  /** The latency of one call without faults (connection checks). */
  async wait(signal: AbortSignal, what = 'answer'): Promise<void> {
    if (!this.network.online) throw simOffline(what);
    const ms = this.latency.baseMs + (this.latency.jitterMs > 0 ? this.random() * this.latency.jitterMs : 0);
    if (ms > 0) await sleep(ms, signal);
    if (signal.aborted) throw cancelled();
  }

  /** A describe/list/get call of a step: one token of the type's read family, then the call. */
  async read(ctx: StepContext, op: SimOperation, subject: CallSubject): Promise<void> {
    await ctx.read(simFamily(subject.type, 'read'), (signal) => this.call(op, subject, signal));
  }

  /**
   * The op key of a mutation: what it does to which native id, and its occurrence inside this
   * attempt when the same thing is done twice (deterministic: handlers run their calls in order).
   */
  private opKey(ctx: StepContext, base: string): string {
    let seen = this.opKeys.get(ctx);
    if (!seen) this.opKeys.set(ctx, (seen = new Map()));
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  }

  // ---- reads ---------------------------------------------------------------------------------

  get(accountId: string, nativeId: string): SimResource | undefined {
    return getResource(this.db, accountId, nativeId);
  }

  // ---- step-level mutations -------------------------------------------------------------------

  /**
   * Makes sure a planned resource exists in the step's target. An earlier attempt of the same step
   * (same idempotency key) is found by its deterministic native id and returned as 'replayed'.
   * `share`: a resource made by someone else may be used ('reused'); otherwise it is a conflict.
   * IAM ids are derived from the name and the account or project (arn:aws:iam::<acct>:role/<name>,
   * projects/<p>/roles/<id>), so "same name in the target" (R7) is exactly "same native id".
   */
  async ensure(
    ctx: StepContext,
    op: SimOperation,
    subject: Omit<CallSubject, 'action' | 'region'>,
    planned: PlannedResource,
    opts: { share?: boolean } = {},
  ): Promise<Ensured> {
    const accountId = ctx.target.account.id;
    const look = (): Ensured | undefined => {
      const existing = this.get(accountId, planned.nativeId);
      if (!existing) return undefined;
      if (existing.stepKey === ctx.idempotencyKey) return { resource: existing, outcome: 'replayed' };
      if (opts.share) return { resource: existing, outcome: 'reused' };
      throw new ProviderFailure(
        'Conflict',
        `A ${planned.kind} named ${planned.name} already exists in ${ctx.target.region} (${existing.nativeId}) and was not created by this step. Remove or rename it, or choose another target environment.`,
      );
    };
    const before = look();
    if (before) return before;
    ctx.progress(`Creating ${planned.kind} ${planned.name} in ${ctx.target.region}`);
    return ctx.mutate<Ensured>(this.opKey(ctx, `create:${planned.nativeId}`), {
      family: simFamily(subject.type, 'create', planned.kind),
      intent: { action: 'create', kind: planned.kind, name: planned.name, nativeId: planned.nativeId, token: ctx.idempotencyKey },
      // An earlier attempt journaled the intent: the call may have gone through (look it up).
      resume: async () => look(),
      call: async (signal) => {
        await this.call(op, { ...subject, region: ctx.target.region, action: `create ${planned.kind} ${planned.name}` }, signal);
        // Another step may have created it while this call was in flight.
        const raced = look();
        if (raced) return raced;
        const resource = insertResource(this.db, {
          accountId,
          region: ctx.target.region,
          scope: describeScope(ctx.target.scope),
          type: planned.type ?? planned.kind,
          kind: planned.kind,
          nativeId: planned.nativeId,
          name: planned.name,
          tags: planned.tags,
          attributes: planned.attributes,
          origin: planned.origin,
          jobId: ctx.jobId,
          stepKey: ctx.idempotencyKey,
          createdAt: this.now(),
        });
        return { resource, outcome: 'created' };
      },
    });
  }

  /** Changes a live resource through one simulated call; undefined when it is gone. */
  async modify(
    ctx: StepContext,
    op: SimOperation,
    subject: Omit<CallSubject, 'action'>,
    where: { accountId: string; nativeId: string; action: string },
    change: (r: SimResource) => { tags?: Record<string, string>; attributes?: Record<string, unknown> },
  ): Promise<SimResource | undefined> {
    if (!this.get(where.accountId, where.nativeId)) return undefined;
    ctx.progress(`${where.action[0]?.toUpperCase() ?? ''}${where.action.slice(1)} on ${where.nativeId}`);
    const kind = this.get(where.accountId, where.nativeId)?.kind;
    return ctx.mutate<SimResource | undefined>(this.opKey(ctx, `modify:${where.nativeId}:${where.action}`), {
      family: simFamily(subject.type, 'write', kind),
      intent: { action: where.action, nativeId: where.nativeId, token: ctx.idempotencyKey },
      call: async (signal) => {
        await this.call(op, { ...subject, action: where.action }, signal);
        return updateResource(this.db, where.accountId, where.nativeId, change);
      },
    });
  }

  /** Soft-deletes a live resource through one simulated call; false when it was already gone. */
  async remove(
    ctx: StepContext,
    op: SimOperation,
    subject: Omit<CallSubject, 'action'>,
    where: { accountId: string; nativeId: string; kind: string },
  ): Promise<boolean> {
    if (!this.get(where.accountId, where.nativeId)) return false;
    ctx.progress(`Deleting ${where.kind} ${where.nativeId}`);
    return ctx.mutate<boolean>(this.opKey(ctx, `delete:${where.nativeId}`), {
      family: simFamily(subject.type, 'write', where.kind),
      intent: { action: 'delete', kind: where.kind, nativeId: where.nativeId, token: ctx.idempotencyKey },
      // A delete that went through before the crash left nothing to delete: done.
      resume: async () => (this.get(where.accountId, where.nativeId) ? undefined : true),
      call: async (signal) => {
        await this.call(op, { ...subject, action: `delete ${where.kind}` }, signal);
        return deleteResource(this.db, where.accountId, where.nativeId, this.now());
      },
    });
  }

  /** A token unique to this step and a role inside it: the basis of hex ids (i-, vol-, snap-). */
  token(ctx: StepContext, role: string): string {
    return digest(ctx.idempotencyKey, role);
  }
}

/** Operations on a resource type need an account of that type's cloud. */
export function assertCloud(type: ResourceTypeId, account: ResolvedAccount, where: string): void {
  const cloud = resourceType(type).cloud;
  if (account.cloud !== cloud) {
    throw new ProviderFailure(
      'PreconditionFailed',
      `The ${where} account ${account.name} is a ${CLOUD_LABELS[account.cloud]} account; ${resourceType(type).label} resources need a ${CLOUD_LABELS[cloud]} account.`,
    );
  }
}
