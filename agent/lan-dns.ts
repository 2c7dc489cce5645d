// The node's own small authoritative responder on the LAN (docs/offline.md, "The node answers
// for its own name"): the internal name only, from the addresses the agent detected, so that a
// router told to forward that one name to the node (dnsmasq `server=/<name>/<node>#<port>`) keeps
// resolving it while the shop's internet line is down. Every other name is REFUSED: it recurses
// for nobody and answers nothing it does not own. UDP only: its answers (two addresses at most)
// never approach 512 bytes.
import { createSocket, type Socket } from 'node:dgram';
import {
  DnsFormatError,
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_RD,
  headerOpcode,
} from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { Opcode, Rcode } from '../dns/rcode.ts';
import { bareAnswer, isResponse } from '../dns/wire.ts';
import type { HostPort } from './host-port.ts';

/** What the name answers now (the agent's current addresses). */
export interface LanDnsAddresses {
  ipv4?: string | undefined;
  ipv6?: string | undefined;
}

export interface LanDnsOptions {
  /** Where to listen: the node's LAN address; a port above 1023 needs no privilege (0: any). */
  listen: HostPort;
  /** The internal name, the only one answered. */
  name: string;
  addresses: () => LanDnsAddresses | undefined;
  /** TTL of the answers (s): the node knows its own change at once, so short is cheap on a LAN. */
  ttlSeconds?: number;
}

/**
 * The router settings that send the internal name to the node's responder, as dnsmasq reads them
 * (a line of dnsmasq.conf each, or `--` and the line on its command line; OpenWrt's "DNS
 * forwardings" and "Domain whitelist" hold the same values): the forwarding itself, and the
 * exception that lets the node's private answer through a router's DNS-rebind protection
 * (`--stop-dns-rebind`, OpenWrt's default), which would otherwise discard it.
 *
 * ```ts
 * dnsmasqForwarding('i-nur1.pl-1234.example.test', { host: '192.168.1.10', port: 5300 });
 * // ['server=/i-nur1.pl-1234.example.test/192.168.1.10#5300', 'rebind-domain-ok=/i-nur1.pl-1234.example.test/']
 * ```
 */
export function dnsmasqForwarding(name: string, listen: HostPort): string[] {
  return [`server=/${name}/${listen.host}#${listen.port}`, `rebind-domain-ok=/${name}/`];
}

export interface RunningLanDns {
  port: number;
  close(): Promise<void>;
}

/**
 * @example
 *   const dns = await startLanDns({ listen: { host: '192.168.1.10', port: 5300 }, name: 'i-nur1.pl-1234.example.test',
 *     addresses: () => ({ ipv4: '192.168.1.10' }) });
 *   // dnsmasq: server=/i-nur1.pl-1234.example.test/192.168.1.10#5300
 */
export async function startLanDns(options: LanDnsOptions): Promise<RunningLanDns> {
  const { host, port } = options.listen;
  const name = normalizeName(options.name);
  const ttl = options.ttlSeconds ?? 60;
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (bytes, peer) => {
    const response = answer(bytes, name, ttl, options.addresses);
    if (response) socket.send(response, peer.port, peer.address);
  });
  // A send to a peer that went away, or an ICMP error: nothing to do but keep listening.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** The response's bytes, or undefined for silence (not a query, or too broken to answer). */
export function answer(
  bytes: Uint8Array,
  name: string,
  ttl: number,
  addresses: () => LanDnsAddresses | undefined,
): Uint8Array | undefined {
  // Never answer a response (two servers would bounce it for ever).
  if (isResponse(bytes)) return undefined;
  let query: DnsMessage;
  try {
    query = decodeMessage(bytes);
  } catch (error) {
    if (error instanceof DnsFormatError) return undefined;
    throw error;
  }
  const questions = query.questions ?? [];
  const reply = (rcode: number, answers: DnsRecord[] = [], authoritative = false) =>
    encodeMessage({
      type: 'response',
      id: query.id ?? 0,
      flags: ((query.flags ?? 0) & FLAG_RD) | (authoritative ? FLAG_AA : 0) | rcode,
      questions,
      answers,
    });
  // Errors echo no question (RFC 9619): the header alone, as the manager answers them.
  if (headerOpcode(query) !== Opcode.QUERY) return bareAnswer(bytes, Rcode.NOTIMP);
  if (questions.length !== 1) return bareAnswer(bytes, Rcode.FORMERR);
  const question = questions[0]!;
  if (normalizeName(question.name) !== name || question.class !== 'IN') return reply(Rcode.REFUSED);
  const now = addresses();
  const found: DnsRecord[] = [];
  const wants = (type: string) => question.type === type || (question.type as string) === 'ANY';
  if (now?.ipv4 && wants('A')) found.push({ type: 'A', name: question.name, ttl, class: 'IN', data: now.ipv4 });
  if (now?.ipv6 && wants('AAAA')) found.push({ type: 'AAAA', name: question.name, ttl, class: 'IN', data: now.ipv6 });
  // Any other type, or an address family the node has not: NODATA (the name exists).
  return reply(Rcode.NOERROR, found, true);
}
