// `hairpin admin`, run as a shell user runs it, against a real manager.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const bin = fileURLToPath(new URL('../../bin/hairpin.js', import.meta.url));
let manager: TestManager;
beforeAll(async () => {
  manager = await startTestManager();
});
afterAll(() => manager?.close());

async function admin(args: string[], token = ADMIN_TOKEN): Promise<{ code: number; json: any; stderr: string }> {
  const result = await promisify(execFile)(process.execPath, [bin, 'admin', ...args], {
    env: { ...process.env, HAIRPIN_MANAGER_URL: manager.url, HAIRPIN_ADMIN_TOKEN: token },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return {
    code: result.code,
    json: /^[[{]/.test(result.stdout) ? JSON.parse(result.stdout) : null,
    stderr: result.stderr,
  };
}

describe('hairpin admin', () => {
  it('enrols, lists, rotates and deletes', async () => {
    const enrolled = await admin(['enrol', '6100', 'nur1']);
    expect(enrolled.code).toBe(0);
    expect(enrolled.json).toMatchObject({
      licence: '6100',
      node: 'nur1',
      names: { internal: 'i-nur1.pl-6100.example.test' },
    });
    await manager.report('6100', 'nur1', enrolled.json.credential, { privateIpv4: '10.61.0.1' });
    expect((await admin(['nodes', '6100'])).json.nodes).toEqual([expect.objectContaining({ node: 'nur1' })]);
    const rotated = await admin(['rotate', '6100', 'nur1']);
    expect(rotated.json.credential).not.toBe(enrolled.json.credential);
    expect((await admin(['delete', '6100', 'nur1'])).code).toBe(0);
    expect((await admin(['nodes', '6100'])).json.nodes ?? []).toEqual([]);
  });

  it('issues a support token that opens /v1/compat', async () => {
    const issued = await admin(['support-token', 'alice@support', '--ttl', '600']);
    expect(issued.code).toBe(0);
    expect(issued.json).toMatchObject({ subject: 'alice@support' });
    const token = issued.json.token as string;
    expect((await fetch(`${manager.url}/v1/compat`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect((await admin(['support-token', 'x', '--ttl', '5'])).code).toBe(1);
  });

  it('exits 2 on bad usage and 1 on a refused call', async () => {
    expect((await admin(['enrol', '6100'])).code).toBe(2);
    expect((await admin([])).code).toBe(2);
    const refused = await admin(['licences'], 'wrong-token');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401/);
  });
});
