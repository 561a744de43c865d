// Engine overhead per step: a plan of N no-op steps on a handler that returns at once, run by the
// real job engine on a real SQLite file (WAL, synchronous=FULL), so the figure is the journal's cost.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../main/core/clock';
import { EventBus, JobProgressPublisher } from '../main/core/events';
import { JobRegistry } from '../main/core/job-registry';
import { JobEngine, type JobKindDefinition, type PreparedJob } from '../main/core/jobs/engine';
import { silentLogger } from '../main/core/logger';
import { openDatabase } from '../main/db/connection';
import { createRepos } from '../main/db/repos';
import type { EnvRef, ProviderAdapter } from '../main/providers/types';
import { commitCost, record } from './report';

const NOOP_ADAPTER: ProviderAdapter = {
  kind: 'sim',
  label: 'No-op',
  simulated: true,
  clouds: ['aws'],
  dispose: () => Promise.resolve(),
  testConnection: () => Promise.resolve({ identity: 'noop', message: 'no-op' }),
  handler: () => undefined,
};

function env(id: string, region: string): EnvRef {
  return { environmentId: id, account: { id: 'acc_e', name: 'Engine bench', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } }, region, scope: { cloud: 'aws', region, accountId: null } };
}

async function runPlan(steps: number, opts: { intents: number; chain: number }): Promise<{ ms: number; succeeded: number; commits: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-bench-engine-'));
  const db = openDatabase(join(dir, 'console.sqlite'));
  try {
    const repos = createRepos(db);
    const events = new EventBus(silentLogger);
    const progress = new JobProgressPublisher(events, 100);
    const engine = new JobEngine({ repos, clock: systemClock, events, progress, registry: new JobRegistry(), logger: silentLogger });
    const now = new Date().toISOString();
    db.transaction(() => {
      db.prepare(`INSERT INTO accounts (id, name, provider, cloud, credential_kind, secret, created_at) VALUES ('acc_e','Engine','sim','aws','none',X'',?)`).run(now);
      db.prepare(`INSERT INTO environments (id, account_id, name, region, scope, created_at) VALUES ('env_s','acc_e','S','us-east-1','',?), ('env_t','acc_e','T','us-west-2','',?)`).run(now, now);
      db.prepare(`INSERT INTO policies (id, name, source_environment_id, target_environment_id, state, created_at, updated_at) VALUES ('pol_e','Engine','env_s','env_t','active',?,?)`).run(now, now);
      repos.jobs.insertJob({ id: 'job_e', policyId: 'pol_e', kind: 'test_failover', status: 'running', trigger: 'manual', recoveryPointId: null, createdAt: now, startedAt: now, owner: engine.owner, heartbeatAt: now });
      for (let i = 0; i < steps; i++) {
        // Chains of `chain` steps: each waits for the one before it (a VM after its disks).
        const dependsOn = opts.chain > 1 && i % opts.chain !== 0 ? [`st_${i - 1}`] : [];
        repos.jobs.insertStep({ id: `st_${i}`, jobId: 'job_e', seq: i + 1, protectedResourceId: null, action: 'testFailover', dependsOn, idempotencyKey: `job_e/${i}` });
      }
    })();
    const def: JobKindDefinition<PreparedJob> = {
      kind: 'test_failover',
      resumable: true,
      prepare: () => ({ adapter: NOOP_ADAPTER, source: env('env_s', 'us-east-1'), target: env('env_t', 'us-west-2'), policyName: 'Engine' }),
      execute: async (step, ctx) => {
        // Each op: its intent durable before the (no-op) call, its outcome queued for the next commit.
        for (let k = 0; k < opts.intents; k++) await ctx.mutate(`op-${k}`, { family: 'sim', intent: { token: step.idempotencyKey, k }, call: async () => k });
        return { result: { ok: true } };
      },
      complete: (_job, outcome) => ({ status: outcome.failed === 0 && outcome.blocked === 0 ? 'succeeded' : 'failed', error: null, message: '' }),
    };
    engine.define(def);
    const t0 = performance.now();
    await engine.launch('job_e');
    const ms = performance.now() - t0;
    const succeeded = repos.jobs.counts('job_e').done - repos.jobs.counts('job_e').failed;
    const status = repos.jobs.get('job_e')?.status;
    if (status !== 'succeeded' || succeeded !== steps) throw new Error(`engine bench job ended ${status} with ${succeeded}/${steps} steps`);
    const commits = engine.commits.stats.commits;
    await engine.shutdown();
    progress.dispose();
    return { ms, succeeded, commits };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEngineOverhead(steps: number): Promise<void> {
  await runPlan(Math.min(500, steps), { intents: 0, chain: 1 }); // warm-up (JIT, page cache)
  const n = steps.toLocaleString('en');
  record({ section: 'engine', name: 'one durable journal commit on this disk now (synchronous=FULL)', value: commitCost(), unit: 'ms', note: 'each step commits at least twice' });
  const plain = await runPlan(steps, { intents: 0, chain: 1 });
  record({ section: 'engine', name: `engine overhead per step, ${n} independent no-op steps`, value: plain.ms / steps, unit: 'ms', target: 0.5, note: `${(plain.ms / 1000).toFixed(2)} s in all` });
  record({ section: 'engine', name: 'journal commits per step, no-op steps (grouped: concurrent steps share a commit)', value: plain.commits / steps, unit: '' });
  const withIntent = await runPlan(steps, { intents: 1, chain: 1 });
  record({ section: 'engine', name: `engine overhead per step, ${n} steps with one ctx.mutate each`, value: withIntent.ms / steps, unit: 'ms', target: 0.5 });
  record({ section: 'engine', name: 'journal commits per step, one ctx.mutate each (intent, outcome, finish: 3 writes)', value: withIntent.commits / steps, unit: '' });
  const chained = await runPlan(steps, { intents: 0, chain: 10 });
  record({ section: 'engine', name: `engine overhead per step, ${n} steps in dependency chains of 10`, value: chained.ms / steps, unit: 'ms', target: 0.5 });
  record({ section: 'engine', name: 'one durable journal commit on this disk, after the runs', value: commitCost(), unit: 'ms' });
}
