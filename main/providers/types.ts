// The provider port: one ResourceHandler per resource type, one shape for every provider
// (sim, aws, azure, gcp). SDK types and errors stay inside the adapters; what crosses is plain data.

import type { Cloud, ResourceTypeId } from '../../shared/catalog';
import type { CredentialInput, DiscoveredResource, ProviderKind } from '../../shared/domain';
import type { EnvScope } from '../../shared/scope';
import type { TargetStore } from './target-store';

/** An account as a provider sees it: with its decrypted credentials (never leaves main). */
export interface ResolvedAccount {
  id: string;
  name: string;
  provider: ProviderKind;
  cloud: Cloud;
  credentials: CredentialInput;
}

/** Where resources live: a region/location inside an AWS account, Azure subscription/RG or GCP project. */
export interface EnvRef {
  environmentId: string;
  account: ResolvedAccount;
  /** The region (AWS, Google Cloud) or location (Azure); the same as the scope's. */
  region: string;
  /** Typed per cloud (shared/scope.ts), checked when the environment was added: no adapter parses text. */
  scope: EnvScope;
}

/** A resource the policy protects, as stored. */
export interface ProtectedResourceRef {
  id: string;
  policyId: string;
  type: ResourceTypeId;
  nativeId: string;
  name: string;
}

/** Reference to replicated data living in the target (snapshot, image, replica, replication rule). */
export interface DataRef {
  kind: string;
  id: string;
  region?: string;
}

/** What one resource contributes to a recovery point. */
export interface CapturedItem {
  /** Settings the failover will apply: sizes, tags, rules, IAM documents... JSON-serialisable. */
  metadata: Record<string, unknown>;
  dataRefs: DataRef[];
}

/** A recovery point item handed back to a handler for test failover / failover. */
export interface RecoveryPointItemRef extends CapturedItem {
  id: string;
  recoveryPointId: string;
  resource: ProtectedResourceRef;
  capturedAt: string;
}

/** A cloud resource created in the target by test failover or failover. */
export interface CreatedResource {
  /** Resource kind in the webhook's vocabulary: VirtualMachine, Disk, NetworkInterface, Bucket... */
  kind: string;
  nativeId: string;
  name: string;
  region: string;
  /** The protected resource it stands for, when there is one. */
  sourceId?: string;
}

/** One row of the failover's resource mapping (R8). */
export interface ResourceMappingEntry {
  sourceId: string;
  kind: string;
  name: string;
  targetId: string;
  /** True when the target resource already existed and was reused (R7) or updated in place. */
  reused?: boolean;
}

/**
 * A rate-limit family, e.g. 'aws.ec2.run-instances', 'aws.ec2.mutating', 'aws.ec2.read', 'aws.rds.mutating',
 * 'aws.s3', 'aws.iam', 'aws.eks', 'aws.dynamodb', 'azure.arm.read', 'azure.arm.write', 'azure.arm.delete', 'gcp.compute.write',
 * 'gcp.compute.read', 'gcp.container', 'gcp.sqladmin', 'gcp.storage', 'gcp.storagetransfer', 'gcp.iam', 'sim'. Limits are data in
 * main/core/jobs/rate-limits.ts (published figures, source cited beside each).
 */
export type ApiFamily = string;

/** One operation of a step's journal: rows appended in order (intent, handle(s), outcome), never overwritten. */
export interface OperationRecord {
  /** Chosen by the handler: 'create-image', 'run-instances', 'create-disk:os'. */
  opKey: string;
  /** Committed BEFORE the call (client token, request id, deterministic name). */
  intent: Record<string, unknown> | null;
  /** The latest handle committed as soon as the provider answered (poll URL, operation name, resource id). */
  handle: Record<string, unknown> | null;
  outcome: { status: 'succeeded'; result: unknown } | { status: 'failed'; code: string; error: string } | null;
}

export interface MutateSpec<T> {
  family: ApiFamily;
  intent: Record<string, unknown>;
  /**
   * Resume: an earlier attempt committed this op's intent (maybe a handle) but no succeeded outcome.
   * Look up what the call may have created (or poll the handle); return it to adopt it without
   * calling, or undefined to call.
   */
  resume?(previous: OperationRecord, signal: AbortSignal): Promise<T | undefined>;
  /** The one mutating call. `op.handle(h)` commits a handle (poll URL, operation name, resource id) durably. */
  call(signal: AbortSignal, op: { handle(h: Record<string, unknown>): Promise<void> }): Promise<T>;
}

/** Everything a handler needs for one step; the job engine builds it. */
export interface StepContext {
  jobId: string;
  stepId: string;
  policyId: string;
  source: EnvRef;
  target: EnvRef;
  /** Deterministic per step: the basis for client tokens, request ids and resource names. */
  idempotencyKey: string;
  signal: AbortSignal;
  /**
   * The ONLY way a handler changes a cloud: commits the intent, takes a token of spec.family, makes the
   * call with the abort signal, commits the handle(s) and the outcome. T must be JSON-serialisable (ids,
   * small objects): a succeeded outcome already in the journal is returned as-is without calling again.
   * An op key is used once per step attempt.
   */
  mutate<T>(opKey: string, spec: MutateSpec<T>): Promise<T>;
  /** A non-mutating call (describe/get/list/poll): takes one token of its family, honours the signal. */
  read<T>(family: ApiFamily, call: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A token gate for calls made inside SDK helpers (waiters, paginators), e.g. from a client middleware. */
  rateGate(family: ApiFamily): { take(signal: AbortSignal): Promise<void> };
  /** This step's journal of operations from earlier attempts, in order (empty on a first attempt). */
  operations(): readonly OperationRecord[];
  /** The step's current activity; reaches the job view (JobView step `activity`). */
  progress(message: string): void;
  /** Recovery-point id of the step's job when it has one (replication: the point being made; failover/test: the point used). */
  recoveryPointId: string | null;
  /**
   * What a (test) failover step did not carry to the target (read back and compared with the point's
   * metadata): journaled with the step's result as `warnings` and shown on the step. Optional so that
   * the engine's context need not know it; the failover and test-failover executors provide it.
   */
  warn?(message: string): void;
}

export interface DiscoverContext {
  env: EnvRef;
  signal: AbortSignal;
}

export interface ResourceHandler {
  readonly type: ResourceTypeId;
  /** R6: failover always uses the latest successful recovery point. */
  readonly usesLatestPoint: boolean;
  discover(ctx: DiscoverContext): Promise<DiscoveredResource[]>;
  /**
   * What failing this item over will not carry, known from the point alone (a volume its image has no
   * snapshot of, a rule that cannot cross regions): sentences the failover confirmation shows. No cloud call.
   */
  foresee?(item: RecoveryPointItemRef): string[];
  /** Sets up (or refreshes) replication and captures this resource's part of a recovery point. */
  replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem>;
  /** Creates independent copies in the target under test names; never touches production replication. */
  testFailover(item: RecoveryPointItemRef, ctx: StepContext): Promise<CreatedResource[]>;
  /** Deletes one test resource. Deleting something already gone succeeds. */
  reset(created: CreatedResource, ctx: StepContext): Promise<void>;
  /** The product document's failover for this type. */
  failover(item: RecoveryPointItemRef, ctx: StepContext): Promise<ResourceMappingEntry[]>;
  /** Stops the policy's replication of this resource for good. */
  stopReplication(resource: ProtectedResourceRef, ctx: StepContext): Promise<void>;
}

export interface ConnectionCheck {
  /** Who we are at the provider: account id, subscription, project, or "simulated". */
  identity: string;
  message: string;
}

export interface ProviderAdapter {
  readonly kind: ProviderKind;
  readonly label: string;
  /** True for the local rehearsal provider; the UI labels everything it touches as simulated. */
  readonly simulated: boolean;
  readonly clouds: readonly Cloud[];
  testConnection(account: ResolvedAccount, signal: AbortSignal): Promise<ConnectionCheck>;
  /** The handler for a type, or undefined when this provider does not support it. */
  handler(type: ResourceTypeId): ResourceHandler | undefined;
  /**
   * Releases what the adapter holds (SDK clients and their sockets, timers, caches). The core calls it
   * once when it closes, after its jobs have stopped; nothing calls the adapter afterwards.
   */
  dispose(): Promise<void>;
  /** Lease and catalog objects in target environments (target-store.ts); absent: no lease, no rebuild. */
  readonly targetStore?: TargetStore;
  /** Reports every cloud call's outcome per account (the connectivity indicator); returns unsubscribe. */
  observeCalls?(listener: CallOutcomeListener): () => void;
}

/**
 * Where a provider keeps a credential cache it refreshes (MSAL's serialized token cache, a refreshed
 * SSO token): sealed by the vault under the data key, with AAD bound to the account and the cache
 * name, so one account's cache never opens as another's. Contents are opaque text to the core.
 */
export interface CredentialCachePort {
  /** The cache as last written for this account, or null when there is none (or it cannot be opened). */
  read(accountId: string, name: string): Promise<string | null>;
  /** Replaces the cache; durable when the promise resolves. */
  write(accountId: string, name: string, contents: string): Promise<void>;
  clear(accountId: string, name: string): Promise<void>;
}

/** reachable: the provider answered (even with an error); not reachable: the console is offline for it. */
export interface CallOutcome {
  accountId: string;
  reachable: boolean;
  /** Why it was not reachable (an operator-facing sentence). */
  message?: string;
}
export type CallOutcomeListener = (outcome: CallOutcome) => void;

/** Errors a handler throws: provider-neutral, with an operator-facing sentence. */
export { ProviderFailure } from './provider-failure';
export type { TargetStore } from './target-store';
