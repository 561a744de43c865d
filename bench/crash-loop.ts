// The crash loop at scale: the 50-resource failover of the crash test, SIGKILLed at BENCH_CRASH_POINTS
// seeded journal points (200 by default) across restarts; duplicates, leaks and one-time breaks must be 0.
// A planned kill lands only if the run reaches that journal point (a resumed run makes fewer commits
// than the estimate it was drawn against, and may finish first), so chains are planned in rounds,
// each from the same printed seed, until the requested number of kills has landed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crashSeed, planChains, runChain, runChild, type ChainPlan } from '../test/fixtures/crash-loop';
import { copyScenario, seedScenario } from '../test/fixtures/failover-scenario';
import { median, record } from './report';

const LATENCY = { baseMs: 0, jitterMs: 1 };

export async function benchCrashLoop(points: number, resources = 50): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fc-bench-crash-'));
  try {
    const templateDir = join(root, 'template');
    const info = await seedScenario(templateDir, { resources, testFailover: true });
    copyScenario(templateDir, join(root, 'clean'));
    const clean = await runChild({ dataDir: join(root, 'clean'), policyId: info.policyId, latency: LATENCY, seed: 'bench-clean' });
    if (clean.outcome !== 'done' || clean.commits === null) throw new Error(`the uninterrupted failover did not complete:\n${clean.stderr.slice(-3000)}`);
    const cleanCommits = clean.commits;
    const seed = crashSeed();
    console.log(`  crash loop: kill points drawn with seed ${seed} (CRASH_SEED=${seed} reproduces them)`);
    const tail = Math.floor(cleanCommits * 0.97);
    let tailKills = 0;
    let kills = 0;
    let planned = 0;
    let chainCount = 0;
    let runs = 0;
    let duplicates = 0;
    let leaks = 0;
    let violations = 0;
    let incomplete = 0;
    const chainMs: number[] = [];
    const t0 = performance.now();
    const runOne = async (plan: ChainPlan): Promise<void> => {
      const i = chainCount++;
      const workDir = join(root, `chain-${i}`);
      try {
        const r = await runChain({ templateDir, workDir, policyId: info.policyId, cleanCommits, plan, latency: LATENCY, seed: `${seed}/bench-${i}` });
        kills += r.killedAt.length;
        // Kills in the last 3% of a run's journal (the first kill of a chain is against a whole run).
        if (r.killedAt[0] !== undefined && r.killedAt[0] > tail) tailKills += 1;
        runs += r.runs;
        duplicates += r.audit.duplicates.length;
        leaks += r.audit.leaks.length + r.audit.liveTestResources.length;
        violations += r.oneTimeViolations.length + (r.audit.failoverJobs === 1 ? 0 : 1);
        if (r.audit.jobStatus !== 'succeeded' || r.audit.policyState !== 'failed_over' || r.audit.stepsNotSucceeded.length > 0) incomplete += 1;
        chainMs.push(r.ms);
      } catch (err) {
        // A chain that cannot complete is a finding, not a reason to lose the other figures.
        incomplete += 1;
        console.log(`  chain ${i + 1} did not complete: ${err instanceof Error ? err.message.slice(0, 2000) : String(err)}`);
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
      if (chainCount % 10 === 0) process.stdout.write(`  (${chainCount} chains, ${kills}/${points} kills)\n`);
    };
    // Round 0 draws from the printed seed; each top-up round from it and its number. A round that
    // lands nothing (no chain reaches its kill points) ends the loop, and the figures show it.
    for (let round = 0; kills < points; round++) {
      const before = kills;
      const chains = planChains(points - kills, round === 0 ? seed : `${seed}/round-${round}`);
      for (const plan of chains) planned += plan.fractions.length;
      for (const plan of chains) await runOne(plan);
      if (kills === before) break;
    }
    const secs = (performance.now() - t0) / 1000;
    record({ section: 'crash', name: `SIGKILLs at journal points (${resources}-resource failover, ${clean.commits} commits clean)`, value: kills, unit: '', note: `${points} requested, seed ${seed}, ${chainCount} chains, ${runs} child runs, ${secs.toFixed(0)} s` });
    record({ section: 'crash', name: 'planned kills that did not land (the run finished first)', value: planned - kills, unit: '' });
    record({ section: 'crash', name: 'first kills in the last 3% of the journal (job finish, failed_over, webhook enqueue)', value: tailKills, unit: '' });
    record({ section: 'crash', name: 'duplicate target resources after resume', value: duplicates, unit: '', target: 0 });
    record({ section: 'crash', name: 'leaked resources (unmapped, unjournaled, or test resources left)', value: leaks, unit: '', target: 0 });
    record({ section: 'crash', name: 'one-time rule breaks (failover job rows != 1)', value: violations, unit: '', target: 0 });
    record({ section: 'crash', name: 'failovers not complete after the last restart', value: incomplete, unit: '', target: 0 });
    record({ section: 'crash', name: 'chain time, kills and restarts included (median)', value: median(chainMs) / 1000, unit: 's' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
