// The composition root: builds the whole core (database, vault, providers, services, router,
// scheduler) from a data folder and a key provider. Used by Electron, the browser harness and tests.
// openCore is the app's way in: it first backs up and migrates a file from an older version
// (prepareDataFile, asynchronous: SQLite's online backup API), then composes. composeCore alone
// refuses such a file rather than migrate it without that backup.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkBeforeOpen, openDatabase, prepareDataFile, type Db } from './db/connection';
import type { DataFileProblem } from './db/file-check';
import { listBackups } from './db/backups';
import { createRepos } from './db/repos';
import { sealedSecretCount } from './db/sealed-secrets';
import type { KeyProvider } from './credentials/key-provider';
import { systemClock, type Clock } from './core/clock';
import { EventBus } from './core/events';
import { consoleLogger, type Logger } from './core/logger';
import { buildServices, type BuiltServices } from './core/services';
import type { EngineOptions } from './core/jobs/engine';
import type { WebhookOptions } from './core/webhooks/outbox';
import type { ReportOutput } from './core/reports/reports-service';
import type { Attribution } from './core/audit-log';
import { setupAll } from './ipc/handlers';
import { Router } from './ipc/router';
import type { CredentialCachePort, ProviderAdapter } from './providers/types';
import { createSimProvider, type SimProviderOptions } from './providers/sim';
import { createAwsProvider, type AwsProviderOptions } from './providers/aws';
import { createAzureProvider, type AzureProviderOptions } from './providers/azure';
import { Vault } from './credentials/vault';
import { VaultCredentialCache } from './credentials/credential-cache';
import { CredentialCachesRepo } from './db/credential-caches-repo';
import type { ConnectivityOptions } from './core/connectivity';
import type { LeaseHolder } from './providers/target-store';

export const DATA_FILE_NAME = 'console.sqlite';

/** What every adapter may be built with: the console's database (sim), its clock, the credential-cache port. */
export interface ProviderDeps {
  db: Db;
  clock: Clock;
  credentialCache: CredentialCachePort;
}

/** Which providers the console runs with and their tuning; each is on unless set to false. */
export interface ProviderChoice {
  /** The local rehearsal provider (latency and faults for rehearsals and tests). */
  sim?: Omit<SimProviderOptions, 'db' | 'clock'> | false;
  /** AWS through the SDK v3 (endpoint and credentials overrides point it at moto in tests). */
  aws?: AwsProviderOptions | false;
  /** Azure through the @azure/arm-* SDKs (armEndpoint, allowInsecureConnection and authPolicy point it at the ARM peer in tests). */
  azure?: AzureProviderOptions | false;
}

/** A choice of the built-in providers, or a factory for test doubles (fake providers). */
export type ProvidersOption = ProviderChoice | ((deps: ProviderDeps) => ProviderAdapter[]);

/**
 * The one place the provider adapters are built: the Electron shell, the browser harness, tests and
 * benches all come through here (directly or via composeCore), so a new provider (Azure, Google
 * Cloud) is added once.
 */
export function createProviders(deps: ProviderDeps, choice: ProviderChoice = {}): ProviderAdapter[] {
  const adapters: ProviderAdapter[] = [];
  if (choice.sim !== false) adapters.push(createSimProvider({ ...choice.sim, db: deps.db, clock: deps.clock }));
  if (choice.aws !== false) adapters.push(createAwsProvider(choice.aws ?? {}));
  if (choice.azure !== false) adapters.push(createAzureProvider({ credentialCache: deps.credentialCache, ...choice.azure }));
  return adapters;
}

/** Disposes every adapter, each once, even when one of them fails; failures are logged, not thrown. */
export async function disposeProviders(adapters: readonly ProviderAdapter[], logger: Logger): Promise<void> {
  const results = await Promise.allSettled(adapters.map((a) => a.dispose()));
  results.forEach((r, i) => {
    if (r.status === 'rejected') logger.warn(`The ${adapters[i]!.label} provider did not close cleanly: ${String(r.reason)}`);
  });
}

export interface ComposeOptions {
  dataDir: string;
  keyProvider: KeyProvider;
  /** Default: every built-in provider (createProviders with no choice). */
  providers?: ProvidersOption;
  nativeBinding?: string;
  clock?: Clock;
  startScheduler?: boolean;
  appVersion?: string;
  platform?: string;
  logger?: Logger;
  /** Webhook outbox tuning (timeouts, backoff); the worker always runs unless startWebhooks is false. */
  webhooks?: Partial<WebhookOptions>;
  startWebhooks?: boolean;
  /** Job engine tuning: concurrency, backoff, rate limits, journal hooks (crash tests), ownership lease. */
  engine?: Partial<EngineOptions>;
  /** Save dialog and PDF printer for exports (Electron's in the app; a path and Playwright in tests). */
  reportOutput?: ReportOutput;
  /** Who runs the console, for the audit log (default: os.userInfo() and os.hostname()). */
  attribution?: Attribution;
  /** False: unfinished jobs are not resumed at start-up (tools that only read the file). */
  resumeJobs?: boolean;
  /** The operator chose to start a new workspace in place of an empty (0-byte) data file. */
  replaceEmptyDataFile?: boolean;
  /** Scheduled online backups (default: every 6 hours; false: none). */
  backupIntervalMs?: number | false;
  /** The operator chose a backup to restore: restart the console (Electron relaunches). */
  onRestartRequested?: () => void;
  /** Connectivity probing (offline detection) tuning. */
  connectivity?: Partial<ConnectivityOptions>;
  /** Who this console is in failover leases (tests run two consoles in one process). */
  leaseHolder?: Partial<LeaseHolder>;
  leaseTimeoutMs?: number;
}

export interface Core {
  router: Router;
  events: EventBus;
  db: Db;
  dataFile: string;
  /** The wired services, for tests and tools that drive the core without IPC. */
  services: BuiltServices;
  close(): Promise<void>;
}

/** What a refused data file's sentence adds: the latest backup to restore, if there is one. */
function remedyFor(dataDir: string): (problem: DataFileProblem) => string {
  return (problem) => {
    if (problem === 'newer') return '';
    const latest = listBackups(dataDir)[0];
    return latest ? `Restore the latest backup (${latest.name}, taken ${latest.createdAt}) to continue.` : 'No backup of it exists yet.';
  };
}

/**
 * Opens the console on a data folder the way the app does: a file from an older version is backed
 * up online (backups/, reason pre-migration) and migrated first, then the core is composed.
 */
export async function openCore(opts: ComposeOptions): Promise<Core> {
  mkdirSync(opts.dataDir, { recursive: true });
  const file = join(opts.dataDir, DATA_FILE_NAME);
  // The file is checked once, integrity included (the one full read of it at start-up), before the
  // migration's backup and the open, which then skip the quick_check they would repeat.
  checkBeforeOpen(file, {
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    replaceEmpty: opts.replaceEmptyDataFile ?? false,
    remedy: remedyFor(opts.dataDir),
  });
  await prepareDataFile(file, {
    dataDir: opts.dataDir,
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    remedy: remedyFor(opts.dataDir),
    now: () => (opts.clock ?? systemClock).now(),
    integrityChecked: true,
  });
  return composeCheckedCore(opts, { integrityChecked: true });
}

/** Composes the core on a data folder; the file is checked first (integrity included) and must be up to date. */
export function composeCore(opts: ComposeOptions): Core {
  return composeCheckedCore(opts, { integrityChecked: false });
}

/**
 * composeCore, for a caller that has just run checkBeforeOpen with its integrity check on the file
 * (openCore; the bench, to time the open apart from the check): the open skips the quick_check.
 */
export function composeCheckedCore(opts: ComposeOptions, check: { integrityChecked: boolean }): Core {
  mkdirSync(opts.dataDir, { recursive: true });
  const dataFile = join(opts.dataDir, DATA_FILE_NAME);
  const db = openDatabase(dataFile, {
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    replaceEmpty: opts.replaceEmptyDataFile ?? false,
    // An existing file from an older version is migrated only by openCore, after its backup.
    pendingMigrations: 'refuse',
    remedy: remedyFor(opts.dataDir),
    integrityChecked: check.integrityChecked,
  });
  const logger = opts.logger ?? consoleLogger;
  let adapters: ProviderAdapter[] = [];
  try {
    const clock = opts.clock ?? systemClock;
    const events = new EventBus(logger);
    const repos = createRepos(db);
    const vault = new Vault(repos.settings, opts.keyProvider, logger, () => sealedSecretCount(db));
    const credentialCache = new VaultCredentialCache({
      repo: new CredentialCachesRepo(db),
      vault,
      now: () => clock.iso(),
      warn: (m) => logger.warn(m),
    });
    const deps: ProviderDeps = { db, clock, credentialCache };
    const providers = opts.providers ?? {};
    adapters = typeof providers === 'function' ? providers(deps) : createProviders(deps, providers);
    const services = buildServices({
      repos,
      keyProvider: opts.keyProvider,
      vault,
      adapters,
      clock,
      events,
      logger,
      app: { version: opts.appVersion ?? '0.0.0-dev', platform: opts.platform ?? process.platform },
      ...(opts.webhooks ? { webhooks: opts.webhooks } : {}),
      ...(opts.engine ? { engine: opts.engine } : {}),
      reserveFile: `${dataFile}.reserve`,
      ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
      ...(opts.onRestartRequested ? { onRestartRequested: opts.onRestartRequested } : {}),
      ...(opts.reportOutput ? { reportOutput: opts.reportOutput } : {}),
      ...(opts.attribution ? { attribution: opts.attribution } : {}),
      ...(opts.connectivity ? { connectivity: opts.connectivity } : {}),
      ...(opts.leaseHolder ? { leaseHolder: opts.leaseHolder } : {}),
      ...(opts.leaseTimeoutMs !== undefined ? { leaseTimeoutMs: opts.leaseTimeoutMs } : {}),
    });
    services.storage.ensureReserve();
    // Before anything can start a job: a crash may have left replication jobs marked running.
    const interrupted = services.replication.recoverInterrupted();
    if (interrupted > 0) logger.warn(`Closed ${interrupted} replication job(s) interrupted by the last exit`);

    const router = new Router({ logger, guard: (c) => services.storage.guard(c), storage: services.storage });
    setupAll(router, services);
    if (opts.startScheduler !== false) services.scheduler.start();
    services.connectivity.start();
    if (opts.startWebhooks !== false) services.webhooks.start();
    if (opts.backupIntervalMs !== false) services.backups.start(opts.backupIntervalMs);
    // R9: failovers, test failovers and resets a crash interrupted continue from their journal.
    if (opts.resumeJobs !== false) {
      const resumed = services.engine.resumeAll();
      if (resumed.length > 0) logger.warn(`Resumed ${resumed.length} job(s) interrupted by the last exit`);
    }

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        services.scheduler.stop();
        services.connectivity.stop();
        // Resumable jobs are suspended (resumed at the next start); replication is cancelled.
        await services.engine.shutdown('Cancelled because the console closed.');
        services.registry.cancelAll('Cancelled because the console closed.');
        await services.registry.waitAll();
        // After the jobs: a job finishing while closing may still enqueue its delivery.
        await services.webhooks.stop();
        services.leases.stop();
        services.catalog.stop();
        await services.catalog.idle();
        await services.leases.idle();
        services.progress.dispose();
        // No job runs any more: the adapters can let go of their SDK clients and sockets.
        await disposeProviders(adapters, logger);
        await services.backups.stop();
        db.close();
        // A backup the operator chose replaces the file now that nothing holds it open.
        const restored = services.backups.applyPendingRestore();
        if (restored) logger.warn(`Restored ${restored.replacedBy}; the previous data file is kept as ${restored.keptAs ?? '(none)'}`);
      })());
    return { router, events, db, dataFile, services, close };
  } catch (err) {
    void disposeProviders(adapters, logger);
    db.close();
    throw err;
  }
}
