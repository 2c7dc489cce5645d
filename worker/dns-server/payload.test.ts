import { describe, expect, it } from 'vitest';
import { type DnsMessage, decodeMessage, FLAG_TC, records } from '../../dns/message.ts';
import { query } from '../../test/dns/wire-client.ts';
import { boundMessages, fitResponse, payloadLimit } from './payload.ts';

describe('payloadLimit', () => {
  it('is 512 without EDNS, the advertised size within [512, 1232] with it, 65535 on TCP', () => {
    expect(payloadLimit(query('example.test', 'A'), 'udp')).toBe(512);
    expect(payloadLimit(query('example.test', 'A', 100), 'udp')).toBe(512);
    expect(payloadLimit(query('example.test', 'A', 900), 'udp')).toBe(900);
    expect(payloadLimit(query('example.test', 'A', 4096), 'udp')).toBe(1232);
    expect(payloadLimit(query('example.test', 'A', 4096), 'tcp')).toBe(65535);
  });
});

describe('fitResponse', () => {
  const big: DnsMessage = {
    ...query('example.test', 'TXT', 1232),
    type: 'response',
    answers: Array.from({ length: 20 }, (_, i) => ({
      type: 'TXT' as const,
      name: 'example.test',
      ttl: 60,
      data: ['x'.repeat(40 + i)],
    })),
  };

  it('sends what fits unchanged', () => {
    expect(records(decodeMessage(fitResponse(big, 65535)).answers)).toHaveLength(20);
  });

  it('sets TC and keeps only the question and the OPT when it does not fit', () => {
    const cut = decodeMessage(fitResponse(big, 512));
    expect(cut.flags! & FLAG_TC).toBe(FLAG_TC);
    expect(cut.answers).toEqual([]);
    expect(cut.questions).toHaveLength(1);
    expect(cut.additionals?.map((r) => r.type)).toEqual(['OPT']);
  });
});

describe('size bounds on every message', () => {
  const long = (c: string) => `${c.repeat(63)}.${c.repeat(63)}.${c.repeat(63)}.example.test`;
  it('drops a question section that alone outgrows the limit', () => {
    const many: DnsMessage = {
      type: 'response',
      id: 9,
      flags: 0,
      questions: ['a', 'b', 'c'].map((c) => ({ name: long(c), type: 'A' as const, class: 'IN' as const })),
      answers: [],
    };
    const wire = fitResponse(many, 512);
    expect(wire.byteLength).toBeLessThanOrEqual(512);
    expect(decodeMessage(wire).questions).toEqual([]);
  });

  it('turns a handler message over the limit into a bare header: TC on UDP, SERVFAIL on TCP', () => {
    const big = new Uint8Array(600).fill(7);
    big.set([0xab, 0xcd, 0x84, 0x00, 0, 1]);
    const [udp] = boundMessages([big], 512, 'udp');
    expect(udp!.byteLength).toBe(12);
    expect(decodeMessage(udp!).flags! & FLAG_TC).toBe(FLAG_TC);
    const [tcp] = boundMessages([big], 512, 'tcp');
    expect([tcp![0], tcp![1], tcp![3]! & 0x0f, tcp!.byteLength]).toEqual([0xab, 0xcd, 2, 12]);
    const small = new Uint8Array(100);
    expect(boundMessages([small], 512, 'udp')[0]).toBe(small);
  });
});
