// The zone module on its own, with an in-memory source: the protocol corners DoH tests do not reach.
import { describe, expect, it } from 'vitest';
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_RD,
  findOpt,
  fullRcode,
  headerRcode,
  records,
} from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { configFromEnv } from '../config.ts';
import type { NodeState } from '../store/store.ts';
import { answerWire, responseTtl, Zone, type ZoneSource } from './answer.ts';

const node: NodeState = {
  licence: '1234',
  node: 'nur1',
  credentialHash: 'x',
  createdAt: 0,
  addresses: {
    privateIpv4: '10.1.2.3',
    privateIpv6: null,
    publicIpv4: '203.0.113.7',
    publicIpv6: null,
    port: null,
    sourceAddress: null,
    reportedAt: 0,
  },
};
const source: ZoneSource = {
  serial: async () => 42,
  getNode: async (l, n) => (l === '1234' && n === 'nur1' ? node : undefined),
  licenceHasNodes: async (l) => l === '1234',
};
const zone = new Zone(configFromEnv({ HAIRPIN_APPS_TARGET: 'cname:apps-host.example.net' }), source);

function q(name: string, type = 'A', extra: Partial<DnsMessage> = {}): DnsMessage {
  return { type: 'query', id: 7, flags: FLAG_RD, questions: [{ name, type: type as 'A', class: 'IN' }], ...extra };
}

describe('zone answers', () => {
  it('answers BADVERS for EDNS versions above 0 (RFC 6891 §6.1.3)', async () => {
    const res = await zone.answer(
      q('example.test', 'SOA', {
        additionals: [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 4096,
            ednsVersion: 1,
            flags: 0,
            flag_do: false,
            options: [],
          } as never,
        ],
      }),
    );
    expect(fullRcode(res)).toBe(Rcode.BADVERS);
    expect(findOpt(res)?.ednsVersion).toBe(0);
  });

  it('answers FORMERR for several questions, NOTIMP for other opcodes, REFUSED for other classes', async () => {
    expect(
      headerRcode(
        await zone.answer(
          q('example.test', 'A', {
            questions: [
              { name: 'a.example.test', type: 'A', class: 'IN' },
              { name: 'b.example.test', type: 'A', class: 'IN' },
            ],
          }),
        ),
      ),
    ).toBe(Rcode.FORMERR);
    expect(headerRcode(await zone.answer(q('example.test', 'A', { flags: 2 << 11 })))).toBe(Rcode.NOTIMP);
    expect(
      headerRcode(
        await zone.answer({ ...q('example.test'), questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] }),
      ),
    ).toBe(Rcode.REFUSED);
    expect(headerRcode(await zone.answer(q('example.test', 'AXFR')))).toBe(Rcode.NOTIMP);
  });

  it('answers the app-store name with its CNAME, and its ancestors as empty non-terminals', async () => {
    const res = await zone.answer(q('pl-1234.apps.example.test', 'A'));
    expect(records(res.answers)).toEqual([expect.objectContaining({ type: 'CNAME', data: 'apps-host.example.net' })]);
    expect(headerRcode(await zone.answer(q('apps.example.test')))).toBe(Rcode.NOERROR);
    expect(headerRcode(await zone.answer(q('pl-9999.apps.example.test')))).toBe(Rcode.NXDOMAIN);
  });

  it("adds the in-zone target of a CNAME (RFC 1034 §4.3.2 step 3a), with the target's rcode (RFC 6604)", async () => {
    const inZone = new Zone(configFromEnv({ HAIRPIN_APPS_TARGET: 'cname:i-nur1.pl-1234.example.test' }), source);
    const res = await inZone.answer(q('pl-1234.apps.example.test', 'A'));
    expect(records(res.answers).map((r) => [r.name, r.type, r.data])).toEqual([
      ['pl-1234.apps.example.test', 'CNAME', 'i-nur1.pl-1234.example.test'],
      ['i-nur1.pl-1234.example.test', 'A', '10.1.2.3'],
    ]);
    expect(records(res.authorities)).toEqual([]);
    // NODATA at the target: the chain, then the SOA.
    const nodata = await inZone.answer(q('pl-1234.apps.example.test', 'AAAA'));
    expect(records(nodata.answers).map((r) => r.type)).toEqual(['CNAME']);
    expect(records(nodata.authorities).map((r) => r.type)).toEqual(['SOA']);
    // A target that does not exist: NXDOMAIN with the CNAME kept.
    const gone = new Zone(configFromEnv({ HAIRPIN_APPS_TARGET: 'cname:i-nur9.pl-1234.example.test' }), source);
    const nx = await gone.answer(q('pl-1234.apps.example.test', 'A'));
    expect(headerRcode(nx)).toBe(Rcode.NXDOMAIN);
    expect(records(nx.answers).map((r) => r.type)).toEqual(['CNAME']);
    // The CNAME itself when asked for.
    expect(records((await inZone.answer(q('pl-1234.apps.example.test', 'CNAME'))).answers).map((r) => r.type)).toEqual([
      'CNAME',
    ]);
  });

  it('answers the internal name with its own TTL (HAIRPIN_INTERNAL_TTL, default 300 s), the external with the address TTL', async () => {
    const ttls = async (z: Zone, name: string) => records((await z.answer(q(name, 'ANY'))).answers).map((r) => r.ttl);
    expect(await ttls(zone, 'i-nur1.pl-1234.example.test')).toEqual([300]);
    expect(await ttls(zone, 'nur1.pl-1234.example.test')).toEqual([60]);
    const set = new Zone(configFromEnv({ HAIRPIN_INTERNAL_TTL: '900', HAIRPIN_ADDRESS_TTL: '30' }), source);
    expect(await ttls(set, 'i-nur1.pl-1234.example.test')).toEqual([900]);
    expect(await ttls(set, 'nur1.pl-1234.example.test')).toEqual([30]);
    expect(() => configFromEnv({ HAIRPIN_INTERNAL_TTL: 'soon' })).toThrow(/HAIRPIN_INTERNAL_TTL/);
  });

  it('has no challenge names until a node sets one', async () => {
    expect(headerRcode(await zone.answer(q('_acme-challenge.nur1.pl-1234.example.test', 'TXT')))).toBe(Rcode.NXDOMAIN);
  });

  it('answers garbage with FORMERR when the header is readable, and drops responses and fragments', async () => {
    const query = encodeMessage(q('example.test'));
    const garbage = new Uint8Array([...query.slice(0, 12), 0xc0, 0x0c, 0, 1]);
    const formerr = decodeMessage((await answerWire(zone, garbage))!);
    expect(formerr.id).toBe(7);
    expect(headerRcode(formerr)).toBe(Rcode.FORMERR);
    expect(await answerWire(zone, query.slice(0, 5))).toBeUndefined();
    expect(await answerWire(zone, encodeMessage({ ...q('example.test'), type: 'response' }))).toBeUndefined();
    const ok = decodeMessage((await answerWire(zone, query))!);
    expect(ok.flags! & FLAG_AA).toBeTruthy();
  });

  it('reads the TTL an answer may be cached for from its wire form (the negative SOA at its MINIMUM)', async () => {
    const ttl = async (name: string, type = 'A') => responseTtl(encodeMessage(await zone.answer(q(name, type))));
    expect(await ttl('i-nur1.pl-1234.example.test')).toBe(300);
    expect(await ttl('nur1.pl-1234.example.test')).toBe(60);
    expect(await ttl('nope.pl-1234.example.test')).toBe(60);
    expect(await ttl('nur1.pl-1234.example.test', 'AAAA')).toBe(60);
    expect(await ttl('example.test', 'SOA')).toBe(60);
    expect(await ttl('example.com')).toBeUndefined();
    expect(responseTtl(encodeMessage(await zone.answer(q('example.test', 'SOA'))).slice(0, 40))).toBeUndefined();
  });
});
