// The API suite on Node, over real HTTP, on the embedded SQLite.
import { afterAll, beforeAll } from 'vitest';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { managerApiSuite } from './api-suite.ts';

let manager: TestManager;
beforeAll(async () => {
  manager = await startTestManager();
});
afterAll(() => manager?.close());

managerApiSuite(() => ({ adminToken: ADMIN_TOKEN, fetch: (path, init) => fetch(`${manager.url}${path}`, init) }));
