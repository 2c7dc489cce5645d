// Datagrams shaped for amplification and for name confusion, against the built-in server: more
// questions than one (RFC 9619), a question section pointing many times at one long name, and a
// label with a '.' byte inside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FLAG_AA, headerRcode, records } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { framed, query, tcpExchange, udpExchange } from '../../test/dns/wire-client.ts';
import { startTestManager, type TestManager } from '../../test/support/manager.ts';

/** A query whose first question is a 255-byte name and every later one a pointer back to it. */
function manyQuestions(count: number, edns = false): Uint8Array {
  const label = (c: string) => [63, ...Buffer.from(c.repeat(63))];
  const name = [...label('a'), ...label('b'), ...label('c'), 61, ...Buffer.from('d'.repeat(61)), 0];
  const header = [0xbe, 0xef, 0x01, 0x00, count >> 8, count & 0xff, 0, 0, 0, 0, 0, edns ? 1 : 0];
  const rest = Array.from({ length: count - 1 }, () => [0xc0, 12, 0, 1, 0, 1]).flat();
  const opt = edns ? [0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0] : [];
  return Uint8Array.from([...header, ...name, 0, 1, 0, 1, ...rest, ...opt]);
}

/** One question whose name is the given labels, sent as they are (a label may hold a '.'). */
function rawQuestion(labels: string[], type = 1): Uint8Array {
  const name = labels.flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 0, type, 0, 1]);
}

describe('built-in DNS server under hostile queries', () => {
  let manager: TestManager;
  let port: number;
  beforeAll(async () => {
    manager = await startTestManager();
    port = manager.dns.udpPort;
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(async () => manager?.close());

  it('answers a multi-question UDP query with a bare FORMERR, never larger than the query', async () => {
    for (const edns of [false, true]) {
      const q = manyQuestions(200, edns);
      const answer = await udpExchange(port, q);
      expect(answer).toBeDefined();
      expect(answer!.byteLength).toBeLessThanOrEqual(Math.min(q.byteLength, 512));
      const message = decodeMessage(answer!);
      expect(message.id).toBe(0xbeef);
      expect(headerRcode(message)).toBe(Rcode.FORMERR);
      expect(message.questions).toEqual([]);
    }
  });

  it('answers a query without a question FORMERR', async () => {
    const empty = encodeMessage({ ...query('example.test', 'A'), questions: [] });
    const answer = decodeMessage((await udpExchange(port, empty))!);
    expect(headerRcode(answer)).toBe(Rcode.FORMERR);
  });

  it('never frames a TCP message over 65,535 bytes: ten thousand questions get a bare FORMERR', async () => {
    const q = manyQuestions(10_800);
    expect(q.byteLength).toBeLessThanOrEqual(65_535);
    const [answer] = await tcpExchange(port, framed(q), 1);
    expect(answer).toBeDefined();
    expect(answer!.byteLength).toBe(12);
    expect(headerRcode(decodeMessage(answer!))).toBe(Rcode.FORMERR);
  });

  it('judges a label holding a dot by its real labels', async () => {
    // `example.test` as one label is a top-level name, not our apex.
    const one = decodeMessage((await udpExchange(port, rawQuestion(['example.test'], 6)))!);
    expect(headerRcode(one)).toBe(Rcode.REFUSED);
    expect(one.flags! & FLAG_AA).toBe(0);
    // `x.example` + `test` is under test., not under example.test.
    expect(headerRcode(decodeMessage((await udpExchange(port, rawQuestion(['x.example', 'test'])))!))).toBe(
      Rcode.REFUSED,
    );
    // `i-nur1.pl-1234` as one label below the apex names no node: NXDOMAIN, not its address.
    const inside = decodeMessage((await udpExchange(port, rawQuestion(['i-nur1.pl-1234', 'example', 'test'])))!);
    expect(headerRcode(inside)).toBe(Rcode.NXDOMAIN);
    expect(inside.answers).toEqual([]);
    // The question is echoed byte for byte.
    const echoed = await udpExchange(port, rawQuestion(['i-nur1.pl-1234', 'example', 'test']));
    expect(Buffer.from(echoed!.subarray(12, 12 + 29 + 4))).toEqual(
      Buffer.from(rawQuestion(['i-nur1.pl-1234', 'example', 'test']).subarray(12)),
    );
    // The real labels still answer.
    const real = decodeMessage((await udpExchange(port, rawQuestion(['i-nur1', 'pl-1234', 'example', 'test'])))!);
    expect(records(real.answers).map((r) => r.data)).toEqual(['10.1.2.3']);
  });
});
