// The provider port: one ResourceHandler per resource type, one shape for every provider
// (sim, aws, azure, gcp). SDK types and errors stay inside the adapters; what crosses is plain data.

import type { Cloud, ResourceTypeId } from '../../shared/catalog';
import type { CredentialInput, DiscoveredResource, ProviderKind } from '../../shared/domain';
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
  region: string;
  scope: string;
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
   * Commits idempotency material (client token, request id, poll URL...) to the journal BEFORE
   * the cloud call it protects. Synchronous: when it returns, the row is durable.
   */
  recordIntent(material: Record<string, unknown>): void;
  /** Material an earlier, interrupted attempt of this step recorded; look the resource up first. */
  previousIntent(): Record<string, unknown> | null;
  progress(message: string): void;
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
  /** Lease and catalog objects in target environments (target-store.ts); absent: no lease, no rebuild. */
  readonly targetStore?: TargetStore;
  /** Reports every cloud call's outcome per account (the connectivity indicator); returns unsubscribe. */
  observeCalls?(listener: CallOutcomeListener): () => void;
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
