// The same walk as the Chromium suite, but in the real Electron app (Playwright _electron): create the
// rehearsal workspace, Create policy, run replication twice, see two succeeded recovery points.
// Where the Electron binary is not installed (as on CI machines here) it skips and says so.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '../..');
const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');
const PATH_TXT = join(ELECTRON_DIR, 'path.txt');
const DIST_DIR = join(ELECTRON_DIR, 'dist');
// Detected from the files the electron package writes after downloading; never by require('electron'),
// which would start a download.
const electronInstalled = existsSync(PATH_TXT) && existsSync(DIST_DIR);
const SKIP_MESSAGE = 'Electron binary not installed (node_modules/electron/dist missing)';

// The message is in the suite title too, so every reporter (list, line, dot, JSON) shows why it skipped.
test.describe(electronInstalled ? 'Electron app' : `Electron app — ${SKIP_MESSAGE}`, () => {
  test.skip(!electronInstalled, SKIP_MESSAGE);

  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;

  test.beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out', 'main', 'index.js')) || !existsSync(join(ROOT, 'out', 'preload', 'index.cjs'))) {
      throw new Error('The app is not built: run "npm run build" before the Electron e2e test.');
    }
    // The Electron-ABI SQLite build (skips at once when it already exists).
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensure-electron-native.mjs')], { cwd: ROOT, stdio: 'inherit' });
    dataDir = mkdtempSync(join(tmpdir(), 'fc-electron-e2e-'));
    const executablePath = join(DIST_DIR, readFileSync(PATH_TXT, 'utf8').trim());
    const env = { ...process.env, FAILOVER_CONSOLE_DATA_DIR: dataDir } as Record<string, string>;
    delete env['ELECTRON_RENDERER_URL'];
    delete env['ELECTRON_RUN_AS_NODE'];
    app = await electron.launch({ executablePath, args: [ROOT], cwd: ROOT, env });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the window is the sandboxed console at app://console', async () => {
    await expect(page).toHaveTitle(/Failover Console/);
    expect(new URL(page.url()).protocol).toBe('app:');
    // No Node in the page; the bridge is the only door, and it is frozen.
    const probe = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridgeFrozen: Object.isFrozen((window as unknown as { drConsole: object }).drConsole),
    }));
    expect(probe).toEqual({ require: 'undefined', process: 'undefined', bridgeFrozen: true });
  });

  test('create the rehearsal workspace, Create policy, run replication twice, see two succeeded recovery points', async () => {
    await page.getByRole('button', { name: 'Create rehearsal workspace' }).click();
    await page.getByRole('button', { name: 'Create policy' }).first().click();

    const dialog = page.getByRole('dialog', { name: 'Create policy' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Policy name').fill('Electron walk');
    await dialog.getByLabel('Cloud account').selectOption({ index: 1 });
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByLabel('Source environment').selectOption({ index: 1 });
    await dialog.getByLabel('Target environment').selectOption({ index: 1 });
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('checkbox', { name: 'Select all', exact: true }).check();
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    await expect(dialog).toBeHidden();

    await expect(page.getByRole('heading', { level: 1, name: 'Electron walk' })).toBeVisible();
    const run = page.getByRole('button', { name: 'Run replication' });
    for (let i = 0; i < 2; i++) {
      await expect(run).toBeEnabled();
      await run.click();
      // Wait until this run's job has ended before starting the next one.
      await expect
        .poll(() => page.evaluate(async () => {
          const api = (window as unknown as { drConsole: { jobs: { list(r: object): Promise<{ ok: boolean; value?: { items: { status: string }[] } }> } } }).drConsole;
          const res = await api.jobs.list({});
          return res.ok ? res.value!.items.filter((j) => j.status === 'succeeded').length : -1;
        }), { timeout: 60_000 })
        .toBe(i + 1);
    }

    await page.getByRole('tab', { name: 'Recovery points' }).click();
    const points = page.getByRole('listbox', { name: 'Recovery points' }).getByRole('option');
    await expect(points).toHaveCount(2);
    for (const point of await points.all()) await expect(point).toContainText('Succeeded');
  });
});
