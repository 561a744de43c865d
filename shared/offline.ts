// Schemas of the disaster-room features (issue 12): connectivity per account, the failover lease,
// the rebuild from the clouds, the handover bundle and the passphrase lock. Pure zod, like domain.ts.

import { z } from 'zod';
import { Id, Timestamp } from './domain';

export const ConnectivityStatusSchema = z.enum(['unknown', 'online', 'offline']);

export const ConnectivityView = z.object({
  accountId: Id,
  status: ConnectivityStatusSchema,
  lastOkAt: Timestamp.nullable(),
  lastFailureAt: Timestamp.nullable(),
  lastError: z.string().nullable(),
});
export type ConnectivityView = z.infer<typeof ConnectivityView>;

export const LeaseHolderView = z.object({ consoleId: z.string(), host: z.string(), user: z.string() });

export const FailoverLeaseView = z.object({
  policyId: Id,
  jobId: Id,
  holder: LeaseHolderView,
  acquiredAt: Timestamp,
  state: z.enum(['held', 'completed', 'overridden']),
  releasedAt: Timestamp.nullable(),
  releaseError: z.string().nullable(),
});
export type FailoverLeaseView = z.infer<typeof FailoverLeaseView>;

/** Why failover starts without a lease (the target cannot be reached, or keeps no lease); audited. */
export const LeaseOverrideInput = z.object({ reason: z.string().trim().min(5, 'say why (at least 5 characters)').max(500) }).strict();

/** The `details[].path` that marks a failover refusal the lease override can lift (the dialog offers it). */
export const LEASE_OVERRIDE_PATH = 'leaseOverride';

export const RebuildPolicyResult = z.object({
  policyId: Id,
  policyName: z.string(),
  outcome: z.enum(['created', 'updated', 'unchanged', 'skipped']),
  state: z.enum(['active', 'failing_over', 'failed_over']),
  recoveryPointsAdded: z.number().int(),
  recoveryPoints: z.number().int(),
  note: z.string().nullable(),
});

export const RebuildReport = z.object({
  environmentsScanned: z.number().int(),
  environmentsUnreachable: z.array(z.object({ environmentId: Id, name: z.string(), error: z.string() })),
  policies: z.array(RebuildPolicyResult),
  unreadable: z.array(z.string()),
  /** What a rebuild can never bring back, said every time. */
  cannotRecover: z.array(z.string()),
});
export type RebuildReport = z.infer<typeof RebuildReport>;

export const Passphrase = z.string().min(10, 'at least 10 characters').max(1024);

/** A bundle crosses IPC as base64: the renderer downloads it (Blob) and reads it back (file input). */
export const MAX_BUNDLE_BASE64 = 256 * 1024 * 1024;

export const HandoverExportInput = z
  .object({
    passphrase: Passphrase,
    /** Credentials (and webhook signing secrets) travel only when the operator opts in. */
    includeCredentials: z.boolean(),
  })
  .strict();

export const HandoverExportResult = z.object({
  fileName: z.string(),
  bundleBase64: z.string(),
  bytes: z.number().int(),
  policies: z.number().int(),
  recoveryPoints: z.number().int(),
  jobs: z.number().int(),
  auditEntries: z.number().int(),
  credentialsIncluded: z.boolean(),
});

export const HandoverImportInput = z
  .object({ bundleBase64: z.string().min(1).max(MAX_BUNDLE_BASE64), passphrase: z.string().min(1).max(1024) })
  .strict();

export const HandoverConflict = z.object({
  policyId: Id,
  policyName: z.string(),
  /** newer: the bundle's state is newer than this database's, and was taken; older / same: kept ours. */
  bundle: z.enum(['newer', 'older', 'same']),
  detail: z.string(),
});

export const HandoverImportResult = z.object({
  exportedAt: Timestamp,
  exportedBy: z.string(),
  accounts: z.number().int(),
  environments: z.number().int(),
  policiesAdded: z.number().int(),
  policiesUpdated: z.number().int(),
  recoveryPointsAdded: z.number().int(),
  jobsAdded: z.number().int(),
  auditEntriesAdded: z.number().int(),
  credentialsImported: z.boolean(),
  conflicts: z.array(HandoverConflict),
});
export type HandoverImportResult = z.infer<typeof HandoverImportResult>;

export const PassphraseStatus = z.object({
  /** The OS has no real secret store (Electron safeStorage on basic_text): a passphrase guards secrets. */
  required: z.boolean(),
  /** Why the console asks, in a sentence. */
  reason: z.string(),
  set: z.boolean(),
  unlocked: z.boolean(),
  failedAttempts: z.number().int(),
  /** While set, unlock is refused until then (after five wrong tries). */
  lockedUntil: Timestamp.nullable(),
});
export type PassphraseStatus = z.infer<typeof PassphraseStatus>;
