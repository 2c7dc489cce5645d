// The relay on the Node manager, end to end on loopback: a node's agent keeps its socket, a
// caller reaches the node's own HTTPS service through the relay's TLS port (SNI passthrough, the
// node's certificate) or through the manager's HTTP listener (TLS ended in front of it). And what
// the relay must refuse: another node's credential, anything but a connected node, past its caps.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { withHairpinListener } from '../../agent/http/index.ts';
import { RelayLink } from '../../agent/relay.ts';
import { createTestPki, type TestPki } from '../../lab/pki.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const RATE = 256 * 1024;
const relayName = (node: string) => `relay-${node}-pl-7001.example.test`;

/** The node's service: identity (through the agent's helpers), an echo that hashes the body, a blob, a held request. */
function nodeService(names: { external: string; internal: string; relay: string }, seen: { connections: number }) {
  const held: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://node.invalid');
    if (url.pathname === '/echo') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      req.on('end', () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ bytes, sha256: hash.digest('hex'), host: req.headers.host })),
      );
      return;
    }
    if (url.pathname === '/blob') {
      const size = Number(url.searchParams.get('bytes'));
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        ...(url.searchParams.has('close') ? { connection: 'close' } : {}),
      });
      return void res.end(Buffer.alloc(size, 0x61));
    }
    if (url.pathname === '/hold') return void held.push(res.writeHead(200, { 'content-type': 'text/plain' }));
    res.writeHead(404).end();
  };
  return {
    handler: withHairpinListener(handler, {
      licence: '7001',
      node: 'nur1',
      names,
      appsName: 'pl-7001.apps.example.test',
      port: 8443,
    }),
    held,
    seen,
  };
}

describe('relay on the Node manager', () => {
  let pki: TestPki;
  let manager: TestManager;
  let service: Server;
  let link: RelayLink;
  let credentials: Record<string, string>;
  const seen = { connections: 0 };
  let svc: ReturnType<typeof nodeService>;

  beforeAll(async () => {
    pki = createTestPki();
    manager = await startTestManager({
      HAIRPIN_RELAY_TARGET: '127.0.0.1',
      HAIRPIN_RELAY_PORT: '0',
      HAIRPIN_RELAY_MAX_STREAMS: '3',
      HAIRPIN_RELAY_BYTES_PER_SECOND: String(RATE),
    });
    credentials = { nur1: await manager.enrol('7001', 'nur1'), nur2: await manager.enrol('7001', 'nur2') };
    const names = {
      external: 'nur1.pl-7001.example.test',
      internal: 'i-nur1.pl-7001.example.test',
      relay: relayName('nur1'),
    };
    svc = nodeService(names, seen);
    const leaf = pki.issue(Object.values(names));
    service = createServer({ key: leaf.key, cert: leaf.cert }, svc.handler);
    service.on('connection', () => seen.connections++);
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    link = new RelayLink({
      ca: pki.caPem,
      manager: manager.url,
      licence: '7001',
      node: 'nur1',
      credential: credentials.nur1!,
      target: { host: '127.0.0.1', port: (service.address() as AddressInfo).port },
      backoff: { baseMs: 50, maxMs: 200 },
    });
    link.start();
    await link.whenConnected();
  });

  afterAll(async () => {
    await link?.stop();
    for (const res of svc?.held ?? []) res.end();
    service?.closeAllConnections();
    await new Promise((r) => service?.close(r));
    await manager?.close();
    pki?.dispose();
  });

  /** HTTPS to the relay's TLS port, asking for `name` by SNI, trusting the node's CA. */
  function viaRelayTls(
    name: string,
    path: string,
    init: { method?: string; body?: Buffer } = {},
  ): Promise<{ status: number; body: Buffer; peerSan: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: manager.relay!.tls!.port,
          servername: name,
          headers: { host: name },
          path,
          method: init.method ?? 'GET',
          ca: pki.caPem,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              body: Buffer.concat(chunks),
              peerSan: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname ?? '',
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /**
   * A request to the manager's HTTP listener for a relay name (as behind a TLS-ending proxy).
   * node:http, not fetch: fetch sets Host itself.
   */
  function viaRelayHttp(
    name: string,
    path: string,
    init: { method?: string; body?: Buffer | string } = {},
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: manager.http.port,
          path,
          method: init.method ?? 'GET',
          headers: { host: name },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(
              new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), {
                status: res.statusCode!,
                headers: res.headers as Record<string, string>,
              }),
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  it('publishes the relay name in the node view and the zone', async () => {
    const res = await fetch(`${manager.url}/v1/licences/7001/nodes/nur1`, {
      headers: { authorization: `Bearer ${credentials.nur1}` },
    });
    const view = (await res.json()) as {
      names: { relay: string };
      records: Array<{ name: string; type: string; data: string }>;
    };
    expect(view.names.relay).toBe(relayName('nur1'));
    expect(view.records).toContainEqual(
      expect.objectContaining({ name: relayName('nur1'), type: 'A', data: '127.0.0.1' }),
    );
    const doh = await fetch(`${manager.url}/resolve?name=${relayName('nur1')}&type=A`);
    expect(((await doh.json()) as { Answer: Array<{ data: string }> }).Answer.map((a) => a.data)).toEqual([
      '127.0.0.1',
    ]);
  });

  it("passes TLS through by SNI: the node's own certificate answers, bodies stream both ways", async () => {
    const body = Buffer.alloc(300_000, 7);
    const res = await viaRelayTls(relayName('nur1'), '/echo', { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(res.peerSan).toContain(`DNS:${relayName('nur1')}`);
    expect(JSON.parse(res.body.toString())).toEqual({
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      host: relayName('nur1'),
    });
    // The service closes the connection after its answer, with more unread than one window: the
    // close is a clean end, and every byte still arrives.
    const closing = await viaRelayTls(relayName('nur1'), '/blob?bytes=300000&close');
    expect(closing.body.length).toBe(300_000);
    const identity = await viaRelayTls(relayName('nur1'), '/.well-known/hairpin?nonce=abc');
    expect(JSON.parse(identity.body.toString()).names.relay).toBe(relayName('nur1'));
  });

  it("forwards HTTP for a relay name through the node's socket (TLS ended in front), streamed body", async () => {
    const body = Buffer.alloc(300_000, 9);
    const res = await viaRelayHttp(relayName('nur1'), '/echo', { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      host: relayName('nur1'),
    });
  });

  it('reaches nothing but a connected node: other names, offline nodes, tunnels, absolute URLs', async () => {
    const before = seen.connections;
    // A relay name whose node has no socket: 503 problem+json, at once.
    const offline = await viaRelayHttp(relayName('nur2'), '/echo');
    expect(offline.status).toBe(503);
    expect(offline.headers.get('content-type')).toBe('application/problem+json');
    expect(((await offline.json()) as { type: string }).type).toBe('urn:hairpin:problem:relay-offline');
    // An absolute URL naming the node's service itself goes to the API, not anywhere else.
    const port = (service.address() as AddressInfo).port;
    const absolute = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: manager.http.port,
          path: `http://127.0.0.1:${port}/echo`,
          headers: { host: `127.0.0.1:${port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(absolute).toBe(404);
    // The TLS port: a name that is not a connected node's (the node's external name, an address,
    // an offline node, no SNI at all) gets a TLS alert and no connection anywhere.
    for (const servername of ['nur1.pl-7001.example.test', relayName('nur2'), 'localhost', undefined]) {
      const error = await new Promise<Error>((resolve) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port: manager.relay!.tls!.port, ...(servername ? { servername } : {}), ca: pki.caPem },
          () => resolve(new Error('connected')),
        );
        socket.on('error', resolve);
      });
      expect(error.message).not.toBe('connected');
    }
    expect(seen.connections).toBe(before);
  });

  it("another node's credential, or the admin token, cannot take over a node's relay", async () => {
    const open = (token: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${manager.http.port}/v1/licences/7001/nodes/nur1/relay`, {
          headers: { authorization: `Bearer ${token}` },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    expect(await open(credentials.nur2!)).toBe(403);
    expect(await open(ADMIN_TOKEN)).toBe(403);
    expect(await open('hpn_not-a-credential')).toBe(401);
    // The node's own socket still serves.
    expect((await viaRelayHttp(relayName('nur1'), '/echo', { method: 'POST', body: 'x' })).status).toBe(200);
  });

  it('caps concurrent streams per node (429) and paces bytes per second', async () => {
    const holds = [1, 2, 3].map(() => viaRelayHttp(relayName('nur1'), '/hold'));
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const poll = () =>
        svc.held.length >= 3
          ? resolve()
          : Date.now() > deadline
            ? reject(new Error('held requests did not arrive'))
            : setTimeout(poll, 20);
      poll();
    });
    const refused = await viaRelayHttp(relayName('nur1'), '/echo');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { type: string }).type).toBe('urn:hairpin:problem:relay-busy');
    for (const res of svc.held.splice(0)) res.end('done');
    for (const res of await Promise.all(holds)) expect(await res.text()).toBe('done');
    // 3 × the per-second cap: at least ~2 s, whatever the machine's speed (a lower bound only).
    const started = Date.now();
    const blob = await viaRelayHttp(relayName('nur1'), `/blob?bytes=${3 * RATE}`);
    expect((await blob.arrayBuffer()).byteLength).toBe(3 * RATE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });

  it("answers 503 problem+json at once when the node's socket goes, and the agent comes back", async () => {
    await link.stop();
    const res = await viaRelayHttp(relayName('nur1'), '/echo');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    link.start();
    await link.whenConnected();
    expect((await viaRelayHttp(relayName('nur1'), '/echo', { method: 'POST', body: 'back' })).status).toBe(200);
  });
});
