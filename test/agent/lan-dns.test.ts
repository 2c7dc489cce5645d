// The node's own responder for its internal name, over real UDP on loopback, alone and behind
// Debian's dnsmasq forwarding that one name to it with no other upstream (the internet line down).
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsmasqForwarding, type LanDnsAddresses, type RunningLanDns, startLanDns } from '../../agent/lan-dns.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { observe } from '../../probe/observe.ts';
import { type RunningResolver, startResolver } from '../probe/resolvers.ts';
import { haveSystemPrograms } from '../support/system.ts';

const name = 'i-nur1.pl-1234.example.test';
let now: LanDnsAddresses | undefined = { ipv4: '10.1.2.3', ipv6: 'fd00::5' };
let responder: RunningLanDns;
beforeAll(async () => {
  responder = await startLanDns({ listen: { host: '127.0.0.1', port: 0 }, name, addresses: () => now });
});
afterAll(() => responder?.close());

const ask = (type: 'A' | 'AAAA' | 'MX' | 'TXT', asked = name, spec = `127.0.0.1:${responder.port}`) =>
  observe(resolverTransport(spec), asked, type, { timeoutMs: 2_000, attempts: 2 });

describe('the LAN responder', () => {
  it("answers the internal name with the node's current addresses, authoritatively", async () => {
    const a = await ask('A', name.toUpperCase());
    expect(a).toMatchObject({
      outcome: 'answer',
      rcode: 'NOERROR',
      answers: [{ type: 'A', data: '10.1.2.3', ttl: 60 }],
    });
    expect(a.flags).toContain('aa');
    expect((await ask('AAAA')).answers.map((r) => r.data)).toEqual(['fd00::5']);
    // The name exists: another type is NODATA, not NXDOMAIN.
    expect(await ask('MX')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    now = { ipv4: '10.1.2.4' };
    expect((await ask('A')).answers.map((r) => r.data)).toEqual(['10.1.2.4']);
    expect(await ask('AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    now = { ipv4: '10.1.2.3', ipv6: 'fd00::5' };
  });

  it('refuses every other name (no recursion, nothing it does not own) and ignores garbage', async () => {
    for (const other of ['nur1.pl-1234.example.test', `_acme-challenge.${name}`, 'example.com'])
      expect(await ask('A', other)).toMatchObject({ outcome: 'answer', rcode: 'REFUSED', answers: [] });
    const socket = createSocket('udp4');
    try {
      for (const junk of [Buffer.alloc(3), Buffer.alloc(40, 0xff)]) socket.send(junk, responder.port, '127.0.0.1');
    } finally {
      socket.close();
    }
    expect((await ask('A')).answers.map((r) => r.data)).toEqual(['10.1.2.3']);
  });
});

describe.skipIf(!haveSystemPrograms('dnsmasq'))('behind dnsmasq forwarding the one name to the node', () => {
  let dnsmasq: RunningResolver;
  beforeAll(async () => {
    // --server=/<name>/127.0.0.1#<port> and --no-resolv: the box with its line down.
    dnsmasq = await startResolver('dnsmasq', name, responder.port);
  });
  afterAll(() => dnsmasq?.close());

  it('the LAN resolves the internal name with no internet at all; other names do not resolve', async () => {
    const through = (type: 'A' | 'AAAA', asked = name) =>
      observe(resolverTransport(dnsmasq.spec), asked, type, { timeoutMs: 2_000, attempts: 2 });
    expect((await through('A')).answers.map((r) => r.data)).toEqual(['10.1.2.3']);
    expect((await through('AAAA')).answers.map((r) => r.data)).toEqual(['fd00::5']);
    expect((await through('A', 'nur1.pl-1234.example.test')).answers).toEqual([]);
  });
});

describe.skipIf(!haveSystemPrograms('dnsmasq'))(
  'behind dnsmasq with DNS-rebind protection, set as the pairing advice says',
  () => {
    let guarded: RunningResolver;
    let unexcepted: RunningResolver;
    const through = (resolver: RunningResolver) =>
      observe(resolverTransport(resolver.spec), name, 'A', { timeoutMs: 2_000, attempts: 2 });
    beforeAll(async () => {
      const settings = dnsmasqForwarding(name, { host: '127.0.0.1', port: responder.port });
      guarded = await startResolver('dnsmasq-stop-dns-rebind', name, responder.port, {
        extraArgs: settings.map((s) => `--${s}`),
      });
      // The forwarding alone: --stop-dns-rebind discards the node's private answer.
      unexcepted = await startResolver('dnsmasq-stop-dns-rebind', name, responder.port, {
        extraArgs: [`--${settings[0]}`],
      });
    });
    afterAll(async () => {
      await guarded?.close();
      await unexcepted?.close();
    });

    it("resolves the internal name to the node's address with both settings, and not with the forwarding alone", async () => {
      expect((await through(guarded)).answers.map((r) => r.data)).toEqual(['10.1.2.3']);
      expect((await through(unexcepted)).answers).toEqual([]);
    });
  },
);
