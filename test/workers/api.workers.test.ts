// The same API and DoH suite as on Node, inside workerd against D1.
import { exports } from 'cloudflare:workers';
import { managerApiSuite } from '../manager/api-suite.ts';

managerApiSuite(() => ({
  adminToken: 'test-admin-token',
  fetch: (path, init) => exports.default.fetch(new Request(`https://manager.example${path}`, init)),
}));
