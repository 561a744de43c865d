// The operator's failover flows in the real console (headless Chromium, real core, sim provider,
// real SQLite): Failover from the latest point; Failover from an older point through "see more
// details"; Test failover twice then Reset; a failed point cannot be chosen. Controls are found by
// their accessible names. Screenshots in both themes, axe on every new screen.

import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { SimFaults, SimLatency } from '../../main/providers/sim';
import type { JobKind } from '../../shared/domain';
import { formatTime, machineTimeZone } from '../../shared/time-format';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

const SHOTS = resolve(import.meta.dirname, '../../test-results/screenshots');
const chromiumPresent = existsSync(CHROMIUM_PATH);
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
const mustRun = chromiumPresent || process.env.CI === 'true';

/** Screenshot in the light and the dark theme (the app follows the system scheme), with axe on both. */
async function shotBoth(page: Page, name: string, screen: string, focus?: Locator): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  if (focus) await focus.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    // Let transitions (progress fill, focus rings) settle before the picture.
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SHOTS, `flows-${name}-${scheme}.png`) });
    await expectAccessible(page, `${screen} (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function expectAccessible(page: Page, screen: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
}

/** The console's time display (the default zone setting: this machine's): "2026-11-26 10:42:07 UTC+00:00". */
function shownTime(iso: string): string {
  return formatTime(iso, machineTimeZone(), { seconds: true });
}

interface Bed {
  c: ConsoleHandle;
  latency: SimLatency;
  faults: SimFaults & { failTypes: string[]; failNames: string[] };
}

/** A console on the sim provider whose latency and faults the test can change while it runs. */
async function openBed(operations: string[] = ['replicate']): Promise<Bed> {
  const latency: SimLatency = { baseMs: 0, jitterMs: 0 };
  const faults = { failTypes: [] as string[], failNames: [] as string[], operations } as unknown as Bed['faults'];
  const c = await openConsole({ providers: { sim: { latency, faults }, aws: false } });
  return { c, latency, faults };
}

/** A policy over the rehearsal cloud's resources, made through the same router the UI uses. */
async function createPolicy(c: ConsoleHandle, name: string, opts: { cloud: 'azure' | 'aws'; webhookUrl?: string; take?: number }) {
  const accounts = await c.call('dr:accounts.list', {});
  const account = accounts.find((a) => a.simulated && a.cloud === opts.cloud);
  if (!account) throw new Error(`no simulated ${opts.cloud} account`);
  const envs = await c.call('dr:environments.list', { accountId: account.id });
  const [source, target] = envs;
  if (!source || !target) throw new Error('the rehearsal account needs two environments');
  const found = await c.call('dr:inventory.discover', { environmentId: source.id });
  const resources = found.slice(0, opts.take ?? found.length).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name }));
  return c.call('dr:policies.create', {
    name,
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources,
    schedule: null,
    webhookUrl: opts.webhookUrl ?? null,
  });
}

async function waitForJobs(c: ConsoleHandle, policyId: string, kind: JobKind, count: number, status = 'succeeded'): Promise<void> {
  await expect
    .poll(
      async () => {
        const jobs = await c.call('dr:jobs.list', { policyId, kind, offset: 0, limit: 100 });
        const open = jobs.items.filter((j) => j.status === 'running' || j.status === 'queued').length;
        return open > 0 ? -1 : jobs.items.filter((j) => j.status === status).length;
      },
      { timeout: 60_000 },
    )
    .toBe(count);
}

async function openPolicy(page: Page, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
  await page.getByRole('row', { name: new RegExp(name) }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}

async function replicate(c: ConsoleHandle, page: Page, policyId: string, times: number): Promise<void> {
  const run = page.getByRole('button', { name: 'Run replication' });
  for (let i = 1; i <= times; i++) {
    await expect(run).toBeEnabled();
    await run.click();
    await waitForJobs(c, policyId, 'replication', i);
    // Points created within one second must still be told apart by the time the operator sees
    // (whole seconds): wait until the clock has left the newest point's second, however long that takes.
    const newest = (await c.call('dr:recoveryPoints.list', { policyId, offset: 0, limit: 1 })).items[0];
    if (newest) await expect.poll(() => new Date().toISOString().slice(0, 19) > newest.createdAt.slice(0, 19), { timeout: 10_000 }).toBe(true);
  }
  await expect(run).toBeEnabled();
}

function header(page: Page): Locator {
  return page.locator('.details-header');
}

function webhookReceiver(): Promise<{ server: Server; url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      ok({ server, bodies, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/failover-hook` });
    }),
  );
}

test.describe(mustRun ? 'Failover flows in Chromium' : `Failover flows in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);

  test('Failover → the confirmation shows the latest point’s time → OK → the policy is failed over and read-only', async () => {
    const { c, latency } = await openBed();
    const hook = await webhookReceiver();
    try {
      const { page } = c;
      await page.getByRole('button', { name: 'Create rehearsal workspace' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Policies' })).toBeVisible();
      const policy = await createPolicy(c, 'Payments west', { cloud: 'azure', webhookUrl: hook.url });
      await openPolicy(page, 'Payments west');
      await replicate(c, page, policy.id, 2);

      const points = await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
      const latest = points.items[0]!;
      expect(points.items).toHaveLength(2);

      await header(page).getByRole('button', { name: 'Failover', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Payments west' });
      await expect(dialog).toBeVisible();
      const time = dialog.getByTestId('failover-point-time');
      await expect(time).toHaveAttribute('datetime', latest.createdAt);
      await expect(time).toHaveText(shownTime(latest.createdAt));
      await expect(dialog.getByRole('region', { name: 'Latest recovery point' })).toBeVisible();
      await expect(dialog.getByRole('button', { name: 'see more details' })).toBeVisible();
      await expect(dialog.getByText(hook.url)).toBeVisible();
      const ok = dialog.getByRole('button', { name: 'OK', exact: true });
      // Irreversible: OK waits for a deliberate tick.
      await expect(ok).toBeDisabled();
      await shotBoth(page, '01-confirm-latest', 'failover confirmation (latest point)');

      // Slow the cloud down so the running job can be seen and photographed.
      latency.baseMs = 400;
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      await expect(ok).toBeEnabled();
      await ok.click();
      await expect(dialog).toBeHidden();
      await expect(page.getByRole('tab', { name: 'Jobs', selected: true })).toBeVisible();
      await expect(page.getByRole('heading', { name: 'Failover job' })).toBeVisible();
      await expect(page.getByRole('progressbar', { name: 'Failover progress' })).toBeVisible();
      await expect(header(page).getByText('Failing over')).toBeVisible();
      await shotBoth(page, '02-failover-running', 'failover job running');
      await shotBoth(page, '02b-failover-running-steps', 'failover job running (steps)', page.getByRole('heading', { name: 'Failover job' }));
      latency.baseMs = 0;

      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header(page).getByText('Failed over')).toBeVisible();
      for (const name of ['Failover', 'Test failover', 'Run replication', 'Reset', 'Edit', 'Delete']) {
        await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
      }
      await expect(page.getByText(/create a new policy/)).toBeVisible();
      // The finished job: resource mapping (source → target) and the webhook's delivery.
      const panel = page.getByRole('region', { name: 'Resource mapping: source to target' });
      await expect(panel.getByRole('row').nth(1)).toBeVisible();
      // The job's state, not its transient "completed" toast (gone after a few seconds on a busy machine).
      const jobRow = page.getByRole('table', { name: 'Jobs of this policy, newest first' }).getByRole('row').filter({ hasText: 'Failover job' });
      await expect(jobRow.getByRole('cell', { name: 'Succeeded', exact: true })).toBeVisible();
      // The delivery runs in the outbox after the job ends: wait for its stored state through the
      // router, then show the tab again so the job view reads it (it is not pushed to the page).
      const failoverJob = (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 1 })).items[0]!;
      await expect.poll(async () => (await c.call('dr:webhooks.list', { jobId: failoverJob.id })).map((d) => d.status), { timeout: 60_000 }).toEqual(['delivered']);
      await page.getByRole('tab', { name: 'Resources' }).click();
      await page.getByRole('tab', { name: 'Jobs' }).click();
      await expect(page.getByRole('region', { name: 'Webhook deliveries' }).getByRole('cell', { name: 'Delivered', exact: true })).toBeVisible();
      await shotBoth(page, '03-failover-finished', 'failover job finished', page.getByRole('heading', { name: 'Failover job' }));
      await shotBoth(page, '03b-failover-mapping-webhook', 'failover mapping and webhook', page.getByRole('heading', { name: 'Resource mapping' }));

      const jobs = await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 });
      expect(jobs.items[0]?.recoveryPointId).toBe(latest.id);
      const mappings = await c.call('dr:jobs.mappings', { jobId: jobs.items[0]!.id });
      await expect(panel.getByRole('row')).toHaveCount(mappings.length + 1);
      expect(hook.bodies.length).toBeGreaterThan(0);

      await page.getByRole('tab', { name: 'Resources' }).click();
      await shotBoth(page, '04-failed-over-policy', 'failed-over policy');

      // The list says so too, and offers no Failover for it.
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      const row = page.getByRole('row', { name: /Payments west/ });
      await expect(row.getByText('Failed over')).toBeVisible();
      await expect(row.getByRole('button', { name: 'Failover', exact: true })).toHaveCount(0);
      await shotBoth(page, '05-policies-failed-over', 'policies list with a failed-over policy');

      // A replayed start is refused by main, whatever the UI shows.
      const again = await c.invoke('dr:failover.prepare', { policyId: policy.id });
      expect(again.ok).toBe(false);
    } finally {
      await c.close();
      hook.server.close();
    }
  });

  test('Failover → see more details → select an older successful point → Failover → confirm that point → OK', async () => {
    const { c } = await openBed();
    try {
      const { page } = c;
      await c.call('dr:workspace.createRehearsal', {});
      const policy = await createPolicy(c, 'Orders east', { cloud: 'azure' });
      await page.reload();
      await openPolicy(page, 'Orders east');
      await replicate(c, page, policy.id, 3);
      const points = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 })).items;
      expect(points).toHaveLength(3);
      const older = points[1]!;

      await header(page).getByRole('button', { name: 'Failover', exact: true }).click();
      const first = page.getByRole('dialog', { name: 'Fail over Orders east' });
      await expect(first.getByTestId('failover-point-time')).toHaveAttribute('datetime', points[0]!.createdAt);
      await first.getByRole('button', { name: 'see more details' }).click();
      await expect(first).toBeHidden();
      await expect(page.getByRole('tab', { name: 'Recovery points', selected: true })).toBeVisible();

      const slot = page.getByTestId('failover-source');
      // Labelled with the selected point once there is one ("Failover from …").
      const failover = slot.getByRole('button', { name: /^Failover/ });
      await expect(failover).toBeDisabled();
      const options = page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option');
      await expect(options).toHaveCount(3);
      await options.filter({ hasText: shownTime(older.createdAt) }).click();
      await expect(options.filter({ hasText: shownTime(older.createdAt) })).toHaveAttribute('aria-selected', 'true');
      await expect(slot).toContainText(shownTime(older.createdAt));
      await expect(failover).toBeEnabled();
      await shotBoth(page, '06-recovery-points-selected', 'recovery points with a selected point');

      await failover.click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Orders east' });
      await expect(dialog.getByRole('region', { name: 'Selected recovery point' })).toBeVisible();
      const time = dialog.getByTestId('failover-point-time');
      await expect(time).toHaveAttribute('datetime', older.createdAt);
      await expect(time).toHaveText(shownTime(older.createdAt));
      // Types that always use the latest point say so.
      const plan = await c.call('dr:failover.prepare', { policyId: policy.id, recoveryPointId: older.id });
      if (plan.resources.some((r) => r.usesLatestPoint)) {
        await expect(dialog.getByText(/always use the latest successful recovery point/)).toBeVisible();
      }
      await shotBoth(page, '07-confirm-selected', 'failover confirmation (selected point)');
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      await dialog.getByRole('button', { name: 'OK', exact: true }).click();
      await expect(dialog).toBeHidden();
      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header(page).getByText('Failed over')).toBeVisible();

      const jobs = await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 });
      const job = await c.call('dr:jobs.get', { jobId: jobs.items[0]!.id });
      expect(job.recoveryPointId).toBe(older.id);
      expect(job.status).toBe('succeeded');
      // On the failed-over policy, the Recovery points tab offers no Failover either.
      await page.getByRole('tab', { name: 'Recovery points' }).click();
      await expect(page.getByTestId('failover-source').getByRole('button', { name: 'Failover', exact: true })).toHaveCount(0);
    } finally {
      await c.close();
    }
  });

  test('Test failover twice → test resources up → Reset → 0 up', async () => {
    const { c } = await openBed();
    try {
      const { page } = c;
      await c.call('dr:workspace.createRehearsal', {});
      const policy = await createPolicy(c, 'Catalog rehearsal', { cloud: 'aws' });
      await page.reload();
      await openPolicy(page, 'Catalog rehearsal');
      await replicate(c, page, policy.id, 1);
      await expect(header(page).getByRole('button', { name: 'Test failover' })).toBeVisible();
      await expect(page.getByRole('button', { name: '0 test resources up' })).toBeVisible();

      for (let i = 1; i <= 2; i++) {
        await header(page).getByRole('button', { name: 'Test failover' }).click();
        const dialog = page.getByRole('dialog', { name: 'Test failover Catalog rehearsal' });
        await expect(dialog).toBeVisible();
        await expect(dialog.getByText(/can be run many times/)).toBeVisible();
        if (i === 1) await shotBoth(page, '08-test-failover', 'test failover dialog');
        await dialog.getByRole('button', { name: 'Run test failover' }).click();
        await expect(dialog).toBeHidden();
        await waitForJobs(c, policy.id, 'test_failover', i);
      }
      const live = await c.call('dr:testResources.list', { policyId: policy.id });
      expect(live.length).toBeGreaterThan(0);
      const upButton = page.getByRole('button', { name: `${live.length} test resources up` });
      await expect(upButton).toBeVisible();
      await upButton.click();
      const list = page.getByRole('dialog', { name: /Test resources up/ });
      await expect(list.getByRole('row')).toHaveCount(live.length + 1);
      await list.getByRole('button', { name: 'Close' }).click();

      await header(page).getByRole('button', { name: 'Reset' }).click();
      const reset = page.getByRole('dialog', { name: 'Reset test resources of Catalog rehearsal' });
      await expect(reset.getByRole('row')).toHaveCount(live.length + 1);
      await expect(reset.getByText(live[0]!.name)).toBeVisible();
      await shotBoth(page, '09-reset', 'reset confirmation');
      await reset.getByRole('button', { name: 'Reset', exact: true }).click();
      await expect(reset).toBeHidden();
      await waitForJobs(c, policy.id, 'reset', 1);
      await expect(page.getByRole('button', { name: '0 test resources up' })).toBeVisible();
      expect(await c.call('dr:testResources.list', { policyId: policy.id })).toEqual([]);
      // Test failover never touched production replication: the policy is still active.
      await expect(header(page).getByRole('button', { name: 'Run replication' })).toBeEnabled();
      await shotBoth(page, '10-after-reset', 'jobs after reset');
    } finally {
      await c.close();
    }
  });

  test('a failed recovery point cannot be selected for failover', async () => {
    const { c, faults } = await openBed();
    try {
      const { page } = c;
      await c.call('dr:workspace.createRehearsal', {});
      const policy = await createPolicy(c, 'Ledger', { cloud: 'aws', take: 4 });
      await page.reload();
      await openPolicy(page, 'Ledger');
      await replicate(c, page, policy.id, 1);
      // From now on every capture in the simulated cloud fails.
      faults.failTypes.push(...policy.resources.map((r) => r.type));
      await page.getByRole('button', { name: 'Run replication' }).click();
      await expect
        .poll(async () => (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 5 })).items[0]?.status, {
          timeout: 60_000,
        })
        .toMatch(/failed|partial/);
      const [bad, good] = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 5 })).items;

      await page.getByRole('tab', { name: 'Recovery points' }).click();
      const options = page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option');
      await expect(options).toHaveCount(2);
      const badOption = options.filter({ hasText: shownTime(bad!.createdAt) });
      await expect(badOption).toHaveAttribute('aria-disabled', 'true');
      await expect(badOption).toContainText('Not selectable');
      // A person can still click it (to inspect it); aria-disabled only tells Playwright not to bother.
      await badOption.click({ force: true });
      await expect(badOption).toHaveAttribute('aria-selected', 'false');
      await expect(page.getByText(/Cannot be used for failover/)).toBeVisible();
      const slot = page.getByTestId('failover-source');
      await expect(slot.getByRole('button', { name: 'Failover', exact: true })).toBeDisabled();
      await shotBoth(page, '11-failed-point', 'recovery points with a failed point');

      await options.filter({ hasText: shownTime(good!.createdAt) }).click();
      await expect(slot).toContainText(shownTime(good!.createdAt));
      // Main refuses a failed point too, whatever a page sends.
      const refused = await c.invoke('dr:failover.prepare', { policyId: policy.id, recoveryPointId: bad!.id });
      expect(refused.ok).toBe(false);
    } finally {
      await c.close();
    }
  });
  test('a failover step that fails shows why and what waits for it; Retry failed items completes the same failover', async () => {
    const { c, faults } = await openBed(['replicate', 'failover']);
    try {
      const { page } = c;
      await c.call('dr:workspace.createRehearsal', {});
      const policy = await createPolicy(c, 'Billing north', { cloud: 'azure' });
      await page.reload();
      await openPolicy(page, 'Billing north');
      await replicate(c, page, policy.id, 1);
      const vm = policy.resources.find((r) => r.type === 'azure.vm');
      expect(vm).toBeDefined();
      // The target refuses this VM's failover until the operator has "fixed" it.
      faults.failNames.push(vm!.name);

      await header(page).getByRole('button', { name: 'Failover', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Billing north' });
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      await dialog.getByRole('button', { name: 'OK', exact: true }).click();
      await expect(dialog).toBeHidden();
      await expect
        .poll(async () => (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 })).items[0]?.status, {
          timeout: 60_000,
        })
        .toMatch(/^(failed|partially_failed)$/);

      // Not failed over yet, and nothing offers a second failover.
      await expect(header(page).getByText('Failing over')).toBeVisible();
      await expect(header(page).getByRole('button', { name: 'Failover', exact: true })).toHaveCount(0);
      const steps = page.getByRole('region', { name: 'Steps of the selected job' });
      await expect(steps.getByRole('row', { name: new RegExp(vm!.name) }).getByText('Failed').first()).toBeVisible();
      await expect(steps.getByText(/injected/).first()).toBeVisible();
      const job = (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 })).items[0]!;
      const details = await c.call('dr:jobs.get', { jobId: job.id });
      // Failed rows come first, whatever their place in the journal (here not first): seen without scrolling.
      expect(details.steps[0]!.status).not.toBe('failed');
      await expect(steps.getByRole('row').nth(1)).toContainText(vm!.name);
      await expect(steps.getByRole('row').nth(1)).toContainText('Failed');
      if (details.steps.some((s) => s.status === 'pending' || s.status === 'skipped')) {
        await expect(steps.getByText(/^Waiting for/).first()).toBeVisible();
      }
      const retry = page.getByRole('button', { name: 'Retry failed items' });
      await expect(retry).toBeVisible();
      await expect(page.getByText(/it is not a second failover/)).toBeVisible();
      await shotBoth(page, '12-failover-failed-step', 'failover with a failed step', page.getByRole('heading', { name: 'Failover job' }));

      faults.failNames.length = 0;
      await retry.click();
      await waitForJobs(c, policy.id, 'failover', 1);
      await expect(header(page).getByText('Failed over')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Retry failed items' })).toHaveCount(0);
      const all = await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 });
      expect(all.items.map((j) => j.id)).toEqual([job.id]);
    } finally {
      await c.close();
    }
  });
  test('the policy form takes a write-only webhook secret and the test-failover opt-in; Failover from the list can be cancelled', async () => {
    const { c } = await openBed();
    try {
      const { page } = c;
      await c.call('dr:workspace.createRehearsal', {});
      const policy = await createPolicy(c, 'Search west', { cloud: 'aws', take: 3 });
      await page.reload();
      await openPolicy(page, 'Search west');

      const goToSchedule = async () => {
        await header(page).getByRole('button', { name: 'Edit', exact: true }).click();
        const form = page.getByRole('dialog', { name: 'Edit policy' });
        await expect(form).toBeVisible();
        for (let i = 0; i < 3; i++) await form.getByRole('button', { name: 'Next' }).click();
        await expect(form.getByLabel('Webhook URL')).toBeVisible();
        return form;
      };
      let form = await goToSchedule();
      await form.getByLabel('Webhook URL').fill('https://hooks.example.com/search');
      await form.getByLabel('Webhook signing secret').fill('short');
      await form.getByRole('button', { name: 'Next' }).click();
      await expect(form.getByText('Use at least 16 characters for the signing secret.')).toBeVisible();
      await form.getByLabel('Webhook signing secret').fill('s3cret-s3cret-s3cret');
      await form.getByRole('checkbox', { name: 'Also send for test failovers' }).check();
      await form.getByRole('button', { name: 'Next' }).click();
      await expect(form.getByText('Signed with the new secret; also sent for test failovers')).toBeVisible();
      await form.getByRole('button', { name: 'Save changes' }).click();
      await expect(form).toBeHidden();
      const saved = await c.call('dr:policies.get', { policyId: policy.id });
      expect(saved).toMatchObject({ webhookUrl: 'https://hooks.example.com/search', webhookSigned: true, webhookOnTestFailover: true });
      expect(JSON.stringify(saved)).not.toContain('s3cret');

      // Reopened: the secret is not shown, only that one is stored.
      form = await goToSchedule();
      await expect(form.getByLabel('Webhook signing secret')).toHaveValue('');
      await expect(form.getByText(/A secret is stored — leave empty to keep it/)).toBeVisible();
      await expect(form.getByRole('checkbox', { name: 'Also send for test failovers' })).toBeChecked();
      await shotBoth(page, '13-policy-form-secret', 'policy form with a stored webhook secret');
      await form.getByRole('button', { name: 'Cancel' }).click();

      // Failover from the policies list opens the same confirmation; Cancel changes nothing.
      await replicate(c, page, policy.id, 1);
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await page.getByRole('row', { name: /Search west/ }).getByRole('button', { name: 'Failover', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Search west' });
      await expect(dialog.getByTestId('failover-point-time')).toBeVisible();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toBeHidden();
      expect((await c.call('dr:policies.get', { policyId: policy.id })).state).toBe('active');
      expect((await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 5 })).total).toBe(0);
    } finally {
      await c.close();
    }
  });
});
