// Durability in the real console (headless Chromium): the read-only banner after a failed write,
// lists still shown, Check again; and the Backups panel (Back up now lists the new copy).

import { existsSync, mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CHROMIUM_PATH, openConsole } from './harness';

const mustRun = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';

test.describe('durability in the console', () => {
  test.skip(!mustRun, `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`);

  test('a failed write shows the read-only banner with its cause, lists stay, and Check again ends it', async () => {
    const c = await openConsole();
    try {
      await c.call('dr:workspace.createRehearsal', {});
      await c.page.goto(`${c.url}#/accounts`);
      await expect(c.page.getByRole('cell', { name: 'Rehearsal AWS (simulated)' }).first()).toBeVisible();
      // The file turns read-only under the console (as a remount or a permission change would do).
      c.core.db.pragma('query_only = ON');
      const refused = await c.invoke('dr:accounts.create', { name: 'Another', provider: 'sim', cloud: 'aws', credentials: { kind: 'none' } });
      expect(refused).toMatchObject({ ok: false, error: { code: 'StorageUnavailable' } });
      const banner = c.page.getByRole('alert', { name: 'Read-only mode' });
      await expect(banner).toContainText('has become read-only');
      await expect(banner).toContainText('Lists, searches and exports still work');
      await c.page.reload();
      await expect(c.page.getByRole('alert', { name: 'Read-only mode' })).toBeVisible();
      await expect(c.page.getByRole('cell', { name: 'Rehearsal AWS (simulated)' }).first()).toBeVisible();
      mkdirSync('test-results/screenshots', { recursive: true });
      await c.page.screenshot({ path: 'test-results/screenshots/read-only-banner.png' });
      c.core.db.pragma('query_only = OFF');
      await c.page.getByRole('button', { name: 'Check again' }).click();
      await expect(c.page.getByRole('alert', { name: 'Read-only mode' })).toHaveCount(0);
    } finally {
      await c.close();
    }
  });

  test('Back up now adds a backup to the list on the Audit log page', async () => {
    const c = await openConsole();
    try {
      await c.page.goto(`${c.url}#/audit`);
      const panel = c.page.getByRole('region', { name: 'Backups of the data file' });
      await expect(panel.getByText('No backup yet.')).toBeVisible();
      await panel.getByRole('button', { name: 'Back up now' }).click();
      await expect(panel.getByRole('status')).toContainText('Backed up as console-');
      await expect(panel.getByRole('button', { name: 'Restore' })).toHaveCount(1);
      expect((await c.call('dr:backups.list', {})).map((b) => b.reason)).toEqual(['manual']);
    } finally {
      await c.close();
    }
  });
});
