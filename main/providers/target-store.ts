// The target-store port: small control objects the console keeps in a policy's TARGET environment,
// written with the cloud's own conditional writes. Two uses: the failover lease (one console at a time
// may fail a policy over) and the recovery-point catalog manifests a rebuilt laptop reads back.
// AWS: S3 objects with If-None-Match / If-Match; Azure: blobs with the same conditional headers (or
// a blob lease); GCS: objects with ifGenerationMatch=0 / =<generation>; sim: rows with a unique key.

import type { EnvScope } from '../../shared/scope';
import type { EnvRef } from './types';

/** Who holds a lease: the console's stable id and what a person recognises (host, user). */
export interface LeaseHolder {
  consoleId: string;
  host: string;
  user: string;
}

/**
 * The lease document. `held`: a failover job is running; `completed`: that job finished (the policy
 * is failed over for good, so the object stays as the tombstone that keeps every other console out);
 * `abandoned`: taken, but the job never started (the console took it back before committing).
 */
export interface FailoverLease {
  version: 1;
  policyId: string;
  policyName: string;
  jobId: string;
  holder: LeaseHolder;
  acquiredAt: string;
  state: 'held' | 'completed' | 'abandoned';
  releasedAt: string | null;
}

/** A stored object's version for compare-and-swap: S3/Azure ETag, GCS generation, sim revision. */
export type StoreVersion = string;

export type LeaseCreateResult =
  | { created: true; version: StoreVersion }
  | { created: false; current: FailoverLease; version: StoreVersion };

/** One protected resource's part of a recovery point, as a rebuilt console needs it to fail over. */
export interface ManifestItem {
  protectedResourceId: string;
  type: string;
  nativeId: string;
  name: string;
  status: 'succeeded' | 'failed';
  metadata: Record<string, unknown>;
  dataRefs: { kind: string; id: string; region?: string }[];
  error: string | null;
  capturedAt: string;
}

export interface ManifestEnvironment {
  environmentId: string;
  name: string;
  accountId: string;
  accountName: string;
  provider: string;
  cloud: string;
  region: string;
  /** The environment's typed scope (shared/scope.ts); read back, it is checked again before use. */
  scope: EnvScope;
}

/** Written into the target after each replication: what the recovery point holds, nothing secret. */
export interface CatalogManifest {
  version: 1;
  policy: {
    id: string;
    name: string;
    schedule: string | null;
    webhookUrl: string | null;
    createdAt: string;
    source: ManifestEnvironment;
    target: ManifestEnvironment;
  };
  recoveryPoint: {
    id: string;
    jobId: string;
    status: 'succeeded' | 'partial' | 'failed';
    createdAt: string;
    completedAt: string | null;
  };
  items: ManifestItem[];
  writtenAt: string;
  writtenBy: LeaseHolder;
}

/** A resource in the target carrying the console's tags (dr:policy, dr:job, ...). */
export interface TaggedResource {
  nativeId: string;
  kind: string;
  name: string;
  region: string;
  policyId: string;
  jobId: string | null;
  recoveryPointId: string | null;
  /** What made it: replication data, a test failover copy, or a failover resource. */
  role: 'replication' | 'test' | 'failover';
}

export interface TargetScan {
  manifests: CatalogManifest[];
  leases: FailoverLease[];
  tagged: TaggedResource[];
  /** Objects that could not be read as the console's documents (damaged, foreign); reported, skipped. */
  unreadable: string[];
}

export interface TargetStore {
  /** Creates the policy's lease object only if none exists (the cloud's conditional create). */
  createLease(env: EnvRef, lease: FailoverLease, signal: AbortSignal): Promise<LeaseCreateResult>;
  /** Replaces the lease only while it is still at `version`: its new version, or null when someone changed it first. */
  replaceLease(env: EnvRef, lease: FailoverLease, version: StoreVersion, signal: AbortSignal): Promise<StoreVersion | null>;
  readLease(env: EnvRef, policyId: string, signal: AbortSignal): Promise<{ lease: FailoverLease; version: StoreVersion } | null>;
  /** Writes (or rewrites) one recovery point's manifest. */
  putManifest(env: EnvRef, manifest: CatalogManifest, signal: AbortSignal): Promise<void>;
  /** Everything of the console's in one target environment: manifests, leases and tagged resources. */
  scan(env: EnvRef, signal: AbortSignal): Promise<TargetScan>;
}

/** Object keys shared by the object-store implementations (S3, GCS, blob). */
export const STORE_KEYS = {
  lease: (policyId: string) => `failover-console/leases/${policyId}.json`,
  manifest: (policyId: string, recoveryPointId: string) => `failover-console/catalog/${policyId}/${recoveryPointId}.json`,
  leasePrefix: 'failover-console/leases/',
  catalogPrefix: 'failover-console/catalog/',
} as const;

/** Parses a lease document; null when it is not one (a foreign or damaged object). */
export function parseLease(text: string): FailoverLease | null {
  try {
    const v = JSON.parse(text) as Partial<FailoverLease>;
    if (v.version !== 1 || typeof v.policyId !== 'string' || typeof v.jobId !== 'string' || typeof v.acquiredAt !== 'string') return null;
    if (v.state !== 'held' && v.state !== 'completed' && v.state !== 'abandoned') return null;
    if (!v.holder || typeof v.holder.consoleId !== 'string') return null;
    return v as FailoverLease;
  } catch {
    return null;
  }
}

/** Parses a manifest document; null when it is not one. */
export function parseManifest(text: string): CatalogManifest | null {
  try {
    const v = JSON.parse(text) as Partial<CatalogManifest>;
    if (v.version !== 1 || !v.policy || typeof v.policy.id !== 'string' || !v.recoveryPoint || typeof v.recoveryPoint.id !== 'string') return null;
    if (!Array.isArray(v.items)) return null;
    return v as CatalogManifest;
  } catch {
    return null;
  }
}
