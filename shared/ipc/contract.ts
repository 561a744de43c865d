// The IPC contract: the single source of truth for every channel `dr:<domain>.<verb>`, its request
// and response schemas, and the push events. Preload, renderer client and main router derive from it.

import { z } from 'zod';
import {
  AccountCreateInput,
  AccountView,
  AwsProfileView,
  AzureDirectorySource,
  AzureResourceGroupView,
  AzureSignInMethodSchema,
  AzureSignInStart,
  AzureSignInView,
  AzureSubscriptionView,
  AzureTenantView,
  AuditEntry,
  AuditFacets,
  AuditFilterInput,
  AuditVerdict,
  ExportResult,
  OperatorSettings,
  ReportFormatSchema,
  DiscoveredResource,
  FailoverPlan,
  ResourceMappingView,
  TestResourceView,
  WebhookDeliveryView,
  EnvironmentCreateInput,
  EnvironmentView,
  Id,
  JobDetails,
  JobKindSchema,
  JobStatusSchema,
  JobView,
  PageRequest,
  PolicyDetails,
  PolicyInput,
  PolicyStateSchema,
  PolicySummary,
  RecoveryPointDetails,
  RecoveryPointStatusSchema,
  RecoveryPointView,
  Timestamp,
  SettingsUpdate,
  SettingsView,
  page,
} from '../domain';
import { CloudSchema, ProviderKindSchema } from '../domain';
import {
  ConnectivityStatusSchema,
  ConnectivityView,
  FailoverLeaseView,
  HandoverExportInput,
  HandoverExportResult,
  HandoverImportInput,
  HandoverImportResult,
  LeaseOverrideInput,
  Passphrase,
  PassphraseStatus,
  RebuildReport,
} from '../offline';

const Empty = z.object({}).strict();
/** Read-only mode: after a failed write the console lists, searches and exports, and changes nothing. */
const BackupView = z.object({
  name: z.string(),
  createdAt: z.string(),
  reason: z.enum(['scheduled', 'manual', 'pre-migration']),
  schemaVersion: z.number().int(),
  bytes: z.number().int(),
});
const StorageState = z.object({ readOnly: z.boolean(), reason: z.string().nullable(), since: z.string().nullable() });
const Ack = z.object({ ok: z.literal(true) });

function channel<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}

export const contract = {
  // app
  'dr:app.info': channel(
    Empty,
    z.object({
      version: z.string(),
      platform: z.string(),
      workspaceReady: z.boolean(),
      storage: StorageState,
      providers: z.array(
        z.object({ kind: ProviderKindSchema, label: z.string(), simulated: z.boolean(), clouds: z.array(CloudSchema) }),
      ),
    }),
  ),
  // backups of the data file
  'dr:backups.list': channel(Empty, z.array(BackupView)),
  'dr:backups.create': channel(Empty, BackupView),
  /** Restores take effect when the console restarts; the replaced file is kept beside it. */
  'dr:backups.restore': channel(
    z.object({ name: z.string().regex(/^console-[0-9TZ]+-v\d+-(scheduled|manual|pre-migration)\.sqlite$/, 'is not a backup name') }).strict(),
    z.object({ restarting: z.boolean(), message: z.string() }),
  ),
  /** Check again: a test write; read-only mode ends when it succeeds. */
  'dr:storage.recheck': channel(Empty, StorageState),
  'dr:workspace.createRehearsal': channel(
    Empty,
    z.object({ accounts: z.number().int(), environments: z.number().int(), resources: z.number().int() }),
  ),

  // settings (one time zone for every time the console writes)
  'dr:settings.get': channel(Empty, SettingsView),
  'dr:settings.update': channel(SettingsUpdate.strict(), SettingsView),

  // accounts
  'dr:accounts.list': channel(Empty, z.array(AccountView)),
  'dr:accounts.create': channel(AccountCreateInput.strict(), AccountView),
  'dr:accounts.delete': channel(z.object({ accountId: Id }).strict(), Ack),
  /** Profiles of ~/.aws/config and ~/.aws/credentials (names and non-secret settings only). */
  'dr:accounts.awsProfiles': channel(Empty, z.array(AwsProfileView)),
  'dr:accounts.test': channel(
    z.object({ accountId: Id }).strict(),
    z.object({ ok: z.boolean(), identity: z.string(), message: z.string() }),
  ),

  // Azure sign-in (system browser or device code) and the directory it opens (issue 8)
  /** Starts a sign-in; the browser opens (or the device code appears) from main. */
  'dr:azureSignIn.start': channel(AzureSignInStart, AzureSignInView),
  /** Answers as soon as the sign-in changed past `afterSeq` (or after a while with the same state). */
  'dr:azureSignIn.wait': channel(z.object({ signInId: Id, afterSeq: z.number().int().min(-1) }).strict(), AzureSignInView),
  'dr:azureSignIn.cancel': channel(z.object({ signInId: Id }).strict(), AzureSignInView),
  /** Signs a person in again to an account added from a sign-in (its cloud, tenant and app registration). */
  'dr:azureSignIn.startForAccount': channel(z.object({ accountId: Id, method: AzureSignInMethodSchema }).strict(), AzureSignInView),
  /** The finished sign-in replaces the account's saved one (same person only). */
  'dr:azureSignIn.renew': channel(z.object({ accountId: Id, signInId: Id }).strict(), AccountView),
  'dr:azure.tenants': channel(AzureDirectorySource, z.array(AzureTenantView)),
  'dr:azure.subscriptions': channel(z.object({ accountId: Id }).strict(), z.array(AzureSubscriptionView)),
  'dr:azure.resourceGroups': channel(
    z.object({ accountId: Id, subscriptionId: z.string().trim().uuid('must be a subscription id (a GUID)') }).strict(),
    z.array(AzureResourceGroupView),
  ),
  /** Lists the resource groups of the subscription an Azure account would use and says how many it sees. */
  'dr:azure.testScope': channel(
    z.object({ accountId: Id, subscriptionId: z.string().trim().uuid('must be a subscription id (a GUID)') }).strict(),
    z.object({ ok: z.boolean(), resourceGroups: z.number().int().nullable(), message: z.string() }),
  ),

  // environments
  'dr:environments.list': channel(z.object({ accountId: Id.optional() }).strict(), z.array(EnvironmentView)),
  'dr:environments.create': channel(EnvironmentCreateInput.strict(), EnvironmentView),
  'dr:environments.delete': channel(z.object({ environmentId: Id }).strict(), Ack),

  // inventory
  'dr:inventory.discover': channel(z.object({ environmentId: Id }).strict(), z.array(DiscoveredResource)),

  // policies
  'dr:policies.list': channel(
    z.object({ state: PolicyStateSchema.optional() }).strict(),
    z.array(PolicySummary),
  ),
  'dr:policies.get': channel(z.object({ policyId: Id }).strict(), PolicyDetails),
  'dr:policies.create': channel(PolicyInput.strict(), PolicyDetails),
  'dr:policies.update': channel(
    z.object({ policyId: Id, expectedUpdatedAt: z.string().max(40), policy: PolicyInput.strict() }).strict(),
    PolicyDetails,
  ),
  'dr:policies.delete': channel(z.object({ policyId: Id }).strict(), Ack),

  // replication
  'dr:replication.run': channel(z.object({ policyId: Id }).strict(), z.object({ jobId: Id })),

  // recovery points
  'dr:recoveryPoints.list': channel(
    PageRequest.extend({
      policyId: Id,
      status: RecoveryPointStatusSchema.optional(),
      /** Matches the point's id or its time as shown (ISO prefix). */
      query: z.string().max(64).optional(),
      /** Keyset (evidence, item 4): the last point of the page before; the page starts after it. */
      after: z.object({ createdAt: Timestamp, id: Id }).strict().optional(),
    }).strict(),
    page(RecoveryPointView),
  ),
  'dr:recoveryPoints.get': channel(z.object({ recoveryPointId: Id }).strict(), RecoveryPointDetails),

  // jobs
  'dr:jobs.list': channel(
    PageRequest.extend({
      policyId: Id.optional(),
      kind: JobKindSchema.optional(),
      status: JobStatusSchema.optional(),
    }).strict(),
    page(JobView),
  ),
  'dr:jobs.get': channel(z.object({ jobId: Id }).strict(), JobDetails),
  'dr:jobs.cancel': channel(z.object({ jobId: Id }).strict(), Ack),

  // test failover and reset (R1)
  'dr:testFailover.run': channel(
    z.object({ policyId: Id, recoveryPointId: Id.optional() }).strict(),
    z.object({ jobId: Id }),
  ),
  'dr:testFailover.reset': channel(z.object({ policyId: Id }).strict(), z.object({ jobId: Id })),
  'dr:testResources.list': channel(
    z.object({ policyId: Id, includeDeleted: z.boolean().optional() }).strict(),
    z.array(TestResourceView),
  ),

  // failover (R2-R6, R9)
  'dr:failover.prepare': channel(
    z.object({ policyId: Id, recoveryPointId: Id.optional() }).strict(),
    FailoverPlan,
  ),
  'dr:failover.start': channel(
    z.object({ token: z.string().min(16).max(128), leaseOverride: LeaseOverrideInput.optional() }).strict(),
    z.object({ jobId: Id }),
  ),
  /** The failover lease this console holds (or held) for a policy; null when it never took one. */
  'dr:failover.lease': channel(z.object({ policyId: Id }).strict(), FailoverLeaseView.nullable()),

  // offline and the second laptop (issue 12)
  'dr:connectivity.list': channel(Empty, z.array(ConnectivityView)),
  'dr:connectivity.check': channel(z.object({ accountId: Id }).strict(), ConnectivityView),
  'dr:rebuild.run': channel(z.object({ environmentIds: z.array(Id).max(500).optional() }).strict(), RebuildReport),
  'dr:handover.export': channel(HandoverExportInput, HandoverExportResult),
  'dr:handover.import': channel(HandoverImportInput, HandoverImportResult),
  'dr:passphrase.status': channel(Empty, PassphraseStatus),
  'dr:passphrase.set': channel(z.object({ passphrase: Passphrase }).strict(), PassphraseStatus),
  'dr:passphrase.unlock': channel(z.object({ passphrase: z.string().min(1).max(1024) }).strict(), PassphraseStatus),
  'dr:passphrase.change': channel(z.object({ current: z.string().min(1).max(1024), next: Passphrase }).strict(), PassphraseStatus),

  // job follow-up
  'dr:jobs.retryFailed': channel(z.object({ jobId: Id }).strict(), z.object({ jobId: Id, retried: z.number().int() })),
  'dr:jobs.mappings': channel(z.object({ jobId: Id }).strict(), z.array(ResourceMappingView)),
  'dr:webhooks.list': channel(z.object({ jobId: Id }).strict(), z.array(WebhookDeliveryView)),

  // audit
  'dr:audit.list': channel(PageRequest.extend(AuditFilterInput.shape).strict(), page(AuditEntry)),

  // ---- evidence: reports, the audit chain, attribution (issue 10, items 1 and 2) ----------
  /** The policies, actors and kinds the audit log's filters offer. */
  'dr:audit.facets': channel(Empty, AuditFacets),
  /** Walks the hash chain; names the first entry that does not hold. */
  'dr:audit.verify': channel(Empty, AuditVerdict),
  /** The filtered audit log as CSV or JSON, saved where the operator chooses. */
  'dr:audit.export': channel(AuditFilterInput.extend({ format: z.enum(['csv', 'json']) }).strict(), ExportResult),
  /** A (test) failover or reset job's report as PDF, CSV or JSON, saved where the operator chooses. */
  'dr:reports.export': channel(z.object({ jobId: Id, format: ReportFormatSchema }).strict(), ExportResult),
  /** Who the audit log names: the OS user and machine (read-only) and the optional operator name. */
  'dr:operator.get': channel(Empty, OperatorSettings.extend({ osUser: z.string(), host: z.string() })),
  'dr:operator.set': channel(OperatorSettings.strict(), OperatorSettings.extend({ osUser: z.string(), host: z.string() })),
  // ---- end of evidence ----------------------------------------------------------------------
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
export type ParsedRequestOf<C extends Channel> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends Channel> = z.output<Contract[C]['response']>;

export const CHANNELS = Object.keys(contract) as Channel[];

// ---- Push events (main -> renderer) -------------------------------------------------------

export const events = {
  'dr:job.progress': z.object({
    jobId: Id,
    policyId: Id,
    /** Monotonic per job; a listener drops anything older than what it has. */
    seq: z.number().int(),
    kind: JobKindSchema,
    status: JobStatusSchema,
    stepsTotal: z.number().int(),
    stepsDone: z.number().int(),
    stepsFailed: z.number().int(),
    /** Progress an operator reads: protected resources with no open step, of all the job touches. */
    resourcesTotal: z.number().int(),
    resourcesDone: z.number().int(),
    resourcesFailed: z.number().int(),
  }),
  'dr:policies.changed': z.object({ policyId: Id.nullable() }),
  /** The console entered or left read-only mode (the shell shows a banner). */
  'dr:storage.changed': StorageState,
  /** An account went offline or came back (the connectivity indicator). */
  'dr:connectivity.changed': z.object({ accountId: Id, status: ConnectivityStatusSchema }),
  /** A job reached a final status; the shell turns it into a desktop notification. */
  'dr:job.finished': z.object({
    jobId: Id,
    policyId: Id,
    policyName: z.string(),
    kind: JobKindSchema,
    status: JobStatusSchema,
    message: z.string(),
  }),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}
