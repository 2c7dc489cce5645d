// The manager's first start on a fresh machine, as `npm start` runs it: no admin token given, so
// one is made, kept beside the database (0600) and printed once; a restart reads it back.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnManager } from '../support/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'hairpin-first-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { HAIRPIN_ADMIN_TOKEN: _unset, ...environment } = process.env;

async function licences(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/v1/licences`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('first start', () => {
  it('makes an admin token, keeps it 0600 beside the database, prints it once, and reads it back on restart', async () => {
    const db = join(dir, 'hairpin.sqlite');
    const env = { ...(environment as Record<string, string>), HAIRPIN_DB: db };
    const first = await spawnManager(env);
    let token: string;
    try {
      const printed = /admin token \(shown once, kept in (\S+)\): (hpa_\S+)/.exec(first.output());
      expect(printed, first.output()).not.toBeNull();
      expect(printed![1]).toBe(`${db}.admin-token`);
      token = printed![2]!;
      expect(statSync(`${db}.admin-token`).mode & 0o777).toBe(0o600);
      expect(await licences(first.url, token)).toBe(200);
      expect(await licences(first.url, 'hpa_wrong')).toBe(401);
    } finally {
      await first.stop();
    }
    const second = await spawnManager(env);
    try {
      expect(second.output()).toContain(`admin token: read from ${db}.admin-token`);
      expect(second.output()).not.toContain(token);
      expect(await licences(second.url, token)).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
