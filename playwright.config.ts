import { defineConfig } from '@playwright/test';
import { ensureTestTls } from './test/helpers/test-tls';

// Before the workers start: NODE_EXTRA_CA_CERTS is read at process start (the HTTPS identity peer).
await ensureTestTls();

// The e2e suite drives Debian's Chromium through test/e2e/harness.ts (never a downloaded browser),
// and the Electron spec through Playwright's _electron where the binary exists.
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: /.*\.spec\.ts$/,
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: { actionTimeout: 20_000 },
});
