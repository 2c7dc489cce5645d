import { defineConfig } from 'vitest/config';

// Two projects: everything that runs on Node (most suites start real servers and real DNS
// software on loopback), and the Workers suite that runs inside workerd against D1.
export default defineConfig({
  test: {
    // 'dot' keeps a green run to a few lines; failures are still printed in full.
    reporters: ['dot', './test/support/summary-reporter.ts'],
    // What a test prints is shown only when that test fails.
    silent: 'passed-only',
    projects: [
      {
        test: {
          name: 'node',
          include: ['**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.workers.test.ts'],
          environment: 'node',
          pool: 'forks',
          // node:sqlite works and is what the embedded store uses; its "experimental" notice is noise.
          execArgv: ['--disable-warning=ExperimentalWarning'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      './test/workers/vitest.config.ts',
    ],
  },
});
