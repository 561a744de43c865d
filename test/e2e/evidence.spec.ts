// Evidence in the real console (headless Chromium, real core, sim provider, real SQLite): a test
// failover's report exported from the job view as PDF, CSV and JSON; the audit log with names
// instead of ids, filtered by policy, actor and kind, exported, attributed to an operator name, and
// Verify naming the entry that was changed in the database file. axe on both screens, both themes.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import Database from 'better-sqlite3';
import { expect, test, type Page } from '@playwright/test';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

const chromiumPresent = existsSync(CHROMIUM_PATH);
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
const mustRun = chromiumPresent || process.env.CI === 'true';
const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `evidence-${name}.png`) });
}

async function expectAccessible(page: Page, screen: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${screen} (${scheme}): ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** A rehearsal policy with one replication and one finished test failover, made through the router. */
async function policyWithTestFailover(c: ConsoleHandle, name: string) {
  await c.call('dr:workspace.createRehearsal', {});
  const account = (await c.call('dr:accounts.list', {})).find((a) => a.simulated && a.cloud === 'azure')!;
  const [source, target] = await c.call('dr:environments.list', { accountId: account.id });
  const found = await c.call('dr:inventory.discover', { environmentId: source!.id });
  const policy = await c.call('dr:policies.create', {
    name,
    sourceEnvironmentId: source!.id,
    targetEnvironmentId: target!.id,
    resources: found.map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
    schedule: null,
    webhookUrl: null,
  });
  const done = async (jobId: string) =>
    expect.poll(async () => (await c.call('dr:jobs.get', { jobId })).status, { timeout: 60_000 }).toBe('succeeded');
  await done((await c.call('dr:replication.run', { policyId: policy.id })).jobId);
  const { jobId } = await c.call('dr:testFailover.run', { policyId: policy.id });
  await done(jobId);
  return { policy, jobId };
}

test.describe(mustRun ? 'Evidence in Chromium' : `Evidence in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);

  test('the job view saves the test failover report as PDF, CSV and JSON', async () => {
    const c = await openConsole();
    try {
      const { policy, jobId } = await policyWithTestFailover(c, 'Orders west');
      const { page } = c;
      await page.goto(`${c.url}#/policies/${policy.id}/jobs`);
      const panel = page.getByRole('region', { name: 'Test failover job' });
      await expect(panel).toBeVisible();
      const group = panel.getByRole('group', { name: 'Job report' });
      for (const [label, ext] of [['Export PDF', 'pdf'], ['Export CSV', 'csv'], ['Export JSON', 'json']] as const) {
        await group.getByRole('button', { name: label }).click();
        const status = group.getByRole('status');
        await expect(status).toContainText(`Saved the ${ext.toUpperCase()} report to `);
        const path = (await status.textContent())!.replace(/^.* report to /, '');
        expect(path.endsWith(`.${ext}`)).toBe(true);
        const data = readFileSync(path);
        if (ext === 'pdf') expect(data.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        if (ext === 'json') expect(JSON.parse(data.toString('utf8'))).toMatchObject({ job: { id: jobId, kind: 'test_failover' }, policy: { name: 'Orders west' } });
        if (ext === 'csv') expect(data.toString('utf8').split('\n')[0]).toMatch(/^record,job_id,job_kind,policy,/);
      }
      await shot(page, 'job-report-exports');
      await expectAccessible(page, 'job view with report exports');
    } finally {
      await c.close();
    }
  });

  test('the audit log names what entries refer to, filters, exports, attributes and verifies the chain', async () => {
    const c = await openConsole();
    try {
      const { policy } = await policyWithTestFailover(c, 'Ledger north');
      const { page } = c;
      await page.goto(`${c.url}#/audit`);
      await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
      const table = page.getByRole('table', { name: 'Audit log entries' });
      const start = table.getByRole('row', { name: /testFailover\.start/ });
      await expect(start).toBeVisible();
      // Names, not ids: the policy by name, the job by kind and time, the point by its time.
      await expect(start).toContainText('policy Ledger north');
      await expect(start).toContainText(/Test failover job of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      await expect(start).toContainText(/recovery point of \d{4}-\d\d-\d\d/);
      for (const text of await table.locator('tbody').allInnerTexts()) expect(text).not.toMatch(/\b(job|rp|pol)_[A-Za-z0-9_-]{10,}/);

      // Filter by kind, then by policy and actor.
      const filters = page.getByRole('group', { name: 'Audit log filters' });
      await filters.getByLabel('Kind').selectOption({ label: 'Job status changes' });
      await expect(table.locator('tbody tr').first()).toContainText(/job\./);
      for (const action of await table.locator('tbody th').allInnerTexts()) expect(action).toMatch(/^job\./);
      await filters.getByLabel('Policy').selectOption({ label: 'Ledger north' });
      await filters.getByLabel('Actor').selectOption({ label: 'Console' });
      const filtered = await c.call('dr:audit.list', { kind: 'job', policyId: policy.id, actor: 'Console', offset: 0, limit: 100 });
      await expect(page.getByText(`1–${filtered.items.length} of ${filtered.total}`)).toBeVisible();
      await expectAccessible(page, 'audit log, filtered');
      await filters.getByRole('button', { name: 'Clear filters' }).click();

      // The operator name: a visible length limit; a longer name is kept whole, counted and refused
      // with a sentence (never cut as pasted); a fitting one is saved and carried by the next entries.
      const osUser = (await c.call('dr:operator.get', {})).osUser;
      const name = page.getByLabel('Operator name (optional)');
      await expect(page.getByText('0 / 80 characters')).toBeVisible();
      const long = 'Dana Reyes, incident commander on call for the payments platform, EU night shift rota';
      expect(long.length).toBeGreaterThan(80);
      await name.fill(long);
      await expect(name).toHaveValue(long);
      await expect(page.getByText(`${long.length} / 80 characters — ${long.length - 80} too many; shorten it to 80 or fewer.`)).toBeVisible();
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(page.getByText(`The operator name is ${long.length} characters; use at most 80.`)).toBeVisible();
      await expectAccessible(page, 'audit log, operator name over the limit');
      expect((await c.call('dr:operator.get', {})).operatorName).toBeNull();
      await name.fill('Dana Reyes');
      await expect(page.getByText('10 / 80 characters')).toBeVisible();
      await page.getByRole('button', { name: 'Save' }).click();
      await expect(table.getByRole('row', { name: /settings\.operatorName/ })).toContainText(`Dana Reyes (${osUser})`);

      // Export what the filters show.
      await page.getByRole('button', { name: 'Export CSV' }).click();
      await expect(page.getByText(/^Saved [\d,]+ bytes to /)).toBeVisible();
      const saved = (await page.getByText(/^Saved [\d,]+ bytes to /).textContent())!.replace(/^Saved [\d,]+ bytes to /, '');
      expect(readFileSync(saved, 'utf8')).toContain('settings.operatorName');

      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText('The audit chain verifies', { exact: true })).toBeVisible();
      await expect(page.getByText(/entries verify; the chain is intact/)).toBeVisible();
      await expectAccessible(page, 'audit log, verified');

      // Someone edits one entry in the database file with sqlite, not through the console.
      const victim = (await c.call('dr:audit.list', { offset: 2, limit: 1 })).items[0]!;
      const db = new Database(c.core.dataFile);
      db.prepare(`UPDATE audit_log SET detail = 'nothing happened here' WHERE id = ?`).run(victim.id);
      db.close();
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText('The audit chain is broken', { exact: true })).toBeVisible();
      await expect(page.getByText(`The audit chain is broken at entry ${victim.id}.`, { exact: false })).toBeVisible();
      await page.reload();
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(table.getByRole('row', { name: `Entry ${victim.id}, broken` })).toBeVisible();
      await shot(page, 'audit-broken-chain');
      await expectAccessible(page, 'audit log, broken chain');
    } finally {
      await c.close();
    }
  });
});
