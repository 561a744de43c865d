import { defineConfig } from 'vitest/config';

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
