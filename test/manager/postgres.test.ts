// The API suite on Node with the Postgres store (HAIRPIN_DB=postgres://…), against a real server.
import { afterAll, beforeAll, describe } from 'vitest';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { managerApiSuite } from './api-suite.ts';

const available = postgresBinDir() !== undefined;
if (!available && process.env.CI) throw new Error('CI needs postgresql (scripts/install-system-packages.sh)');

describe.skipIf(!available)('manager on Postgres', () => {
  let pg: TestPostgres;
  let manager: TestManager;
  beforeAll(async () => {
    pg = await startPostgres();
    manager = await startTestManager({ HAIRPIN_DB: pg.url });
  }, 60_000);
  afterAll(async () => {
    await manager?.close();
    await pg?.stop();
  });

  managerApiSuite(() => ({ adminToken: ADMIN_TOKEN, fetch: (path, init) => fetch(`${manager.url}${path}`, init) }));
});
