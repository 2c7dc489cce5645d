// The support pages print what nodes and resolvers sent; their answers carry the headers that keep
// a slip in escaping from becoming a script, and keep other sites from framing them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

let manager: TestManager;
beforeAll(async () => {
  manager = await startTestManager();
});
afterAll(() => manager?.close());

describe('support pages', () => {
  for (const path of ['/support', '/support/licences/1234', '/support/licences/1234/nodes/nur1']) {
    it(`${path} is sent with a strict CSP, frame-ancestors 'none' and nosniff`, async () => {
      const res = await fetch(`${manager.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      await res.arrayBuffer();
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|script-src/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
  }
});
