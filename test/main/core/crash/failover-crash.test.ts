// Crash safety (DESIGN.md §6, R2, R9): a child process runs a 50-resource failover on the sim provider
// and is SIGKILLed at seeded random journal points; restarted, it resumes until the failover completes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../main/db/connection';
import { DATA_FILE_NAME } from '../../../../main/compose';
import { crashSeed, killPoint, planChains, runChain, runChild, type ChainResult } from '../../../fixtures/crash-loop';
import { auditFailover, copyScenario, histogram, seedScenario, type FailoverAudit, type ScenarioInfo } from '../../../fixtures/failover-scenario';

const RESOURCES = 50;
/** At least 25 kill points across this file (issue 3); CRASH_KILL_POINTS raises it locally. */
const KILL_POINTS = Math.max(25, Number(process.env.CRASH_KILL_POINTS ?? 25));
/** New every run and printed; CRASH_SEED=<seed> reproduces a run's kill points. */
const SEED = crashSeed();
console.log(`crash suite: kill points drawn with seed ${SEED} (set CRASH_SEED=${SEED} to reproduce)`);
// A later kill of a chain is drawn from what was left of the journal; a resumed run can finish in fewer
// commits than that estimate and so escape it. A third more planned points keep the kills actually made
// at KILL_POINTS or more whatever the seed (a run that drew 25 made 23).
const CHAINS = planChains(Math.ceil(KILL_POINTS * 1.3), SEED);
const LATENCY = { baseMs: 0, jitterMs: 1 };

let root: string;
let templateDir: string;
let info: ScenarioInfo;
let clean: FailoverAudit;
let cleanCommits = 0;
const kills: number[] = [];

function expectOneCompleteFailover(audit: FailoverAudit): void {
  expect(audit.failoverJobs, 'failover job rows for the policy').toBe(1);
  expect(audit.policyState).toBe('failed_over');
  expect(audit.failedOverAt).not.toBeNull();
  expect(audit.jobStatus).toBe('succeeded');
  expect(audit.stepsNotSucceeded).toEqual([]);
  expect(audit.duplicates, 'duplicate target resources').toEqual([]);
  expect(audit.leaks, 'leaked target resources').toEqual([]);
  expect(audit.liveTestResources, 'test resources left after failover (R3)').toEqual([]);
  expect(audit.unmapped, 'protected resources missing from the mapping').toEqual([]);
  expect(audit.replicationLeft, "the policy's replication left on sources (R3)").toEqual([]);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fc-crash-'));
  templateDir = join(root, 'template');
  info = await seedScenario(templateDir, { resources: RESOURCES, testFailover: true });
  // Calibration: one uninterrupted run tells how many journal commits a whole failover makes.
  const calibration = join(root, 'clean');
  copyScenario(templateDir, calibration);
  const run = await runChild({ dataDir: calibration, policyId: info.policyId, latency: LATENCY, seed: 'clean' });
  if (run.outcome !== 'done' || run.commits === null) throw new Error(`the uninterrupted failover did not complete:\n${run.stderr.slice(-4000)}`);
  cleanCommits = run.commits;
  const db = openDatabase(join(calibration, DATA_FILE_NAME));
  try {
    clean = auditFailover(db, info.policyId);
  } finally {
    db.close();
  }
}, 120_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('failover crash safety (SIGKILL at journal points)', () => {
  it(`an uninterrupted ${RESOURCES}-resource failover completes once, every step succeeded, nothing duplicated or leaked`, () => {
    expect(info.resources).toBe(RESOURCES);
    expect(cleanCommits).toBeGreaterThan(RESOURCES);
    expectOneCompleteFailover(clean);
    expect(clean.protectedResources).toBe(RESOURCES);
    expect(clean.createdByFailover).toBeGreaterThan(0);
    console.log(
      `crash bed: ${RESOURCES} resources (${Object.entries(info.types).map(([t, n]) => `${n} ${t}`).join(', ')}), ` +
        `${clean.steps} failover steps, ${clean.createdByFailover} target resources created, ${cleanCommits} journal commits per clean run` +
        `${info.testFailoverJobId ? ', test resources reset first' : ''}`,
    );
  });

  it.each(CHAINS.map((c, i) => ({ n: i + 1, fractions: c.fractions, label: c.fractions.map((f, k) => `${(f * 100).toFixed(0)}% of ${k === 0 ? 'the journal' : 'what was left'}`).join(', then ') })))(
    'chain $n: killed at $label, restarted, the failover completes once with 0 duplicate and 0 leaked resources',
    async ({ n, fractions }) => {
      let result: ChainResult;
      const workDir = join(root, `chain-${n}`);
      try {
        result = await runChain({ templateDir, workDir, policyId: info.policyId, cleanCommits, plan: { fractions }, latency: LATENCY, seed: `${SEED}/chain-${n}` });
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
      kills.push(...result.killedAt);
      expect(result.killedAt.length, 'the first planned kill always lands').toBeGreaterThanOrEqual(1);
      expect(result.oneTimeViolations).toEqual([]);
      expectOneCompleteFailover(result.audit);
      // A crashed-and-resumed failover leaves exactly what an uninterrupted one does.
      expect(result.audit.steps).toBe(clean.steps);
      expect(result.audit.createdByFailover).toBe(clean.createdByFailover);
    },
    180_000,
  );

  it('plans kill points over the whole journal, its last commits included', () => {
    const firsts = CHAINS.map((c) => killPoint(c.fractions[0]!, cleanCommits));
    // Stratified: one first kill in every 1/n of the journal, so the last stratum holds the tail.
    const n = CHAINS.length;
    for (let i = 0; i < n; i++) {
      const lo = Math.floor((i / n) * cleanCommits);
      const hi = Math.ceil(((i + 1) / n) * cleanCommits);
      expect(firsts.some((k) => k >= lo && k <= hi), `a first kill in commits ${lo}..${hi}`).toBe(true);
    }
    expect(Math.max(...firsts)).toBeGreaterThan(Math.floor(cleanCommits * 0.97) - Math.ceil(cleanCommits / n));
    expect(killPoint(1, cleanCommits)).toBe(cleanCommits);
  });

  it(`killed the child at no fewer than 25 journal points across the suite`, () => {
    expect(kills.length).toBeGreaterThanOrEqual(25);
    console.log(`crash suite (seed ${SEED}): ${kills.length} SIGKILLs at journal points ${[...kills].sort((a, b) => a - b).join(', ')} of ${cleanCommits}; attempts of the clean run: ${histogram(clean.attempts)}`);
  });
});
