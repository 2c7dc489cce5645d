// A standard ACME client, unchanged: lego sets the node's DNS-01 values through the manager's
// acme-dns-compatible API, and Pebble validates them on the manager's port-53 server. Debian's
// lego 4.9 is built without its acme-dns provider, so lego's exec provider runs a hook that
// speaks acme-dns exactly as that provider does (./support/acme-dns-hook.ts).
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { names } from './support/names.ts';
import { type RunningPebble, startPebble } from './support/pebble.ts';

describe.skipIf(!haveSystemPrograms('pebble', 'lego', 'openssl'))('lego through the acme-dns API', () => {
  let manager: TestManager;
  let pebble: RunningPebble;
  let dir: string;
  let credential: string;

  beforeAll(async () => {
    manager = await startTestManager();
    credential = await manager.enrol('1234', 'nur1');
    pebble = await startPebble(manager.dns.udpPort);
    dir = await mkdtemp(join(tmpdir(), 'hairpin-lego-'));
  });
  afterAll(async () => {
    await pebble?.close();
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('obtains a certificate for both node names', async () => {
    // The storage file lego would otherwise fill by an (unauthenticated) /register: pre-filled
    // with one account per name, each registered with the node's own credential.
    const storage: Record<string, unknown> = {};
    for (const kind of ['external', 'internal'] as const) {
      const res = await fetch(`${manager.url}/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify({ licence: '1234', node: 'nur1', name: kind }),
      });
      expect(res.status).toBe(201);
      storage[names[kind]] = await res.json();
    }
    await writeFile(join(dir, 'acme-dns.json'), JSON.stringify(storage));
    const hook = join(dir, 'acme-dns-hook');
    await writeFile(
      hook,
      `#!/bin/sh\nexec "${process.execPath}" "${new URL('./support/acme-dns-hook.ts', import.meta.url).pathname}" "$@"\n`,
    );
    await chmod(hook, 0o755);
    const started = performance.now();
    const { stderr } = await promisify(execFile)(
      'lego',
      [
        '--server',
        pebble.directoryUrl,
        '--accept-tos',
        '--email',
        'ops@example.test',
        '--path',
        join(dir, 'lego'),
        '--dns',
        'exec',
        '--dns.resolvers',
        `127.0.0.1:${manager.dns.udpPort}`,
        '--dns.disable-cp',
        '--domains',
        names.external,
        '--domains',
        names.internal,
        'run',
      ],
      {
        timeout: 80_000,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          ACME_DNS_API_BASE: manager.url,
          ACME_DNS_STORAGE_PATH: join(dir, 'acme-dns.json'),
          LEGO_CA_CERTIFICATES: pebble.httpsCaFile,
          EXEC_PATH: hook,
          // The exec provider solves one name at a time and waits this long between them.
          EXEC_SEQUENCE_INTERVAL: '1',
          EXEC_POLLING_INTERVAL: '1',
          EXEC_PROPAGATION_TIMEOUT: '30',
        },
      },
    ).catch((e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`lego failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    });
    console.log(`lego: certificate in ${Math.round(performance.now() - started)} ms`);
    expect(stderr).toContain('Server responded with a certificate');
    const leaf = join(dir, 'lego', 'certificates', `${names.external}.crt`);
    await readFile(leaf, 'utf8');
    for (const name of [names.external, names.internal]) {
      expect(
        execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-checkhost', name], { encoding: 'utf8' }),
      ).toContain('does match certificate');
    }
  }, 90_000);
});
