import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCore, type Core } from '../../../../main/compose';
import { StaticKeyProvider } from '../../../../main/credentials/static-key-provider';
import { createSimProvider } from '../../../../main/providers/sim';
import { seededRandom } from '../../../../main/providers/sim/prng';
import type { JobReport } from '../../../../main/core/reports/job-report';
import type { Channel, RequestOf, ResponseOf } from '../../../../shared/ipc/contract';
import { launchChromium } from '../../../e2e/harness';
import { growInventory, waitForJob } from '../../../fixtures/failover-scenario';
import { chromiumPdfPrinter } from '../../../helpers/chromium-pdf';
import { FAST, startReceiver, waitFor, type Receiver } from '../webhooks/webhook-fixtures';

// Done-when of the reports: a 50-resource failover on sim from an older recovery point, with a
// loopback webhook receiver; its PDF, CSV and JSON are exported through the router, read back and
// compared with the database file, and the PDF's pages are rendered to PNG with pdftoppm.

const ARTIFACTS = resolve('test-results/reports');

let browser: Browser;
let receiver: Receiver;
let core: Core;
let out: string;
let dir: string;
let jobId: string;
let olderPointId: string;
let policyName: string;

async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const r = await core.router.dispatch(channel, request, { id: 'test', trusted: true });
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.value as ResponseOf<C>;
}

beforeAll(async () => {
  browser = await launchChromium();
  receiver = await startReceiver();
  // One folder for the whole file: the failover is run once and its exports checked in turn.
  dir = mkdtempSync(join(tmpdir(), 'fc-report-'));
  out = join(dir, 'exports');
  mkdirSync(out);
  core = composeCore({
    dataDir: dir,
    keyProvider: new StaticKeyProvider(Buffer.alloc(32, 3)),
    startScheduler: false,
    webhooks: FAST,
    attribution: { osUser: () => 'dana', host: () => 'dr-laptop-07' },
    reportOutput: { choosePath: (req) => Promise.resolve(join(out, req.defaultName)), printPdf: chromiumPdfPrinter(browser) },
    providers: ({ db, clock }) => [createSimProvider({ db, clock, random: seededRandom('report') })],
  });
  const account = await call('dr:accounts.create', { name: 'Sim AWS', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
  const source = await call('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'us-east-1', scope: '111122223333' });
  const target = await call('dr:environments.create', { accountId: account.id, name: 'DR', region: 'us-west-2', scope: '111122223333' });
  await call('dr:inventory.discover', { environmentId: source.id });
  growInventory(core.db, account.id, 50);
  const found = (await call('dr:inventory.discover', { environmentId: source.id })).slice(0, 50);
  expect(found).toHaveLength(50);
  policyName = 'Payments <EU> "core"';
  const policy = await call('dr:policies.create', {
    name: policyName,
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: found.map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
    schedule: null,
    webhookUrl: receiver.url,
  });
  await call('dr:operator.set', { operatorName: 'Dana Reyes' });
  const first = await waitForJob(core, (await call('dr:replication.run', { policyId: policy.id })).jobId);
  expect(first.status).toBe('succeeded');
  olderPointId = first.recoveryPointId!;
  expect((await waitForJob(core, (await call('dr:replication.run', { policyId: policy.id })).jobId)).status).toBe('succeeded');
  const plan = await call('dr:failover.prepare', { policyId: policy.id, recoveryPointId: olderPointId });
  jobId = (await call('dr:failover.start', { token: plan.token })).jobId;
  expect((await waitForJob(core, jobId)).status).toBe('succeeded');
  await waitFor('the failover delivery', () => receiver.requests.length > 0 && core.services.webhooks.list(jobId)[0]?.status === 'delivered', 20_000);
}, 240_000);

afterAll(async () => {
  await core?.close();
  await receiver?.close();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The database file as another program would read it, without the console's code. */
function readFile<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(core.dataFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('the report of a 50-resource sim failover from an older recovery point', () => {
  it('exports JSON holding the job as stored and, byte for byte, the document the webhook receiver got', async () => {
    const saved = await call('dr:reports.export', { jobId, format: 'json' });
    expect(saved.path).toMatch(/failover-Payments-EU-core-\d{4}-\d\d-\d\d\.json$/);
    const bytes = readFileSync(saved.path!);
    expect(bytes.length).toBe(saved.bytes);
    const report = JSON.parse(bytes.toString('utf8')) as JobReport & { webhookBody: string; webhookDocument: { ResourceMapping: unknown[] } };

    const got = receiver.requests.find((q) => q.event === 'failover')!;
    const sent = Buffer.from(got.body, 'utf8');
    // The receiver's bytes appear whole in the file, and as the webhookBody string.
    expect(bytes.indexOf(sent)).toBeGreaterThan(0);
    expect(report.webhookBody).toBe(got.body);
    expect(JSON.stringify(report.webhookDocument.ResourceMapping)).toBe(JSON.stringify(JSON.parse(got.body).ResourceMapping));
    expect(report.webhookDocument.ResourceMapping.length).toBeGreaterThanOrEqual(50);

    const [job] = readFile<{ id: string; status: string; started_at: string; finished_at: string; recovery_point_id: string }>('SELECT * FROM jobs WHERE id = ?', jobId);
    expect(report.job).toMatchObject({ id: job!.id, status: job!.status, startedAt: job!.started_at, finishedAt: job!.finished_at, recoveryPointId: olderPointId });
    const steps = readFile<{ id: string; status: string; attempts: number; action: string }>('SELECT id, status, attempts, action FROM job_steps WHERE job_id = ? ORDER BY seq', jobId);
    expect(report.steps.map((s) => [s.id, s.status, s.attempts, s.action])).toEqual(steps.map((s) => [s.id, s.status, s.attempts, s.action]));
    const mappings = readFile<{ source_id: string; target_id: string; kind: string; name: string }>('SELECT source_id, target_id, kind, name FROM resource_mappings WHERE job_id = ? ORDER BY id', jobId);
    expect(report.mappings.map((m) => [m.sourceId, m.targetId, m.kind, m.name])).toEqual(mappings.map((m) => [m.source_id, m.target_id, m.kind, m.name]));

    const [point] = readFile<{ created_at: string }>('SELECT created_at FROM recovery_points WHERE id = ?', olderPointId);
    expect(report.resources).toHaveLength(50);
    for (const r of report.resources) {
      // AWS types all use the selected point (R6 has no "latest" AWS type).
      expect(r).toMatchObject({ recoveryPointId: olderPointId, recoveryPointAt: point!.created_at, usesLatestPoint: false, why: null, status: 'succeeded' });
    }
    const rpo = (Date.parse(job!.started_at) - Date.parse(point!.created_at)) / 1000;
    expect(report.rpoSeconds).toBeCloseTo(rpo, 2);
    expect(report.rtoSeconds).toBeCloseTo((Date.parse(job!.finished_at) - Date.parse(job!.started_at)) / 1000, 2);
    expect(report.operator).toEqual({ actorLabel: 'Dana Reyes (dana)', osUser: 'dana', operatorName: 'Dana Reyes', host: 'dr-laptop-07' });
    const [head] = readFile<{ id: number; hash: string }>('SELECT id, hash FROM audit_log WHERE id < (SELECT MAX(id) FROM audit_log) ORDER BY id DESC LIMIT 1');
    // The export itself appends one audit entry after the report was written: the head quoted is the one before it.
    expect(report.audit).toMatchObject({ headId: head!.id, headHash: head!.hash, verified: true });
    expect(report.webhookDeliveries[0]).toMatchObject({ status: 'delivered', url: receiver.url, body: got.body });
  });

  it('exports CSV with one row per resource mapping and one per step, equal to the database rows', async () => {
    const saved = await call('dr:reports.export', { jobId, format: 'csv' });
    const rows = parse(readFileSync(saved.path!, 'utf8'), { columns: true }) as Record<string, string>[];
    const mappings = readFile<{ protected_resource_id: string; source_id: string; target_id: string; kind: string; name: string; reused: number }>(
      'SELECT * FROM resource_mappings WHERE job_id = ? ORDER BY id',
      jobId,
    );
    const steps = readFile<{ id: string; seq: number; action: string; status: string; attempts: number; started_at: string; finished_at: string; error: string | null }>(
      'SELECT * FROM job_steps WHERE job_id = ? ORDER BY seq',
      jobId,
    );
    const mappingRows = rows.filter((r) => r.record === 'mapping');
    const stepRows = rows.filter((r) => r.record === 'step');
    expect(rows).toHaveLength(mappings.length + steps.length);
    expect(mappingRows.map((r) => [r.protected_resource_id, r.source_id, r.target_id, r.kind, r.name, r.reused])).toEqual(
      mappings.map((m) => [m.protected_resource_id, m.source_id, m.target_id, m.kind, m.name, m.reused ? 'true' : 'false']),
    );
    expect(stepRows.map((r) => [r.step_id, Number(r.step_seq), r.action, r.status, Number(r.attempts), r.started_at, r.finished_at, r.error])).toEqual(
      steps.map((s) => [s.id, s.seq, s.action, s.status, s.attempts, s.started_at, s.finished_at, s.error ?? '']),
    );
    for (const r of rows) expect(r.policy).toBe(policyName);
    expect(stepRows.filter((r) => r.action === 'failover').every((r) => r.recovery_point_id === olderPointId)).toBe(true);
  });

  it('exports a PDF that pdftoppm renders to pages, the first saved under test-results/reports', async () => {
    const saved = await call('dr:reports.export', { jobId, format: 'pdf' });
    const pdf = readFileSync(saved.path!);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = join(out, 'pages');
    mkdirSync(pages);
    execFileSync('pdftoppm', ['-png', '-r', '70', saved.path!, join(pages, 'page')]);
    const pngs = readdirSync(pages).filter((f) => f.endsWith('.png')).sort();
    // Summary, 50 resources, the timeline, mapping and the webhook body do not fit on one page.
    expect(pngs.length).toBeGreaterThanOrEqual(3);
    const text = execFileSync('pdftotext', ['-layout', saved.path!, '-']).toString('utf8');
    expect(text).toContain(`Failover report: ${policyName}`);
    expect(text).toContain('Achieved RPO');
    expect(text).toContain('Measured RTO');
    expect(text).toContain('Dana Reyes (dana)');
    expect(text).toContain('dr-laptop-07');
    expect(text).toContain(olderPointId);
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [i, f] of pngs.entries()) copyFileSync(join(pages, f), join(ARTIFACTS, `failover-50-page-${i + 1}.png`));
  });

  it('refuses a replication job with a sentence and writes nothing', async () => {
    const replication = (await call('dr:jobs.list', { kind: 'replication', offset: 0, limit: 1 })).items[0]!;
    const before = readdirSync(out).length;
    const r = await core.router.dispatch('dr:reports.export', { jobId: replication.id, format: 'pdf' }, { id: 'test', trusted: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'PreconditionFailed', message: expect.stringMatching(/failover, test failover and reset jobs/) });
    expect(readdirSync(out).length).toBe(before);
  });
});

describe('the report of a test failover from an older point on Azure', () => {
  // A typed Azure scope (shared/scope.ts): the subscription is a GUID, the resource group a name.
  const SUBSCRIPTION = '3f2b8c1e-5a4d-4e7b-9c6a-2d1e0f9b8a7c';
  it('says which resources used the latest point instead, and why (R6)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fc-report-r6-'));
    const c = composeCore({
      dataDir: d,
      keyProvider: new StaticKeyProvider(Buffer.alloc(32, 4)),
      startScheduler: false,
      startWebhooks: false,
      providers: ({ db, clock }) => [createSimProvider({ db, clock, random: seededRandom('r6') })],
    });
    try {
      const run = async <C extends Channel>(channel: C, request: RequestOf<C>) => {
        const r = await c.router.dispatch(channel, request, { id: 'test', trusted: true });
        if (!r.ok) throw new Error(r.error.message);
        return r.value as ResponseOf<C>;
      };
      const account = await run('dr:accounts.create', { name: 'Sim Azure', provider: 'sim', cloud: 'azure', credentials: { kind: 'none' } });
      const source = await run('dr:environments.create', { accountId: account.id, name: 'Prod', region: 'westeurope', scope: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-prod' } });
      const target = await run('dr:environments.create', { accountId: account.id, name: 'DR', region: 'northeurope', scope: { subscriptionId: SUBSCRIPTION, resourceGroup: 'rg-dr' } });
      const found = await run('dr:inventory.discover', { environmentId: source.id });
      const policy = await run('dr:policies.create', {
        name: 'Shop',
        sourceEnvironmentId: source.id,
        targetEnvironmentId: target.id,
        resources: found.map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
        schedule: null,
        webhookUrl: null,
      });
      const older = await waitForJob(c, (await run('dr:replication.run', { policyId: policy.id })).jobId);
      const latest = await waitForJob(c, (await run('dr:replication.run', { policyId: policy.id })).jobId);
      const test = await waitForJob(c, (await run('dr:testFailover.run', { policyId: policy.id, recoveryPointId: older.recoveryPointId! })).jobId);
      expect(test.status).toBe('succeeded');
      const report = c.services.reports.build(test.id);
      const latestTypes = report.resources.filter((r) => r.type === 'azure.mysql-flexible' || r.type === 'azure.postgresql-flexible');
      expect(latestTypes.length).toBeGreaterThan(0);
      for (const r of latestTypes) {
        expect(r).toMatchObject({ usesLatestPoint: true, recoveryPointId: latest.recoveryPointId });
        expect(r.why).toMatch(/always fails over from the latest successful recovery point.*newer point than the one selected/);
      }
      for (const r of report.resources.filter((x) => !latestTypes.includes(x))) expect(r).toMatchObject({ usesLatestPoint: false, why: null, recoveryPointId: older.recoveryPointId });
      expect(report.kindLabel).toBe('Test failover');
    } finally {
      await c.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
