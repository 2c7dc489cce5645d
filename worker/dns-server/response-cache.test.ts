import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DnsMessage, decodeMessage, encodeMessage } from '../../dns/message.ts';
import { query, soaRecord } from '../../test/dns/wire-client.ts';
import { nodeTag, type Reads } from '../zone/reads.ts';
import { AdmissionDoor } from './admission-door.ts';
import { isPlainQuestion, ResponseCache } from './response-cache.ts';

const wire = (m: DnsMessage) => encodeMessage(m);

describe('isPlainQuestion', () => {
  it('accepts one question, with or without a bare OPT', () => {
    expect(isPlainQuestion(wire(query('i-nur1.pl-1234.example.test', 'A')))).toBe(true);
    expect(isPlainQuestion(wire(query('example.test', 'ANY', 1232)))).toBe(true);
  });

  it('leaves transfers, NOTIFY, responses, extra records and trailing bytes to the full path', () => {
    expect(isPlainQuestion(wire(query('example.test', 'AXFR')))).toBe(false);
    expect(isPlainQuestion(wire(query('example.test', 'IXFR')))).toBe(false);
    expect(isPlainQuestion(wire({ ...query('example.test', 'SOA'), flags: 4 << 11 }))).toBe(false);
    expect(isPlainQuestion(wire({ ...query('example.test', 'SOA'), type: 'response' }))).toBe(false);
    const withRecord = {
      ...query('example.test', 'SOA'),
      additionals: [{ type: 'A' as const, name: 'x.example.test', ttl: 1, data: '192.0.2.1' }],
    };
    expect(isPlainQuestion(wire(withRecord))).toBe(false);
    expect(isPlainQuestion(Uint8Array.from([...wire(query('example.test', 'A')), 0]))).toBe(false);
    expect(isPlainQuestion(wire(query('example.test', 'A')).subarray(0, 20))).toBe(false);
  });

  it('refuses compression pointers and over-long labels in the question', () => {
    const pointer = new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(isPlainQuestion(pointer)).toBe(false);
  });
});

describe('ResponseCache', () => {
  const q = wire(query('example.test', 'SOA', undefined, 0x1234));
  const response = Uint8Array.from([0, 0, 0x84, 0, 9, 9, 9]);

  const none: Reads = { tags: [], serial: false };
  const node1: Reads = { tags: [nodeTag('1234', 'nur1')], serial: false };

  it("serves the stored response with the query's ID", () => {
    const cache = new ResponseCache(10);
    const key = ResponseCache.key('udp', q);
    expect(cache.get(key, q)).toBeUndefined();
    cache.set(key, response, none);
    expect(Array.from(cache.get(key, q)!)).toEqual([0x12, 0x34, 0x84, 0, 9, 9, 9]);
  });

  it('drops exactly the answers read from a changed node, and everything on "anything changed"', () => {
    const cache = new ResponseCache(10);
    const other: Reads = { tags: [nodeTag('1234', 'nur2')], serial: false };
    for (const [key, reads] of [
      ['one-a', node1],
      ['one-txt', node1],
      ['two', other],
      ['apex', none],
    ] as const)
      cache.set(key, response, reads);
    cache.follow({ serial: 2, nodes: [{ serial: 2, licence: '1234', node: 'nur1' }] });
    expect([...cache.keys()]).toEqual(['two', 'apex']);
    cache.follow({ serial: 3, nodes: undefined });
    expect(cache.size).toBe(0);
  });

  it('serves an answer carrying the serial only while the serial has not moved', () => {
    const cache = new ResponseCache(10);
    cache.follow({ serial: 1, nodes: undefined });
    cache.set('negative', response, { tags: [nodeTag('1234', 'nur9')], serial: true });
    cache.set('positive', response, node1);
    expect(cache.get('negative', q)).toBeDefined();
    cache.follow({ serial: 2, nodes: [{ serial: 2, licence: '1234', node: 'nur7' }] });
    expect(cache.get('negative', q)).toBeUndefined();
    expect(cache.get('positive', q)).toBeDefined();
  });

  it('gives a kept negative answer the new serial in place, and drops it when what it read changes', () => {
    const nxdomain = (serial: number): DnsMessage => ({
      ...query('i-nur9.pl-1234.example.test', 'A', undefined, 0),
      type: 'response',
      flags: 0x0400 | 3,
      authorities: [soaRecord(serial)],
    });
    const asked = wire(query('i-nur9.pl-1234.example.test', 'A', undefined, 0x4242));
    const cache = new ResponseCache(10);
    cache.follow({ serial: 7, nodes: undefined });
    cache.set('negative', wire(nxdomain(7)), { tags: [nodeTag('1234', 'nur9')], serial: true });
    // Another node's report moves the serial: the answer is what the zone would answer now.
    cache.follow({ serial: 8, nodes: [{ serial: 8, licence: '1234', node: 'nur7' }] });
    const served = cache.get('negative', asked)!;
    expect(decodeMessage(served)).toEqual(decodeMessage(wire({ ...nxdomain(8), id: 0x4242 })));
    // The node it looked for changed: it goes.
    cache.follow({ serial: 9, nodes: [{ serial: 9, licence: '1234', node: 'nur9' }] });
    expect(cache.get('negative', asked)).toBeUndefined();
  });

  it('keys UDP and TCP apart and holds at most its capacity', () => {
    const cache = new ResponseCache(2);
    cache.set(ResponseCache.key('udp', q), response, none);
    expect(cache.get(ResponseCache.key('tcp', q), q)).toBeUndefined();
    for (const name of ['a', 'b', 'c'])
      cache.set(ResponseCache.key('udp', wire(query(`${name}.example.test`, 'A'))), response, none);
    expect(cache.size).toBe(2);
  });
});

describe('ResponseCache admitting on the second miss', () => {
  const q = wire(query('example.test', 'SOA'));
  const response = Uint8Array.from([0, 0, 0x84, 0, 9, 9, 9]);
  const none: Reads = { tags: [], serial: false };

  it('keeps an answer the second time its question misses, not the first', () => {
    const cache = new ResponseCache(10, Number.POSITIVE_INFINITY, { door: new AdmissionDoor() });
    cache.set('apex', response, none);
    expect(cache.get('apex', q)).toBeUndefined();
    cache.set('apex', response, none);
    expect(cache.get('apex', q)).toBeDefined();
  });

  it('keeps it in any thread once another thread saw it miss, when the threads share the door', () => {
    const memory = AdmissionDoor.memory();
    const [one, two] = [new AdmissionDoor(memory), new AdmissionDoor(memory)];
    const [first, second] = [
      new ResponseCache(10, Number.POSITIVE_INFINITY, { door: one }),
      new ResponseCache(10, Number.POSITIVE_INFINITY, { door: two }),
    ];
    first.set('apex', response, none);
    second.set('apex', response, none);
    expect(first.get('apex', q)).toBeUndefined();
    expect(second.get('apex', q)).toBeDefined();
  });

  it('lets a flood of names asked once mostly pass by, and the names asked again in', () => {
    const cache = new ResponseCache(1_000_000, Number.POSITIVE_INFINITY, { door: new AdmissionDoor() });
    for (let i = 0; i < 100_000; i++) {
      cache.set(`flood-${i}`, response, none);
      if (i % 1000 === 0) cache.set(`asked-${i}`, response, none);
    }
    for (let i = 0; i < 100_000; i += 1000) cache.set(`asked-${i}`, response, none);
    for (let i = 0; i < 100_000; i += 1000) expect(cache.get(`asked-${i}`, q)).toBeDefined();
    // Only where a flood name's bit was set by another (about one in twenty here).
    expect(cache.size).toBeLessThan(100 + 10_000);
  });
});

describe('ResponseCache eviction', () => {
  const q = wire(query('example.test', 'SOA'));
  const response = Uint8Array.from([0, 0, 0x84, 0, 9, 9, 9]);
  const none: Reads = { tags: [], serial: false };
  afterEach(() => vi.restoreAllMocks());

  it('evicts the least recently used entry, not the oldest inserted', () => {
    const cache = new ResponseCache(3);
    for (const k of ['a', 'b', 'c']) cache.set(k, response, none);
    cache.get('a', q);
    cache.set('d', response, none);
    expect([...cache.keys()]).toEqual(['c', 'a', 'd']);
  });

  it('never walks the map: a flood of distinct names costs the same per insert however long it churns', () => {
    // Counting operations, not time: every way to walk a Map is watched. Evicting through
    // `keys().next()` walks V8's deleted entries, a cost that grows with churn.
    const walks = (['keys', 'values', 'entries', 'forEach', Symbol.iterator] as const).map((m) =>
      vi.spyOn(Map.prototype, m as 'keys'),
    );
    const cache = new ResponseCache(1_000);
    for (let i = 0; i < 100_000; i++)
      cache.set(`flood-${i}`, response, { tags: [nodeTag('1', `n${i}`)], serial: true });
    expect(cache.size).toBe(1_000);
    expect(walks.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(0);
  });

  it('holds at most its byte budget, however large the entries', () => {
    const cache = new ResponseCache(1_000_000, 10_000);
    const big = new Uint8Array(900);
    for (let i = 0; i < 5_000; i++) cache.set(`name-${i}.example.test`.padEnd(250, 'x'), big, none);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBe(8);
  });
});
