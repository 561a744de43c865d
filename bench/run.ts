// Benchmarks (npm run bench): figures measured in one run on this machine, printed with their
// targets and ratios. Tests never assert times; this script is where speed claims are checked.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../main/db/connection';
import { composeCore } from '../main/compose';
import { StaticKeyProvider } from '../main/credentials/static-key-provider';

interface Row {
  name: string;
  value: number;
  unit: string;
  target?: number;
}
const rows: Row[] = [];
function record(name: string, value: number, unit: string, target?: number): void {
  rows.push({ name, value, unit, ...(target === undefined ? {} : { target }) });
  const ratio = target === undefined ? '' : `  (target ${target} ${unit}, ratio ${(value / target).toFixed(2)})`;
  console.log(`${name.padEnd(58)} ${value.toFixed(2).padStart(10)} ${unit}${ratio}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const JOURNAL_ROWS = Number(process.env.BENCH_JOURNAL_ROWS ?? 1_000_000);
const RECOVERY_POINTS = Number(process.env.BENCH_RECOVERY_POINTS ?? 100_000);

/** Fills a console database directly (fast, one transaction per table) with a big history. */
function seed(file: string): { policyId: string } {
  const db = openDatabase(file);
  const now = Date.parse('2026-01-01T00:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  db.transaction(() => {
    db.prepare(
      `INSERT INTO accounts (id, name, provider, cloud, credential_kind, secret, created_at) VALUES ('acc_b','Bench','sim','aws','none',X'',?)`,
    ).run(iso(now));
    const env = db.prepare(`INSERT INTO environments (id, account_id, name, region, scope, created_at) VALUES (?, 'acc_b', ?, ?, '', ?)`);
    env.run('env_s', 'Source', 'us-east-1', iso(now));
    env.run('env_t', 'Target', 'us-west-2', iso(now));
    db.prepare(
      `INSERT INTO policies (id, name, source_environment_id, target_environment_id, state, created_at, updated_at) VALUES ('pol_b','Bench policy','env_s','env_t','active',?,?)`,
    ).run(iso(now), iso(now));
    const res = db.prepare(`INSERT INTO protected_resources (id, policy_id, type, native_id, name, added_at) VALUES (?, 'pol_b', 'aws.ec2-instance', ?, ?, ?)`);
    for (let i = 0; i < 10; i++) res.run(`res_${i}`, `i-${i}`, `web-${i}`, iso(now));
  })();
  // Recovery points: one replication job per point, 10 steps per job, so journal rows scale too.
  const job = db.prepare(
    `INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at, started_at, finished_at) VALUES (?, 'pol_b', 'replication', ?, 'schedule', ?, ?, ?)`,
  );
  const rp = db.prepare(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at, completed_at) VALUES (?, 'pol_b', ?, ?, ?, ?)`);
  const step = db.prepare(
    `INSERT INTO job_steps (id, job_id, seq, protected_resource_id, action, status, attempts, idempotency_key, intent, result, started_at, finished_at) VALUES (?, ?, ?, ?, 'replicate', 'succeeded', 1, ?, '{}', '{}', ?, ?)`,
  );
  const stepsPerJob = 10;
  const jobs = Math.max(RECOVERY_POINTS, Math.ceil(JOURNAL_ROWS / stepsPerJob));
  const chunk = 20_000;
  for (let start = 0; start < jobs; start += chunk) {
    db.transaction(() => {
      for (let j = start; j < Math.min(jobs, start + chunk); j++) {
        const t = iso(now + j * 60_000);
        const status = j % 50 === 7 ? 'failed' : j % 23 === 5 ? 'partially_failed' : 'succeeded';
        job.run(`job_${j}`, status, t, t, t);
        if (j < RECOVERY_POINTS) {
          rp.run(`rp_${j}`, `job_${j}`, status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : 'partial', t, t);
        }
        for (let s = 0; s < stepsPerJob; s++) step.run(`st_${j}_${s}`, `job_${j}`, s, `res_${s}`, `k_${j}_${s}`, t, t);
      }
    })();
  }
  db.close();
  return { policyId: 'pol_b' };
}

async function main(): Promise<void> {
  console.log(`Failover Console benchmarks — ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'fc-bench-'));
  try {
    const file = join(dir, 'console.sqlite');
    let t0 = performance.now();
    const { policyId } = seed(file);
    console.log(`seeded ${JOURNAL_ROWS.toLocaleString('en')} journal rows and ${RECOVERY_POINTS.toLocaleString('en')} recovery points in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const opens: number[] = [];
    const firstList: number[] = [];
    for (let i = 0; i < 5; i++) {
      t0 = performance.now();
      const core = composeCore({ dataDir: dir, keyProvider: new StaticKeyProvider(randomBytes(32)), startScheduler: false });
      opens.push(performance.now() - t0);
      t0 = performance.now();
      const r = await core.router.dispatch('dr:policies.list', {}, { id: 'bench', trusted: true });
      firstList.push(performance.now() - t0);
      if (!r.ok) throw new Error(r.error.message);
      await core.close();
    }
    record(`core open, ${JOURNAL_ROWS.toLocaleString('en')} journal rows (median of 5)`, median(opens), 'ms', 200);
    record('first policies.list after open (median of 5)', median(firstList), 'ms');

    const core = composeCore({ dataDir: dir, keyProvider: new StaticKeyProvider(randomBytes(32)), startScheduler: false });
    const sender = { id: 'bench', trusted: true };
    const timeIt = async (req: Record<string, unknown>) => {
      const xs: number[] = [];
      for (let i = 0; i < 9; i++) {
        const s = performance.now();
        const r = await core.router.dispatch('dr:recoveryPoints.list', { policyId, ...req }, sender);
        xs.push(performance.now() - s);
        if (!r.ok) throw new Error(r.error.message);
      }
      return median(xs);
    };
    const n = RECOVERY_POINTS.toLocaleString('en');
    record(`recovery points: first page of 100 over ${n} (IPC router)`, await timeIt({ offset: 0, limit: 100 }), 'ms', 150);
    record(`recovery points: page at offset ${Math.floor(RECOVERY_POINTS / 2)} (IPC router)`, await timeIt({ offset: Math.floor(RECOVERY_POINTS / 2), limit: 100 }), 'ms', 150);
    record(`recovery points: filter status=succeeded (IPC router)`, await timeIt({ offset: 0, limit: 100, status: 'succeeded' }), 'ms', 16);
    record(`recovery points: search by time prefix (IPC router)`, await timeIt({ offset: 0, limit: 100, query: '2026-02-1' }), 'ms', 16);
    await core.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${rows.length} figures measured.`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
