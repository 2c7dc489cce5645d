// A bare DNS client for tests: send bytes, get bytes, over UDP or TCP on loopback, bounded in time.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import {
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  headerRcode,
  type OptRecord,
  records,
} from '../../dns/message.ts';
import { normalizeName } from '../../dns/name.ts';
import { rcodeName } from '../../dns/rcode.ts';
import { FrameReader, frameTcp } from '../../dns/tcp-frame.ts';
import type { DnsMessages } from '../../worker/zone/handler.ts';

/** Question types, ANY included (dns-packet's types leave the meta-types out). */
export type QueryType = DnsQuestion['type'] | 'ANY';

/** A query for one question, with an OPT advertising `edns` bytes when given. */
export function query(name: string, type: QueryType, edns?: number, id = 4242): DnsMessage {
  const opt: OptRecord = {
    type: 'OPT',
    name: '.',
    udpPayloadSize: edns ?? 0,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
  return {
    type: 'query',
    id,
    flags: 0,
    questions: [{ name, type: type as DnsQuestion['type'], class: 'IN' }],
    additionals: edns === undefined ? [] : [opt],
  };
}

/** One datagram out, the first datagram back (undefined after `timeoutMs`). */
export function udpExchange(
  port: number,
  bytes: Uint8Array,
  timeoutMs = 2000,
  host = '127.0.0.1',
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (value: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('message', (msg) => done(new Uint8Array(msg)));
    socket.on('error', () => done(undefined));
    socket.send(bytes, port, host);
  });
}

/**
 * Write `payload` on one TCP connection, read `expected` framed messages back (fewer if the
 * server closes or `timeoutMs` passes).
 */
export function tcpExchange(
  port: number,
  payload: Uint8Array,
  expected: number,
  timeoutMs = 5000,
  host = '127.0.0.1',
): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const messages: Uint8Array[] = [];
    const frames = new FrameReader();
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(messages);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      frames.push(chunk);
      for (let m = frames.next(); m; m = frames.next()) messages.push(new Uint8Array(m));
      if (messages.length >= expected) done();
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** Messages with their two-byte length prefixes, back to back (RFC 1035 §4.2.2). */
export function framed(...messages: Uint8Array[]): Uint8Array {
  return Buffer.concat(messages.map(frameTcp));
}

export async function udpAsk(port: number, message: DnsMessage): Promise<DnsMessage | undefined> {
  const bytes = await udpExchange(port, encodeMessage(message));
  return bytes && decodeMessage(bytes);
}

export async function tcpAsk(port: number, message: DnsMessage): Promise<DnsMessage | undefined> {
  const [bytes] = await tcpExchange(port, framed(encodeMessage(message)), 1);
  return bytes && decodeMessage(bytes);
}

/** A handler's messages, a stream read to its end. */
export async function allMessages(messages: DnsMessages | undefined): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const m of messages ?? []) out.push(m);
  return out;
}

/**
 * What two servers' answers must agree on (the differential tests and the benchmarks' checks before
 * timing): rcode, AA, the answer RRset (order-free, owner case-free), SOA in authority.
 * For ANY, RFC 8482 §4.2 lets each server pick which one RRset to give (at the apex we give the
 * SOA, Knot the NS): only the number of RRsets must agree.
 */
export function answerSummary(m: DnsMessage | undefined): string {
  if (!m) return 'no answer';
  const any = (m.questions?.[0]?.type as QueryType | undefined) === 'ANY';
  const answers = any
    ? [`${new Set(records(m.answers).map((r) => r.type)).size} rrset(s)`]
    : records(m.answers)
        .map(
          (r) =>
            `${normalizeName(r.name)} ${r.ttl} ${r.type} ${JSON.stringify(r.data, (_k, v) => (typeof v === 'string' ? v.toLowerCase() : v))}`,
        )
        .sort();
  const soa = records(m.authorities).some((r) => r.type === 'SOA');
  return `${rcodeName(headerRcode(m))} aa=${((m.flags ?? 0) & FLAG_AA) !== 0} soa-in-authority=${soa} [${answers.join('; ')}]`;
}

/** The test zone's SOA record at `serial` (example.test, its fixed timers). */
export const soaRecord = (serial: number): DnsRecord => ({
  type: 'SOA',
  name: 'example.test',
  ttl: 3600,
  class: 'IN',
  data: { mname: 'ns1.example.test', rname: 'h.example.test', serial, refresh: 1, retry: 1, expire: 1, minimum: 1 },
});
