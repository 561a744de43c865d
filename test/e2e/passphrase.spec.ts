// The passphrase flow in Chromium, where the OS has no keyring (the shell then protects the vault
// with a passphrase): set it at first start, unlock at the next, change it on the Workspace page,
// and five wrong tries at the start after that pause unlocking with a sentence.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PassphraseKeyProvider } from '../../main/credentials/passphrase-key-provider';
import { CHROMIUM_PATH, launchChromium, openConsole } from './harness';

const mustRun = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';
const skipReason = `Chromium not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
// The cost a laptop pays is tuned for seconds of scrypt; the flow is the same with a cheaper one.
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

function unlockDialog(page: Page) {
  return page.getByRole('dialog', { name: 'Unlock credentials' });
}

test.describe(mustRun ? 'Passphrase in Chromium' : `Passphrase in Chromium — ${skipReason}`, () => {
  test.skip(!mustRun, skipReason);

  test('sets, unlocks, changes the passphrase, and five wrong tries pause unlocking with a sentence', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fc-e2e-pass-'));
    const browser = await launchChromium();
    try {
      // First start: nothing set yet; the dialog says why it asks.
      let c = await openConsole({ dataDir, browser, keyProvider: new PassphraseKeyProvider(null, CHEAP) });
      let dialog = c.page.getByRole('dialog', { name: 'Set a passphrase' });
      await expect(dialog).toBeVisible();
      await expect(dialog.getByText(/no system keyring .*basic_text/)).toBeVisible();
      await dialog.getByLabel('Passphrase', { exact: true }).fill('river stone lantern 7');
      await dialog.getByLabel('Repeat the passphrase').fill('river stone lantern 8');
      await dialog.getByRole('button', { name: 'Set passphrase' }).click();
      await expect(dialog.getByText('The two passphrases differ.')).toBeVisible();
      await dialog.getByLabel('Repeat the passphrase').fill('river stone lantern 7');
      await dialog.getByRole('button', { name: 'Set passphrase' }).click();
      await expect(dialog).toBeHidden();
      expect(await c.call('dr:passphrase.status', {})).toMatchObject({ set: true, unlocked: true });
      await c.close();

      // Next start: locked until the passphrase is entered.
      c = await openConsole({ dataDir, browser, keyProvider: new PassphraseKeyProvider(null, CHEAP) });
      dialog = unlockDialog(c.page);
      await expect(dialog).toBeVisible();
      await dialog.getByLabel('Passphrase', { exact: true }).fill('river stone lantern 7');
      await dialog.getByRole('button', { name: 'Unlock' }).click();
      await expect(dialog).toBeHidden();

      // Change it on the Workspace page.
      await c.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspace' }).click();
      const change = c.page.getByRole('region', { name: 'Change passphrase' });
      await change.getByLabel('Current passphrase').fill('river stone lantern 7');
      await change.getByLabel('New passphrase').fill('harbour bell copper 9');
      await change.getByRole('button', { name: 'Change passphrase' }).click();
      await expect(change.getByRole('status')).toHaveText('Passphrase changed.');
      await c.close();

      // The start after: the old passphrase is wrong now; five wrong tries pause unlocking.
      c = await openConsole({ dataDir, browser, keyProvider: new PassphraseKeyProvider(null, CHEAP) });
      dialog = unlockDialog(c.page);
      await expect(dialog).toBeVisible();
      for (let i = 1; i <= 4; i++) {
        await dialog.getByLabel('Passphrase', { exact: true }).fill(i === 1 ? 'river stone lantern 7' : `wrong guess number ${i}`);
        await dialog.getByRole('button', { name: 'Unlock' }).click();
        await expect(dialog.getByRole('alert')).toContainText(`Wrong passphrase. ${5 - i} more wrong ${5 - i === 1 ? 'try' : 'tries'}`);
      }
      await dialog.getByLabel('Passphrase', { exact: true }).fill('wrong guess number 5');
      await dialog.getByRole('button', { name: 'Unlock' }).click();
      await expect(dialog.getByRole('alert')).toContainText('Wrong passphrase 5 times in a row: unlocking is paused for 1 minute(s)');
      // While paused even the right passphrase waits, and says until when.
      await dialog.getByLabel('Passphrase', { exact: true }).fill('harbour bell copper 9');
      await dialog.getByRole('button', { name: 'Unlock' }).click();
      await expect(dialog.getByRole('alert')).toContainText('Unlocking is paused after 5 wrong passphrases, until');
      expect(await c.call('dr:passphrase.status', {})).toMatchObject({ unlocked: false, failedAttempts: 5 });
      // The console still opens without credentials.
      await dialog.getByRole('button', { name: 'Continue without credentials' }).click();
      await expect(c.page.getByRole('heading', { level: 1 })).toBeVisible();
      await c.close();
    } finally {
      await browser.close();
    }
  });
});
