import { describe, expect, it } from 'vitest';
import { soaRecord } from '../test/dns/wire-client.ts';
import { decodeMessage, encodeMessage, FLAG_RD, FLAG_TC } from './message.ts';
import { Opcode, Rcode } from './rcode.ts';
import {
  addFlags,
  bareAnswer,
  DnsFormatError,
  isResponse,
  peekCount,
  peekFlags,
  peekId,
  peekOpcode,
  peekRcode,
  Section,
  sameId,
  setCount,
  setId,
  setU32At,
  soaSerialOffset,
  WireReader,
} from './wire.ts';
import { nameEnd, nameWire } from './wire-name.ts';

const query = encodeMessage({
  id: 0xabcd,
  type: 'query',
  flags: FLAG_RD,
  questions: [{ name: 'nur1.pl-1234.example.test', type: 'A', class: 'IN' }],
});

describe('the header, read and written in place', () => {
  it('reads what the codec wrote', () => {
    expect(peekId(query)).toBe(0xabcd);
    expect(peekFlags(query) & FLAG_RD).toBe(FLAG_RD);
    expect([isResponse(query), peekOpcode(query), peekRcode(query)]).toEqual([false, Opcode.QUERY, 0]);
    expect([0, 1, 2, 3].map((s) => peekCount(query, s as Section))).toEqual([1, 0, 0, 0]);
    expect(sameId(query, Uint8Array.of(0xab, 0xcd))).toBe(true);
    expect(sameId(query, Uint8Array.of(0xab))).toBe(false);
  });

  it('writes what the codec reads', () => {
    const copy = query.slice();
    setId(copy, 7);
    setCount(copy, Section.additional, 0);
    addFlags(copy, FLAG_TC);
    const decoded = decodeMessage(copy);
    expect([decoded.id, (decoded.flags ?? 0) & FLAG_TC]).toEqual([7, FLAG_TC]);
  });

  it('answers with a bare header: ID, opcode and RD echoed, QR and the rcode set', () => {
    const answer = decodeMessage(bareAnswer(query, Rcode.SERVFAIL));
    expect(answer).toMatchObject({ id: 0xabcd, type: 'response', rcode: 'SERVFAIL', questions: [] });
    expect((answer.flags ?? 0) & FLAG_RD).toBe(FLAG_RD);
  });
});

describe('WireReader', () => {
  it('walks the question and fails with DnsFormatError past the end', () => {
    const r = new WireReader(query, 12);
    expect(r.name()).toBe('nur1.pl-1234.example.test');
    expect([r.u16(), r.u16()]).toEqual([1, 1]);
    expect(() => r.u8()).toThrow(DnsFormatError);
    expect(() => new WireReader(query, 12).take(query.byteLength)).toThrow(DnsFormatError);
  });

  it('skips a name, a pointer ending it in place, and refuses one that runs off the bytes', () => {
    const r = new WireReader(Uint8Array.of(...nameWire('a.test'), 0xc0, 0x00, 0x00, 0x01));
    r.skipName();
    r.skipName();
    expect(r.u16()).toBe(1);
    expect(() => new WireReader(Uint8Array.of(4, 0x61)).skipName()).toThrow(DnsFormatError);
  });
});

describe('nameEnd', () => {
  it('finds the end of labels or a pointer, and -1 for what is no name', () => {
    const name = nameWire('example.test');
    expect(nameEnd(name, 0)).toBe(name.byteLength);
    expect(nameEnd(Uint8Array.of(1, 0x61, 0xc0, 0x00), 0)).toBe(4);
    expect(nameEnd(Uint8Array.of(1, 0x61, 0xc0, 0x00), 0, false)).toBe(-1);
    expect(nameEnd(Uint8Array.of(64, ...new Uint8Array(64), 0), 0)).toBe(-1);
    expect(
      nameEnd(Uint8Array.from([...Array.from({ length: 5 }, () => [63, ...new Uint8Array(63)]).flat(), 0]), 0),
    ).toBe(-1);
  });
});

describe('soaSerialOffset', () => {
  const soa = soaRecord(7);
  const question = { type: 'SOA' as const, name: 'example.test' };
  const a = { type: 'A' as const, name: 'example.test', ttl: 60, data: '192.0.2.1' };

  it('finds the SERIAL of the SOA in the answer or the authority section, names compressed', () => {
    for (const message of [
      { type: 'response' as const, id: 1, flags: 0x0400, questions: [question], answers: [soa] },
      { type: 'response' as const, id: 1, flags: 0x0403, questions: [question], answers: [a], authorities: [soa] },
    ]) {
      const wire = encodeMessage(message);
      const at = soaSerialOffset(wire);
      expect(new DataView(wire.buffer, wire.byteOffset).getUint32(at)).toBe(7);
      setU32At(wire, at, 4_000_000_000);
      expect(
        (decodeMessage(wire).answers ?? []).concat(decodeMessage(wire).authorities ?? []).find((r) => r.type === 'SOA'),
      ).toMatchObject({ data: { serial: 4_000_000_000, refresh: 1, minimum: 1 } });
    }
  });

  it('is -1 where there is no SOA, or the bytes end before its serial does', () => {
    expect(soaSerialOffset(encodeMessage({ type: 'response', id: 1, questions: [question], answers: [a] }))).toBe(-1);
    const wire = encodeMessage({ type: 'response', id: 1, questions: [question], answers: [soa] });
    expect(soaSerialOffset(wire.subarray(0, wire.byteLength - 25))).toBe(-1);
    expect(soaSerialOffset(new Uint8Array(5))).toBe(-1);
  });
});
