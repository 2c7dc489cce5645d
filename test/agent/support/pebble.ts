// Pebble (Let's Encrypt's test CA, Debian `pebble`) on loopback for tests: its own config in a
// temp dir, an HTTPS certificate made with openssl (Debian ships none), DNS-01 validation sent
// to the manager's port-53 server, no sleeps and no rejected nonces.
import { type ChildProcess, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { makeCertificate } from '../../../lab/pki.ts';
import { freePort } from '../../support/net.ts';
import { waitUntil } from '../../support/wait.ts';

export interface RunningPebble {
  directoryUrl: string;
  /** PEM of the CA that signed Pebble's own HTTPS certificate (trust it for the ACME client). */
  httpsCa: string;
  httpsCaFile: string;
  /** Pebble's issuing root, from the management port's /roots/0. */
  root(): Promise<string>;
  dir: string;
  close(): Promise<void>;
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function startPebble(dnsPort: number): Promise<RunningPebble> {
  const tls = makeCertificate(['localhost'], ['127.0.0.1']);
  const dir = tls.dir;
  const [acmePort, managementPort, httpPort, tlsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.certFile,
        privateKey: tls.keyFile,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(
    'pebble',
    ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`],
    {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const httpsCa = tls.ca;
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const up = async () => {
    if (child.exitCode !== null) throw new Error('pebble exited');
    return httpsGet(directoryUrl, httpsCa).then(
      (r) => r.status === 200,
      () => false,
    );
  };
  try {
    await waitUntil(up, { timeoutMs: 10_000, timeout: () => 'pebble did not answer in time' });
  } catch {
    await close();
    throw new Error(`pebble did not start: ${output}`);
  }
  return {
    directoryUrl,
    httpsCa,
    httpsCaFile: tls.caFile,
    dir,
    root: async () => (await httpsGet(`https://127.0.0.1:${managementPort}/roots/0`, httpsCa)).body,
    close,
  };
}
