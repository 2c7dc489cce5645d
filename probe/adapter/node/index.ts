// The probe's transports on Node: a given resolver over UDP (TCP on truncation) or TCP only,
// and the system resolver read from /etc/resolv.conf and asked on the wire, so rcode, flags and
// Extended DNS Errors stay visible (getaddrinfo would fold them all into ENOTFOUND).
import { getServers } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { nameServersTransport, resolvConfTransport } from '../../resolv-conf.ts';
import { parseResolverAddress, withTcpFallback, type DnsTransport } from '../../transport.ts';
import { tcpTransport } from './tcp.ts';
import { udpTransport } from './udp.ts';

export { tcpTransport, udpTransport };

/**
 * A resolver at `host[:port]`.
 *
 * ```ts
 * const resolver = resolverTransport('127.0.0.1:5353');
 * const tcpOnly = resolverTransport('[::1]:53', { protocol: 'tcp' });
 * ```
 */
export function resolverTransport(spec: string, options: { protocol?: 'udp' | 'tcp' } = {}): DnsTransport {
  const address = parseResolverAddress(spec);
  return options.protocol === 'tcp' ? tcpTransport(address) : withTcpFallback(udpTransport(address), tcpTransport(address));
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
