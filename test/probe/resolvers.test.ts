// The probe against real resolvers on loopback, each forwarding the zone to the manager's
// built-in port-53 server: the verdict and its evidence for unbound, dnsmasq and BIND, plain and filtering.
import { createSocket, type Socket } from 'node:dgram';
import { getServers } from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolverTransport, systemTransport } from '../../probe/adapter/node/index.ts';
import { dohTransport } from '../../probe/doh.ts';
import { type ProbeResult, probeNode } from '../../probe/probe.ts';
import { DEFAULT_INTERNAL_TTL } from '../../worker/config.ts';
import { names } from '../agent/support/names.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { type ResolverKind, type RunningResolver, startResolver } from './resolvers.ts';

const have = haveSystemPrograms('unbound', 'dnsmasq', 'named');

let manager: TestManager;
const resolvers = new Map<ResolverKind, RunningResolver>();

function probe(spec: string, internal = names.internal): Promise<ProbeResult> {
  return probeNode({
    names: { ...names, internal },
    truth: dohTransport(`${manager.url}/dns-query`),
    resolver: resolverTransport(spec),
  });
}

/** Forward each datagram `socket` receives to the built-in DNS server, and its answer back. */
function relayToAuthority(socket: Socket): Socket {
  socket.on('message', (msg, peer) => {
    const upstream = createSocket('udp4');
    upstream.on('message', (answer) => {
      socket.send(answer, peer.port, peer.address);
      upstream.close();
    });
    upstream.send(msg, manager.dns.udpPort, '127.0.0.1');
  });
  return socket;
}

function check(result: ProbeResult, role: string, type: string) {
  return result.checks.find((c) => c.role === role && c.type === type)!;
}

beforeAll(async () => {
  manager = await startTestManager();
  const credential = await manager.enrol('1234', 'nur1');
  await manager.report('1234', 'nur1', credential, {
    privateIpv4: '10.1.2.3',
    privateIpv6: 'fd00::5',
    publicIpv4: '198.51.100.7',
  });
  if (!have) return;
  const kinds: ResolverKind[] = [
    'unbound',
    'unbound-private-address',
    'unbound-private-ula',
    'dnsmasq',
    'dnsmasq-stop-dns-rebind',
    'named',
    'named-deny-answer-addresses',
  ];
  const started = await Promise.allSettled(kinds.map((k) => startResolver(k, 'example.test', manager.dns.udpPort)));
  for (const s of started) if (s.status === 'fulfilled') resolvers.set(s.value.kind, s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
});

afterAll(async () => {
  await Promise.allSettled([...resolvers.values()].map((r) => r.close()));
  await manager?.close();
});

describe.skipIf(!have)('probe through real resolvers', () => {
  it.each(['unbound', 'dnsmasq', 'named'] as const)('%s (plain) → ok, with the address as evidence', async (kind) => {
    const result = await probe(resolvers.get(kind)!.spec);
    expect(result.verdict, result.reason).toBe('ok');
    expect(result.zone).toBe('example.test');
    expect(check(result, 'internal', 'A').resolver.answers.map((r) => r.data)).toEqual(['10.1.2.3']);
    expect(check(result, 'internal', 'AAAA').verdict).toBe('ok');
    expect(check(result, 'canary-private', 'A').verdict).toBe('ok');
    expect(check(result, 'external', 'A').verdict).toBe('ok');
  });

  it('unbound private-address → filtered-nodata: empty NOERROR, no SOA, TXT control passes', async () => {
    const result = await probe(resolvers.get('unbound-private-address')!.spec);
    expect(result.verdict, result.reason).toBe('filtered-nodata');
    const a = check(result, 'internal', 'A').resolver;
    expect(a).toMatchObject({ outcome: 'answer', rcode: 'NOERROR', answers: [], authorities: [] });
    expect(check(result, 'internal', 'TXT').verdict).toBe('ok');
    expect(check(result, 'canary-private', 'A').verdict).toBe('filtered-nodata');
    expect(check(result, 'canary-ula', 'AAAA').verdict).toBe('filtered-nodata');
    expect(check(result, 'canary-public', 'A').verdict).toBe('ok');
    expect(result.reason).toMatch(/stripped/);
  });

  it('unbound filtering only ULA → a partial answer: ok for A, the AAAA stripped is reported', async () => {
    const result = await probe(resolvers.get('unbound-private-ula')!.spec);
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'AAAA').verdict).toBe('filtered-nodata');
    expect(check(result, 'canary-ula', 'AAAA').verdict).toBe('filtered-nodata');
    expect(check(result, 'canary-private', 'A').verdict).toBe('ok');
    expect(result.reason).toMatch(/\[AAAA filtered-nodata\]/);
  });

  it('dnsmasq --stop-dns-rebind → filtered-nodata with EDE 15 (Blocked)', async () => {
    const result = await probe(resolvers.get('dnsmasq-stop-dns-rebind')!.spec);
    expect(result.verdict, result.reason).toBe('filtered-nodata');
    expect(check(result, 'internal', 'A').resolver.ede).toEqual([{ code: 15, name: 'BLOCKED' }]);
    expect(check(result, 'internal', 'TXT').verdict).toBe('ok');
    expect(result.reason).toMatch(/EDE 15 BLOCKED/);
    // dnsmasq counts the RFC 5737 documentation ranges as private too: the external name is blocked.
    expect(check(result, 'external', 'A').verdict).toBe('filtered-nodata');
  });

  it('BIND deny-answer-addresses → filtered-servfail, TXT control passes', async () => {
    const result = await probe(resolvers.get('named-deny-answer-addresses')!.spec);
    expect(result.verdict, result.reason).toBe('filtered-servfail');
    expect(check(result, 'internal', 'A').resolver.rcode).toBe('SERVFAIL');
    expect(check(result, 'internal', 'TXT').verdict).toBe('ok');
    expect(check(result, 'canary-private', 'A').verdict).toBe('filtered-servfail');
    expect(check(result, 'external', 'A').verdict).toBe('ok');
  });

  it('a cached old address (TXT cached with it) → stale-cache with the seconds left, never ok', async () => {
    const credential = await manager.enrol('1234', 'nur2');
    await manager.report('1234', 'nur2', credential, { privateIpv4: '10.2.2.2' });
    const spec = resolvers.get('unbound')!.spec;
    expect((await probe(spec, 'i-nur2.pl-1234.example.test')).verdict).toBe('ok');
    await manager.report('1234', 'nur2', credential, { privateIpv4: '10.2.2.3' });
    const result = await probe(spec, 'i-nur2.pl-1234.example.test');
    expect(result.verdict, result.reason).toBe('stale-cache');
    expect(result.reason).toMatch(/10\.2\.2\.2.*10\.2\.2\.3/);
    expect(result.fixesInSeconds).toBeLessThanOrEqual(DEFAULT_INTERNAL_TTL);
  });

  it('a negative answer cached before enrolment → stale-cache (the SOA serial is older), never not-published', async () => {
    const spec = resolvers.get('named')!.spec;
    const before = await probe(spec, 'i-nur3.pl-1234.example.test');
    expect(before.verdict).toBe('not-published');
    const credential = await manager.enrol('1234', 'nur3');
    await manager.report('1234', 'nur3', credential, { privateIpv4: '10.3.3.3' });
    const after = await probe(spec, 'i-nur3.pl-1234.example.test');
    expect(after.verdict, after.reason).toBe('stale-cache');
    expect(after.reason).toMatch(/NXDOMAIN cached at serial/);
    expect(check(after, 'internal', 'A').truth.answers.map((r) => r.data)).toEqual(['10.3.3.3']);
  });
});

describe.skipIf(!have)('probe through a resolver whose authority is dead', () => {
  let dead: RunningResolver;
  beforeAll(async () => {
    dead = await startResolver('named', 'example.test', await freePort());
  });
  afterAll(() => dead?.close());

  it('SERVFAIL on the TXT control too → upstream-failure, not filtered', async () => {
    const result = await probe(dead.spec);
    expect(result.verdict, result.reason).toBe('upstream-failure');
    expect(result.reason).toMatch(/cannot reach the zone/);
    expect(check(result, 'internal', 'TXT').resolver.rcode).toBe('SERVFAIL');
  });
});

describe('transports, straight to the built-in DNS server', () => {
  it('TCP only → ok', async () => {
    const result = await probeNode({
      names,
      truth: dohTransport(`${manager.url}/dns-query`),
      resolver: resolverTransport(`127.0.0.1:${manager.dns.tcpPort}`, { protocol: 'tcp' }),
    });
    expect(result.resolver).toBe(`tcp://127.0.0.1:${manager.dns.tcpPort}`);
    expect(result.verdict, result.reason).toBe('ok');
  });

  it('UDP over IPv6 loopback (a relay on [::1]) → ok', async () => {
    const relay = relayToAuthority(createSocket('udp6'));
    await new Promise<void>((r) => relay.bind(0, '::1', r));
    try {
      const result = await probe(`[::1]:${relay.address().port}`);
      expect(result.resolver).toBe(`udp://[::1]:${relay.address().port}`);
      expect(result.verdict, result.reason).toBe('ok');
    } finally {
      relay.close();
    }
  });
});

describe('the system resolver, read from a resolv.conf', () => {
  // resolv.conf has no port: the relay takes port 53 on an address of its own in 127/8, so it
  // meets nothing else on the machine. Binding 53 needs root or CAP_NET_BIND_SERVICE.
  const host = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  let relay: Socket | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hairpin-resolv-'));
    const socket = relayToAuthority(createSocket('udp4'));
    relay = await new Promise<Socket | undefined>((resolve) => {
      socket.once('error', () => resolve(undefined));
      socket.bind(53, host, () => resolve(socket));
    });
  });
  afterAll(() => {
    relay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the listed name servers on the wire, skipping a dead first one', async (ctx) => {
    if (!relay) return ctx.skip();
    const conf = join(dir, 'resolv.conf');
    // The first server's port 53 is closed (ICMP port unreachable → ECONNREFUSED), as libc would meet it.
    writeFileSync(
      conf,
      `# written by the test\nnameserver ${host.replace(/\.\d+$/, '.251')}\nnameserver ${host}\noptions timeout:1\n`,
    );
    const resolver = await systemTransport(conf);
    expect(resolver.label).toBe(`system (${host.replace(/\.\d+$/, '.251')}, ${host})`);
    const result = await probeNode({ names, truth: dohTransport(`${manager.url}/dns-query`), resolver });
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'A').resolver.flags).toContain('aa');
  });

  it('without a resolv.conf (Windows), takes the servers Node itself was configured with', async () => {
    const resolver = await systemTransport(join(dir, 'no-such-resolv.conf'));
    expect(resolver.label).toBe(`system (${getServers().join(', ') || 'none'})`);
  });
});

describe('probe without a working resolver', () => {
  let silent: Socket;
  beforeAll(async () => {
    silent = createSocket('udp4');
    silent.on('message', () => {});
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => silent.close(() => r())));

  it("a silent resolver (reads, never answers) → timeout, within the probe's own deadline", async () => {
    const started = Date.now();
    const result = await probe(`127.0.0.1:${silent.address().port}`);
    expect(result.verdict).toBe('timeout');
    // Default bounds: 2 tries × 1.5 s, hard deadline 4 s; the margin absorbs a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(check(result, 'internal', 'A').resolver).toMatchObject({ outcome: 'timeout', attempts: 2 });
  });

  it('nothing listening → unreachable, at once', async () => {
    const result = await probe(`127.0.0.1:${await freePort()}`);
    expect(result.verdict, result.reason).toBe('unreachable');
    // "At once": the ICMP port-unreachable ends the question; no time bound had to fire.
    expect(check(result, 'internal', 'A').resolver).toMatchObject({ outcome: 'unreachable' });
  });

  it('the manager itself over DoH, as resolver → ok; a node without address → not-published', async () => {
    const doh = dohTransport(`${manager.url}/dns-query`);
    const ok = await probeNode({ names, truth: doh, resolver: doh });
    expect(ok.verdict).toBe('ok');
    await manager.enrol('1234', 'nur4');
    const none = await probeNode({ names: { internal: 'i-nur4.pl-1234.example.test' }, truth: doh, resolver: doh });
    expect(none.verdict).toBe('not-published');
    expect(none.reason).toMatch(/no A record/);
  });
});
