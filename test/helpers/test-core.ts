// Builds the real core (real SQLite file, real services, router with every handler) around test
// doubles for the provider, clock and key provider, without the default sim provider.

import { join } from 'node:path';
import { openDatabase, type Db } from '../../main/db/connection';
import { createRepos } from '../../main/db/repos';
import type { KeyProvider } from '../../main/credentials/key-provider';
import type { Clock } from '../../main/core/clock';
import type { Attribution } from '../../main/core/audit-log';
import { EventBus } from '../../main/core/events';
import { silentLogger, type Logger } from '../../main/core/logger';
import type { ReplicationOptions } from '../../main/core/replication-service';
import { buildServices, type BuiltServices } from '../../main/core/services';
import { setupAll } from '../../main/ipc/handlers';
import { Router } from '../../main/ipc/router';
import type { ProviderAdapter } from '../../main/providers/types';
import type { Channel, RequestOf, ResponseOf } from '../../shared/ipc/contract';
import type { DrErrorData } from '../../shared/errors';
import { FakeClock } from './fake-clock';
import { createFakeProvider } from './fake-provider';
import { testKeyProvider } from './keys';

export interface TestCore {
  db: Db;
  file: string;
  services: BuiltServices;
  router: Router;
  events: EventBus;
  clock: Clock;
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>>;
  fail<C extends Channel>(channel: C, request: RequestOf<C>): Promise<DrErrorData>;
  close(): Promise<void>;
}

export interface TestCoreOptions {
  adapters?: ProviderAdapter[];
  clock?: Clock;
  keyProvider?: KeyProvider;
  replication?: Partial<ReplicationOptions>;
  logger?: Logger;
  progressIntervalMs?: number;
  /** Keep a storage reserve file (as composeCore does next to the data file). */
  reserve?: boolean;
  attribution?: Attribution;
  /** Who this console is in failover leases (two consoles in one test process). */
  leaseHolder?: { consoleId?: string; host?: string; user?: string };
  leaseTimeoutMs?: number;
}

export function createTestCore(dir: string, opts: TestCoreOptions = {}): TestCore {
  const file = join(dir, 'console.sqlite');
  const db = openDatabase(file);
  const clock = opts.clock ?? new FakeClock();
  const logger = opts.logger ?? silentLogger;
  const events = new EventBus(logger);
  const services = buildServices({
    repos: createRepos(db),
    keyProvider: opts.keyProvider ?? testKeyProvider(),
    adapters: opts.adapters ?? [createFakeProvider()],
    clock,
    events,
    logger,
    app: { version: '9.9.9-test', platform: 'test' },
    replication: { backoff: { maxAttempts: 3, baseMs: 1, capMs: 5 }, ...opts.replication },
    progressIntervalMs: opts.progressIntervalMs ?? 0,
    ...(opts.reserve ? { reserveFile: `${file}.reserve` } : {}),
    ...(opts.attribution ? { attribution: opts.attribution } : {}),
    ...(opts.leaseHolder ? { leaseHolder: opts.leaseHolder } : {}),
    ...(opts.leaseTimeoutMs !== undefined ? { leaseTimeoutMs: opts.leaseTimeoutMs } : {}),
  });
  services.storage.ensureReserve();
  const router = new Router({ logger, validateResponses: true, guard: (c) => services.storage.guard(c), storage: services.storage });
  setupAll(router, services);
  const core: TestCore = {
    db,
    file,
    services,
    router,
    events,
    clock,
    async call(channel, request) {
      const result = await router.dispatch(channel, request);
      if (!result.ok) throw new Error(`${channel} failed: ${result.error.code}: ${result.error.message}`);
      return result.value as ResponseOf<typeof channel>;
    },
    async fail(channel, request) {
      const result = await router.dispatch(channel, request);
      if (result.ok) throw new Error(`${channel} unexpectedly succeeded`);
      return result.error;
    },
    async close() {
      services.scheduler.stop();
      services.connectivity.stop();
      services.leases.stop();
      services.catalog.stop();
      await services.catalog.idle();
      await services.leases.idle();
      services.registry.cancelAll('test over');
      await services.registry.waitAll();
      services.progress.dispose();
      if (db.open) db.close();
    },
  };
  return core;
}

/** Waits until a job leaves queued/running (jobs run in the background after replication.run). */
export async function waitForJob(core: TestCore, jobId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = core.services.jobs.get(jobId);
    if (job.status !== 'running' && job.status !== 'queued') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A rehearsal-like set-up: one sim account on AWS with source and target environments. */
export async function seedAwsPair(core: TestCore) {
  const account = await core.call('dr:accounts.create', {
    name: 'Test AWS',
    provider: 'sim',
    cloud: 'aws',
    credentials: { kind: 'none' },
  });
  const source = await core.call('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'us-east-1', scope: '111122223333' });
  const target = await core.call('dr:environments.create', { accountId: account.id, name: 'DR', region: 'us-west-2', scope: '111122223333' });
  const inventory = await core.call('dr:inventory.discover', { environmentId: source.id });
  return { account, source, target, inventory };
}
