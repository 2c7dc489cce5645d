// The compressing encoder against dns-packet's own (which writes every name in full): the same
// records must come back, names must point only backwards and within reach, and case must not
// keep two equal names apart, nor fold bytes DNS keeps apart.
import { Buffer } from 'node:buffer';
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { type DnsMessage, type DnsRecord, decodeMessage, encodeMessage, FLAG_AA, MessageWriter } from './message.ts';
import { Section } from './wire.ts';
import { POINTER_REACH } from './wire-encode.ts';
import { wireLabels } from './wire-name.ts';

const ZONE = 'example.test';
const soa: DnsRecord = {
  type: 'SOA',
  name: ZONE,
  ttl: 3600,
  class: 'IN',
  data: { mname: `ns1.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 },
};

/** A zone like the manager's: per node an address set and a TXT under one owner, in mixed case. */
function sampleZone(nodes: number): DnsRecord[] {
  const out: DnsRecord[] = [soa, { type: 'NS', name: ZONE, ttl: 3600, class: 'IN', data: `ns1.${ZONE}` }];
  for (let i = 0; i < nodes; i++) {
    const name = `${i % 3 === 0 ? 'I-NUR' : 'i-nur'}${i}.pl-${1000 + Math.floor(i / 50)}.${ZONE}`;
    out.push({ type: 'A', name, ttl: 60, class: 'IN', data: `10.0.${(i >> 8) & 0xff}.${i & 0xff}` });
    if (i % 4 === 0) out.push({ type: 'AAAA', name, ttl: 60, class: 'IN', data: `fd00::${i.toString(16)}` });
    out.push({ type: 'TXT', name, ttl: 60, class: 'IN', data: [`v=hairpin1 a=10.0.0.${i & 0xff}`] });
  }
  out.push(
    { type: 'CNAME', name: `pl-1000.apps.${ZONE}`, ttl: 60, class: 'IN', data: 'apps.elsewhere.test' },
    { type: 'MX', name: ZONE, ttl: 60, class: 'IN', data: { preference: 10, exchange: `mail.${ZONE}` } },
    { type: 'TXT', name: `two.${ZONE}`, ttl: 60, class: 'IN', data: ['first', Buffer.from([0, 0xff]), 'é'] },
    { type: 'TXT', name: `a\\.b.${ZONE}`, ttl: 60, class: 'IN', data: 'one string' },
    { type: 'A', name: `\\192.${ZONE}`, ttl: 60, class: 'IN', data: '192.0.2.1' },
    { type: 'A', name: `\\224.${ZONE}`, ttl: 60, class: 'IN', data: '192.0.2.2' },
    { type: 'A', name: `${ZONE}.`, ttl: 60, class: 'IN', data: '192.0.2.3' },
    soa,
  );
  return out;
}

/** What a decoder makes of records: names lower-cased (compression may pick either case), data as given back. */
const comparable = (records: readonly packet.Answer[] | undefined) =>
  (records ?? []).map((r) => JSON.stringify({ ...r, name: r.name.toLowerCase() }));

/** Every compression pointer in the message's names, walked record by record. */
function pointers(wire: Uint8Array): number[] {
  const found: number[] = [];
  const name = (at: number): number => {
    for (;;) {
      const length = wire[at]!;
      if (length === 0) return at + 1;
      if ((length & 0xc0) === 0xc0) {
        found.push(((length & 0x3f) << 8) | wire[at + 1]!);
        return at + 2;
      }
      at += length + 1;
    }
  };
  let at = name(12) + 4; // one question
  const count = (wire[6]! << 8) | wire[7]!;
  for (let i = 0; i < count; i++) {
    at = name(at);
    const type = (wire[at]! << 8) | wire[at + 1]!;
    const rdlength = (wire[at + 8]! << 8) | wire[at + 9]!;
    const rdata = at + 10;
    if (type === 6) name(name(rdata)); // SOA: MNAME, RNAME
    if (type === 2 || type === 5) name(rdata); // NS, CNAME
    at = rdata + rdlength;
  }
  return found;
}

describe('the compressing encoder', () => {
  const message = (answers: DnsRecord[]): DnsMessage => ({
    id: 9,
    type: 'response',
    flags: FLAG_AA,
    questions: [{ name: ZONE, type: 'AXFR', class: 'IN' }],
    answers,
  });

  it('writes what dns-packet reads as the records dns-packet itself writes, in fewer bytes', () => {
    const m = message(sampleZone(40));
    const ours = encodeMessage(m);
    const theirs = packet.encode(m);
    expect(comparable(decodeMessage(ours).answers)).toEqual(comparable(decodeMessage(theirs).answers));
    expect(ours.byteLength).toBeLessThan(theirs.byteLength * 0.6);
  });

  it('points only backwards and within reach, however long the message', () => {
    const m = message(sampleZone(2_000));
    const wire = encodeMessage(m);
    expect(wire.byteLength).toBeGreaterThan(2 * POINTER_REACH);
    expect(comparable(decodeMessage(wire).answers)).toEqual(comparable(decodeMessage(packet.encode(m)).answers));
    const found = pointers(wire);
    expect(found.length).toBeGreaterThan(2_000);
    expect(found.every((p) => p < POINTER_REACH)).toBe(true);
  });

  it('writes an owner again as a pointer, whatever its case, and keeps bytes that differ apart', () => {
    const a = (name: string, data: string): DnsRecord => ({ type: 'A', name, ttl: 60, class: 'IN', data });
    const one = encodeMessage(message([a(`Nur1.${ZONE}`, '192.0.2.1')])).byteLength;
    const again = encodeMessage(message([a(`Nur1.${ZONE}`, '192.0.2.1'), a('nur1.EXAMPLE.test', '192.0.2.2')]));
    // The second record: a 2-byte pointer, type, class, TTL, RDLENGTH and 4 bytes.
    expect(again.byteLength - one).toBe(2 + 10 + 4);
    // \192 and \224 differ only in what toLowerCase would fold (À, à): two names, the label written twice.
    const latin = encodeMessage(message([a(`\\192.${ZONE}`, '192.0.2.1'), a(`\\224.${ZONE}`, '192.0.2.2')]));
    expect(decodeMessage(latin).answers?.map((r) => r.name)).toEqual([`\\192.${ZONE}`, `\\224.${ZONE}`]);
  });

  it('writes a message a record at a time, its size known at every step', () => {
    const records = sampleZone(30);
    const writer = new MessageWriter({ id: 9, type: 'response', flags: FLAG_AA });
    writer.question({ name: ZONE, type: 'AXFR', class: 'IN' });
    for (const r of records) {
      const before = writer.byteLength;
      writer.record(Section.answer, r);
      expect(writer.byteLength).toBeGreaterThan(before);
    }
    expect(writer.count(Section.answer)).toBe(records.length);
    expect(Buffer.from(writer.bytes())).toEqual(Buffer.from(encodeMessage(message(records))));
  });

  it('refuses a character-string over 255 bytes', () => {
    const long: DnsRecord = { type: 'TXT', name: ZONE, ttl: 60, class: 'IN', data: ['x'.repeat(256)] };
    expect(() => encodeMessage(message([long]))).toThrow(RangeError);
  });
});

describe('wire labels as text', () => {
  it('gives the bytes nameLabels gives, for plain and escaped names alike', () => {
    const bytes = (name: string) => [...Buffer.from(wireLabels(name).text, 'latin1')];
    expect(bytes('Ab.test.')).toEqual([2, 0x41, 0x62, 4, ...Buffer.from('test')]);
    expect(bytes('a\\.b.test')).toEqual([3, 0x61, 0x2e, 0x62, 4, ...Buffer.from('test')]);
    expect(bytes('\\200é.test')).toEqual([3, 200, 0xc3, 0xa9, 4, ...Buffer.from('test')]);
    expect(wireLabels('Ab.test').key).toBe('\u0002ab\u0004test');
    expect(wireLabels('Ab.test').starts).toEqual([0, 3]);
    expect(wireLabels('.')).toEqual({ text: '', key: '', starts: [] });
  });

  it('refuses what no name can be', () => {
    expect(() => wireLabels('a..test')).toThrow(RangeError);
    expect(() => wireLabels(`${'a'.repeat(64)}.test`)).toThrow(RangeError);
    expect(() => wireLabels(Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.'))).toThrow(RangeError);
  });
});
