// The failover report for 1,000 resources (DESIGN.md §6: under 3 s): a failover job seeded straight
// into a console file (2,000 steps, some failed and retried, 3,000 mappings, a delivered webhook),
// then the report model, its HTML, the PDF printed by headless Chromium, CSV and JSON, timed apart;
// the print is split into its phases (page opened, report loaded, PDF printed) in wall and CPU time.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { composeCore } from '../main/compose';
import { StaticKeyProvider } from '../main/credentials/static-key-provider';
import { chainUnchained } from '../main/db/audit-chain';
import { openDatabase } from '../main/db/connection';
import { buildPayload, serializePayload } from '../main/core/webhooks/payload';
import { CHROMIUM_PATH, launchChromium } from '../test/e2e/harness';
import { chromiumPdfPrinter } from '../test/helpers/chromium-pdf';
import { cpuBetween, descendantsCpu, ownCpu } from './process-cpu';
import { median, record, skip } from './report';

export function seedForBench(dir: string, resources: number): string {
  const db = openDatabase(join(dir, 'console.sqlite'));
  const t0 = Date.parse('2026-11-30T08:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  db.transaction(() => {
    db.prepare(`INSERT INTO accounts (id, name, provider, cloud, credential_kind, secret, created_at) VALUES ('acc_r','Bench AWS','sim','aws','none',X'',?)`).run(iso(t0));
    const env = db.prepare(`INSERT INTO environments (id, account_id, name, region, scope, created_at) VALUES (?, 'acc_r', ?, ?, '111122223333', ?)`);
    env.run('env_rs', 'Prod', 'us-east-1', iso(t0));
    env.run('env_rt', 'DR', 'us-west-2', iso(t0));
    db.prepare(
      `INSERT INTO policies (id, name, source_environment_id, target_environment_id, state, failover_job_id, created_at, updated_at) VALUES ('pol_r','Payments (bench)','env_rs','env_rt','failed_over','job_rf',?,?)`,
    ).run(iso(t0), iso(t0));
    db.prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at, started_at, finished_at) VALUES ('job_rr','pol_r','replication','succeeded','manual',?,?,?)`).run(iso(t0), iso(t0), iso(t0 + 60_000));
    db.prepare(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at, completed_at) VALUES ('rp_r','pol_r','job_rr','succeeded',?,?)`).run(iso(t0), iso(t0 + 60_000));
    const start = t0 + 3 * 3_600_000;
    db.prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, recovery_point_id, created_at, started_at, finished_at) VALUES ('job_rf','pol_r','failover','partially_failed','manual','rp_r',?,?,?)`).run(
      iso(start),
      iso(start),
      iso(start + 40 * 60_000),
    );
    const res = db.prepare(`INSERT INTO protected_resources (id, policy_id, type, native_id, name, added_at) VALUES (?, 'pol_r', 'aws.ec2-instance', ?, ?, ?)`);
    const step = db.prepare(
      `INSERT INTO job_steps (id, job_id, seq, protected_resource_id, action, status, attempts, idempotency_key, params, error, error_code, started_at, finished_at) VALUES (?, 'job_rf', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const map = db.prepare(`INSERT INTO resource_mappings (job_id, step_id, protected_resource_id, source_id, kind, name, target_id, reused) VALUES ('job_rf', ?, ?, ?, ?, ?, ?, 0)`);
    for (let i = 0; i < resources; i++) {
      const id = `res_${i}`;
      res.run(id, `i-${i.toString(16).padStart(17, '0')}`, `app-${String(i).padStart(4, '0')}`, iso(t0));
      const s0 = start + (i % 50) * 30_000;
      const failed = i % 97 === 5;
      const attempts = i % 13 === 0 ? 3 : 1;
      step.run(`st_f${i}`, 2 * i + 1, id, 'failover', failed ? 'failed' : 'succeeded', attempts, `k_f${i}`, JSON.stringify({ recoveryPointId: 'rp_r' }), failed ? 'RunInstances: InsufficientInstanceCapacity in us-west-2b.' : null, failed ? 'ProviderUnavailable' : null, iso(s0), iso(s0 + 90_000));
      step.run(`st_s${i}`, 2 * i + 2, id, 'stopReplication', failed ? 'skipped' : 'succeeded', failed ? 0 : 1, `k_s${i}`, '{}', null, null, failed ? null : iso(s0 + 90_000), failed ? null : iso(s0 + 100_000));
      if (!failed) {
        map.run(`st_f${i}`, id, `i-${i}`, 'Instance', `app-${i}`, `i-t${i}`);
        map.run(`st_f${i}`, id, `vol-${i}`, 'Volume', `app-${i}:/dev/xvda`, `vol-t${i}`);
        map.run(`st_f${i}`, id, `eni-${i}`, 'NetworkInterface', `app-${i}:eth0`, `eni-t${i}`);
      }
    }
    const rows = db.prepare(`SELECT protected_resource_id AS protectedResourceId, source_id AS sourceId, kind, name, target_id AS targetId FROM resource_mappings WHERE job_id = 'job_rf' ORDER BY id`).all() as never[];
    const body = serializePayload(buildPayload('Payments (bench)', rows));
    db.prepare(
      `INSERT INTO webhook_deliveries (id, policy_id, job_id, url, body, status, attempts, next_attempt_at, last_status, created_at, delivered_at, event, signed) VALUES ('whd_r','pol_r','job_rf','https://hooks.example.net/dr',?,'delivered',1,?,200,?,?,'failover',1)`,
    ).run(body, iso(start), iso(start + 40 * 60_000), iso(start + 40 * 60_000 + 500));
    const audit = db.prepare(`INSERT INTO audit_log (at, actor, action, subject_id, detail) VALUES (?, 'operator', ?, 'pol_r', ?)`);
    for (let i = 0; i < 200; i++) audit.run(iso(t0 + i * 1000), 'policy.update', `entry ${i}`);
    // Linked as the console links its entries, so the report's chain head and Verify are real.
    chainUnchained(db);
  })();
  db.close();
  return 'job_rf';
}

export async function benchFailoverReport(resources: number, runs: number): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) {
    skip('report', `Chromium not found at ${CHROMIUM_PATH}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fc-bench-report-'));
  const browser = await launchChromium();
  const core = composeCore({
    dataDir: dir,
    keyProvider: new StaticKeyProvider(randomBytes(32)),
    startScheduler: false,
    startWebhooks: false,
    resumeJobs: false,
    reportOutput: { choosePath: (req) => Promise.resolve(join(dir, req.defaultName)), printPdf: chromiumPdfPrinter(browser) },
  });
  try {
    const jobId = seedForBench(dir, resources);
    const reports = core.services.reports;
    // Wall and CPU time per phase: model and HTML in Node; opening a page, loading the report (its
    // fonts included) and printing it in Chromium. Under load the wall times swell; CPU times do not.
    const wall = { model: [] as number[], html: [] as number[], open: [] as number[], load: [] as number[], print: [] as number[], total: [] as number[] };
    const cpu = { model: [] as number[], html: [] as number[], open: [] as number[], load: [] as number[], print: [] as number[], total: [] as number[] };
    let at = { wall: 0, node: 0, chromium: descendantsCpu() };
    const stamp = () => ({ wall: performance.now(), node: ownCpu(), chromium: descendantsCpu() });
    const phase = (name: keyof typeof wall) => {
      const now = stamp();
      wall[name].push(now.wall - at.wall);
      cpu[name].push(now.node - at.node + (cpuBetween(at.chromium, now.chromium) ?? 0));
      at = now;
    };
    const printPdf = chromiumPdfPrinter(browser, { mark: phase });
    const t = { csv: [] as number[], json: [] as number[], exported: [] as number[] };
    let pages = 0;
    for (let i = 0; i < runs; i++) {
      at = stamp();
      const start = at;
      const report = reports.build(jobId);
      phase('model');
      const html = reports.render(report, 'html');
      phase('html');
      const pdf = await printPdf(html);
      wall.total.push(at.wall - start.wall);
      cpu.total.push(at.node - start.node + (cpuBetween(start.chromium, at.chromium) ?? 0));
      pages = (Buffer.from(pdf).toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      let s = performance.now();
      reports.render(report, 'csv');
      t.csv.push(performance.now() - s);
      s = performance.now();
      reports.render(report, 'json');
      t.json.push(performance.now() - s);
      s = performance.now();
      const r = await core.router.dispatch('dr:reports.export', { jobId, format: 'pdf' }, { id: 'bench', trusted: true });
      if (!r.ok) throw new Error(r.error.message);
      t.exported.push(performance.now() - s);
    }
    const n = resources.toLocaleString('en');
    const split = (x: Record<string, number[]>) => (['model', 'html', 'open', 'load', 'print'] as const).map((k) => `${k} ${median(x[k]!).toFixed(0)}`).join(', ');
    const cpuKnown = descendantsCpu() !== null;
    record({ section: 'report', name: `failover report PDF for ${n} resources: model + HTML + Chromium print (median of ${runs})`, value: median(wall.total), unit: 'ms', target: 3000, note: `${pages} pages; wall ms: ${split(wall)}; load average ${loadavg()[0]!.toFixed(1)}` });
    if (cpuKnown) {
      record({ section: 'report', name: `the same, CPU time of Node and Chromium's processes (median of ${runs})`, value: median(cpu.total), unit: 'ms', note: `CPU ms: ${split(cpu)}; holds under load, where wall time does not` });
    }
    record({ section: 'report', name: `dr:reports.export pdf through the router, file written (median of ${runs})`, value: median(t.exported), unit: 'ms', target: 3000 });
    record({ section: 'report', name: `CSV for ${n} resources (median of ${runs})`, value: median(t.csv), unit: 'ms' });
    record({ section: 'report', name: `JSON for ${n} resources (median of ${runs})`, value: median(t.json), unit: 'ms' });
  } finally {
    await core.close();
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
