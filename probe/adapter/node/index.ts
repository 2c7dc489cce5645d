// The probe's transports on Node: a given resolver over UDP (TCP on truncation) or TCP only,
// and the system resolver read from /etc/resolv.conf and asked on the wire, so rcode, flags and
// Extended DNS Errors stay visible (getaddrinfo would fold them all into ENOTFOUND).
import { getServers } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { dohTransport as fetchDohTransport } from '../../doh.ts';
import { nameServersTransport, resolvConfTransport } from '../../resolv-conf.ts';
import { type DnsTransport, parseResolverAddress, withTcpFallback } from '../../transport.ts';
import { http2Fetch } from './http2.ts';
import { tcpTransport } from './tcp.ts';
import { udpTransport } from './udp.ts';

export { http2Fetch, tcpTransport, udpTransport };

/**
 * DoH over HTTP/1.1 (Node's fetch), else HTTP/2 (node:http2): servers speak one or the other.
 *
 * ```ts
 * const unbound = dohTransport('http://127.0.0.1:8443/dns-query'); // HTTP/2 only: found on the first question
 * ```
 */
export function dohTransport(url: string): DnsTransport {
  return fetchDohTransport(url, [fetch, http2Fetch]);
}

/**
 * A resolver at `host[:port]`, or a DoH URL.
 *
 * ```ts
 * const resolver = resolverTransport('127.0.0.1:5353');
 * const tcpOnly = resolverTransport('[::1]:53', { protocol: 'tcp' });
 * const doh = resolverTransport('https://dns.example.net/dns-query');
 * ```
 */
export function resolverTransport(spec: string, options: { protocol?: 'udp' | 'tcp' } = {}): DnsTransport {
  if (/^https?:\/\//i.test(spec)) return dohTransport(spec);
  const address = parseResolverAddress(spec);
  return options.protocol === 'tcp'
    ? tcpTransport(address)
    : withTcpFallback(udpTransport(address), tcpTransport(address));
}

/**
 * The system's resolvers, in resolv.conf order, as libc would ask them. Without a resolv.conf
 * (Windows), the servers Node's own resolver took from the system.
 */
export async function systemTransport(path = '/etc/resolv.conf'): Promise<DnsTransport> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const transport = (spec: string) => resolverTransport(spec);
  return text === undefined ? nameServersTransport(getServers(), transport) : resolvConfTransport(text, transport);
}
