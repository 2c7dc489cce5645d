// `hairpin probe` as a user runs it: the real executable against a real manager on loopback.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let manager: TestManager;
let credential: string;

async function hairpin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return hairpinWith({}, ...args);
}

async function hairpinWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      `${root}node_modules/.bin/node`,
      [`${root}bin/hairpin.js`, 'probe', ...args],
      { timeout: 20_000, env: { ...process.env, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  manager = await startTestManager();
  credential = await manager.enrol('1234', 'nur1');
  await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '198.51.100.7' });
});

afterAll(async () => {
  await manager?.close();
});

describe('hairpin probe', () => {
  it('prints a readable table and exits 0 for ok (UDP to the built-in DNS server)', async () => {
    const run = await hairpin(
      'i-nur1.pl-1234.example.test',
      '--resolver',
      `127.0.0.1:${manager.dns.udpPort}`,
      '--external',
      'nur1.pl-1234.example.test',
      '--doh',
      `${manager.url}/dns-query`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/verdict: ok — A 10\.1\.2\.3 as published/);
    expect(run.stdout).toMatch(
      /^internal\s+i-nur1\.pl-1234\.example\.test\s+TXT\s+ok\s+NOERROR v=hairpin1 a=10\.1\.2\.3/m,
    );
    expect(run.stdout).toMatch(
      /^canary-private\s+private\.canary\.example\.test\s+A\s+ok\s+NOERROR 10\.255\.255\.254/m,
    );
  });

  it('--json gives the whole result; a node not enrolled exits 1 with not-published', async () => {
    const run = await hairpin(
      'i-nur9.pl-1234.example.test',
      '--resolver',
      `${manager.url}/dns-query`,
      '--doh',
      `${manager.url}/dns-query`,
      '--json',
    );
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ verdict: 'not-published', zone: 'example.test' });
    expect(result.checks[0].truth.rcode).toBe('NXDOMAIN');
  });

  it('--report posts the result with the node credential from the environment', async () => {
    const env = { HAIRPIN_MANAGER_URL: manager.url, HAIRPIN_NODE_CREDENTIAL: credential };
    const run = await hairpinWith(
      env,
      'i-nur1.pl-1234.example.test',
      '--resolver',
      `127.0.0.1:${manager.dns.udpPort}`,
      '--report',
      '--licence',
      '1234',
      '--node',
      'nur1',
      '--network-label',
      'cli-test',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/reported to http:\/\/127\.0\.0\.1:\d+ as [0-9a-f-]{36}/);
    const compat = await fetch(`${manager.url}/v1/compat`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const networks = ((await compat.json()) as { networks: { network: string; resolved: number }[] }).networks;
    expect(networks.find((n) => n.network === 'label:cli-test')).toMatchObject({ resolved: 1 });
    expect((await hairpinWith(env, 'i-nur1.pl-1234.example.test', '--report')).code).toBe(2);
  });

  it('bad usage exits 2', async () => {
    expect((await hairpin()).code).toBe(2);
    expect((await hairpin('x.example.test', '--resolver', 'not-an-address')).code).toBe(2);
  });
});
