// The reachability check: the Node connect against an open, a closed and a firewalled port on
// loopback (IPv4 and IPv6; the firewalled ones in a namespace of the test's own, with nftables
// dropping or rejecting), and the API: it connects only to what the node reported, refuses to
// be aimed, is rate-limited per node, and the node view says whether the result is current.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTcpConnect } from '../../worker/adapter/node/tcp-connect.ts';
import { type OpenedStore, openStore } from '../../worker/adapter/sqlite/store.ts';
import { createApp } from '../../worker/app.ts';
import { configFromEnv } from '../../worker/config.ts';
import type { TcpConnect } from '../../worker/reachability/check.ts';
import { REACH_EVERY_MS } from '../../worker/store/reachability.ts';
import { Zone } from '../../worker/zone/answer.ts';
import { haveSystemPrograms } from '../support/system.ts';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

describe('nodeTcpConnect on loopback', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  for (const host of ['127.0.0.1', '::1']) {
    it(`${host}: a listening port is open, a closed one refused`, async () => {
      const open = await listen(host);
      servers.push(open);
      expect(await nodeTcpConnect(host, portOf(open), 3000)).toEqual({
        outcome: 'open',
        detail: 'TCP handshake completed',
      });
      // A port just freed: nothing listens there, the kernel answers RST.
      const closed = await listen(host);
      const port = portOf(closed);
      await new Promise((r) => closed.close(r));
      expect(await nodeTcpConnect(host, port, 3000)).toMatchObject({ outcome: 'refused' });
    });
  }
});

const root = process.getuid?.() === 0;
if (!root && process.env.CI) throw new Error('the firewalled-port test runs as root under CI');
const firewall = root && haveSystemPrograms('ip', 'nft');
// Not the lab's hp- prefix: a lab run removes every hp-* namespace it finds as leftovers.
const NS = `hpt-reach-${process.pid}`;
const CONNECT = fileURLToPath(new URL('../../worker/adapter/node/tcp-connect.ts', import.meta.url));

describe.skipIf(!firewall)('nodeTcpConnect against a firewall (namespace)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    // What a box's firewall does to an unsolicited inbound connection: drop it silently (most
    // IPv6 defaults), or reject it with ICMP "administratively prohibited".
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
      input:
        'table inet box {\n chain input {\n type filter hook input priority 0;\n tcp dport 7001 drop\n tcp dport 7002 reject with icmpx type admin-prohibited\n }\n}\n',
    });
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  it('a dropped port is filtered, a rejected one unreachable, on 127.0.0.1 and ::1', () => {
    const script = `const { nodeTcpConnect } = await import(${JSON.stringify(CONNECT)});
      const out = {};
      for (const host of ['127.0.0.1', '::1']) out[host] = [await nodeTcpConnect(host, 7001, 1500), await nodeTcpConnect(host, 7002, 1500)];
      process.stdout.write(JSON.stringify(out));`;
    const out = JSON.parse(
      execFileSync('ip', ['netns', 'exec', NS, process.execPath, '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      }),
    );
    for (const host of ['127.0.0.1', '::1']) {
      expect(out[host][0], host).toEqual({ outcome: 'filtered', detail: 'no answer within 1500 ms' });
      expect(out[host][1], host).toMatchObject({
        outcome: 'unreachable',
        detail: expect.stringMatching(/^E(HOSTUNREACH|ACCES|NETUNREACH)$/),
      });
    }
  });
});

describe('POST /v1/licences/{licence}/nodes/{node}/reachability', () => {
  const ADMIN = 'test-admin';
  let opened: OpenedStore;
  let app: ReturnType<typeof createApp>;
  let now = Date.parse('2026-01-01T00:00:00Z');
  const aimed: string[] = [];
  // The connect is recorded, not made: these addresses stand for the internet (documentation
  // ranges); the real connect is tested above.
  const connect: TcpConnect = async (address, port) => {
    aimed.push(`${address} ${port}`);
    return address.includes(':')
      ? { outcome: 'filtered', detail: 'no answer within 3000 ms' }
      : { outcome: 'open', detail: 'TCP handshake completed' };
  };
  let credential = '';
  const call = (path: string, init: RequestInit & { token?: string } = {}) =>
    app.request(path, {
      ...init,
      headers: {
        authorization: `Bearer ${init.token ?? credential}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  const report = (body: object) =>
    call('/v1/licences/1234/nodes/nur1/addresses', { method: 'PUT', body: JSON.stringify(body) });
  const check = (body?: object) =>
    call('/v1/licences/1234/nodes/nur1/reachability', {
      method: 'POST',
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    opened = await openStore(':memory:');
    const config = configFromEnv({ HAIRPIN_ADMIN_TOKEN: ADMIN });
    app = createApp({
      config,
      store: opened.store,
      zone: new Zone(config, opened.store),
      peerAddress: () => '127.0.0.1',
      now: () => now,
      tcpConnect: connect,
    });
    const res = await call('/v1/licences/1234/nodes', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ node: 'nur1' }),
    });
    credential = ((await res.json()) as { credential: string }).credential;
  });
  afterAll(async () => opened?.close());

  it('without a reported public address there is nothing to check (409), and nothing is connected', async () => {
    await report({ privateIpv4: '192.168.1.20', privateIpv6: 'fd00::20', port: 8443 });
    const res = await check();
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: 'urn:hairpin:problem:no-public-address' });
    expect(aimed).toEqual([]);
    now += REACH_EVERY_MS;
  });

  it('connects to the reported public IPv4 and IPv6 on the reported port, and only there', async () => {
    await report({ privateIpv4: '192.168.1.20', publicIpv4: '203.0.113.7', publicIpv6: '2001:db8:7::20', port: 8443 });
    const res = await check();
    expect(res.status).toBe(200);
    expect(aimed.sort()).toEqual(['2001:db8:7::20 8443', '203.0.113.7 8443']);
    const body = (await res.json()) as { reachability: Record<string, { outcome: string; current: boolean }> };
    expect(body.reachability.ipv4).toMatchObject({
      address: '203.0.113.7',
      port: 8443,
      outcome: 'open',
      current: true,
    });
    expect(body.reachability.ipv6).toMatchObject({
      address: '2001:db8:7::20',
      port: 8443,
      outcome: 'filtered',
      current: true,
    });
  });

  it('a caller cannot aim it: an address or port in the body is refused, nothing is connected', async () => {
    aimed.length = 0;
    now += REACH_EVERY_MS;
    for (const body of [{ address: '127.0.0.1' }, { publicIpv6: '::1', port: 22 }, { target: '10.0.0.1:6379' }]) {
      const res = await check(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: 'urn:hairpin:problem:invalid-request' });
    }
    // Nor by reporting one: the report's own checks keep loopback and private addresses out.
    expect((await report({ privateIpv4: '192.168.1.20', publicIpv4: '127.0.0.1' })).status).toBe(400);
    expect((await report({ privateIpv4: '192.168.1.20', publicIpv6: '::1' })).status).toBe(400);
    expect((await report({ privateIpv4: '192.168.1.20', publicIpv6: 'fd00::1' })).status).toBe(400);
    expect(aimed).toEqual([]);
  });

  it('one check per node per minute (429 with Retry-After), shared by every caller', async () => {
    expect((await check()).status).toBe(200);
    const again = await call('/v1/licences/1234/nodes/nur1/reachability', { method: 'POST', token: ADMIN });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    now += REACH_EVERY_MS;
    expect((await check()).status).toBe(200);
  });

  it('the node view shows the last check, and whether it is about the addresses published now', async () => {
    const view = async () =>
      (
        (await (await call('/v1/licences/1234/nodes/nur1')).json()) as {
          reachability: Record<string, { current: boolean; outcome: string } | null>;
        }
      ).reachability;
    expect(await view()).toMatchObject({
      ipv4: { outcome: 'open', current: true },
      ipv6: { outcome: 'filtered', current: true },
    });
    await report({ privateIpv4: '192.168.1.20', publicIpv4: '203.0.113.7', publicIpv6: '2001:db8:7::21', port: 8443 });
    expect(await view()).toMatchObject({
      ipv4: { current: true },
      ipv6: { address: '2001:db8:7::20', current: false },
    });
  });

  it('another node’s credential cannot run it', async () => {
    const res = await call('/v1/licences/1234/nodes', {
      method: 'POST',
      token: ADMIN,
      body: JSON.stringify({ node: 'nur2' }),
    });
    const other = ((await res.json()) as { credential: string }).credential;
    expect((await call('/v1/licences/1234/nodes/nur1/reachability', { method: 'POST', token: other })).status).toBe(
      403,
    );
  });
});
