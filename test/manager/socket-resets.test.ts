// A TCP reset at any point of a connection ends that connection, never the process: the manager
// started as `npm start` starts it takes 100 resets of each kind (before the first byte, inside
// an HTTP/1.1 request line, inside the HTTP/2 preface, after it, during and after a TLS
// handshake) and answers the next request. The agent's pairing endpoint takes the same.
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairingDecision } from '../../agent/pairing.ts';
import { listenPairingEndpoint, SharedDecision } from '../../agent/pairing-endpoint.ts';
import { makeCertificate, type TestCertificate } from '../../lab/pki.ts';
import { type ManagerProcess, spawnManager } from '../support/process.ts';

const ROUNDS = 100;

/** Resolves once connected (a refused connection fails the test at once); later errors are expected. */
async function connected(socket: Socket): Promise<void> {
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
}

/** Connect, send `bytes`, give the server a moment to read them, then reset (RST, not FIN). */
async function resetAfter(port: number, bytes: string | Buffer): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await connected(socket);
  if (bytes.length > 0) {
    await new Promise((resolve) => socket.write(bytes, resolve));
    await sleep(2);
  }
  socket.resetAndDestroy();
}

/** Reset the TCP connection under a TLS client: mid-handshake, or once it is secure. */
async function resetTls(port: number, when: 'handshake' | 'secure'): Promise<void> {
  const raw = connect(port, '127.0.0.1');
  await connected(raw);
  const tls = connectTls({ socket: raw, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
  tls.on('error', () => {});
  if (when === 'secure') await new Promise((resolve) => tls.once('secureConnect', resolve));
  else await sleep(1);
  raw.resetAndDestroy();
}

const kinds: Record<string, (port: number) => Promise<void>> = {
  'before the first byte': (port) => resetAfter(port, ''),
  'inside an HTTP/1.1 request line': (port) => resetAfter(port, 'GET /hea'),
  'after HTTP/1.1 headers, inside the body': (port) =>
    resetAfter(port, 'PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab'),
  'inside the HTTP/2 preface': (port) => resetAfter(port, 'PRI * HTTP/2'),
  'after the HTTP/2 preface': (port) => resetAfter(port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
};

async function survives(
  process: { alive(): boolean; url: string },
  reset: (port: number) => Promise<void>,
  port: number,
) {
  // Ten at a time: the server meets resets on several connections at once, as in a scan.
  for (let i = 0; i < ROUNDS; i += 10) await Promise.all(Array.from({ length: 10 }, () => reset(port)));
  expect(process.alive()).toBe(true);
}

describe('the manager process survives resets', () => {
  let manager: ManagerProcess;
  beforeAll(async () => {
    manager = await spawnManager({ HAIRPIN_DB: ':memory:', HAIRPIN_ADMIN_TOKEN: 'test-admin-token' });
  });
  afterAll(() => manager?.stop());
  const alive = () => manager.child.exitCode === null && manager.child.signalCode === null;

  for (const [kind, reset] of Object.entries(kinds)) {
    it(`${ROUNDS} resets ${kind}, then the next request is answered`, async () => {
      await survives({ alive, url: manager.url }, reset, manager.port);
      const res = await fetch(`${manager.url}/healthz`);
      expect(res.status, manager.output()).toBe(200);
    });
  }
});

describe('the manager process survives resets over TLS', () => {
  let manager: ManagerProcess;
  let certificate: TestCertificate;
  beforeAll(async () => {
    certificate = makeCertificate(['localhost'], ['127.0.0.1']);
    manager = await spawnManager({
      HAIRPIN_DB: ':memory:',
      HAIRPIN_ADMIN_TOKEN: 'test-admin-token',
      HAIRPIN_TLS_CERT: certificate.certFile,
      HAIRPIN_TLS_KEY: certificate.keyFile,
    });
  });
  afterAll(async () => {
    await manager?.stop();
    rmSync(certificate.dir, { recursive: true, force: true });
  });
  const alive = () => manager.child.exitCode === null && manager.child.signalCode === null;

  for (const when of ['handshake', 'secure'] as const) {
    it(`${ROUNDS} resets during the ${when === 'handshake' ? 'handshake' : 'connection, once secure'}, then the next request is answered`, async () => {
      await survives({ alive, url: manager.url }, (port) => resetTls(port, when), manager.port);
      for (const kind of ['before the first byte', 'inside an HTTP/1.1 request line'] as const) {
        await survives({ alive, url: manager.url }, kinds[kind]!, manager.port);
      }
      const answer = await new Promise<string>((resolve, reject) => {
        const tls = connectTls({
          host: '127.0.0.1',
          port: manager.port,
          ca: certificate.ca,
          servername: 'localhost',
          ALPNProtocols: ['http/1.1'],
        });
        let text = '';
        tls.on('data', (d) => (text += d));
        tls.on('end', () => resolve(text));
        tls.on('error', reject);
        tls.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
      expect(answer, manager.output()).toMatch(/^HTTP\/1\.1 200/);
    });
  }
});

describe('the pairing endpoint survives resets', () => {
  let server: Server;
  beforeAll(async () => {
    const decisions = new SharedDecision<PairingDecision>(
      async () =>
        ({
          url: 'https://i-nur1.pl-1234.example.test/',
          kind: 'internal',
          explanation: [],
        }) as unknown as PairingDecision,
      Date.now,
    );
    server = await listenPairingEndpoint({ host: '127.0.0.1', port: 0 }, decisions, {
      external: 'nur1.pl-1234.example.test',
      internal: 'i-nur1.pl-1234.example.test',
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it(`${ROUNDS} resets before the first byte and inside a request, then the next request is answered`, async () => {
    const port = (server.address() as AddressInfo).port;
    for (const kind of ['before the first byte', 'inside an HTTP/1.1 request line'] as const) {
      await survives({ alive: () => true, url: '' }, kinds[kind]!, port);
    }
    const res = await fetch(`http://127.0.0.1:${port}/pairing-url`);
    expect(res.status).toBe(200);
  });
});
