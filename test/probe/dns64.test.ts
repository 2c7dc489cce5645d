// The probe on an IPv6-only network's resolver: real unbound with DNS64 (`module-config: "dns64
// iterator"`) in front of the manager's built-in DNS server. RFC 7050 discovery through
// ipv4only.arpa, the internal name's synthesised AAAA recognised (not "not-published"), the
// external name's synthesised AAAA fine; the same names through plain unbound show no DNS64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { discoverPrefixes, synthesise } from '../../probe/dns64.ts';
import { dohTransport } from '../../probe/doh.ts';
import type { Observation } from '../../probe/observe.ts';
import { type ProbeResult, probeNode } from '../../probe/probe.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { NAT64_PREFIX, type RunningResolver, startResolver } from './resolvers.ts';

const have = haveSystemPrograms('unbound');
const names = { internal: 'i-nur64.pl-1234.example.test', external: 'nur64.pl-1234.example.test' };

let manager: TestManager;
let dns64: RunningResolver;
let plain: RunningResolver;

function probe(resolver: RunningResolver): Promise<ProbeResult> {
  return probeNode({
    names,
    truth: dohTransport(`${manager.url}/dns-query`),
    resolver: resolverTransport(resolver.spec),
  });
}

function check(result: ProbeResult, role: string, type: string) {
  return result.checks.find((c) => c.role === role && c.type === type)!;
}

beforeAll(async () => {
  manager = await startTestManager();
  const credential = await manager.enrol('1234', 'nur64');
  // No ULA: the internal name has an A only, as on most shop LANs.
  await manager.report('1234', 'nur64', credential, { privateIpv4: '10.6.4.1', publicIpv4: '198.51.100.64' });
  if (!have) return;
  [dns64, plain] = await Promise.all([
    startResolver('unbound-dns64', 'example.test', manager.dns.udpPort),
    startResolver('unbound', 'example.test', manager.dns.udpPort),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([dns64?.close(), plain?.close()]);
  await manager?.close();
});

describe.skipIf(!have)('DNS64 (unbound dns64 in front of the built-in server)', () => {
  it('finds the NAT64 prefix, calls the internal AAAA synthesised from the private A, and says the external name is the path', async () => {
    const result = await probe(dns64);
    expect(result.dns64.prefixes).toEqual([{ prefix: '64:ff9b::', length: 96 }]);
    expect(result.dns64.observation.answers.map((r) => r.data).sort()).toEqual([
      '64:ff9b::c000:aa',
      '64:ff9b::c000:ab',
    ]);
    const aaaa = check(result, 'internal', 'AAAA');
    expect(aaaa.resolver.answers.map((r) => r.data)).toEqual(['64:ff9b::a06:401']);
    expect(aaaa.verdict, aaaa.reason).toBe('dns64');
    expect(aaaa.reason).toMatch(/synthesised by DNS64 \(64:ff9b::\/96\) from the published A 10\.6\.4\.1/);
    expect(check(result, 'internal', 'A').verdict).toBe('ok');
    expect(result.verdict, result.reason).toBe('dns64');
    expect(result.reason).toMatch(/never reachable; the external name is the path/);
    const external = check(result, 'external', 'AAAA');
    expect(external.verdict, external.reason).toBe('ok');
    expect(external.reason).toMatch(/64:ff9b::c633:6440 synthesised .* 198\.51\.100\.64: reached through NAT64/);
  });

  it('plain unbound: no prefix, the A alone is ok and the missing AAAA not published', async () => {
    const result = await probe(plain);
    expect(result.dns64.prefixes).toEqual([]);
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'AAAA').verdict).toBe('not-published');
    expect(check(result, 'external', 'AAAA').verdict).toBe('not-published');
  });
});

describe('RFC 7050 discovery and RFC 6052 synthesis', () => {
  const seen = (...aaaa: string[]): Observation => ({
    transport: 'test',
    name: 'ipv4only.arpa',
    type: 'AAAA',
    outcome: 'answer',
    rcode: 'NOERROR',
    answers: aaaa.map((data) => ({ name: 'ipv4only.arpa', type: 'AAAA', ttl: 60, data })),
    authorities: [],
    ede: [],
    attempts: 1,
    elapsedMs: 1,
  });

  it.each([
    [32, '2001:db8::', '2001:db8:c000:aa::'],
    [40, '2001:db8:100::', '2001:db8:1c0:0:aa::'],
    [48, '2001:db8:122::', '2001:db8:122:c000:0:aa00::'],
    [56, '2001:db8:122:300::', '2001:db8:122:3c0:0:aa::'],
    [64, '2001:db8:122:344::', '2001:db8:122:344:c0:0:aa00:0'],
    [96, '2001:db8:122:344::', '2001:db8:122:344::c000:aa'],
  ] as const)('/%i: %s found and made again (RFC 6052 §2.4 layout)', (length, prefix, address) => {
    expect(discoverPrefixes(seen(address))).toEqual([{ prefix, length }]);
    expect(synthesise({ prefix, length }, '192.0.0.170')).toBe(address);
  });

  it('a prefix holding the pattern twice is settled by 192.0.0.171 (RFC 7050 §3)', () => {
    // 2001:db8:c000:aa::/64: the /32 position also reads 192.0.0.170, but only /96 holds .171 too.
    const found = discoverPrefixes(seen('2001:db8:c000:aa::c000:aa', '2001:db8:c000:aa::c000:ab'));
    expect(found).toEqual([{ prefix: '2001:db8:c000:aa::', length: 96 }]);
  });

  it('no DNS64: NODATA, or an AAAA without a well-known address, finds nothing', () => {
    expect(discoverPrefixes({ ...seen(), answers: [] })).toEqual([]);
    expect(discoverPrefixes(seen('2001:db8::1'))).toEqual([]);
    expect(discoverPrefixes({ ...seen('64:ff9b::c000:aa'), rcode: 'SERVFAIL' })).toEqual([]);
  });

  it('the test resolver synthesises with the well-known prefix', () => {
    expect(NAT64_PREFIX).toBe('64:ff9b::/96');
  });
});
