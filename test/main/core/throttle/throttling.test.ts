// Throttling (issue 3): with 30% of the simulated cloud's answers throttled (seeded, short Retry-After),
// a replication and a failover of 32 resources complete, and no step takes more attempts than allowed.
// As with a real SDK, the sim retries a throttled call a few times itself; what still fails reaches
// the engine, which honours Retry-After within its attempt budget.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../../../main/compose';
import { DEFAULT_ENGINE } from '../../../../main/core/jobs/engine';
import { DEFAULT_REPLICATION } from '../../../../main/core/replication-service';
import { seededRandom } from '../../../../main/providers/sim/prng';
import {
  auditFailover,
  call,
  countFailures,
  histogram,
  openScenarioCore,
  runFailoverToCompletion,
  seedScenario,
  waitForJob,
  type ScenarioInfo,
} from '../../../fixtures/failover-scenario';

const RESOURCES = 32;
const THROTTLE_RATE = 0.3;
const RETRY_AFTER_MS = 5;
/** The attempt budgets per step (first attempt included): replication's own, and the engine's for failover. */
const REPLICATION_MAX_ATTEMPTS = DEFAULT_REPLICATION.backoff.maxAttempts;
const FAILOVER_MAX_ATTEMPTS = DEFAULT_ENGINE.backoff.maxAttempts;

let root: string;
let info: ScenarioInfo;
let core: Core;
let throttled: Map<string, number>;
/** The sim's fault draws: with no latency jitter and no error rate, every draw is one throttle check. */
const draws = { checks: 0, throttled: 0 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fc-throttle-'));
  // The bed (and its first, successful recovery point) is made without faults; the jobs below are throttled.
  info = await seedScenario(root, { resources: RESOURCES });
  core = openScenarioCore(root, {
    faults: { throttleRate: THROTTLE_RATE, retryAfterMs: RETRY_AFTER_MS },
    random: (() => {
      const base = seededRandom('throttle-suite-1');
      return () => {
        const r = base();
        draws.checks += 1;
        if (r < THROTTLE_RATE) draws.throttled += 1;
        return r;
      };
    })(),
    wrap: (sim) => {
      const counted = countFailures(sim, 'ProviderThrottled');
      throttled = counted.counts;
      return counted.adapter;
    },
  });
}, 60_000);

afterAll(async () => {
  await core?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function injected(before: { checks: number; throttled: number }): string {
  const checks = draws.checks - before.checks;
  const hits = draws.throttled - before.throttled;
  return `${hits} of ${checks} cloud answers were "throttled" (${((100 * hits) / Math.max(1, checks)).toFixed(0)}%)`;
}

function attemptsOf(steps: { attempts: number }[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const s of steps) h[s.attempts] = (h[s.attempts] ?? 0) + 1;
  return h;
}

describe(`${THROTTLE_RATE * 100}% throttled answers from the cloud`, () => {
  it(`a replication of ${RESOURCES} resources completes, no step over ${REPLICATION_MAX_ATTEMPTS} attempts`, async () => {
    const start = { ...draws };
    const { jobId } = await call(core, 'dr:replication.run', { policyId: info.policyId });
    const job = await waitForJob(core, jobId, 60_000);
    const h = attemptsOf(job.steps);
    console.log(
      `throttled replication: ${job.status}; ${injected(start)}; ${throttled.get('replicate') ?? 0} got past the SDK retries to the engine; attempts per step ${histogram(h)}`,
    );
    expect(draws.throttled - start.throttled, 'throttling was injected').toBeGreaterThan(0.2 * (draws.checks - start.checks));
    expect(draws.throttled - start.throttled).toBeLessThan(0.4 * (draws.checks - start.checks));
    expect(job.steps.filter((s) => s.status !== 'succeeded').map((s) => `${s.resourceName}: ${s.error ?? s.status}`)).toEqual([]);
    expect(job.status).toBe('succeeded');
    expect(job.steps).toHaveLength(RESOURCES);
    expect(Math.max(...job.steps.map((s) => s.attempts))).toBeLessThanOrEqual(REPLICATION_MAX_ATTEMPTS);
    const point = await call(core, 'dr:recoveryPoints.list', { policyId: info.policyId, offset: 0, limit: 1 });
    expect(point.items[0]?.status).toBe('succeeded');
  }, 60_000);

  it(`a failover of ${RESOURCES} resources completes with no operator retry, no step over ${FAILOVER_MAX_ATTEMPTS} attempts`, async () => {
    const start = { ...draws };
    const before = [...throttled.values()].reduce((a, b) => a + b, 0);
    const outcome = await runFailoverToCompletion(core, info.policyId, { timeoutMs: 60_000, maxRetries: 0 });
    const audit = auditFailover(core.db, info.policyId);
    const surfaced = [...throttled.values()].reduce((a, b) => a + b, 0) - before;
    console.log(
      `throttled failover: ${audit.jobStatus}; ${injected(start)}; ${surfaced} got past the SDK retries to the engine; ` +
        `attempts per step ${histogram(audit.attempts)}`,
    );
    expect(draws.throttled - start.throttled, 'throttling was injected').toBeGreaterThan(0.2 * (draws.checks - start.checks));
    expect(outcome.retries).toBe(0);
    expect(audit.stepsNotSucceeded).toEqual([]);
    expect(audit.jobStatus).toBe('succeeded');
    expect(audit.policyState).toBe('failed_over');
    expect(audit.failoverJobs).toBe(1);
    expect(audit.duplicates).toEqual([]);
    expect(audit.leaks).toEqual([]);
    expect(audit.unmapped).toEqual([]);
    expect(Math.max(...Object.keys(audit.attempts).map(Number))).toBeLessThanOrEqual(FAILOVER_MAX_ATTEMPTS);
  }, 90_000);
});
