import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report gives CI (.ci/run) its "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Fuzz inputs range up to their stated maximum sizes (see the file).
          setupFiles: ['test/setup/fast-check.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Fuzz inputs range up to their stated maximum sizes (see the file).
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration tests start worker processes and Redis servers; two cores are shared.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          // Real Prometheus / Alertmanager (Debian packages; .ci/run installs them).
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Fuzz inputs range up to their stated maximum sizes (see the file).
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 90_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
