// The console fixes of the 3 a.m. walk, each driven through the real console in headless Chromium
// (real core, sim provider, real SQLite) so that each of these tests would have caught its bug: one
// time zone everywhere with its UTC offset; the job view naming its recovery point and each
// resource's; one Failover on the Recovery points tab; progress in resources with elapsed time, an
// estimate and running rows first; one scroll container per page (the recovery points listbox
// included) and one-line ids; a picker that stays where the operator left it; toasts that never
// cover content and leave when their job's view is open; focus back on the opener; visible name
// limits; search and filters on Resources and steps. axe on every screen in both themes.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { seedHistory } from '../../bench/foundation';
import { formatTime, machineTimeZone } from '../../shared/time-format';
import { CHROMIUM_PATH, openConsole } from './harness';
import { VIEWPORTS, createPolicy, expectAccessible, nestedScrollers, openBed, openPolicy, replicate, shotBoth, waitForJobs, wrappedIds } from './console-bed';

const chromiumPresent = existsSync(CHROMIUM_PATH);
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
const mustRun = chromiumPresent || process.env.CI === 'true';

/** Every "2026-12-01 21:32[:07] UTC+01:00" in a text. */
const TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? UTC[+-]\d{2}:\d{2}/g;

const header = (page: Page): Locator => page.locator('.details-header');
/** The Failover actions on screen: the header's ("Failover") and the tab's ("Failover from …"). */
const failoverButtons = (page: Page): Locator => page.getByRole('button', { name: /^Failover( from .+)?$/ });

test.describe(mustRun ? 'Console fixes in Chromium' : `Console fixes in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);

  test('one time-zone setting: schedules, the confirmation (point and "latest" note) and refusal sentences all use it, with the UTC offset', async () => {
    test.setTimeout(240_000);
    const { c } = await openBed();
    try {
      const { page } = c;
      const policy = await createPolicy(c, 'Ledger south', { cloud: 'azure', schedule: '0 2 * * *' });
      await replicate(c, policy.id, 2);
      const [latest, older] = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 5 })).items;

      // Default: the machine's local zone, with its offset.
      const local = machineTimeZone();
      await page.getByRole('link', { name: 'Settings' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
      const zone = page.getByLabel('Show times in');
      await expect(zone).toHaveValue('local');
      await expect(page.getByRole('status').filter({ hasText: `Times are shown in ${local}` })).toBeVisible();
      await shotBoth(page, '01-settings', 'settings');
      await zone.selectOption('Asia/Tokyo');
      await expect(page.getByRole('status').filter({ hasText: 'Times are shown in Asia/Tokyo (UTC+09:00)' })).toBeVisible();
      expect((await c.call('dr:settings.get', {})).timeZone).toBe('Asia/Tokyo');

      // A schedule says which zone its hours are in.
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await expect(page.getByRole('row', { name: /Ledger south/ })).toContainText('Daily at 02:00 UTC+09:00 (Asia/Tokyo)');
      await shotBoth(page, '01b-policies', 'policies list');
      await openPolicy(page, 'Ledger south');
      await expect(page.locator('.facts')).toContainText('Daily at 02:00 UTC+09:00 (Asia/Tokyo)');

      // The confirmation: the point, every row and the "latest" note in one zone, the same text for the same instant.
      const opener = header(page).getByRole('button', { name: 'Failover', exact: true });
      await opener.click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Ledger south' });
      const shown = formatTime(latest!.createdAt, 'Asia/Tokyo', { seconds: true });
      await expect(dialog.getByTestId('failover-point-time')).toHaveText(shown);
      const plan = await c.call('dr:failover.prepare', { policyId: policy.id, recoveryPointId: older!.id });
      const latestType = plan.resources.find((r) => r.usesLatestPoint);
      expect(latestType, 'the rehearsal Azure inventory has a "latest" type (MySQL/PostgreSQL flexible server)').toBeDefined();
      await expect(dialog.getByText(`always fails over from the latest recovery point (${shown})`).first()).toBeVisible();
      const times = (await dialog.innerText()).match(TIME) ?? [];
      expect(times.length).toBeGreaterThan(plan.resources.length);
      expect(times.filter((t) => !t.endsWith('UTC+09:00'))).toEqual([]);
      await shotBoth(page, '02-confirmation-zone', 'failover confirmation in the chosen zone');

      // Esc: focus goes back to the Failover button that opened the confirmation.
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect(opener).toBeFocused();

      // A refusal sentence built in main: the policy is failed over meanwhile (another window).
      await opener.click();
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      const other = await c.call('dr:failover.prepare', { policyId: policy.id });
      await c.call('dr:failover.start', { token: other.token });
      await waitForJobs(c, policy.id, 'failover', 1);
      await dialog.getByRole('button', { name: 'OK', exact: true }).click();
      await expect(dialog.getByText(/Failover did not start/)).toBeVisible();
      await dialog.getByRole('button', { name: 'Prepare again' }).click();
      const refusal = dialog.getByText(/has already been failed over \(/);
      await expect(refusal).toBeVisible();
      const failedOverAt = (await c.call('dr:policies.get', { policyId: policy.id })).failedOverAt!;
      await expect(refusal).toContainText(`(${formatTime(failedOverAt, 'Asia/Tokyo', { seconds: true })})`);
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
    } finally {
      await c.close();
    }
  });

  test('failover from an older point: one Failover labelled with it, focus kept, progress in resources with an estimate, the job names every point, no nested scroll, one-line ids, filters', async () => {
    // Many screens, two sizes, two themes, axe on each: generous, so a machine twice as slow still passes.
    test.setTimeout(360_000);
    const { c, latency } = await openBed();
    try {
      const { page } = c;
      const policy = await createPolicy(c, 'Orders east', { cloud: 'azure' });
      const resources = policy.resources.length;
      await replicate(c, policy.id, 2);
      const [latest, older] = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 5 })).items;
      const zone = (await c.call('dr:settings.get', {})).resolvedTimeZone;
      const olderShown = formatTime(older!.createdAt, zone, { seconds: true });
      const latestShown = formatTime(latest!.createdAt, zone, { seconds: true });
      await openPolicy(page, 'Orders east');

      // Resources: search and filters.
      const resourcesPanel = page.getByRole('tabpanel', { name: 'Resources' });
      await expect(resourcesPanel.getByTestId('resources-count')).toHaveText(`${resources} resources`);
      const mysql = policy.resources.find((r) => r.type === 'azure.mysql-flexible')!;
      await resourcesPanel.getByRole('searchbox', { name: 'Search resources' }).fill(mysql.name);
      await expect(resourcesPanel.getByRole('row', { name: new RegExp(mysql.name) })).toBeVisible();
      await expect(resourcesPanel.getByTestId('resources-count')).toContainText(`of ${resources} resources`);
      await resourcesPanel.getByRole('searchbox', { name: 'Search resources' }).fill('');
      await resourcesPanel.getByLabel('Failover uses').selectOption('latest');
      const latestRows = resourcesPanel.getByRole('row').filter({ has: page.getByRole('rowheader') });
      const latestCount = policy.resources.filter((r) => ['azure.mysql-flexible', 'azure.postgresql-flexible'].includes(r.type)).length;
      await expect(latestRows).toHaveCount(latestCount);
      for (const row of await latestRows.all()) await expect(row).toContainText('Latest point');
      await resourcesPanel.getByLabel('Failover uses').selectOption('');
      await resourcesPanel.getByLabel('Type').selectOption({ label: 'Virtual machine' });
      for (const row of await latestRows.all()) await expect(row).toContainText('Virtual machine');
      await resourcesPanel.getByLabel('Type').selectOption('');
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        expect(await nestedScrollers(page, '.shell', ['.page-scroll'])).toEqual([]);
        expect(await wrappedIds(page)).toEqual([]);
        await shotBoth(page, '03-resources', 'policy details: resources');
      }
      await page.setViewportSize(VIEWPORTS[0]);

      // Recovery points: with a point selected, the header's Failover is gone and the tab's names the point.
      await page.getByRole('tab', { name: 'Recovery points' }).click();
      await expect(failoverButtons(page)).toHaveCount(2);
      await expect(page.getByTestId('failover-source').getByRole('button', { name: 'Failover', exact: true })).toBeDisabled();
      await page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option').filter({ hasText: olderShown }).click();
      const fromOlder = page.getByRole('button', { name: `Failover from ${olderShown}` });
      await expect(fromOlder).toBeEnabled();
      await expect(failoverButtons(page)).toHaveCount(1);
      await expect(header(page).getByRole('button', { name: 'Failover', exact: true })).toHaveCount(0);
      // One scroll container here too: the listbox scrolls with the page. The panel beside it shows a
      // few items (failed first) and fits the window; all of them are one click away, in a dialog.
      const panel = page.getByRole('complementary', { name: 'Recovery point details' });
      await expect(panel.getByRole('row')).toHaveCount(6 + 1);
      expect(await nestedScrollers(page, '.shell', ['.page-scroll'])).toEqual([]);
      await shotBoth(page, '04-recovery-points-selected', 'recovery points with a selected point');
      const showAll = panel.getByRole('button', { name: `Show all ${resources} items` });
      await showAll.click();
      const items = page.getByRole('dialog', { name: `Items of the recovery point of ${olderShown}` });
      await expect(items.getByRole('row')).toHaveCount(resources + 1);
      await shotBoth(page, '04b-recovery-point-items', 'all items of a recovery point');
      await page.keyboard.press('Escape');
      await expect(items).toBeHidden();
      await expect(showAll).toBeFocused();

      // The confirmation's resource table is not a scroll box of its own; Esc returns focus to the opener.
      await fromOlder.click();
      const dialog = page.getByRole('dialog', { name: 'Fail over Orders east' });
      await expect(dialog.getByTestId('failover-point-time')).toHaveText(olderShown);
      await expect(dialog.getByRole('row')).toHaveCount(resources + 1);
      expect(await nestedScrollers(page, '.modal', ['.modal-body'])).toEqual([]);
      await shotBoth(page, '05-confirmation-older', 'failover confirmation (older point)');
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect(fromOlder).toBeFocused();

      // OK: the opener disappears with the policy going read-only; focus goes to the job it started.
      await fromOlder.click();
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      latency.baseMs = 700;
      await dialog.getByRole('button', { name: 'OK', exact: true }).click();
      await expect(dialog).toBeHidden();
      const jobHeading = page.getByRole('heading', { name: 'Failover job' });
      await expect(jobHeading).toBeFocused();

      // Running: resources done of the policy's resources (not steps), elapsed time, then an estimate;
      // running rows first, each saying what it is doing.
      const progress = page.locator('.job-panel').getByTestId('progress-text');
      await expect(progress).toContainText(new RegExp(`^\\d+ of ${resources} resources done`));
      await expect(progress).toContainText('elapsed');
      await expect(progress).toContainText(/about .+ left/);
      const steps = page.getByRole('region', { name: 'Steps of the selected job' });
      const firstRow = steps.getByRole('row').nth(1);
      await expect(firstRow).toContainText('Running');
      await expect(firstRow.getByTestId('step-activity')).toBeVisible();
      await shotBoth(page, '06-failover-running', 'failover running');
      latency.baseMs = 0;
      await waitForJobs(c, policy.id, 'failover', 1);

      // Finished: the job names its point (time and id), each step the point it used, and the header
      // says what the policy failed over from instead of "Latest recovery point".
      await expect(header(page).getByText('Failed over')).toBeVisible();
      await expect(progress).toContainText(`${resources} of ${resources} resources done`);
      const jobPoint = page.getByTestId('job-recovery-point');
      await expect(jobPoint).toContainText(olderShown);
      await expect(jobPoint).toContainText(older!.id);
      const facts = page.locator('.facts');
      await expect(facts).toContainText('Failed over from');
      await expect(facts).toContainText(olderShown);
      await expect(facts).not.toContainText('Latest recovery point');
      const vm = policy.resources.find((r) => r.type === 'azure.vm')!;
      await expect(steps.getByRole('row', { name: new RegExp(mysql.name) }).first()).toContainText(`Latest ${latestShown}`);
      await expect(steps.getByRole('row', { name: new RegExp(vm.name) }).first()).toContainText(olderShown);

      // Steps: search and status filter.
      const job = (await c.call('dr:jobs.list', { policyId: policy.id, kind: 'failover', offset: 0, limit: 1 })).items[0]!;
      const total = (await c.call('dr:jobs.get', { jobId: job.id })).steps;
      await expect(steps.getByTestId('steps-count')).toHaveText(`${total.length} steps`);
      await steps.getByRole('searchbox', { name: 'Search steps' }).fill(vm.name);
      const vmSteps = total.filter((s) => s.resourceName?.toLowerCase().includes(vm.name.toLowerCase()));
      await expect(steps.getByTestId('steps-count')).toHaveText(`${vmSteps.length} of ${total.length} steps`);
      await steps.getByRole('searchbox', { name: 'Search steps' }).fill('');
      await steps.getByLabel('Status').selectOption('failed');
      await expect(steps.getByText('No step matches the search or the status filter.')).toBeVisible();
      await steps.getByLabel('Status').selectOption('');

      // One scroll container per page and one-line ids, at both sizes and in both themes.
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        expect(await nestedScrollers(page, '.shell', ['.page-scroll'])).toEqual([]);
        expect(await wrappedIds(page)).toEqual([]);
        await jobHeading.evaluate((el) => el.scrollIntoView({ block: 'start' }));
        await shotBoth(page, '07-failover-finished', 'failover finished');
        await page.getByRole('region', { name: 'Resource mapping: source to target' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
        await shotBoth(page, '08-mapping', 'resource mapping');
      }
      const ids = page.getByRole('region', { name: 'Resource mapping: source to target' }).locator('.long-id-text');
      expect(await ids.count()).toBeGreaterThan(0);
      const longest = await ids.evaluateAll((els) => els.reduce((m, el) => Math.max(m, (el.getAttribute('title') ?? '').length), 0));
      expect(longest, 'the mapping has an ARM id long enough to have wrapped').toBeGreaterThan(100);
    } finally {
      await c.close();
    }
  });

  test('the recovery points picker scrolls with the page and stays where the operator left it: clicks, keys, a dialog and new points never move it', async () => {
    test.setTimeout(240_000);
    // 3,000 points (a few hours of a busy schedule), seeded straight into the file.
    const dir = mkdtempSync(join(tmpdir(), 'fc-e2e-picker-'));
    const history = seedHistory(dir, 1_000, 3_000);
    const c = await openConsole({ dataDir: dir, viewport: { width: 1280, height: 720 } });
    try {
      const { page } = c;
      await page.goto(`${c.url}#/policies/${history.policyId}/recovery-points`);
      const list = page.getByRole('listbox', { name: 'Recovery points' });
      const counter = page.locator('.rp-toolbar .counter');
      await expect(counter).toHaveText('3,000 recovery points');
      // The listbox is as tall as its rows: the page is the only thing that scrolls.
      expect(await nestedScrollers(page, '.shell', ['.page-scroll'])).toEqual([]);

      // The operator scrolls a thousand rows down (the page, as a wheel would).
      const scroller = page.getByTestId('page-scroll');
      await scroller.evaluate((el) => (el.scrollTop = 52 * 1_000));
      const option = (n: number) => list.locator(`[role="option"][aria-posinset="${n}"]`);
      // The point at the top of the view, just under the sticky toolbar, and where it is drawn.
      const topOfView = () =>
        page.evaluate(() => {
          const bar = document.querySelector('.rp-toolbar')!.getBoundingClientRect().bottom;
          const rows = [...document.querySelectorAll<HTMLElement>('[role="option"]')]
            .map((el) => ({ el, top: el.getBoundingClientRect().top }))
            .filter((r) => r.top >= bar - 0.5)
            .sort((a, b) => a.top - b.top);
          const first = rows[0];
          return first ? { time: first.el.querySelector('time')?.textContent ?? '', top: Math.round(first.top), scrollTop: document.querySelector('.page-scroll')!.scrollTop } : null;
        });
      await expect.poll(async () => (await topOfView())?.time ?? '').toMatch(/^\d{4}-/);
      const left = (await topOfView())!;
      expect(left.scrollTop).toBe(52 * 1_000);
      await shotBoth(page, '11-recovery-points-deep', 'recovery points scrolled a thousand rows down');

      // A click on a row in view: the panel shows it, and nothing moves.
      const clicked = option(1_000);
      const clickedTime = (await clicked.locator('time').textContent())!;
      await clicked.click();
      await expect(page.getByRole('complementary', { name: 'Recovery point details' }).getByRole('heading', { name: clickedTime })).toBeVisible();
      await expect(clicked).toHaveAttribute('aria-selected', 'true');
      expect(await topOfView()).toEqual(left);

      // The keyboard moves the cursor to the next row, which is in view: the page stays.
      await page.keyboard.press('ArrowDown');
      await expect(list).toHaveAttribute('aria-activedescendant', 'rp-opt-1000');
      const cursorTime = (await option(1_001).locator('time').textContent())!;
      await expect(page.getByRole('complementary', { name: 'Recovery point details' }).getByRole('heading', { name: cursorTime })).toBeVisible();
      expect(await topOfView()).toEqual(left);

      // The Failover of the toolbar (still in view above the list) opens its confirmation; Esc brings
      // focus back to it, and the page has not moved.
      const failover = page.getByRole('button', { name: `Failover from ${cursorTime}` });
      await failover.click();
      await expect(page.getByRole('dialog')).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog')).toBeHidden();
      await expect(failover).toBeFocused();
      expect(await topOfView()).toEqual(left);

      // A replication finishes and its point arrives at the top of the list, above everything on
      // screen: the page moves down one row, so the same points stay under the operator's eye, and
      // the keyboard cursor and the selection stay on the points they were on.
      await c.call('dr:replication.run', { policyId: history.policyId });
      await expect(counter).toHaveText('3,001 recovery points');
      await expect.poll(topOfView).toEqual({ ...left, scrollTop: left.scrollTop + 52 });
      await expect(list.locator('[role="option"][aria-selected="true"] time')).toHaveText(cursorTime);
      const cursor = await list.getAttribute('aria-activedescendant');
      await expect(page.locator(`#${cursor} time`)).toHaveText(cursorTime);

      // A search is a new list: it starts at its first row.
      await page.getByRole('searchbox', { name: 'Search recovery points' }).fill('2026-01-01T1');
      await expect(counter).toHaveText('600 recovery points');
      await expect(option(1).locator('time')).toBeInViewport();
    } finally {
      await c.close();
    }
  });

  test('a report saved after choosing a time zone writes its times in that zone, with the offset', async () => {
    test.setTimeout(180_000);
    const { c } = await openBed(['replicate', 'testFailover']);
    try {
      const { page } = c;
      const policy = await createPolicy(c, 'Ledger north', { cloud: 'aws' });
      await replicate(c, policy.id, 1);
      const run = await c.call('dr:testFailover.run', { policyId: policy.id });
      await waitForJobs(c, policy.id, 'test_failover', 1);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Show times in').selectOption('Asia/Tokyo');
      await expect(page.getByRole('status').filter({ hasText: 'Times are shown in Asia/Tokyo (UTC+09:00)' })).toBeVisible();
      await page.goto(`${c.url}#/policies/${policy.id}/jobs`);
      const group = page.getByRole('region', { name: 'Test failover job' }).getByRole('group', { name: 'Job report' });
      await group.getByRole('button', { name: 'Export PDF' }).click();
      const status = group.getByRole('status');
      await expect(status).toContainText('Saved the PDF report to ');
      const path = (await status.textContent())!.replace(/^.* report to /, '');
      // Lines of the layout are joined: a sentence may wrap anywhere on the page.
      const text = execFileSync('pdftotext', ['-layout', path, '-']).toString('utf8').replace(/\s+/g, ' ');
      expect(text).toContain('times in Asia/Tokyo (UTC+09:00)');
      const job = await c.call('dr:jobs.get', { jobId: run.jobId });
      expect(text).toContain(formatTime(job.startedAt!, 'Asia/Tokyo'));
      const times = text.match(TIME) ?? [];
      expect(times.length).toBeGreaterThan(3);
      expect(times.filter((t) => !t.endsWith('UTC+09:00'))).toEqual([]);
    } finally {
      await c.close();
    }
  });

  test('every screen, in both themes and at both sizes: axe finds nothing serious or critical, and the page is the one scroll container', async () => {
    test.setTimeout(360_000);
    const { c } = await openBed();
    try {
      const { page } = c;
      const policy = await createPolicy(c, 'Screens tour', { cloud: 'gcp' });
      await replicate(c, policy.id, 1);
      await page.reload();
      const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
      const screens: { name: string; open: () => Promise<void>; dialog?: boolean }[] = [
        { name: 'policies', open: async () => { await nav('Policies').click(); await expect(page.getByRole('row', { name: /Screens tour/ })).toBeVisible(); } },
        { name: 'create policy', dialog: true, open: async () => { await page.getByRole('button', { name: 'Create policy' }).first().click(); await expect(page.getByRole('dialog', { name: 'Create policy' })).toBeVisible(); } },
        { name: 'accounts', open: async () => { await nav('Accounts').click(); await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible(); } },
        { name: 'add account', dialog: true, open: async () => { await page.getByRole('button', { name: 'Add account' }).click(); await expect(page.getByRole('dialog', { name: 'Add cloud account' })).toBeVisible(); } },
        { name: 'audit log', open: async () => { await nav('Audit log').click(); await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible(); await expect(page.getByRole('region', { name: 'Backups of the data file' })).toBeVisible(); } },
        { name: 'workspace', open: async () => { await nav('Workspace').click(); await expect(page.getByRole('heading', { level: 1, name: 'Workspace' })).toBeVisible(); } },
        { name: 'settings', open: async () => { await nav('Settings').click(); await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible(); } },
        { name: 'policy: resources', open: async () => { await openPolicy(page, 'Screens tour'); await expect(page.getByRole('tabpanel', { name: 'Resources' })).toBeVisible(); } },
        { name: 'policy: recovery points', open: async () => { await page.getByRole('tab', { name: 'Recovery points' }).click(); await expect(page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option')).toHaveCount(1); } },
        { name: 'policy: jobs', open: async () => { await page.getByRole('tab', { name: 'Jobs' }).click(); await expect(page.getByRole('heading', { name: 'Replication job' })).toBeVisible(); } },
      ];
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        for (const screen of screens) {
          await screen.open();
          expect(await nestedScrollers(page, '.shell', ['.page-scroll']), screen.name).toEqual([]);
          if (screen.dialog) expect(await nestedScrollers(page, '.modal', ['.modal-body']), screen.name).toEqual([]);
          await shotBoth(page, `12-${screen.name.replace(/[^a-z]+/g, '-')}`, screen.name);
          if (screen.dialog) {
            await page.keyboard.press('Escape');
            await expect(page.getByRole('dialog')).toBeHidden();
          }
        }
      }
    } finally {
      await c.close();
    }
  });

  test('a notice takes its own room below the page, never over a table, and leaves once its job’s view is open', async () => {
    const { c, faults } = await openBed(['replicate']);
    try {
      const { page } = c;
      const policy = await createPolicy(c, 'Archive west', { cloud: 'aws' });
      faults.failNames.push(policy.resources[0]!.name);
      await page.getByRole('link', { name: 'Policies', exact: true }).first().click();
      await c.call('dr:replication.run', { policyId: policy.id });
      await waitForJobs(c, policy.id, 'replication', 1, 'partially_failed');
      // A partial failure is sticky: it stays until dismissed or seen, so it is a state, not a flash.
      const toast = page.locator('.toast').filter({ hasText: 'Replication partially failed — Archive west' });
      await expect(toast).toBeVisible();
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        const pageBox = (await page.getByTestId('page-scroll').boundingBox())!;
        const toastBox = (await toast.boundingBox())!;
        expect(toastBox.y).toBeGreaterThanOrEqual(pageBox.y + pageBox.height - 0.5);
        await shotBoth(page, '09-toast', 'policies with a notice');
      }
      await page.setViewportSize(VIEWPORTS[0]);
      // Opening the job another way than the notice's link (the Jobs tab selects the newest job).
      await openPolicy(page, 'Archive west');
      await page.getByRole('tab', { name: 'Jobs' }).click();
      await expect(page.getByRole('heading', { name: 'Replication job' })).toBeVisible();
      await expect(toast).toHaveCount(0);
    } finally {
      await c.close();
    }
  });

  test('a policy or account name over 80 characters is kept whole, counted and refused with a sentence', async () => {
    const { c } = await openBed();
    try {
      const { page } = c;
      await page.getByRole('button', { name: 'Create policy' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create policy' });
      const name = dialog.getByLabel('Policy name');
      await name.fill('Payments');
      await expect(dialog.getByText('8 / 80 characters')).toBeVisible();
      const long = 'Payments platform, primary region, all tiers including batch and reporting workloads';
      expect(long.length).toBeGreaterThan(80);
      await name.fill(long);
      await expect(name).toHaveValue(long);
      await expect(dialog.getByText(`${long.length} / 80 characters — ${long.length - 80} too many; shorten it to 80 or fewer.`)).toBeVisible();
      await expect(name).toHaveAttribute('aria-invalid', 'true');
      await shotBoth(page, '10-name-limit', 'create policy: name over the limit');
      await dialog.getByRole('button', { name: 'Next' }).click();
      await expect(dialog.getByText(`The name is ${long.length} characters; use at most 80.`)).toBeVisible();
      await expect(name).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
      await expect(page.getByRole('button', { name: 'Create policy' }).first()).toBeFocused();
      await expectAccessible(page, 'policies');

      // The same rule for an account's name: counted, kept whole, refused with the same sentence.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts', exact: true }).click();
      const before = (await c.call('dr:accounts.list', {})).length;
      await page.getByRole('button', { name: 'Add account' }).click();
      const add = page.getByRole('dialog', { name: 'Add cloud account' });
      const accountName = add.getByLabel('Account name');
      await accountName.fill(long);
      await expect(accountName).toHaveValue(long);
      await expect(add.getByText(`${long.length} / 80 characters — ${long.length - 80} too many; shorten it to 80 or fewer.`)).toBeVisible();
      await add.getByRole('button', { name: 'Add account' }).click();
      await expect(add.getByText(`The name is ${long.length} characters; use at most 80.`).first()).toBeVisible();
      await expectAccessible(page, 'add account: name over the limit');
      await page.keyboard.press('Escape');
      await expect(add).toBeHidden();
      await expect(page.getByRole('button', { name: 'Add account' })).toBeFocused();
      expect(await c.call('dr:accounts.list', {})).toHaveLength(before);
    } finally {
      await c.close();
    }
  });
});
