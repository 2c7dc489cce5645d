// The node's SAN certificate from a real ACME CA (Pebble) by DNS-01, the manager's port-53
// server answering the CA's TXT queries; then a forced renewal replacing it atomically.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerDns01 } from '../../agent/cert/dns01.ts';
import { CertificateKeeper, renewalTime } from '../../agent/cert/keeper.ts';
import { ManagerClient } from '../../agent/manager-client.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { names } from './support/names.ts';
import { type RunningPebble, startPebble } from './support/pebble.ts';

describe('renewalTime', () => {
  it('is two thirds of the lifetime, within ±1/30 of it', () => {
    const day = 86_400_000;
    expect(renewalTime(0, 90 * day, () => 0.5)).toBe(60 * day);
    expect(renewalTime(0, 90 * day, () => 0)).toBe(57 * day);
    expect(renewalTime(0, 90 * day, () => 1)).toBe(63 * day);
  });
});

describe.skipIf(!haveSystemPrograms('pebble', 'openssl'))('certificate from Pebble by DNS-01', () => {
  let manager: TestManager;
  let pebble: RunningPebble;
  let dir: string;
  let keeper: CertificateKeeper;
  let client: ManagerClient;
  const hooks: string[] = [];

  beforeAll(async () => {
    manager = await startTestManager();
    const credential = await manager.enrol('1234', 'nur1');
    pebble = await startPebble(manager.dns.udpPort);
    dir = await mkdtemp(join(tmpdir(), 'hairpin-agent-cert-'));
    client = new ManagerClient({ url: manager.url, licence: '1234', node: 'nur1', credential });
    keeper = new CertificateKeeper({
      dir,
      names,
      order: {
        directoryUrl: pebble.directoryUrl,
        directoryCa: pebble.httpsCa,
        ...managerDns01(client, resolverTransport(`127.0.0.1:${manager.dns.udpPort}`), names, {
          timeoutMs: 10_000,
          intervalMs: 100,
        }),
      },
      reloadCommand: `echo "$HAIRPIN_CERT_NOT_AFTER" >> ${join(dir, 'hook.log')}`,
      onRenewed: (s) => void hooks.push(s.notAfter),
    });
  });
  afterAll(async () => {
    await pebble?.close();
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });

  it('obtains one certificate whose SAN holds both names, verifiable against Pebble’s root', async () => {
    const started = performance.now();
    const result = await keeper.ensure();
    console.log(`pebble: first certificate in ${Math.round(performance.now() - started)} ms`);
    expect(result).toMatchObject({ renewed: true, reason: 'no certificate yet' });
    expect(result.status.names.sort()).toEqual([names.internal, names.external].sort());

    expect((await stat(keeper.paths.key)).mode & 0o777).toBe(0o600);
    expect((await stat(keeper.paths.account)).mode & 0o777).toBe(0o600);

    const [leaf, ...intermediates] = acme.crypto.splitPemChain(await readFile(keeper.paths.chain, 'utf8'));
    await writeFile(join(dir, 'leaf.pem'), leaf!);
    await writeFile(join(dir, 'intermediates.pem'), intermediates.join('\n'));
    await writeFile(join(dir, 'root.pem'), await pebble.root());
    expect(
      openssl(
        'verify',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'intermediates.pem'),
        join(dir, 'leaf.pem'),
      ),
    ).toContain(': OK');
    for (const name of [names.external, names.internal]) {
      expect(openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-checkhost', name)).toContain(
        'does match certificate',
      );
    }
    expect(openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-subject', '-nameopt', 'RFC2253')).toContain(
      `CN=${names.external}`,
    );
    expect(
      openssl('x509', '-in', join(dir, 'leaf.pem'), '-noout', '-checkhost', 'nur2.pl-1234.example.test'),
    ).toContain('does NOT match');

    // The challenge values were withdrawn once the CA had looked.
    const left = await client.request<{ external: { values: string[] }; internal: { values: string[] } }>(
      'GET',
      `${client.nodePath}/acme-challenges`,
    );
    expect([...left.external.values, ...left.internal.values]).toEqual([]);
    expect((await readFile(join(dir, 'hook.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(hooks).toHaveLength(1);
  });

  it('does nothing while the certificate is not due', async () => {
    expect((await keeper.ensure()).renewed).toBe(false);
  });

  it('a forced renewal replaces the chain atomically, keeps the key and runs the hook', async () => {
    const key = await readFile(keeper.paths.key, 'utf8');
    const serial = () => openssl('x509', '-in', keeper.paths.chain, '-noout', '-serial');
    const before = serial();
    // A reader hammering the file during the renewal sees a whole chain every time (bounded).
    let reads = 0;
    let torn = 0;
    let done = false;
    const reader = (async () => {
      while (!done && reads < 100_000) {
        const pem = await readFile(keeper.paths.chain, 'utf8');
        reads++;
        if (!pem.trimEnd().endsWith('-----END CERTIFICATE-----') || acme.crypto.splitPemChain(pem).length < 2) torn++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const result = await keeper.ensure({ force: true });
    done = true;
    await reader;
    console.log(`forced renewal: ${reads} reads of the chain during it, ${torn} torn`);
    expect(result).toMatchObject({ renewed: true, reason: 'forced' });
    expect(serial()).not.toBe(before);
    expect(torn).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(await readFile(keeper.paths.key, 'utf8')).toBe(key);
    expect((await readFile(join(dir, 'hook.log'), 'utf8')).trim().split('\n')).toHaveLength(2);
    expect(hooks).toHaveLength(2);
  });

  it('finds its account again when the account URL file is lost, and re-registers when the CA forgot it', async () => {
    await rm(keeper.paths.accountUrl);
    expect((await keeper.ensure({ force: true })).renewed).toBe(true);
    const known = JSON.parse(await readFile(keeper.paths.accountUrl, 'utf8'));
    await writeFile(keeper.paths.accountUrl, JSON.stringify({ ...known, accountUrl: `${known.accountUrl}-gone` }));
    expect((await keeper.ensure({ force: true })).renewed).toBe(true);
    expect(JSON.parse(await readFile(keeper.paths.accountUrl, 'utf8')).accountUrl).not.toContain('-gone');
  });
});
