import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

// The manager's API and DoH suite inside workerd, on a D1 database migrated from the same
// schema/migrations files wrangler applies in production.
export default defineProject({
  plugins: [
    cloudflareTest(async () => ({
      // workerd's own diagnostics (an aborted pipe when a test drops a relay socket) are not the
      // tests' output; a failing test still shows its errors.
      verbose: false,
      wrangler: { configPath: root('wrangler.toml') },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(root('schema/migrations')),
          HAIRPIN_ADMIN_TOKEN: 'test-admin-token',
          // The relay on (relay.workers.test.ts); its names point at Cloudflare's proxy.
          HAIRPIN_RELAY_TARGET: '192.0.2.80',
          HAIRPIN_RELAY_MAX_STREAMS: '2',
        },
      },
    })),
  ],
  test: {
    name: 'workers',
    include: ['**/*.workers.test.ts'],
    setupFiles: ['./apply-migrations.ts'],
  },
});
