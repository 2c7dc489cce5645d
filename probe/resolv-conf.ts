// The system resolver's configuration (resolv.conf(5)), parsed from text so every runtime's
// adapter only has to read the file.
import { isIpv4, isIpv6 } from '../dns/address.ts';
import { firstAnswering, type DnsTransport } from './transport.ts';

export interface ResolvConf {
  nameservers: string[];
  /** `options timeout:n` in seconds (glibc default 5). */
  timeoutSeconds: number;
  /** `options attempts:n` (glibc default 2). */
  attempts: number;
}

/**
 * ```ts
 * parseResolvConf('nameserver 192.168.1.1\noptions timeout:2').nameservers; // ['192.168.1.1']
 * ```
 */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], timeoutSeconds: 5, attempts: 2 };
  for (const raw of text.split('\n')) {
    const [keyword, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && rest[0]) {
      // A scoped link-local address (fe80::1%eth0) names an interface we cannot bind from here.
      const address = rest[0];
      if ((isIpv4(address) || isIpv6(address)) && conf.nameservers.length < 3) conf.nameservers.push(address);
    } else if (keyword === 'options') {
      for (const option of rest) {
        const [name, value] = option.split(':');
        const n = Number(value);
        if (name === 'timeout' && Number.isInteger(n) && n > 0) conf.timeoutSeconds = Math.min(n, 30);
        if (name === 'attempts' && Number.isInteger(n) && n > 0) conf.attempts = Math.min(n, 5);
      }
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
  const { nameservers } = parseResolvConf(text);
  return firstAnswering(`system (${nameservers.join(', ') || 'none'})`, nameservers.map((a) => resolverTransport(a)));
}
