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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
