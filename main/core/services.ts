// The core's services as one hand-wired bundle: what the IPC handlers and the composition root see,
// and the function that wires them (used by main/compose.ts and by tests that bring their own db).

import type { Repos } from '../db/repos';
import type { KeyProvider } from '../credentials/key-provider';
import { sealedSecretCount } from '../db/sealed-secrets';
import { Vault } from '../credentials/vault';
import type { ProviderAdapter } from '../providers/types';
import { AccountsService } from './accounts-service';
import { AzureAccountsService, type AzureAccountsOptions } from './azure-accounts-service';
import { VaultCredentialCache } from '../credentials/credential-cache';
import { CredentialCachesRepo } from '../db/credential-caches-repo';
import type { CredentialCachePort } from '../providers/types';
import { AuditLog, type Attribution } from './audit-log';
import { ReportsService, type ReportOutput } from './reports/reports-service';
import type { Clock } from './clock';
import { EnvironmentsService } from './environments-service';
import { JobProgressPublisher, type EventBus } from './events';
import { InventoryService } from './inventory-service';
import { JobRegistry } from './job-registry';
import { JobsService } from './jobs-service';
import { JobEngine, type EngineOptions } from './jobs/engine';
import { FailoverService } from './failover/failover-service';
import { TestFailoverService } from './failover/test-failover-service';
import type { Logger } from './logger';
import { PoliciesService } from './policies-service';
import { ProviderRegistry } from './provider-registry';
import { RecoveryPointsService } from './recovery-points-service';
import { ReplicationService, type ReplicationOptions } from './replication-service';
import { Scheduler } from './scheduler';
import { StorageHealth } from './storage-health';
import { BackupService } from './backup-service';
import { MIGRATIONS } from '../db/migrations';
import { dirname } from 'node:path';
import { SettingsService } from './settings-service';
import { WorkspaceService } from './workspace-service';
import { WebhooksRepo } from '../db/webhooks-repo';
import { WebhookOutbox, type WebhookOptions } from './webhooks/outbox';
import { ConnectivityMonitor, type ConnectivityOptions } from './connectivity';
import { FailoverLeases } from './failover/failover-lease';
import { CatalogPublisher } from './catalog-publisher';
import { RebuildService } from './rebuild-service';
import { HandoverService } from './handover/handover-service';
import type { LeaseHolder } from '../providers/target-store';
import { PassphraseService } from './passphrase-service';

export interface AppInfoSource {
  version: string;
  platform: string;
}

export interface Services {
  app: AppInfoSource;
  repos: Repos;
  providers: ProviderRegistry;
  accounts: AccountsService;
  environments: EnvironmentsService;
  inventory: InventoryService;
  policies: PoliciesService;
  replication: ReplicationService;
  recoveryPoints: RecoveryPointsService;
  jobs: JobsService;
  /** Operator preferences (the display time zone). */
  settings: SettingsService;
  workspace: WorkspaceService;
  scheduler: Scheduler;
  /** The crash-safe job engine every job kind runs on (see main/core/jobs/engine.ts). */
  engine: JobEngine;
  testFailover: TestFailoverService;
  failover: FailoverService;
  /** The durable webhook outbox (R8); the job engine calls enqueueForJob when a (test) failover completes. */
  webhooks: WebhookOutbox;
  /** Read-only mode after a failed write (disk full, I/O error, read-only file). */
  storage: StorageHealth;
  /** Online backups of the data file (scheduled, on request) and restore. */
  backups: BackupService;
  /** The audit chain: attribution, verify. */
  audit: AuditLog;
  /** Job reports (PDF, CSV, JSON) and the audit log export. */
  reports: ReportsService;
  /** Issue 12: connectivity per account, the failover lease, catalog manifests, rebuild and handover. */
  connectivity: ConnectivityMonitor;
  leases: FailoverLeases;
  catalog: CatalogPublisher;
  rebuild: RebuildService;
  handover: HandoverService;
  passphrase: PassphraseService;
  /** Issue 8: Azure sign-in before an account exists, and the tenants, subscriptions and groups it reaches. */
  azure: AzureAccountsService;
}

export interface BuildServicesOptions {
  repos: Repos;
  keyProvider: KeyProvider;
  /** The vault over keyProvider, when the caller already built one (the composition root shares it with providers). */
  vault?: Vault;
  adapters: readonly ProviderAdapter[];
  clock: Clock;
  events: EventBus;
  logger: Logger;
  app: AppInfoSource;
  replication?: Partial<ReplicationOptions>;
  progressIntervalMs?: number;
  engine?: Partial<EngineOptions>;
  webhooks?: Partial<WebhookOptions>;
  /** Disk space kept back next to the data file for closing jobs at the first "disk full". */
  reserveFile?: string;
  nativeBinding?: string;
  /** Called when the operator chose a backup to restore (the shell restarts the console). */
  onRestartRequested?: () => void;
  /** Who runs the console (OS user, machine); the real ones by default. */
  attribution?: Attribution;
  /** Where exports go (save dialog, PDF printer); exports fail with a sentence without them. */
  reportOutput?: ReportOutput;
  connectivity?: Partial<ConnectivityOptions>;
  /** Overrides who this console says it is in failover leases (tests run two consoles in one process). */
  leaseHolder?: Partial<LeaseHolder>;
  /** How long taking a failover lease may take before the target counts as unreachable. */
  leaseTimeoutMs?: number;
  /** The credential-cache port the providers got (the composition root's); one over the vault otherwise. */
  credentialCache?: CredentialCachePort;
  /** Azure sign-in: endpoints (test peers) and the system browser. */
  azure?: AzureAccountsOptions;
}

export interface BuiltServices extends Services {
  vault: Vault;
  registry: JobRegistry;
  progress: JobProgressPublisher;
}

/** Wires every service by hand, in dependency order. No I/O besides what the repos already hold. */
export function buildServices(o: BuildServicesOptions): BuiltServices {
  const { repos, clock, events, logger } = o;
  const vault = o.vault ?? new Vault(repos.settings, o.keyProvider, logger, () => sealedSecretCount(repos.db));
  const providers = new ProviderRegistry(o.adapters, repos, vault);
  const audit = new AuditLog(repos, clock, o.attribution);
  // Every job status change is appended to the audit chain in the transaction that makes it.
  repos.jobs.onTransition((t) => audit.recordTransition(t));
  const settings = new SettingsService({ settings: repos.settings, audit, events });
  const registry = new JobRegistry();
  const progress = new JobProgressPublisher(events, o.progressIntervalMs ?? 100);
  const credentialCache = o.credentialCache ?? new VaultCredentialCache({ repo: new CredentialCachesRepo(repos.db), vault, now: () => clock.iso() });
  const azure = new AzureAccountsService({ providers, credentialCache, clock, ...(o.azure ? { options: o.azure } : {}) });
  const accounts = new AccountsService({ repos, vault, providers, audit, clock, claimAzureSignIn: (id) => azure.claim(id) });
  const environments = new EnvironmentsService({ repos, audit, clock });
  const inventory = new InventoryService({ repos, providers, logger });
  const policies = new PoliciesService({ repos, providers, audit, clock, events, vault });
  const storage = new StorageHealth({ db: repos.db, events, logger, clock, reserveFile: o.reserveFile });
  const engine = new JobEngine({ repos, clock, events, progress, registry, logger, audit, storage, ...(o.engine ? { options: o.engine } : {}) });
  const replication = new ReplicationService({
    repos,
    providers,
    audit,
    clock,
    events,
    engine,
    ...(o.replication ? { options: o.replication } : {}),
  });
  const recoveryPoints = new RecoveryPointsService({ repos });
  const jobs = new JobsService({ repos, registry, audit, activity: (jobId) => engine.activities(jobId) });
  const workspace = new WorkspaceService({ repos, providers, accounts, environments, inventory, events });
  const connectivity = new ConnectivityMonitor({ repos, providers, clock, events, logger, ...(o.connectivity ? { options: o.connectivity } : {}) });
  const scheduler = new Scheduler({ repos, replication, clock, events, logger, connectivity });
  const webhooks = new WebhookOutbox({
    repo: new WebhooksRepo(repos.db),
    vault,
    audit,
    clock,
    logger,
    events,
    options: { userAgent: `FailoverConsole-Webhook/${o.app.version}`, ...o.webhooks },
  });
  const testFailover = new TestFailoverService({ repos, providers, audit, clock, events, engine, webhooks });
  const backups = new BackupService({
    db: repos.db,
    dataFile: repos.db.name,
    dataDir: dirname(repos.db.name),
    knownVersion: MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0),
    clock,
    audit,
    logger,
    nativeBinding: o.nativeBinding,
    onRestartRequested: o.onRestartRequested,
  });
  const reports = new ReportsService({ repos, audit, clock, app: o.app, webhooks: new WebhooksRepo(repos.db), ...(o.reportOutput ? { output: o.reportOutput } : {}) });
  const leases = new FailoverLeases({
    repos,
    providers,
    audit,
    clock,
    events,
    logger,
    connectivity,
    ...(o.leaseHolder ? { holder: o.leaseHolder } : {}),
    ...(o.leaseTimeoutMs !== undefined ? { timeoutMs: o.leaseTimeoutMs } : {}),
  });
  const failover = new FailoverService({ repos, providers, audit, clock, events, engine, webhooks, leases });
  const catalog = new CatalogPublisher({ repos, providers, clock, events, logger, connectivity, holder: () => leases.holder });
  const rebuild = new RebuildService({ repos, providers, audit, clock, events });
  const handover = new HandoverService({ repos, vault, audit, clock, events, holder: () => leases.holder });
  const passphrase = new PassphraseService({ repos, keyProvider: o.keyProvider, audit, clock });
  connectivity.onOnline(() => webhooks.wake());
  // Subscriptions only (plus sweeps of rows a previous run left pending): leases are released by
  // their job's completion, manifests follow each replication.
  leases.start();
  catalog.start();
  return {
    audit,
    reports,
    app: o.app,
    backups,
    repos,
    providers,
    accounts,
    environments,
    inventory,
    policies,
    replication,
    recoveryPoints,
    jobs,
    settings,
    workspace,
    scheduler,
    webhooks,
    storage,
    engine,
    testFailover,
    failover,
    connectivity,
    leases,
    catalog,
    rebuild,
    handover,
    passphrase,
    azure,
    vault,
    registry,
    progress,
  };
}
