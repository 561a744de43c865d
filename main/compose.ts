// The composition root: builds the whole core (database, vault, providers, services, router,
// scheduler) from a data folder and a key provider. Used by Electron, the browser harness and tests.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from './db/connection';
import { createRepos } from './db/repos';
import type { KeyProvider } from './credentials/key-provider';
import { systemClock, type Clock } from './core/clock';
import { EventBus } from './core/events';
import { consoleLogger, type Logger } from './core/logger';
import { buildServices, type BuiltServices } from './core/services';
import type { EngineOptions } from './core/jobs/engine';
import type { WebhookOptions } from './core/webhooks/outbox';
import { setupAll } from './ipc/handlers';
import { Router } from './ipc/router';
import type { ProviderAdapter } from './providers/types';
import { createSimProvider } from './providers/sim';
import { createAwsProvider } from './providers/aws';
import type { ConnectivityOptions } from './core/connectivity';
import type { LeaseHolder } from './providers/target-store';

export const DATA_FILE_NAME = 'console.sqlite';

export interface ComposeOptions {
  dataDir: string;
  keyProvider: KeyProvider;
  providers?: (deps: { db: Db; clock: Clock }) => ProviderAdapter[];
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
  /** False: unfinished jobs are not resumed at start-up (tools that only read the file). */
  resumeJobs?: boolean;
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

export function composeCore(opts: ComposeOptions): Core {
  mkdirSync(opts.dataDir, { recursive: true });
  const dataFile = join(opts.dataDir, DATA_FILE_NAME);
  const db = openDatabase(dataFile, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  try {
    const clock = opts.clock ?? systemClock;
    const logger = opts.logger ?? consoleLogger;
    const events = new EventBus(logger);
    const adapters = (opts.providers ?? ((deps) => [createSimProvider(deps), createAwsProvider()]))({ db, clock });
    const services = buildServices({
      repos: createRepos(db),
      keyProvider: opts.keyProvider,
      adapters,
      clock,
      events,
      logger,
      app: { version: opts.appVersion ?? '0.0.0-dev', platform: opts.platform ?? process.platform },
      ...(opts.webhooks ? { webhooks: opts.webhooks } : {}),
      ...(opts.engine ? { engine: opts.engine } : {}),
      ...(opts.connectivity ? { connectivity: opts.connectivity } : {}),
      ...(opts.leaseHolder ? { leaseHolder: opts.leaseHolder } : {}),
      ...(opts.leaseTimeoutMs !== undefined ? { leaseTimeoutMs: opts.leaseTimeoutMs } : {}),
    });
    // Before anything can start a job: a crash may have left replication jobs marked running.
    const interrupted = services.replication.recoverInterrupted();
    if (interrupted > 0) logger.warn(`Closed ${interrupted} replication job(s) interrupted by the last exit`);

    const router = new Router({ logger });
    setupAll(router, services);
    if (opts.startScheduler !== false) services.scheduler.start();
    services.connectivity.start();
    if (opts.startWebhooks !== false) services.webhooks.start();
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
        db.close();
      })());
    return { router, events, db, dataFile, services, close };
  } catch (err) {
    db.close();
    throw err;
  }
}
