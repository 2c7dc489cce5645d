// The authority's side of the serve-stale check, on its own with a clock of the test's: answered
// for a second after the first question, then silent; other names and types left to the zone;
// the nonces remembered bounded in number and in time.
import { describe, expect, it } from 'vitest';
import { type DnsMessage, decodeMessage, headerRcode, records } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { allMessages, query } from '../../test/dns/wire-client.ts';
import { configFromEnv } from '../config.ts';
import { Zone } from '../zone/answer.ts';
import { staleAddress, staleCanaryHandler } from './stale-canary.ts';

const zone = new Zone(configFromEnv({}), {
  serial: async () => 7,
  getNode: async () => undefined,
  licenceHasNodes: async () => false,
});
const context = { transport: 'udp' as const, peer: '127.0.0.1', raw: new Uint8Array() };
const NONCE = '0123456789abcdef';

function setup(options: { maxNonces?: number } = {}) {
  let now = 1_700_000_000_000;
  const handler = staleCanaryHandler(zone, { now: () => now, ...options });
  const ask = async (name: string, type: 'A' | 'TXT' | 'AAAA' = 'A'): Promise<DnsMessage | 'silence' | 'zone'> => {
    const answered = await handler(query(name, type, 1232), context);
    if (answered === undefined) return 'zone';
    const messages = await allMessages(answered);
    return messages.length === 0 ? 'silence' : decodeMessage(messages[0]!);
  };
  return { ask, advance: (ms: number) => (now += ms), first: now };
}

const name = (nonce = NONCE) => `${nonce}.stale.canary.example.test`;

describe('stale canary handler', () => {
  it('answers A with a 1 s TTL for a second after the first question, then stays silent until forgotten', async () => {
    const { ask, advance, first } = setup();
    const answer = (await ask(name())) as DnsMessage;
    expect(headerRcode(answer)).toBe(Rcode.NOERROR);
    expect(records(answer.answers)).toMatchObject([{ type: 'A', ttl: 1, data: staleAddress(first) }]);
    advance(900);
    expect(records(((await ask(name())) as DnsMessage).answers)[0]!.data).toBe(staleAddress(first));
    advance(200);
    expect(await ask(name())).toBe('silence');
    advance(28_000);
    expect(await ask(name())).toBe('silence');
    // Past the silence the nonce is forgotten: a new first answer, with another address.
    advance(2_000);
    const again = (await ask(name())) as DnsMessage;
    expect(records(again.answers)[0]!.data).not.toBe(staleAddress(first));
  });

  it('other types get NODATA with the SOA; the name is case-blind (0x20)', async () => {
    const { ask } = setup();
    const nodata = (await ask(name(), 'AAAA')) as DnsMessage;
    expect(headerRcode(nodata)).toBe(Rcode.NOERROR);
    expect(records(nodata.answers)).toEqual([]);
    expect(records(nodata.authorities).map((r) => r.type)).toEqual(['SOA']);
    expect(records(((await ask(name().toUpperCase())) as DnsMessage).answers)).toHaveLength(1);
  });

  it('leaves every other name to the zone, which knows no nonce names', async () => {
    const { ask } = setup();
    for (const other of [
      'stale.canary.example.test',
      `${NONCE}.stale.canary.other.test`,
      `x${NONCE}.stale.canary.example.test`,
      `a.${NONCE}.stale.canary.example.test`,
      'public.canary.example.test',
    ])
      expect(await ask(other), other).toBe('zone');
    const nx = await zone.answer(query(name(), 'A'));
    expect(headerRcode(nx)).toBe(Rcode.NXDOMAIN);
    expect(headerRcode(await zone.answer(query('stale.canary.example.test', 'A')))).toBe(Rcode.NOERROR);
  });

  it('remembers at most maxNonces: the oldest is forgotten first', async () => {
    const { ask, advance } = setup({ maxNonces: 3 });
    const nonces = ['a', 'b', 'c', 'd'].map((c) => c.repeat(16));
    for (const n of nonces) await ask(name(n));
    advance(5_000);
    // 'a' was forgotten to make room for 'd': answered again; the others are still silent.
    expect(await ask(name(nonces[0]))).not.toBe('silence');
    expect(await ask(name(nonces[2]))).toBe('silence');
    expect(await ask(name(nonces[3]))).toBe('silence');
  });

  it('the address is in 198.18.0.0/15 and moves with the second', () => {
    expect(staleAddress(0)).toBe('198.18.0.0');
    expect(staleAddress(1000 * 0x1ffff)).toBe('198.19.255.255');
    expect(staleAddress(1000 * 0x20000)).toBe('198.18.0.0');
  });
});
