// Domain entities as zod schemas; their TypeScript types are inferred from them.
// These are the shapes that cross IPC: never a secret, never an SDK type.

import { z } from 'zod';
import { CLOUDS, RESOURCE_TYPE_IDS } from './catalog';
import { EnvScope, ScopeInput } from './scope';
import { nameSchema } from './names';
import { WebhookUrlSchema } from './webhook-url';

export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an identifier');
/** ISO-8601 timestamp in UTC, as stored. */
export const Timestamp = z.string().min(20).max(40);
/** Policy, account and environment names: the one rule of shared/names.ts. */
const Name = nameSchema({ max: 80 });
/** A protected resource's name as the provider reported it (may be empty: some resources have none). */
const ResourceName = nameSchema({ max: 256, allowEmpty: true });

export const CloudSchema = z.enum(CLOUDS);
export const ResourceTypeIdSchema = z.enum(RESOURCE_TYPE_IDS);
export const ProviderKindSchema = z.enum(['sim', 'aws', 'azure', 'gcp']);
export type ProviderKind = z.infer<typeof ProviderKindSchema>;

export const Tags = z.record(z.string().max(128), z.string().max(256));

// ---- Accounts and credentials -------------------------------------------------------------

const AwsAccessKeyId = z.string().regex(/^[A-Z0-9]{16,128}$/, 'is not an access key id');
const AwsProfileName = z.string().min(1).max(128).regex(/^[\w.@+-]+$/, 'is not a profile name');

/** A profile of the operator's ~/.aws/config, as listed for picking (no secrets). */
export const AwsProfileView = z.object({
  name: z.string(),
  region: z.string().nullable(),
  /** SSO profile (IAM Identity Center): signs in through the browser with `aws sso login`. */
  sso: z.boolean(),
  ssoStartUrl: z.string().nullable(),
  /** Profile that itself assumes a role. */
  roleArn: z.string().nullable(),
});
export type AwsProfileView = z.infer<typeof AwsProfileView>;

/** Azure's clouds: each an Entra ID authority host and an ARM endpoint (main/providers/azure/auth.ts). */
export const AZURE_CLOUD_NAMES = ['AzurePublicCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const;
export const AzureCloudNameSchema = z.enum(AZURE_CLOUD_NAMES);
export type AzureCloudName = z.infer<typeof AzureCloudNameSchema>;
/** How a person signs in to Azure: the system browser (loopback redirect) or a device code. */
export const AzureSignInMethodSchema = z.enum(['browser', 'device-code']);
export type AzureSignInMethod = z.infer<typeof AzureSignInMethodSchema>;
const AzureTenantId = z.string().trim().uuid('must be a tenant id (a GUID)');
const AzureClientId = z.string().trim().uuid('must be an application (client) id (a GUID)');
/** Where a person signs in before a tenant is picked: a tenant id, or any work account ("organizations"). */
export const AzureSignInTenant = z.union([AzureTenantId, z.literal('organizations')]);
/** A Google service account's e-mail: user-managed (…iam.gserviceaccount.com) or Google-managed defaults. */
const GcpServiceAccountEmail = z
  .string()
  .trim()
  .max(254)
  .regex(/^[a-z0-9][a-z0-9-]{0,62}@[a-z0-9][a-z0-9.-]{0,100}\.gserviceaccount\.com$/, 'is not a service-account e-mail (name@project.iam.gserviceaccount.com)');

/**
 * The fields of a service-account key file the console needs; checked here so the dialog shows a
 * sentence, and never echoed back (a key is a secret).
 */
export const GcpServiceAccountKeyJson = z.object({
  type: z.literal('service_account', { error: 'must be a service-account key ("type": "service_account"); a user or external-account file is not a key' }),
  project_id: z.string().min(1, 'is missing'),
  private_key_id: z.string().min(1, 'is missing'),
  private_key: z.string().regex(/^-----BEGIN (RSA )?PRIVATE KEY-----/, 'is not a PEM private key'),
  client_email: GcpServiceAccountEmail,
  token_uri: z.string().url().optional(),
  universe_domain: z.string().optional(),
});
export type GcpServiceAccountKeyJson = z.infer<typeof GcpServiceAccountKeyJson>;

/** Parses a key file's text; undefined and a sentence (no part of the key in it) when it is not a key. */
export function parseGcpServiceAccountKey(text: string): { key: GcpServiceAccountKeyJson } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: 'The key file is not JSON: download a JSON key for the service account (IAM & Admin > Service accounts > Keys > Add key > JSON).' };
  }
  const parsed = GcpServiceAccountKeyJson.safeParse(json);
  if (parsed.success) return { key: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { error: `The key file's ${issue.path.join('.') || 'content'} ${issue.message}.` };
}

const GcpServiceAccountKeyInput = z
  .object({
    kind: z.literal('gcp-service-account-key'),
    /** The key file's JSON (read by the dialog; the file itself is not kept). */
    keyJson: z.string().min(2).max(16384),
  })
  .strict()
  .superRefine((v, ctx) => {
    const r = parseGcpServiceAccountKey(v.keyJson);
    if ('error' in r) ctx.addIssue({ code: 'custom', path: ['keyJson'], message: r.error });
  });

/** What the operator types in; goes to the vault in main and never comes back. */
export const CredentialInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('aws-access-key'),
    accessKeyId: AwsAccessKeyId,
    secretAccessKey: z.string().min(1).max(256),
    sessionToken: z.string().max(4096).optional(),
  }),
  z.object({ kind: z.literal('aws-profile'), profile: AwsProfileName }),
  z.object({
    kind: z.literal('aws-assume-role'),
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'is not an IAM role ARN'),
    externalId: z.string().min(2).max(1224).regex(/^[\w+=,.@:/-]+$/, 'has characters AWS does not accept').optional(),
    sessionName: z.string().min(2).max(64).regex(/^[\w+=,.@-]+$/).optional(),
    /** Whose credentials assume the role: a profile or access keys. */
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('aws-profile'), profile: AwsProfileName }),
      z.object({ kind: z.literal('aws-access-key'), accessKeyId: AwsAccessKeyId, secretAccessKey: z.string().min(1).max(256), sessionToken: z.string().max(4096).optional() }),
    ]),
  }),
  z.object({
    kind: z.literal('azure-service-principal'),
    tenantId: AzureTenantId,
    clientId: AzureClientId,
    clientSecret: z.string().min(1).max(1024),
    /** Absent on accounts saved before the cloud choice: Azure public. */
    cloud: AzureCloudNameSchema.optional(),
  }),
  z.object({
    kind: z.literal('azure-service-principal-certificate'),
    tenantId: AzureTenantId,
    clientId: AzureClientId,
    /** The certificate the app registration holds (PEM); MSAL sends its thumbprint and chain. */
    certificatePem: z
      .string()
      .max(32768)
      .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)'),
    /** Its private key (PEM, PKCS#8 or PKCS#1); signs the client assertion; never shown again. */
    privateKeyPem: z
      .string()
      .max(32768)
      .regex(/-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----/, 'must be a PEM private key (-----BEGIN PRIVATE KEY-----)'),
    cloud: AzureCloudNameSchema.optional(),
  }),
  z.object({
    /**
     * A person signed in (system browser or device code). The operator sends the finished sign-in's
     * id; main replaces it with the MSAL account it found (homeAccountId) before sealing, and the
     * tokens themselves stay in the vault's MSAL cache for the account.
     */
    kind: z.literal('azure-user'),
    method: AzureSignInMethodSchema,
    cloud: AzureCloudNameSchema,
    /** The tenant the account works in (picked after sign-in from the tenants the person can reach). */
    tenantId: AzureTenantId,
    clientId: AzureClientId,
    signInId: Id.optional(),
    homeAccountId: z.string().min(1).max(512).optional(),
    username: z.string().max(256).optional(),
  }),
  GcpServiceAccountKeyInput,
  z.object({ kind: z.literal('gcp-application-default') }).strict(),
  z
    .object({
      kind: z.literal('gcp-impersonation'),
      /** The service account whose short-lived tokens the console uses (IAM Credentials generateAccessToken). */
      targetServiceAccount: GcpServiceAccountEmail,
      /** A delegation chain, each granting the next Service Account Token Creator, ending at the target. */
      delegates: z.array(GcpServiceAccountEmail).max(10).optional(),
      /** Whose credentials impersonate: a key (into the vault) or this machine's application default credentials. */
      source: z.discriminatedUnion('kind', [GcpServiceAccountKeyInput, z.object({ kind: z.literal('gcp-application-default') }).strict()]),
    })
    .strict(),
]);
export type CredentialInput = z.infer<typeof CredentialInput>;
export type CredentialKind = CredentialInput['kind'];

export const AccountView = z.object({
  id: Id,
  name: z.string(),
  provider: ProviderKindSchema,
  cloud: CloudSchema,
  credentialKind: z.string(),
  /** True when the account runs on the local rehearsal provider. */
  simulated: z.boolean(),
  createdAt: Timestamp,
});
export type AccountView = z.infer<typeof AccountView>;

export const AccountCreateInput = z.object({
  name: Name,
  provider: ProviderKindSchema,
  cloud: CloudSchema,
  credentials: CredentialInput,
});
export type AccountCreateInput = z.infer<typeof AccountCreateInput>;

// ---- Azure sign-in and directory (issue 8) -------------------------------------------------

export const AzureSignInStart = z
  .object({
    method: AzureSignInMethodSchema,
    cloud: AzureCloudNameSchema,
    tenantId: AzureSignInTenant,
    clientId: AzureClientId,
  })
  .strict();
export type AzureSignInStart = z.infer<typeof AzureSignInStart>;

/** A sign-in in progress as the dialog shows it; never a token. */
export const AzureSignInView = z.object({
  signInId: Id,
  method: AzureSignInMethodSchema,
  /** Grows with every change; `dr:azureSignIn.wait` answers once it is past the caller's. */
  seq: z.number().int(),
  state: z.enum(['starting', 'waiting-for-browser', 'waiting-for-code', 'signed-in', 'failed', 'cancelled']),
  /** Device code: what the person types at the verification page, and where. */
  deviceCode: z
    .object({ userCode: z.string(), verificationUri: z.string(), message: z.string(), expiresAt: Timestamp })
    .nullable(),
  /** Signed in: who (the sign-in name Entra ID gave) and their home tenant. */
  username: z.string().nullable(),
  homeTenantId: z.string().nullable(),
  /** Failed: the sentence to show. */
  message: z.string().nullable(),
});
export type AzureSignInView = z.infer<typeof AzureSignInView>;

export const AzureTenantView = z.object({ tenantId: z.string(), displayName: z.string(), defaultDomain: z.string().nullable() });
export type AzureTenantView = z.infer<typeof AzureTenantView>;
export const AzureSubscriptionView = z.object({ subscriptionId: z.string(), displayName: z.string(), state: z.string(), tenantId: z.string().nullable() });
export type AzureSubscriptionView = z.infer<typeof AzureSubscriptionView>;
export const AzureResourceGroupView = z.object({ name: z.string(), location: z.string() });
export type AzureResourceGroupView = z.infer<typeof AzureResourceGroupView>;

/** Whose tokens list the directory: a finished sign-in (before the account exists) or an account. */
export const AzureDirectorySource = z.union([z.object({ signInId: Id }).strict(), z.object({ accountId: Id }).strict()]);
export type AzureDirectorySource = z.infer<typeof AzureDirectorySource>;

// ---- Environments -------------------------------------------------------------------------

export const EnvironmentView = z.object({
  id: Id,
  accountId: Id,
  name: z.string(),
  cloud: CloudSchema,
  /** Region (AWS / GCP) or location (Azure). */
  region: z.string(),
  /** Where in the cloud: AWS account, Azure subscription and resource group, or GCP project and zone. */
  scope: EnvScope,
  createdAt: Timestamp,
});
export type EnvironmentView = z.infer<typeof EnvironmentView>;

export const EnvironmentCreateInput = z.object({
  accountId: Id,
  name: Name,
  region: z.string().trim().regex(/^[a-z0-9-]{2,40}$/, 'must be a region name such as eu-west-1'),
  /** Checked against the account's cloud by parseScope (shared/scope.ts); blank: the credentials' own. */
  scope: ScopeInput,
});
export type EnvironmentCreateInput = z.infer<typeof EnvironmentCreateInput>;

// ---- Inventory ----------------------------------------------------------------------------

export const DiscoveredResource = z.object({
  type: ResourceTypeIdSchema,
  nativeId: z.string().min(1).max(1024),
  name: z.string().max(256),
  region: z.string(),
  tags: Tags,
  /** Short human summary, e.g. "Standard_D2s_v5, 2 disks". */
  summary: z.string().max(256),
});
export type DiscoveredResource = z.infer<typeof DiscoveredResource>;

// ---- Policies -----------------------------------------------------------------------------

export const POLICY_STATES = ['active', 'failing_over', 'failed_over'] as const;
export const PolicyStateSchema = z.enum(POLICY_STATES);
export type PolicyState = z.infer<typeof PolicyStateSchema>;

export const ProtectedResourceInput = z.object({
  type: ResourceTypeIdSchema,
  nativeId: z.string().min(1).max(1024),
  name: ResourceName,
});
export type ProtectedResourceInput = z.infer<typeof ProtectedResourceInput>;

export const ProtectedResourceView = ProtectedResourceInput.extend({
  /** As stored: a view never fails because of a name saved before the name rule. */
  name: z.string(),
  id: Id,
  policyId: Id,
  addedAt: Timestamp,
});
export type ProtectedResourceView = z.infer<typeof ProtectedResourceView>;

const WebhookUrl = WebhookUrlSchema;

/** A five-field cron expression (minute hour day month weekday); checked further in main. */
const Cron = z
  .string()
  .trim()
  .regex(/^\S+( \S+){4}$/, 'must be a cron expression with five fields, e.g. "0 * * * *"');

export const PolicyInput = z.object({
  name: Name,
  sourceEnvironmentId: Id,
  targetEnvironmentId: Id,
  resources: z.array(ProtectedResourceInput).min(1, 'select at least one resource').max(5000),
  /** null: replication runs on demand only. */
  schedule: Cron.nullable(),
  webhookUrl: WebhookUrl.nullable(),
  /**
   * HMAC-SHA256 signing secret for webhook deliveries. Write-only: stored in the vault, never read
   * back. Omitted on edit: keep the stored one; null: remove it.
   */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(256).nullable().optional(),
  /** Also POST the job details for test failovers (R8 is for failover; this is the operator's opt-in). */
  webhookOnTestFailover: z.boolean().default(false),
  /**
   * Allow a webhook target in a link-local or cloud metadata range (169.254.0.0/16, fe80::/10,
   * fd00:ec2::254, metadata.google.internal...). Off by default; changing it is audited.
   */
  webhookAllowPrivateTargets: z.boolean().optional(),
});
export type PolicyInput = z.infer<typeof PolicyInput>;

export const PolicySummary = z.object({
  id: Id,
  name: z.string(),
  state: PolicyStateSchema,
  cloud: CloudSchema,
  simulated: z.boolean(),
  sourceEnvironment: z.object({ id: Id, name: z.string(), region: z.string() }),
  targetEnvironment: z.object({ id: Id, name: z.string(), region: z.string() }),
  resourceCount: z.number().int(),
  latestRecoveryPointAt: Timestamp.nullable(),
  schedule: z.string().nullable(),
  nextReplicationAt: Timestamp.nullable(),
  runningJobId: Id.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PolicySummary = z.infer<typeof PolicySummary>;

export const PolicyDetails = PolicySummary.extend({
  webhookUrl: z.string().nullable(),
  /** Whether a signing secret is stored (the secret itself never leaves main). */
  webhookSigned: z.boolean(),
  webhookOnTestFailover: z.boolean(),
  webhookAllowPrivateTargets: z.boolean(),
  /** Test resources created by test failovers and not yet reset. */
  liveTestResourceCount: z.number().int(),
  failoverJobId: Id.nullable(),
  resources: z.array(ProtectedResourceView),
  failedOverAt: Timestamp.nullable(),
});
export type PolicyDetails = z.infer<typeof PolicyDetails>;

// ---- Recovery points ----------------------------------------------------------------------

export const RECOVERY_POINT_STATUSES = ['in_progress', 'succeeded', 'partial', 'failed'] as const;
export const RecoveryPointStatusSchema = z.enum(RECOVERY_POINT_STATUSES);
export type RecoveryPointStatus = z.infer<typeof RecoveryPointStatusSchema>;

export const RecoveryPointView = z.object({
  id: Id,
  policyId: Id,
  jobId: Id,
  status: RecoveryPointStatusSchema,
  /** When the point's metadata was captured (the time the operator sees). */
  createdAt: Timestamp,
  completedAt: Timestamp.nullable(),
  itemCount: z.number().int(),
  failedItemCount: z.number().int(),
});
export type RecoveryPointView = z.infer<typeof RecoveryPointView>;

export const RecoveryPointItemView = z.object({
  id: Id,
  protectedResourceId: Id,
  resourceName: z.string(),
  type: ResourceTypeIdSchema,
  status: z.enum(['succeeded', 'failed']),
  metadata: z.record(z.string(), z.unknown()),
  dataRefs: z.array(z.object({ kind: z.string(), id: z.string(), region: z.string().optional() })),
  error: z.string().nullable(),
  capturedAt: Timestamp,
});
export type RecoveryPointItemView = z.infer<typeof RecoveryPointItemView>;

export const RecoveryPointDetails = RecoveryPointView.extend({ items: z.array(RecoveryPointItemView) });
export type RecoveryPointDetails = z.infer<typeof RecoveryPointDetails>;

// ---- Jobs ---------------------------------------------------------------------------------

export const JOB_KINDS = ['replication', 'test_failover', 'reset', 'failover'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKindSchema>;

/**
 * What an operator's Cancel does to a running job of each kind; the one rule the engine, jobs.cancel
 * and JobView.cancellable share. abort: steps in flight are aborted; drain: steps in flight finish
 * (a half-deleted or half-created test resource is never left behind), the rest do not start; never:
 * a failover runs until it completes (R9).
 */
export const JOB_CANCEL: Readonly<Record<JobKind, 'abort' | 'drain' | 'never'>> = {
  replication: 'abort',
  test_failover: 'drain',
  reset: 'drain',
  failover: 'never',
};

/** The words a sentence uses for a job kind ("test failover"). */
export const jobKindLabel = (kind: JobKind): string => kind.replace('_', ' ');

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'partially_failed', 'cancelled'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export const StepStatusSchema = z.enum(STEP_STATUSES);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const JobView = z.object({
  id: Id,
  policyId: Id,
  kind: JobKindSchema,
  status: JobStatusSchema,
  trigger: z.enum(['manual', 'schedule', 'resume']),
  recoveryPointId: Id.nullable(),
  /** When the job's recovery point was created (null when the job has none, or it was deleted). */
  recoveryPointAt: Timestamp.nullable(),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  stepsTotal: z.number().int(),
  stepsDone: z.number().int(),
  stepsFailed: z.number().int(),
  /** Protected resources the job touches; done = none of its steps still open (see resource-progress.ts). */
  resourcesTotal: z.number().int(),
  resourcesDone: z.number().int(),
  resourcesFailed: z.number().int(),
  error: z.string().nullable(),
  /** The job is unfinished and its kind may be cancelled (JOB_CANCEL): the UI offers Cancel only then. */
  cancellable: z.boolean(),
});
export type JobView = z.infer<typeof JobView>;

export const JobStepView = z.object({
  id: Id,
  jobId: Id,
  seq: z.number().int(),
  protectedResourceId: Id.nullable(),
  resourceName: z.string().nullable(),
  type: ResourceTypeIdSchema.nullable(),
  action: z.string(),
  status: StepStatusSchema,
  attempts: z.number().int(),
  error: z.string().nullable(),
  errorCode: z.string().nullable(),
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  /** What a (test) failover step did not carry to the target, read back and compared with the point. */
  warnings: z.array(z.string()),
  /** What a running step is doing now (its handler's latest progress message), else null. */
  activity: z.string().nullable(),
  /** The recovery point this (test) failover step applies, and its time; null for other steps. */
  recoveryPointId: Id.nullable(),
  recoveryPointAt: Timestamp.nullable(),
});
export type JobStepView = z.infer<typeof JobStepView>;

export const JobDetails = JobView.extend({ steps: z.array(JobStepView) });
export type JobDetails = z.infer<typeof JobDetails>;

// ---- Failover, test failover, reset -------------------------------------------------------

export const PlannedResourceAction = z.object({
  protectedResourceId: Id,
  name: z.string(),
  type: ResourceTypeIdSchema,
  /** The product document's failover text for the type. */
  action: z.string(),
  /** R6: this resource uses the latest successful point, not the selected one. */
  usesLatestPoint: z.boolean(),
  /** The point whose metadata this resource's failover will apply. */
  recoveryPointId: Id,
  recoveryPointAt: Timestamp,
  /** Sentence shown in the confirmation, e.g. why the latest point is used. */
  note: z.string().nullable(),
});
export type PlannedResourceAction = z.infer<typeof PlannedResourceAction>;

export const TestResourceView = z.object({
  id: Id,
  policyId: Id,
  jobId: Id,
  protectedResourceId: Id.nullable(),
  kind: z.string(),
  nativeId: z.string(),
  name: z.string(),
  region: z.string(),
  createdAt: Timestamp,
  deletedAt: Timestamp.nullable(),
});
export type TestResourceView = z.infer<typeof TestResourceView>;

export const FailoverPlan = z.object({
  /** Short-lived, single-use; failover.start needs it. */
  token: z.string().min(16).max(128),
  expiresAt: Timestamp,
  policyId: Id,
  policyName: z.string(),
  /** The point the operator chose (or the latest successful one). */
  recoveryPoint: z.object({ id: Id, createdAt: Timestamp }),
  latestRecoveryPoint: z.object({ id: Id, createdAt: Timestamp }),
  resources: z.array(PlannedResourceAction),
  /** Test resources that failover will reset (delete) first (R3). */
  testResourcesToReset: z.array(TestResourceView),
  webhookUrl: z.string().nullable(),
  /** Plain sentences the confirmation must show (one-time, irreversible, replication stops...). */
  warnings: z.array(z.string()),
});
export type FailoverPlan = z.infer<typeof FailoverPlan>;

export const ResourceMappingView = z.object({
  protectedResourceId: Id.nullable(),
  sourceId: z.string(),
  kind: z.string(),
  name: z.string(),
  targetId: z.string(),
  reused: z.boolean(),
});
export type ResourceMappingView = z.infer<typeof ResourceMappingView>;

export const WEBHOOK_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const WebhookDeliveryView = z.object({
  id: Id,
  jobId: Id,
  url: z.string(),
  status: z.enum(WEBHOOK_STATUSES),
  attempts: z.number().int(),
  nextAttemptAt: Timestamp.nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
  signed: z.boolean(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryView>;

// ---- Settings -----------------------------------------------------------------------------

/** The operator's preferences; `timeZone` is "local" (the machine's zone) or an IANA name. */
export const SettingsView = z.object({
  timeZone: z.string(),
  /** The IANA zone every time is written in (the machine's when `timeZone` is "local"). */
  resolvedTimeZone: z.string(),
  machineTimeZone: z.string(),
});
export type SettingsView = z.infer<typeof SettingsView>;

export const SettingsUpdate = z.object({
  /** "local" or an IANA zone ("UTC", "Europe/Paris"); main checks that the runtime knows it. */
  timeZone: z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters').optional(),
});
export type SettingsUpdate = z.infer<typeof SettingsUpdate>;

// ---- Audit --------------------------------------------------------------------------------

/** Something an audit entry mentions, with the name or time a person knows it by. */
export const AuditRef = z.object({
  id: z.string(),
  type: z.enum(['policy', 'account', 'environment', 'job', 'recoveryPoint', 'webhookDelivery']),
  name: z.string().nullable(),
  at: Timestamp.nullable(),
  jobKind: JobKindSchema.nullable(),
});
export type AuditRef = z.infer<typeof AuditRef>;

export const AuditEntry = z.object({
  id: z.number().int(),
  at: Timestamp,
  /** operator, scheduler or system. */
  actor: z.string(),
  /** The actor in words: "Dana Reyes (dana)" for an operator, "Scheduler", "Console". */
  actorLabel: z.string(),
  osUser: z.string().nullable(),
  operatorName: z.string().nullable(),
  host: z.string().nullable(),
  action: z.string(),
  subjectId: z.string().nullable(),
  policyId: z.string().nullable(),
  policyName: z.string().nullable(),
  jobId: z.string().nullable(),
  detail: z.string(),
  /** SHA-256 of this entry's canonical form, and of the entry before it (the chain). */
  hash: z.string(),
  prevHash: z.string(),
  refs: z.array(AuditRef),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditFacets = z.object({
  policies: z.array(z.object({ id: z.string(), name: z.string() })),
  actors: z.array(z.string()),
  kinds: z.array(z.string()),
});
export type AuditFacets = z.infer<typeof AuditFacets>;

export const AuditVerdict = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), entries: z.number().int(), headId: z.number().int().nullable(), headHash: z.string(), message: z.string() }),
  z.object({ ok: z.literal(false), entries: z.number().int(), brokenId: z.number().int(), reason: z.string(), message: z.string() }),
]);
export type AuditVerdict = z.infer<typeof AuditVerdict>;

export const AuditFilterInput = z.object({
  subjectId: Id.optional(),
  policyId: Id.optional(),
  actor: z.string().max(200).optional(),
  kind: z.string().regex(/^[A-Za-z]{1,40}$/, 'must be a word').optional(),
});

/** Attribution settings: who the audit log names besides the OS user. */
export const OperatorSettings = z.object({
  operatorName: z
    .string()
    .trim()
    .max(80, 'must be at most 80 characters')
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .nullable(),
});
export type OperatorSettings = z.infer<typeof OperatorSettings>;

export const REPORT_FORMATS = ['pdf', 'csv', 'json'] as const;
export const ReportFormatSchema = z.enum(REPORT_FORMATS);
export type ReportFormat = z.infer<typeof ReportFormatSchema>;

/** Where an export went; null path when the operator cancelled the save dialog. */
export const ExportResult = z.object({ path: z.string().nullable(), bytes: z.number().int() });
export type ExportResult = z.infer<typeof ExportResult>;

// ---- Paging -------------------------------------------------------------------------------

export const PageRequest = z.object({
  offset: z.number().int().min(0).max(10_000_000).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ total: z.number().int(), offset: z.number().int(), items: z.array(item) });
}
