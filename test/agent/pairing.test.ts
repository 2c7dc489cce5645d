// The pairing rule against real resolvers: unbound passing private answers (internal URL),
// unbound with private-address and dnsmasq with --stop-dns-rebind filtering them, with a box
// that hairpins (external URL) and one that does not (external URL, warning and advice). The
// hairpin self-test is real: an HTTPS service with the agent's identity endpoint on loopback,
// or nothing listening.
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hairpinSelfTest } from '../../agent/hairpin.ts';
import { withHairpinListener } from '../../agent/http/node.ts';
import { decidePairingUrl, formatDecision, internalDecisionHolds, ipv6FirewallAdvice } from '../../agent/pairing.ts';
import { makeCertificate, type TestCertificate } from '../../lab/pki.ts';
import { dohTransport } from '../../probe/index.ts';
import { type RunningResolver, startResolver } from '../probe/resolvers.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { names } from './support/names.ts';

describe.skipIf(!haveSystemPrograms('unbound', 'dnsmasq', 'openssl'))('decidePairingUrl with real resolvers', () => {
  let manager: TestManager;
  let passing: RunningResolver;
  let filtering: RunningResolver;
  let rebindGuard: RunningResolver;
  let service: Server;
  let servicePort: number;
  let servicePortRefused: number;
  let tls: TestCertificate;

  beforeAll(async () => {
    manager = await startTestManager();
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, {
      privateIpv4: '192.168.1.20',
      publicIpv4: '203.0.113.7',
      port: 8443,
    });
    passing = await startResolver('unbound', 'example.test', manager.dns.udpPort);
    filtering = await startResolver('unbound-private-address', 'example.test', manager.dns.udpPort);
    rebindGuard = await startResolver('dnsmasq-stop-dns-rebind', 'example.test', manager.dns.udpPort);
    tls = makeCertificate([names.external, names.internal]);
    service = createServer(
      { cert: tls.cert, key: tls.key },
      withHairpinListener((_req, res) => res.end('app'), {
        licence: '1234',
        node: 'nur1',
        names,
        appsName: 'pl-1234.apps.example.test',
      }),
    );
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    servicePort = (service.address() as AddressInfo).port;
    servicePortRefused = await freePort();
  });
  afterAll(async () => {
    await passing?.close();
    await filtering?.close();
    await rebindGuard?.close();
    await new Promise<void>((r) => (service ? service.close(() => r()) : r()));
    await manager?.close();
    if (tls) await rm(tls.dir, { recursive: true, force: true });
  });

  const decide = (resolver: string, hairpinPort: number, extra: Partial<Parameters<typeof decidePairingUrl>[0]> = {}) =>
    decidePairingUrl({
      names,
      zone: 'example.test',
      port: 8443,
      privateIpv4: '192.168.1.20',
      truth: dohTransport(`${manager.url}/dns-query`),
      resolver,
      hairpin: () =>
        hairpinSelfTest({
          origin: `https://${names.external}:${hairpinPort}`,
          licence: '1234',
          node: 'nur1',
          connectAddress: '127.0.0.1',
          timeoutMs: 2000,
        }),
      ...extra,
    });

  it('hands out the internal URL when the resolver passes the private answer', async () => {
    const d = await decide(passing.spec, servicePort);
    console.log(`passing resolver:\n${formatDecision(d)}`);
    expect(d).toMatchObject({ url: 'https://i-nur1.pl-1234.example.test:8443/', kind: 'internal', hairpin: null });
    expect(d.warning).toBeUndefined();
    expect(d.explanation.join(' ')).toContain('resolves to 192.168.1.20');
    // The box's resolver setting that keeps the name resolving through an outage, per software.
    for (const setting of ['serve-expired: yes', 'stale-answer-enable yes', '--use-stale-cache'])
      expect(d.advice?.join(' ')).toContain(setting);
  });

  it('hands out the external URL when the resolver filters but the box hairpins', async () => {
    const d = await decide(filtering.spec, servicePort);
    console.log(`filtering resolver, hairpin:\n${formatDecision(d)}`);
    expect(d).toMatchObject({
      url: 'https://nur1.pl-1234.example.test:8443/',
      kind: 'external',
      hairpin: { hairpins: true },
    });
    expect(d.internal.verdict).toMatch(/^filtered-/);
    expect(d.warning).toBeUndefined();
    expect(d.explanation.join(' ')).toContain('The box hairpins');
  });

  it.each([
    ['unbound private-address', () => filtering],
    ['dnsmasq --stop-dns-rebind', () => rebindGuard],
  ])('warns, with advice, when the resolver filters (%s) and the box does not hairpin', async (label, resolver) => {
    const d = await decide(resolver().spec, await freePort());
    console.log(`${label}, no hairpin:\n${formatDecision(d)}`);
    expect(d).toMatchObject({
      url: 'https://nur1.pl-1234.example.test:8443/',
      kind: 'external',
      hairpin: { hairpins: false },
    });
    expect(d.warning).toContain('LAN path to the node is broken');
    expect(d.advice?.join(' ')).toContain('rebind');
    expect(d.advice?.join(' ')).toContain('example.test');
  });

  it("with the node's LAN responder on, the advice names the router settings that forward the internal name to it", async () => {
    const lanDns = { host: '192.168.1.20', port: 5300 };
    const forward = `server=/${names.internal}/192.168.1.20#5300`;
    const internal = await decide(passing.spec, servicePort, { lanDns });
    expect(internal.advice?.join(' ')).toContain(forward);
    const broken = await decide(rebindGuard.spec, await freePort(), { lanDns });
    expect(broken.advice?.join(' ')).toContain(forward);
    expect(broken.advice?.join(' ')).toContain(`rebind-domain-ok=/${names.internal}/`);
    // Without the responder, nothing to forward to.
    expect((await decide(passing.spec, servicePort)).advice?.join(' ')).not.toContain('server=/');
  });

  it('with a global IPv6 the box blocks from outside: the LAN path over IPv6 is said, and the advice names each box’s IPv6 firewall setting', async () => {
    const reach = {
      family: 'ipv6' as const,
      address: '2001:db8:7::20',
      port: 8443,
      outcome: 'filtered' as const,
      detail: 'no answer within 3000 ms',
      elapsedMs: 3000,
      checkedAt: new Date().toISOString(),
      current: true,
    };
    const d = await decide(filtering.spec, servicePortRefused, {
      ipv6: { address: '2001:db8:7::20', reach: async () => reach },
    });
    expect(d.explanation.join(' ')).toContain('global IPv6 address 2001:db8:7::20');
    const advice = d.advice?.join(' ') ?? '';
    for (const box of ['Livebox', 'Freebox', 'Bbox', 'SFR Box', 'Fritz!Box', 'OpenWrt']) expect(advice).toContain(box);
    expect(advice).toContain('TCP port 8443 to 2001:db8:7::20');
    // Open from outside, or a check about an older address: no firewall advice.
    expect(
      ipv6FirewallAdvice({ port: 8443, ipv6: { address: '2001:db8:7::20', reach: { ...reach, outcome: 'open' } } }),
    ).toEqual([]);
    expect(
      ipv6FirewallAdvice({ port: 8443, ipv6: { address: '2001:db8:7::20', reach: { ...reach, current: false } } }),
    ).toEqual([]);
    // A reset may be the node's own (nothing listening yet): not called a blocking box.
    const refused = ipv6FirewallAdvice({
      port: 8443,
      ipv6: { address: '2001:db8:7::20', reach: { ...reach, outcome: 'refused', detail: 'ECONNREFUSED' } },
    }).join(' ');
    expect(refused).not.toContain('blocks inbound IPv6');
    expect(refused).toContain('nothing listened on port 8443');
    expect(refused).toContain('OpenWrt');
  });

  it('reports "relay", with the relay URL, when neither direct name works from the LAN and the node has a relay name', async () => {
    const d = await decide(filtering.spec, servicePortRefused, {
      names: { ...names, relay: 'relay-nur1-pl-1234.example.test' },
    });
    expect(d).toMatchObject({
      url: 'https://nur1.pl-1234.example.test:8443/',
      kind: 'relay',
      relayUrl: 'https://relay-nur1-pl-1234.example.test/',
      hairpin: { hairpins: false },
    });
    expect(d.warning).toContain('through the relay');
    expect(formatDecision(d)).toContain('relay: https://relay-nur1-pl-1234.example.test/');
  });

  it('does not take another service for the node: the nonce must come back', async () => {
    const other = createServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"service":"hairpin","licence":"1234","node":"nur1","nonce":"replayed"}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const result = await hairpinSelfTest({
        origin: `https://${names.external}:${(other.address() as AddressInfo).port}`,
        licence: '1234',
        node: 'nur1',
        connectAddress: '127.0.0.1',
      });
      expect(result.hairpins).toBe(false);
      expect(result.reason).toContain('nonce');
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});

describe('internalDecisionHolds', () => {
  const internal = {
    kind: 'internal' as const,
    url: 'https://i-nur1.pl-1234.example.test:8443/',
    internal: {
      verdict: 'ok' as const,
      reason: 'A 192.168.1.20 as published',
      resolver: 'udp 192.168.1.1:53',
      answers: ['192.168.1.20'],
    },
  };
  const node = { names, port: 8443, privateIpv4: '192.168.1.20' };

  it('keeps an internal decision through what leaves the internal name as it was (a new public address)', () => {
    expect(internalDecisionHolds(internal, node)).toBe(true);
  });

  it('not through a new private address, a new port, or for a decision that is not internal', () => {
    expect(internalDecisionHolds(internal, { ...node, privateIpv4: '192.168.1.47' })).toBe(false);
    expect(internalDecisionHolds(internal, { ...node, port: 443 })).toBe(false);
    expect(
      internalDecisionHolds({ ...internal, kind: 'external', url: 'https://nur1.pl-1234.example.test:8443/' }, node),
    ).toBe(false);
  });
});
