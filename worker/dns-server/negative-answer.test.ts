// Negative answers from prepared tails, and answers made without a promise, against the reference:
// the zone's answer through the encoder (answerWire), byte for byte, over questions of many shapes.
import { describe, expect, it } from 'vitest';
import { type DnsMessage, decodeMessage, encodeMessage, FLAG_CD, FLAG_RD, type OptRecord } from '../../dns/message.ts';
import { nameEnd } from '../../dns/wire-name.ts';
import { configFromEnv } from '../config.ts';
import { answerWire, Zone, type ZoneNodeRow, type ZoneSource } from '../zone/answer.ts';
import { ZoneWatch } from '../zone/zone-watch.ts';
import { NegativeAnswers } from './negative-answer.ts';
import { createResponder } from './responder.ts';

const nodes: ZoneNodeRow[] = [
  {
    licence: '1234',
    node: 'nur1',
    addresses: { privateIpv4: '10.1.2.3', privateIpv6: 'fd00::1', publicIpv4: '203.0.113.7', publicIpv6: null },
  },
  {
    licence: '1234',
    node: 'nur2',
    addresses: undefined,
  },
];
let serial = 42;
const syncSource: ZoneSource = {
  serial: () => serial,
  getNode: (licence, node) => nodes.find((n) => n.licence === licence && n.node === node),
  licenceHasNodes: (licence) => nodes.some((n) => n.licence === licence),
  nodePage: (after, limit) => (after ? [] : nodes.slice(0, limit)),
};
// The same zone through promises, as the Store on D1 or Postgres answers.
const asyncSource: ZoneSource = {
  serial: async () => syncSource.serial(),
  getNode: async (licence, node) => syncSource.getNode(licence, node),
  licenceHasNodes: async (licence) => syncSource.licenceHasNodes(licence),
};
const config = configFromEnv({ HAIRPIN_APPS_TARGET: 'cname:apps-host.example.net' });

const NAMES = [
  'nothere.pl-1234.example.test',
  'NoThere.PL-1234.Example.TEST',
  'r0123456789.pl-1234.example.test',
  'R0123456789.pl-1234.example.test',
  'r9876543210.pl-9999.example.test',
  'deeper.r01.pl-1234.example.test',
  'nur1.pl-1234.example.test',
  'NUR1.pl-1234.example.test',
  'i-nur1.pl-1234.example.test',
  'nur2.pl-1234.example.test',
  'pl-1234.example.test',
  'pl-9999.example.test',
  'apps.example.test',
  'pl-1234.apps.example.test',
  'example.test',
  'EXAMPLE.test',
  'test',
  'hostmaster.example.test',
  'HostMaster.example.test',
  'x.hostmaster.example.test',
  'ns1.example.test',
  'x.ns1.example.test',
  'X.NS1.Example.Test',
  'a.b.hostmaster.example.test',
  'ns1.example.test.example.test',
  'test.example.test',
  '_acme-challenge.nur1.pl-1234.example.test',
  'a\\.b.pl-1234.example.test',
  '\\192\\224.pl-1234.example.test',
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.pl-1234.example.test`,
  'example.com',
];
const TYPES = ['A', 'AAAA', 'TXT', 'MX', 'SOA', 'NS', 'ANY', 'CNAME', 'AXFR', 'UNKNOWN_999'] as const;

const opt = (fields: Partial<OptRecord>): OptRecord =>
  ({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options: [], ...fields }) as OptRecord;
const EDNS: (OptRecord | undefined)[] = [
  undefined,
  opt({}),
  opt({ flags: 0x8000 }),
  opt({ udpPayloadSize: 512 }),
  opt({ udpPayloadSize: 4096, flags: 0x8000 }),
  opt({ ednsVersion: 1 }),
];

/** Every question: names × types × EDNS, each with two IDs and header bits, as wire bytes. */
function questions(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let id = 1;
  for (const name of NAMES)
    for (const type of TYPES)
      for (const edns of EDNS)
        for (const flags of [FLAG_RD, FLAG_CD, 0]) {
          const message: DnsMessage = {
            type: 'query',
            id: id++,
            flags,
            questions: [{ name, type: type as 'A', class: 'IN' }],
            additionals: edns ? [edns] : [],
          };
          out.push(encodeMessage(message));
        }
  // Classes other than IN: ANY answers as IN, the rest are refused.
  for (const qclass of ['ANY', 'CH'] as const)
    out.push(
      encodeMessage({
        type: 'query',
        id: id++,
        questions: [{ name: 'nothere.pl-1234.example.test', type: 'A', class: qclass }],
      }),
    );
  return out;
}

const reference = async (zone: Zone, bytes: Uint8Array) => (await answerWire(zone, bytes))!;

describe('negative answers from prepared tails', () => {
  it('are the encoder’s bytes, for every shape of question, the first time and after', async () => {
    const zone = new Zone(config, syncSource);
    const negatives = new NegativeAnswers();
    let prepared = 0;
    for (const round of [1, 2]) {
      for (const bytes of questions()) {
        const response = await zone.answer(decodeMessage(bytes));
        const written = negatives.encode(bytes, nameEnd(bytes, 12, false) + 4, response);
        if (!written) continue;
        if (round === 2) prepared++;
        expect(written).toEqual(await reference(zone, bytes));
      }
    }
    // Most negative answers came from a tail the second time round.
    expect(prepared).toBeGreaterThan(500);
  });

  it('follow the serial', async () => {
    const zone = new Zone(config, syncSource);
    const negatives = new NegativeAnswers();
    const bytes = questions()[0]!;
    for (const next of [43, 44]) {
      negatives.encode(bytes, nameEnd(bytes, 12, false) + 4, await zone.answer(decodeMessage(bytes)));
      serial = next;
      const written = negatives.encode(bytes, nameEnd(bytes, 12, false) + 4, await zone.answer(decodeMessage(bytes)));
      expect(written).toEqual(await reference(zone, bytes));
    }
    serial = 42;
  });
});

describe('the responder', () => {
  it('answers as the zone does, from memory without a promise or through one, cached or not', async () => {
    const watch = await ZoneWatch.start({ journal: { serial: () => serial, journal: () => [] }, version: () => 0 });
    const zone = new Zone(config, syncSource);
    const fromMemory = createResponder({ zone, watch });
    const throughPromises = createResponder({ zone: new Zone(config, asyncSource), watch });
    // The index of nodes is built from the first question.
    await fromMemory(questions()[0]!, { transport: 'doh', peer: undefined, raw: new Uint8Array() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let round = 0; round < 3; round++) {
      for (const bytes of questions()) {
        const context = { transport: 'doh' as const, peer: undefined, raw: bytes };
        const expected = await reference(zone, bytes);
        expect(await fromMemory(bytes, context)).toEqual([expected]);
        expect(await throughPromises(bytes, context)).toEqual([expected]);
      }
    }
  });
});
