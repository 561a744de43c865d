// Benchmarks (npm run bench): figures measured in one run on this machine, printed with their
// targets and ratios, then a summary table. Tests never assert times; speed claims are checked here.
//
// Sections (BENCH_ONLY=a,b or BENCH_SKIP=a,b; BENCH_QUICK=1 for a small, fast run):
//   core      core open with BENCH_JOURNAL_ROWS journal rows, recovery-point paging through the router
//   engine    engine overhead per step over BENCH_ENGINE_STEPS no-op steps (target < 0.5 ms)
//   failover  BENCH_FAILOVER_RESOURCES-resource sim failover under latency and token buckets (a token per
//             call; ≤ 1.10x bound); BENCH_FAILOVER_LARGE=N (10,000 by default, 0 in quick: off) adds a
//             latency-only run of N resources in policies of at most 5,000 failed over at once
//   renderer  Recovery points tab over BENCH_RECOVERY_POINTS points in headless Chromium (150 ms / 16 ms)
//   crash     BENCH_CRASH_POINTS SIGKILLs of a 50-resource failover (duplicates and leaks must be 0)
//   report    failover report (PDF through Chromium, CSV, JSON) for BENCH_REPORT_RESOURCES resources (< 3 s)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installJournalProbe } from '../test/fixtures/journal-probe';
import { benchCrashLoop } from './crash-loop';
import { benchEngineOverhead } from './engine-overhead';
import { benchFailoverModel } from './failover-model';
import { benchFailoverReport } from './failover-report';
import { benchFoundation, seedHistory, type History } from './foundation';
import { benchRendererRecoveryPoints } from './renderer-recovery-points';
import { QUICK, envNumber, machine, summary, wanted } from './report';

async function section(name: string, title: string, run: () => Promise<void>): Promise<void> {
  if (!wanted(name)) return;
  console.log(`\n[${name}] ${title}`);
  const t0 = performance.now();
  try {
    await run();
  } catch (err) {
    // One broken section must not hide the others' figures; the exit code still says it failed.
    process.exitCode = 1;
    console.log(`  FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

async function main(): Promise<void> {
  console.log(`Failover Console benchmarks${QUICK ? ' (quick)' : ''} — ${machine()}`);
  // Counts journal commits for the failover section's journal floor; never changes what is written.
  installJournalProbe(() => {});
  const journalRows = envNumber('BENCH_JOURNAL_ROWS', 1_000_000, 100_000);
  const recoveryPoints = envNumber('BENCH_RECOVERY_POINTS', 100_000, 10_000);
  const engineSteps = envNumber('BENCH_ENGINE_STEPS', 10_000, 2_000);
  const failoverResources = envNumber('BENCH_FAILOVER_RESOURCES', 1_000, 100);
  // One policy holds at most 5,000 resources (the IPC contract): 10,000 are two policies failed over at once.
  const failoverLarge = envNumber('BENCH_FAILOVER_LARGE', 10_000, 0);
  const crashPoints = envNumber('BENCH_CRASH_POINTS', 200, 10);
  const reportResources = envNumber('BENCH_REPORT_RESOURCES', 1_000, 1_000);

  const dir = mkdtempSync(join(tmpdir(), 'fc-bench-'));
  let history: History | null = null;
  const big = () => {
    if (!history) {
      const t0 = performance.now();
      history = seedHistory(dir, journalRows, recoveryPoints);
      console.log(`  (seeded ${history.journalRows.toLocaleString('en')} journal rows and ${recoveryPoints.toLocaleString('en')} recovery points in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    return history;
  };
  try {
    await section('core', 'core open and recovery points through the IPC router', () => benchFoundation(big()));
    await section('engine', 'job engine overhead per step', () => benchEngineOverhead(engineSteps));
    await section('failover', 'failover on sim under a latency and throttle model', () => benchFailoverModel(failoverResources, failoverLarge));
    await section('renderer', 'recovery points in the renderer (headless Chromium)', () => benchRendererRecoveryPoints(big(), 5));
    await section('report', 'failover report for 1,000 resources (PDF, CSV, JSON)', () => benchFailoverReport(reportResources, QUICK ? 2 : 5));
    await section('crash', 'crash loop (SIGKILL at journal points)', () => benchCrashLoop(crashPoints));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  summary();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
