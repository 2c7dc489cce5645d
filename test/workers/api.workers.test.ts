// The same API and DoH suite as on Node, inside workerd against D1.
import { exports } from 'cloudflare:workers';
import { managerApiSuite } from '../manager/api-suite.ts';

// The manager's default export, through the loopback binding the runtime gives every export.
const manager = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;

managerApiSuite(() => ({
  adminToken: 'test-admin-token',
  fetch: (path, init) => manager.fetch(new Request(`https://manager.example${path}`, init)),
}));
