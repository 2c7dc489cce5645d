// The node service helpers: Host allow-list, CORS on every answer (errors too), the private and
// local network preflights, and the identity endpoint, through both wrappers.
import { rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceIdentity, withHairpinFetch, withHairpinListener } from '../../agent/http/index.ts';
import { makeCertificate } from '../../lab/pki.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { names } from './support/names.ts';

const identity: ServiceIdentity = {
  licence: '1234',
  node: 'nur1',
  names,
  appsName: 'pl-1234.apps.example.test',
  port: 8443,
};
const APPS = 'https://pl-1234.apps.example.test';
const SIBLING = 'https://nur1.pl-1234.example.test:8443';

const service = withHairpinFetch((req) => {
  const path = new URL(req.url).pathname;
  if (path === '/boom') throw new Error('service bug');
  if (path === '/teapot')
    return new Response('{"type":"urn:app:teapot"}', {
      status: 418,
      headers: { 'content-type': 'application/problem+json' },
    });
  return Response.json({ ok: true });
}, identity);

const at = (path: string, init: RequestInit & { host?: string } = {}) =>
  service(new Request(`https://${init.host ?? 'i-nur1.pl-1234.example.test:8443'}${path}`, init));

describe('Fetch wrapper', () => {
  it('answers the identity endpoint with the fixed contract, CORS and no-store', async () => {
    const res = await at('/.well-known/hairpin?nonce=abc123', { headers: { origin: APPS } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe(APPS);
    expect(await res.json()).toEqual({
      service: 'hairpin',
      licence: '1234',
      node: 'nur1',
      names: { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' },
      nonce: 'abc123',
    });
    expect((await at('/.well-known/hairpin?nonce=<script>')).status).toBe(400);
    expect((await at('/.well-known/hairpin')).status).toBe(400);
  });

  it('refuses names it does not serve with 421, still with CORS', async () => {
    const res = await at('/api', { host: 'evil.example:8443', headers: { origin: APPS } });
    expect(res.status).toBe(421);
    expect(res.headers.get('access-control-allow-origin')).toBe(APPS);
  });

  it('puts CORS on service errors and thrown failures, for the app store and the sibling origin', async () => {
    const teapot = await at('/teapot', { headers: { origin: SIBLING } });
    expect(teapot.status).toBe(418);
    expect(teapot.headers.get('access-control-allow-origin')).toBe(SIBLING);
    expect(teapot.headers.get('vary')).toContain('Origin');
    const boom = await at('/boom', { headers: { origin: APPS } });
    expect(boom.status).toBe(500);
    expect(boom.headers.get('access-control-allow-origin')).toBe(APPS);
    const stranger = await at('/api', { headers: { origin: 'https://elsewhere.example' } });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the private-network and local-network preflights', async () => {
    const res = await at('/api', {
      method: 'OPTIONS',
      headers: {
        origin: APPS,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type, idempotency-key',
        'access-control-request-private-network': 'true',
        'access-control-request-local-network': 'true',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    expect(res.headers.get('access-control-allow-local-network')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, idempotency-key');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    const refused = await at('/api', {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    expect(refused.status).toBe(403);
  });
});

describe('Node listener wrapper', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer(
      withHairpinListener(async (req, res) => {
        if (req.url === '/reject') throw new Error('async failure');
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      }, identity),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('passes allowed hosts with CORS, refuses others, and keeps CORS on a rejected promise', async () => {
    const ok = await get('/x', { host: 'NUR1.pl-1234.example.test.:8443', origin: APPS });
    expect(ok).toMatchObject({ status: 200, body: 'hello' });
    expect(ok.headers['access-control-allow-origin']).toBe(APPS);
    expect((await get('/x', { host: '127.0.0.1' })).status).toBe(421);
    const failed = await get('/reject', { host: 'i-nur1.pl-1234.example.test', origin: APPS });
    expect(failed.status).toBe(500);
    expect(failed.headers['access-control-allow-origin']).toBe(APPS);
    const id = await get('/.well-known/hairpin?nonce=n1', { host: 'i-nur1.pl-1234.example.test:8443' });
    expect(JSON.parse(id.body).nonce).toBe('n1');
  });
});

describe.skipIf(!haveSystemPrograms('openssl'))('Node HTTP/2 listener wrapper', () => {
  it('reads the host from :authority and answers the identity endpoint over h2', async () => {
    const tls = makeCertificate([identity.names.internal]);
    const server = createSecureServer(
      { cert: tls.cert, key: tls.key },
      withHairpinListener((_req, res) => res.end('app'), identity),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const session = connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      ca: tls.ca,
      servername: identity.names.internal,
    });
    try {
      const ask = (authority: string) =>
        new Promise<{ status: number; origin: unknown; body: string }>((resolve, reject) => {
          const stream = session.request({
            ':path': '/.well-known/hairpin?nonce=h2',
            ':authority': authority,
            origin: APPS,
          });
          let status = 0;
          let origin: unknown;
          let body = '';
          stream.on('response', (h) => {
            status = Number(h[':status']);
            origin = h['access-control-allow-origin'];
          });
          stream.on('data', (c) => (body += c));
          stream.on('end', () => resolve({ status, origin, body }));
          stream.on('error', reject);
        });
      const ok = await ask(`${identity.names.internal}:8443`);
      expect(ok.status).toBe(200);
      expect(ok.origin).toBe(APPS);
      expect(JSON.parse(ok.body)).toMatchObject({ node: 'nur1', nonce: 'h2' });
      expect((await ask('other.example.test')).status).toBe(421);
    } finally {
      session.close();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(tls.dir, { recursive: true, force: true });
    }
  });
});
