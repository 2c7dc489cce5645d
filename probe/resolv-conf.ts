// The system resolver's configuration (resolv.conf(5)), parsed from text so every runtime's
// adapter only has to read the file.
import { isIpv4, isIpv6 } from '../dns/address.ts';
import { type DnsTransport, firstAnswering } from './transport.ts';

export interface ResolvConf {
  /** At most three, as glibc reads them. */
  nameservers: string[];
}

/**
 * Only the name servers: the probe keeps its own time bounds (1.5 s × 2 tries), shorter than
 * resolv.conf's `timeout`/`attempts`, since pairing waits on it.
 *
 * ```ts
 * parseResolvConf('nameserver 192.168.1.1\noptions timeout:2').nameservers; // ['192.168.1.1']
 * ```
 */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [] };
  for (const raw of text.split('\n')) {
    const [keyword, address] = raw
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    // A scoped link-local address (fe80::1%eth0) names an interface we cannot bind from here.
    if (keyword === 'nameserver' && address && (isIpv4(address) || isIpv6(address)) && conf.nameservers.length < 3) {
      conf.nameservers.push(address);
    }
  }
  return conf;
}

/**
 * The system's resolvers as libc would ask them: resolv.conf's name servers in order, each
 * reached through the runtime's `resolverTransport`.
 *
 * ```ts
 * resolvConfTransport(await readFile('/etc/resolv.conf', 'utf8'), (spec) => resolverTransport(spec));
 * ```
 */
export function resolvConfTransport(text: string, resolverTransport: (spec: string) => DnsTransport): DnsTransport {
  return nameServersTransport(parseResolvConf(text).nameservers, resolverTransport);
}

/** The system's name servers from elsewhere than resolv.conf (Windows), asked by the same rule. */
export function nameServersTransport(
  nameservers: readonly string[],
  resolverTransport: (spec: string) => DnsTransport,
): DnsTransport {
  return firstAnswering(
    `system (${nameservers.join(', ') || 'none'})`,
    nameservers.map((a) => resolverTransport(a)),
  );
}
