// dyndns2 (/nic/update) as routers speak it: the protocol's answers over fetch, then real ddclient
// and inadyn (Debian's) updating a node's public address, and dig seeing it on port 53.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';

const run = promisify(execFile);
const EXTERNAL = 'nur1.pl-1234.example.test';
const INTERNAL = `i-${EXTERNAL}`;

let manager: TestManager;
let credential: string;
let dir: string;

/** /nic/update as a client behind `source` sends it (the test manager trusts X-Forwarded-For). */
async function update(
  query: string,
  options: { user?: string; password?: string; source?: string } = {},
): Promise<{ status: number; body: string }> {
  const auth = Buffer.from(`${options.user ?? EXTERNAL}:${options.password ?? credential}`).toString('base64');
  const res = await fetch(`${manager.url}/nic/update?${query}`, {
    headers: { authorization: `Basic ${auth}`, 'x-forwarded-for': options.source ?? '192.0.2.1' },
  });
  return { status: res.status, body: await res.text() };
}

async function dig(name: string, type = 'A'): Promise<string> {
  const { stdout } = await run(
    'dig',
    ['+short', '+tries=1', '+time=5', `@127.0.0.1`, '-p', String(manager.dns.udpPort), name, type],
    { timeout: 20_000 },
  );
  return stdout.trim();
}

beforeAll(async () => {
  manager = await startTestManager({ HAIRPIN_TRUSTED_PROXY_HEADER: 'x-forwarded-for' });
  credential = await manager.enrol('1234', 'nur1');
  dir = mkdtempSync(join(tmpdir(), 'hairpin-dyndns-'));
});
afterAll(async () => {
  await manager?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dyndns2 /nic/update answers', () => {
  it('asks for a private address first, then sets the internal and external names', async () => {
    const nodeWithoutAddresses = await update(`hostname=${EXTERNAL}&myip=198.51.100.7`);
    expect(nodeWithoutAddresses).toEqual({ status: 200, body: 'dnserr\n' });
    expect(await update(`hostname=${INTERNAL}&myip=10.1.2.3`)).toEqual({ status: 200, body: 'good 10.1.2.3\n' });
    expect(await update(`hostname=${EXTERNAL}&myip=198.51.100.7`)).toEqual({
      status: 200,
      body: 'good 198.51.100.7\n',
    });
    expect(await update(`hostname=${EXTERNAL}&myip=198.51.100.7`)).toEqual({
      status: 200,
      body: 'nochg 198.51.100.7\n',
    });
    expect(await update(`hostname=${EXTERNAL}&myip=2001:db8::7`)).toEqual({ status: 200, body: 'good 2001:db8::7\n' });
    // The private address stayed as it was: dyndns2 keeps what it does not name.
    const state = await (
      await fetch(`${manager.url}/v1/licences/1234/nodes/nur1`, { headers: { authorization: `Bearer ${credential}` } })
    ).json();
    const served = (state.records as { name: string; type: string; data: string }[]).map(
      (r) => `${r.name} ${r.type} ${r.data}`,
    );
    expect(served).toEqual(
      expect.arrayContaining([`${INTERNAL} A 10.1.2.3`, `${EXTERNAL} A 198.51.100.7`, `${EXTERNAL} AAAA 2001:db8::7`]),
    );
  });

  it('takes the public address from the request when myip is absent', async () => {
    expect(await update(`hostname=${EXTERNAL}`, { source: '203.0.113.50' })).toEqual({
      status: 200,
      body: 'good 203.0.113.50\n',
    });
    expect(await dig(EXTERNAL)).toBe('203.0.113.50');
  });

  it('answers badauth, notfqdn, nohost, numhost and dnserr as the protocol says', async () => {
    const badauth = await update(`hostname=${EXTERNAL}&myip=198.51.100.8`, { password: 'hpn_wrong' });
    expect(badauth).toEqual({ status: 401, body: 'badauth\n' });
    expect((await update(`hostname=${EXTERNAL}`, { user: INTERNAL })).body).toBe('badauth\n');
    expect((await update('hostname=nur1&myip=198.51.100.8')).body).toBe('notfqdn\n');
    expect((await update('myip=198.51.100.8')).body).toBe('notfqdn\n');
    expect((await update('hostname=nur2.pl-1234.example.test&myip=198.51.100.8')).body).toBe('nohost\n');
    expect((await update(`hostname=${EXTERNAL},${INTERNAL},${EXTERNAL}&myip=198.51.100.8`)).body).toBe('numhost\n');
    // A private address on the external name, a public one on the internal name.
    expect((await update(`hostname=${EXTERNAL}&myip=10.9.9.9`)).body).toBe('dnserr\n');
    expect((await update(`hostname=${INTERNAL}&myip=198.51.100.8`)).body).toBe('dnserr\n');
    expect(await dig(EXTERNAL)).toBe('203.0.113.50');
  });

  it('answers abuse past 30 updates a minute from one address, others unaffected', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 31; i++)
      answers.push((await update(`hostname=${EXTERNAL}&myip=203.0.113.50`, { source: '198.51.100.99' })).body);
    expect(answers.slice(0, 30).every((a) => a === 'nochg 203.0.113.50\n')).toBe(true);
    expect(answers[30]).toBe('abuse\n');
    expect((await update(`hostname=${EXTERNAL}&myip=203.0.113.50`, { source: '198.51.100.98' })).body).toBe(
      'nochg 203.0.113.50\n',
    );
  });
});

const haveClients = haveSystemPrograms('ddclient', 'inadyn', 'dig');

describe.skipIf(!haveClients)('real dyndns2 clients', () => {
  it('ddclient updates the public address and dig sees it', async () => {
    const config = join(dir, 'ddclient.conf');
    writeFileSync(
      config,
      [
        'daemon=0',
        'protocol=dyndns2',
        'use=ip, ip=198.51.100.21',
        `server=127.0.0.1:${manager.http.port}`,
        'ssl=no',
        `login=${EXTERNAL}`,
        `password='${credential}'`,
        EXTERNAL,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const { stdout, stderr } = await run(
      'ddclient',
      ['-daemon=0', '-foreground', '-file', config, '-cache', join(dir, 'ddclient.cache')],
      { timeout: 60_000 },
    );
    expect(`${stdout}${stderr}`).toMatch(/SUCCESS:.*198\.51\.100\.21/);
    expect(await dig(EXTERNAL)).toBe('198.51.100.21');
  });

  it('inadyn updates the public address and dig sees it', async () => {
    const config = join(dir, 'inadyn.conf');
    writeFileSync(
      config,
      [
        'custom hairpin {',
        `  username = ${EXTERNAL}`,
        `  password = ${credential}`,
        `  ddns-server = 127.0.0.1:${manager.http.port}`,
        '  ddns-path = "/nic/update?hostname=%h&myip=%i"',
        '  ssl = false',
        '  checkip-command = "echo 198.51.100.22"',
        `  hostname = ${EXTERNAL}`,
        '}',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const { stdout, stderr } = await run(
      'inadyn',
      ['--once', '--foreground', '-f', config, `--cache-dir=${join(dir, 'inadyn')}`, '--no-pidfile', '-l', 'info'],
      { timeout: 60_000 },
    );
    expect(`${stdout}${stderr}`).toMatch(
      /Successful alias table update for nur1\.pl-1234\.example\.test => new IP# 198\.51\.100\.22/,
    );
    expect(await dig(EXTERNAL)).toBe('198.51.100.22');
  });
});
