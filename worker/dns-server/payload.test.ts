import { describe, expect, it } from 'vitest';
import { decodeMessage, FLAG_TC, records, type DnsMessage } from '../../dns/message.ts';
import { query } from '../../test/dns/wire-client.ts';
import { fitResponse, payloadLimit } from './payload.ts';

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
    answers: Array.from({ length: 20 }, (_, i) => ({ type: 'TXT' as const, name: 'example.test', ttl: 60, data: ['x'.repeat(40 + i)] })),
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
