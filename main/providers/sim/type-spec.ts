// What a simulated resource type declares: how its inventory looks, which settings a recovery point
// captures, and how replication is recorded on the source. The two families build handlers from it.

import type { ResourceTypeId } from '../../../shared/catalog';
import { ProviderFailure } from '../provider-failure';
import type { StepContext } from '../types';
import type { EnvLike } from './naming';
import type { Picker } from './prng';
import type { SimResource } from './sim-store';

/** Tools a type's inventory generator gets; everything random comes from `pick` (seeded). */
export interface InventoryGen {
  pick: Picker;
  env: EnvLike;
  /** A name from the pool not yet used by this type in this region (pool order is random). */
  name(pool: readonly string[]): string;
  /** One value per region and key: the virtual network VMs share, the IAM roles instances share. */
  shared<T>(key: string, make: () => T): T;
  /** Standard tags with a team and an application. */
  tags(app: string): Record<string, string>;
}

export interface InventorySeed {
  kind: string;
  name: string;
  nativeId: string;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  /**
   * Resources that come with it and exist on their own in the cloud: the IAM roles, policies and
   * principals an instance or cluster uses. Account-wide ones use region 'global'; one already
   * present (another instance's, another region's) is not added twice.
   */
  extras?: (Omit<InventorySeed, 'extras'> & { region: string })[];
}

export interface InventorySpec {
  /** How many of this type a region holds (inclusive range). */
  count: readonly [number, number];
  make(g: InventoryGen): InventorySeed;
  /** The one-line summary discovery shows ("Standard_D2s_v5, 2 disks"). */
  summarize(r: SimResource): string;
}

export interface SimTypeBase {
  type: ResourceTypeId;
  /** Attribute keys a recovery point captures and failover applies. */
  settings: readonly string[];
  inventory: InventorySpec;
}

/** How replication is recorded on a source resource's attributes (`replication` array). */
export interface ReplicationEntry {
  id: string;
  /** ObjectReplicationRule, ReplicationRule, ReadReplica, GeoReplicationLink, GlobalTableReplica... */
  kind: string;
  /** The resilience policy that created it; null for rules the customer set up themselves. */
  policyId: string | null;
  destination: string;
  destinationRegion: string;
  createdAt: string;
}

export function replicationEntries(r: SimResource): ReplicationEntry[] {
  const v = r.attributes.replication;
  return Array.isArray(v) ? (v as ReplicationEntry[]) : [];
}

/** The settings a recovery point keeps: a deep copy, so later changes to the source do not leak in. */
export function pickSettings(r: SimResource, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in r.attributes) out[k] = structuredClone(r.attributes[k]);
  return out;
}

/** The metadata part every captured item shares. */
export interface CapturedBase {
  name: string;
  kind: string;
  sourceId: string;
  sourceRegion: string;
  tags: Record<string, string>;
  settings: Record<string, unknown>;
}

export function readCaptured(metadata: Record<string, unknown>): CapturedBase {
  const m = metadata as Partial<CapturedBase>;
  if (typeof m.name !== 'string' || typeof m.kind !== 'string' || typeof m.sourceId !== 'string') {
    throw new ProviderFailure(
      'PreconditionFailed',
      'This recovery point item has no usable metadata (name, kind or source id is missing); choose another recovery point.',
    );
  }
  return {
    name: m.name,
    kind: m.kind,
    sourceId: m.sourceId,
    sourceRegion: typeof m.sourceRegion === 'string' ? m.sourceRegion : '',
    tags: (m.tags ?? {}) as Record<string, string>,
    settings: (m.settings ?? {}) as Record<string, unknown>,
  };
}

/**
 * The tags the simulated clouds put on what the console creates, as the real adapters do: the policy,
 * the job, the recovery point (made, or used), what made it (dr:role) and dr:test on test copies.
 */
export function drTags(ctx: Pick<StepContext, 'policyId' | 'jobId'>, role: 'replication' | 'test' | 'failover', recoveryPointId: string | null): Record<string, string> {
  return {
    'dr:policy': ctx.policyId,
    'dr:job': ctx.jobId,
    'dr:role': role,
    ...(recoveryPointId ? { 'dr:recovery-point': recoveryPointId } : {}),
    ...(role === 'test' ? { 'dr:test': 'true' } : {}),
  };
}
