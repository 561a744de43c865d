// A bare job engine on a real SQLite file, for tests of the engine's own rules (the journal of
// operations, tokens per call, grouped commits, activity): one policy, a kind definition the test
// writes, and jobs started through engine.start like the services do.

import { join } from 'node:path';
import { AuditLog } from '../../main/core/audit-log';
import { EventBus, JobProgressPublisher } from '../../main/core/events';
import { JobRegistry } from '../../main/core/job-registry';
import { JobEngine, type EngineOptions, type JobKindDefinition, type NewJobStep, type PreparedJob } from '../../main/core/jobs/engine';
import { silentLogger } from '../../main/core/logger';
import { openDatabase, type Db } from '../../main/db/connection';
import { createRepos, type Repos } from '../../main/db/repos';
import type { EnvRef, ProviderAdapter } from '../../main/providers/types';
import type { JobKind } from '../../shared/domain';
import { scopeFromText } from '../../shared/scope';
import { FakeClock } from './fake-clock';

const ADAPTER: ProviderAdapter = {
  kind: 'sim',
  label: 'Test',
  simulated: true,
  clouds: ['aws'],
  testConnection: () => Promise.resolve({ identity: 'test', message: 'test' }),
  handler: () => undefined,
  dispose: () => Promise.resolve(),
};

export function bedEnv(id: string, region: string, scope = ''): EnvRef {
  return { environmentId: id, account: { id: 'acc_t', name: 'Test', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } }, region, scope: scopeFromText('aws', region, scope) };
}

export interface EngineBed {
  db: Db;
  /** The SQLite file (open a second connection on it to see only what is committed). */
  file: string;
  /** What the kinds' prepare returns by default. */
  prepared: PreparedJob;
  repos: Repos;
  engine: JobEngine;
  registry: JobRegistry;
  clock: FakeClock;
  /** Defines `kind` with this execute (and defaults for the rest) and starts a job of `steps` no-resource steps. */
  run(kind: JobKind, steps: number | NewJobStep[], execute: JobKindDefinition['execute'], more?: Partial<JobKindDefinition>): { jobId: string; done: Promise<void> };
  close(): Promise<void>;
}

export function engineBed(dir: string, options: Partial<EngineOptions> = {}): EngineBed {
  const file = join(dir, 'console.sqlite');
  const db = openDatabase(file);
  const prepared: PreparedJob = { adapter: ADAPTER, source: bedEnv('env_s', 'us-east-1'), target: bedEnv('env_t', 'us-west-2'), policyName: 'Bed' };
  const repos = createRepos(db);
  const clock = new FakeClock();
  const events = new EventBus(silentLogger);
  const progress = new JobProgressPublisher(events, 100);
  const registry = new JobRegistry();
  const engine = new JobEngine({ repos, clock, events, progress, registry, logger: silentLogger, audit: new AuditLog(repos, clock), options });
  const now = clock.iso();
  db.prepare(`INSERT INTO accounts (id, name, provider, cloud, credential_kind, secret, created_at) VALUES ('acc_t','Test','sim','aws','none',X'',?)`).run(now);
  db.prepare(`INSERT INTO environments (id, account_id, name, region, scope, created_at) VALUES ('env_s','acc_t','S','us-east-1','',?), ('env_t','acc_t','T','us-west-2','',?)`).run(now, now);
  db.prepare(`INSERT INTO policies (id, name, source_environment_id, target_environment_id, state, created_at, updated_at) VALUES ('pol_t','Bed','env_s','env_t','active',?,?)`).run(now, now);
  return {
    db,
    file,
    prepared,
    repos,
    engine,
    registry,
    clock,
    run(kind, steps, execute, more = {}) {
      engine.define({
        kind,
        resumable: true,
        prepare: () => prepared,
        execute,
        complete: (_job, o) => ({ status: o.failed === 0 && o.blocked === 0 && !o.cancelled ? 'succeeded' : o.cancelled ? 'cancelled' : 'failed', error: null, message: '' }),
        ...more,
      });
      const list = typeof steps === 'number' ? Array.from({ length: steps }, () => ({ protectedResourceId: null, action: 'testFailover' })) : steps;
      const { jobId } = engine.start({ policyId: 'pol_t', kind, actor: 'operator', auditAction: 'test.start', plan: () => ({ steps: list, audit: `${list.length} step(s)` }) });
      return { jobId, done: engine.launch(jobId) };
    },
    async close() {
      await engine.shutdown();
      progress.dispose();
      db.close();
    },
  };
}
