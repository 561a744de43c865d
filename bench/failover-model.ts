// A 1,000-resource failover on the sim provider under a latency model (20 ± 10 ms per call) and token
// buckets per API family, compared with its analytical lower bound and with naive sequential execution.

import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { composeCore } from '../main/compose';
import { DEFAULT_ENGINE } from '../main/core/jobs/engine';
import type { RateLimitSpec, RateLimitTable } from '../main/core/jobs/rate-limits';
import { StaticKeyProvider } from '../main/credentials/static-key-provider';
import { openDatabase } from '../main/db/connection';
import { createSimProvider } from '../main/providers/sim';
import { seededRandom } from '../main/providers/sim/prng';
import type { ProviderAdapter, ResourceHandler } from '../main/providers/types';
import type { ResourceTypeId } from '../shared/catalog';
import { SCENARIO_KEY, auditFailover, call, copyScenario, seedScenario, stderrLogger } from '../test/fixtures/failover-scenario';
import { journalCommits } from '../test/fixtures/journal-probe';
import { commitCost, record } from './report';

/** Per simulated call: 10 ms plus up to 20 ms of jitter, i.e. 20 ± 10 ms. */
const LATENCY = { baseMs: 10, jitterMs: 20 };

/**
 * The EC2 families' buckets (every call takes one token of its family: mutations, describes, polls).
 * Shaped like the published EC2 buckets, scaled so the drain is comparable to the latency work of
 * 1,000 resources.
 */
export const BENCH_RATE_LIMITS: Record<string, RateLimitSpec> = {
  'aws.ec2.run-instances': { kind: 'token-bucket', bucketSize: 200, refillPerSecond: 40 },
  'aws.ec2.mutating': { kind: 'token-bucket', bucketSize: 200, refillPerSecond: 80 },
};

interface StepCost {
  latencyMs: number;
  calls: number;
}

/** Wraps every handler call so the sim's latency draws are attributed to the step that made them. */
function attributing(adapter: ProviderAdapter, als: AsyncLocalStorage<string>): ProviderAdapter {
  const cache = new Map<string, ResourceHandler>();
  const wrap = (h: ResourceHandler): ResourceHandler => {
    const inStep =
      <A, R>(fn: (a: A, ctx: Parameters<ResourceHandler['replicate']>[1]) => Promise<R>) =>
      (a: A, ctx: Parameters<ResourceHandler['replicate']>[1]) =>
        als.run(ctx.stepId, () => fn(a, ctx));
    return {
      type: h.type,
      usesLatestPoint: h.usesLatestPoint,
      discover: (ctx) => h.discover(ctx),
      replicate: inStep(h.replicate.bind(h)),
      testFailover: inStep(h.testFailover.bind(h)),
      reset: inStep(h.reset.bind(h)),
      failover: inStep(h.failover.bind(h)),
      stopReplication: inStep(h.stopReplication.bind(h)),
    };
  };
  return {
    kind: adapter.kind,
    label: adapter.label,
    simulated: adapter.simulated,
    clouds: adapter.clouds,
    dispose: () => adapter.dispose(),
    // The sim's failover lease as the app has it (a failover without one needs an audited override).
    ...(adapter.targetStore ? { targetStore: adapter.targetStore } : {}),
    testConnection: (account, signal) => adapter.testConnection(account, signal),
    handler(type) {
      const h = adapter.handler(type);
      if (!h) return undefined;
      let w = cache.get(type);
      if (!w) cache.set(type, (w = wrap(h)));
      return w;
    },
  };
}

interface ModelRun {
  elapsed: number;
  lower: number;
  chain: number;
  drain: number;
  workPerSlot: number;
  sequential: number;
  commits: number;
  perCommit: number;
  steps: number;
  /** The engine's own group commits and the journal writes they carried. */
  engineCommits: number;
  engineFsyncs: number;
  engineWrites: number;
  detail: string;
}

/** One failover of a fresh copy of the seeded template under the latency model and `limits`. */
async function runModel(templateDir: string, workDir: string, policyIds: string[], limits: Record<string, RateLimitSpec>): Promise<ModelRun> {
  copyScenario(templateDir, workDir);
  // With no faults injected, the sim draws one random number per call, for its latency jitter:
  // each draw is one call of the step running in that async context.
  const als = new AsyncLocalStorage<string>();
  const costs = new Map<string, StepCost>();
  const base = seededRandom('failover-model');
  const random = () => {
    const r = base();
    const stepId = als.getStore();
    if (stepId) {
      const c = costs.get(stepId) ?? { latencyMs: 0, calls: 0 };
      c.latencyMs += LATENCY.baseMs + r * LATENCY.jitterMs;
      c.calls += 1;
      costs.set(stepId, c);
    }
    return r;
  };
  const rateLimits: RateLimitTable = { sim: { ...limits, default: { kind: 'unlimited' } } };
  const core = composeCore({
    dataDir: workDir,
    keyProvider: new StaticKeyProvider(SCENARIO_KEY),
    startScheduler: false,
    logger: stderrLogger,
    engine: { rateLimits },
    providers: ({ db, clock }) => [attributing(createSimProvider({ db, clock, latency: LATENCY, random }), als)],
  });
  let elapsed: number;
  const jobIds: string[] = [];
  let tokens: { scope: string; family: string; tokens: number }[];
  let engineStats: { commits: number; fsyncs: number; writes: number };
  const commitsBefore = journalCommits();
  try {
    const left = new Set<string>();
    const early = new Set<string>();
    let last = 0;
    const finished = new Promise<number>((resolve) => {
      const off = core.events.subscribe((name, payload) => {
        if (name !== 'dr:job.finished') return;
        const id = (payload as { jobId: string }).jobId;
        // A job may finish before its start call returned its id: remembered until then.
        if (!left.delete(id)) early.add(id);
        last = performance.now();
        if (left.size === 0 && jobIds.length === policyIds.length) {
          off();
          resolve(last);
        }
      });
    });
    // Every policy's plan first (the operator confirms each), then the failovers start together.
    const plans = [];
    for (const policyId of policyIds) plans.push(await call(core, 'dr:failover.prepare', { policyId }));
    const started = performance.now();
    for (const plan of plans) {
      const id = (await call(core, 'dr:failover.start', { token: plan.token })).jobId;
      jobIds.push(id);
      if (!early.delete(id)) left.add(id);
    }
    elapsed = ((await finished) - started) / 1000;
    tokens = [...core.services.engine.tokensByGate().values()].map((g) => ({ scope: g.scope, family: g.family, tokens: g.tokens }));
    engineStats = { ...core.services.engine.commits.stats };
  } finally {
    await core.close();
  }
  const commits = journalCommits() - commitsBefore;
  const perCommit = commitCost();

  const db = openDatabase(join(workDir, 'console.sqlite'));
  try {
    let created = 0;
    for (const policyId of policyIds) {
      const audit = auditFailover(db, policyId);
      if (audit.jobStatus !== 'succeeded' || audit.duplicates.length || audit.leaks.length) {
        throw new Error(`the benchmark failover ended ${audit.jobStatus}: ${audit.stepsNotSucceeded.slice(0, 3).join('; ')} ${audit.duplicates.length} duplicates, ${audit.leaks.length} leaks`);
      }
      created += audit.createdByFailover;
    }
    const stepsOf = db.prepare(
      `SELECT s.id, s.action, s.attempts, s.depends_on, r.type FROM job_steps s
       LEFT JOIN protected_resources r ON r.id = s.protected_resource_id WHERE s.job_id = ?`,
    );
    const steps = jobIds.flatMap((id) => stepsOf.all(id) as { id: string; action: string; attempts: number; depends_on: string; type: ResourceTypeId | null }[]);
    const cost = (id: string) => (costs.get(id)?.latencyMs ?? 0) / 1000;
    // Critical path: the longest dependency chain, each step weighing its own calls' latency.
    const byId = new Map(steps.map((s) => [s.id, s]));
    const finish = new Map<string, number>();
    const longest = (id: string): number => {
      const known = finish.get(id);
      if (known !== undefined) return known;
      const s = byId.get(id);
      const deps = s ? (JSON.parse(s.depends_on) as string[]) : [];
      const v = cost(id) + Math.max(0, ...deps.map(longest));
      finish.set(id, v);
      return v;
    };
    const chain = Math.max(...steps.map((s) => longest(s.id)));
    const work = steps.reduce((sum, s) => sum + cost(s.id), 0);
    const concurrency = DEFAULT_ENGINE.concurrency;
    // Rate limits: the k-th token of a bucket exists no earlier than (k - bucket) / refill; the call
    // that takes the last one still needs one call's minimum latency after it. Tokens are per call
    // and per bucket (account scope + family: the source region's and the target region's EC2
    // buckets are two), as the engine counted them.
    let drain = 0;
    const minCost = LATENCY.baseMs / 1000;
    const familyText: string[] = [];
    const where = (scope: string) => scope.split('|').at(-1) ?? scope;
    for (const g of tokens) {
      const spec = limits[g.family];
      if (!spec || spec.kind !== 'token-bucket') {
        familyText.push(`${g.family}@${where(g.scope)}: ${g.tokens} tokens, unlimited`);
        continue;
      }
      const t = Math.max(0, g.tokens - spec.bucketSize) / spec.refillPerSecond + minCost;
      drain = Math.max(drain, t);
      familyText.push(`${g.family}@${where(g.scope)}: ${g.tokens} tokens, bucket ${spec.bucketSize} + ${spec.refillPerSecond}/s -> ${t.toFixed(2)} s`);
    }
    const calls = [...costs.values()].reduce((n, c) => n + c.calls, 0);
    return {
      elapsed,
      lower: Math.max(chain, drain, work / concurrency),
      chain,
      drain,
      workPerSlot: work / concurrency,
      sequential: Math.max(work, drain),
      commits,
      perCommit,
      steps: steps.length,
      engineCommits: engineStats.commits,
      engineFsyncs: engineStats.fsyncs,
      engineWrites: engineStats.writes,
      detail:
        `${policyIds.length > 1 ? `${policyIds.length} policies failed over at once, ` : ''}${steps.length} steps, ${calls} simulated calls, ${created} target resources; critical path ${chain.toFixed(2)} s; ` +
        `work ${work.toFixed(1)} s / concurrency ${concurrency} = ${(work / concurrency).toFixed(2)} s; ${familyText.join('; ')}`,
    };
  } finally {
    db.close();
  }
}

function recordJournal(n: string, label: string, m: ModelRun): void {
  record({
    section: 'failover',
    name: `${n}-resource failover${label}: journal commits (grouped transactions)`,
    value: m.engineCommits,
    unit: '',
    note: `${m.engineWrites.toLocaleString('en')} journal writes, made durable by ${m.engineFsyncs.toLocaleString('en')} fsyncs off the event loop`,
  });
  record({ section: 'failover', name: `${n}-resource failover${label}: journal commits per step`, value: m.engineCommits / m.steps, unit: '', note: `${(m.engineWrites / m.steps).toFixed(2)} writes, ${(m.engineFsyncs / m.steps).toFixed(2)} fsyncs per step` });
  record({ section: 'failover', name: `${n}-resource failover${label}: fsyncs x one synchronous commit's cost (was a serial floor)`, value: (m.engineFsyncs * m.perCommit) / 1000, unit: 's', note: `${m.perCommit.toFixed(3)} ms per synchronous commit on this disk now` });
  record({ section: 'failover', name: `${n}-resource failover${label}: other commits (simulated cloud without an fsync of its own; job start and end)`, value: Math.max(0, m.commits - m.engineCommits), unit: '' });
}

/**
 * The failover against its lower bound: with token buckets and latency only at `resources`; `large`
 * adds a latency-only run at that size (policies of at most 5,000 failed over at once), reported beside it.
 */
export async function benchFailoverModel(resources: number, large = 0): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fc-bench-failover-'));
  try {
    const t0 = performance.now();
    const template = join(root, 'template');
    const info = await seedScenario(template, { resources, name: `Bench ${resources}` });
    console.log(`  (seeded ${resources} resources and replicated them without latency in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const n = resources.toLocaleString('en');

    const m = await runModel(template, join(root, 'buckets'), info.policyIds, BENCH_RATE_LIMITS);
    console.log(`  (with token buckets: ${m.detail})`);
    record({ section: 'failover', name: `${n}-resource failover on sim, 20±10 ms calls, token buckets (a token per call)`, value: m.elapsed, unit: 's' });
    record({ section: 'failover', name: 'analytical lower bound max(critical path, bucket drain, work/concurrency)', value: m.lower, unit: 's' });
    record({ section: 'failover', name: `${n}-resource failover: ratio to the lower bound`, value: m.elapsed / m.lower, unit: 'x', target: 1.1 });
    record({ section: 'failover', name: `${n}-resource failover: naive sequential execution (analytical)`, value: m.sequential, unit: 's' });
    record({ section: 'failover', name: `${n}-resource failover: speed-up over naive sequential`, value: m.sequential / m.elapsed, unit: 'x' });
    recordJournal(n, '', m);

    // The same failover without buckets isolates the engine's use of its concurrency from rate limiting.
    const u = await runModel(template, join(root, 'unlimited'), info.policyIds, {});
    console.log(`  (without buckets: ${u.detail})`);
    record({ section: 'failover', name: `${n}-resource failover, latency only (no buckets)`, value: u.elapsed, unit: 's' });
    record({ section: 'failover', name: 'latency only: ratio to max(critical path, work/concurrency)', value: u.elapsed / u.lower, unit: 'x', target: 1.1 });
    recordJournal(n, ', latency only', u);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (large > 0) await benchLarge(large);
}

/** One policy protects at most this many resources (shared/ipc/contract.ts). */
const POLICY_MAX_RESOURCES = 5_000;

/**
 * The large run, latency only: `resources` split into policies of at most 5,000 (a policy's limit),
 * all failed over at once, as a region loss would make an operator do; one engine, one provider's
 * concurrency, so its bound is the same max(critical path, work / concurrency).
 */
async function benchLarge(resources: number): Promise<void> {
  const policies = Math.ceil(resources / POLICY_MAX_RESOURCES);
  const root = mkdtempSync(join(tmpdir(), 'fc-bench-failover-large-'));
  try {
    const t0 = performance.now();
    const template = join(root, 'template');
    const info = await seedScenario(template, { resources, name: `Bench ${resources}`, policies });
    console.log(`  (seeded ${resources} resources in ${policies} ${policies === 1 ? 'policy' : 'policies'} and replicated them without latency in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const n = resources.toLocaleString('en');
    const u = await runModel(template, join(root, 'unlimited'), info.policyIds, {});
    console.log(`  (${n}, without buckets: ${u.detail})`);
    const what = policies > 1 ? `${n}-resource failover (${policies} policies at once)` : `${n}-resource failover`;
    record({ section: 'failover', name: `${what}, latency only (no buckets)`, value: u.elapsed, unit: 's' });
    record({ section: 'failover', name: `${n}-resource failover: lower bound max(critical path, work/concurrency)`, value: u.lower, unit: 's' });
    record({ section: 'failover', name: `${n}-resource failover, latency only: ratio to the lower bound`, value: u.elapsed / u.lower, unit: 'x', target: 1.1 });
    recordJournal(n, ', latency only', u);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
