// Offline in Chromium: with every provider unreachable (the sim's network down, AWS pointed at a port
// nothing listens on), every screen opens, lists and searches from the local database, the accounts
// say offline, a failover attempt says offline and changes nothing, and the renderer never makes a
// request off the app's own origin (fonts, icons and scripts are all bundled).

import { existsSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { createAwsProvider } from '../../main/providers/aws';
import { createSimProvider } from '../../main/providers/sim';
import { CHROMIUM_PATH, openConsole, type ConsoleHandle } from './harness';

const mustRun = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;

async function waitJob(c: ConsoleHandle, jobId: string): Promise<void> {
  await expect.poll(async () => (await c.call('dr:jobs.get', { jobId })).status, { timeout: 60_000 }).toMatch(/succeeded|failed|partially_failed|cancelled/);
}

function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

test.describe(mustRun ? 'Offline console in Chromium' : `Offline console in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);

  test('with every provider unreachable, every screen opens and searches, and a failover says offline and changes nothing', async () => {
    const network = { online: true };
    const c = await openConsole({
      providers: (deps) => [createSimProvider({ ...deps, network }), createAwsProvider({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 })],
    });
    const offOrigin: string[] = [];
    const origin = new URL(c.url).origin;
    c.page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:')) offOrigin.push(u);
    });
    try {
      const { page } = c;
      // A workspace with history: the rehearsal cloud, an AWS account, a policy with a recovery point.
      await c.call('dr:workspace.createRehearsal', {});
      const aws = await c.call('dr:accounts.create', { name: 'AWS prod', provider: 'aws', cloud: 'aws', credentials: { kind: 'aws-access-key', accessKeyId: 'AKIAOFFLINETEST00001', secretAccessKey: 'offline-test' } });
      const sim = (await c.call('dr:accounts.list', {})).find((a) => a.simulated && a.cloud === 'aws')!;
      const [source, target] = await c.call('dr:environments.list', { accountId: sim.id });
      const found = await c.call('dr:inventory.discover', { environmentId: source!.id });
      const policy = await c.call('dr:policies.create', {
        name: 'Shop east',
        sourceEnvironmentId: source!.id,
        targetEnvironmentId: target!.id,
        resources: found.slice(0, 3).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
        schedule: null,
        webhookUrl: null,
      });
      await waitJob(c, (await c.call('dr:replication.run', { policyId: policy.id })).jobId);
      const point = (await c.call('dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 1 })).items[0]!;

      // The network goes; each account's next call finds out.
      network.online = false;
      for (const a of await c.call('dr:accounts.list', {})) await c.invoke('dr:connectivity.check', { accountId: a.id });
      await page.reload();

      await expect(page.getByRole('heading', { level: 1, name: 'Policies' })).toBeVisible();
      await expect(page.getByRole('status').filter({ hasText: /^Offline — \d+ cloud accounts unreachable/ })).toBeVisible();
      await expect(page.getByRole('row', { name: /Shop east/ })).toBeVisible();

      await page.getByRole('row', { name: /Shop east/ }).getByRole('link', { name: 'Shop east' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Shop east' })).toBeVisible();
      await page.getByRole('tab', { name: 'Recovery points' }).click();
      const search = page.getByRole('searchbox', { name: 'Search recovery points' });
      const points = page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option');
      await search.fill(point.createdAt.slice(0, 13));
      await expect(points).toHaveCount(1);
      await search.fill('1999-01-01');
      await expect(points).toHaveCount(0);
      await search.fill('');
      await expect(points).toHaveCount(1);
      await page.getByRole('tab', { name: 'Jobs' }).click();
      await expect(page.getByText(/Replication/).first()).toBeVisible();

      await nav(page, 'Accounts').click();
      await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
      const awsRow = page.getByRole('row', { name: /AWS prod/ });
      await expect(awsRow.getByText('Offline', { exact: true })).toBeVisible();
      await expect(awsRow.getByText(/no successful call yet/)).toBeVisible();
      await expect(page.getByRole('row').filter({ hasText: sim.name }).getByText(/last successful call/)).toBeVisible();

      await nav(page, 'Audit log').click();
      await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
      await expect(page.getByText('replication.finish').first()).toBeVisible();

      await nav(page, 'Workspace').click();
      await expect(page.getByRole('heading', { level: 1, name: 'Workspace' })).toBeVisible();
      await expect(page.getByRole('list', { name: 'What a rebuild cannot recover' })).toBeVisible();
      // Rebuild needs the clouds: it says which targets could not be reached.
      await page.getByRole('button', { name: 'Rebuild from the clouds' }).click();
      await expect(page.getByText(/could not be reached: .*offline/).first()).toBeVisible();

      // Failover: the lease in the target cannot be taken, so it does not start.
      const before = {
        jobs: (await c.call('dr:jobs.list', { policyId: policy.id, offset: 0, limit: 100 })).total,
        audit: (await c.call('dr:audit.list', { offset: 0, limit: 1 })).total,
      };
      await nav(page, 'Policies').click();
      await page.getByRole('row', { name: /Shop east/ }).getByRole('link', { name: 'Shop east' }).click();
      await page.getByRole('button', { name: 'Failover', exact: true }).first().click();
      const dialog = page.getByRole('dialog', { name: /Fail over Shop east/ });
      await dialog.getByRole('checkbox', { name: /I understand/ }).check();
      await dialog.getByRole('button', { name: 'OK', exact: true }).click();
      await expect(dialog.getByRole('alert')).toContainText('Failover did not start. Offline: the failover lease could not be taken');
      await expect(dialog.getByRole('button', { name: 'Start without the lease' })).toBeDisabled();
      expect((await c.call('dr:policies.get', { policyId: policy.id })).state).toBe('active');
      expect((await c.call('dr:jobs.list', { policyId: policy.id, offset: 0, limit: 100 })).total).toBe(before.jobs);
      expect((await c.call('dr:audit.list', { offset: 0, limit: 1 })).total).toBe(before.audit);
      void aws;

      expect(offOrigin).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
