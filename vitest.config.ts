import { defineConfig } from 'vitest/config';
import { ensureTestTls } from './test/helpers/test-tls';

// Before the workers fork: NODE_EXTRA_CA_CERTS is read at process start (the HTTPS identity peer).
await ensureTestTls();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    environment: 'node',
    pool: 'forks',
    // Hang guards, not speed checks (tests never assert elapsed time): sized for a machine twice slower
    // and busy (CI beside stress-ng), where one moto-backed lifecycle test can take a minute.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
