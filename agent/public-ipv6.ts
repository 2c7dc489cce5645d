// The node's stable global IPv6 address: the one the external name's AAAA may carry. A LAN that
// gets a /64 from its box gives each host several global addresses: a stable one (static, EUI-64
// or RFC 7217 stable-privacy SLAAC) and temporary ones (RFC 8981 privacy addresses) that change
// every day and die within a week — publishing one of those would break the name within days.
// os.networkInterfaces() does not say which is which; Linux does, in /proc/net/if_inet6.

import type { NetworkInterfaceInfo } from 'node:os';
import { canonicalIpv6, isGlobalIpv6, parseIpv6 } from '../dns/address.ts';

/** One line of /proc/net/if_inet6: the address and its kernel flags (include/uapi/linux/if_addr.h). */
export interface KernelIpv6Address {
  address: string;
  interface: string;
  flags: number;
}

/** IFA_F_* bits the choice turns on. */
const IFA_F_TEMPORARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;
const IFA_F_PERMANENT = 0x80;

/**
 * Parse /proc/net/if_inet6: `address(32 hex) ifindex prefixlen scope flags ifname` per line.
 *
 * ```ts
 * parseIfInet6('20010db8000000000000000000000020 02 40 00 80 eth0');
 * // [{ address: '2001:db8::20', interface: 'eth0', flags: 0x80 }]
 * ```
 */
export function parseIfInet6(text: string): KernelIpv6Address[] {
  const found: KernelIpv6Address[] = [];
  for (const line of text.split('\n')) {
    const [hex, , , , flags, name] = line.trim().split(/\s+/);
    if (!hex || !/^[0-9a-f]{32}$/i.test(hex) || !name || !flags || !/^[0-9a-f]+$/i.test(flags)) continue;
    found.push({ address: canonicalIpv6(hex.match(/.{4}/g)!.join(':')), interface: name, flags: parseInt(flags, 16) });
  }
  return found;
}

/** Modified EUI-64 interface identifier (RFC 4291 appendix A): ff:fe in its middle. */
function isEui64(address: string): boolean {
  const g = parseIpv6(address);
  return g !== undefined && ((g[5] ?? 0) & 0xff) === 0xff && (g[6] ?? 0) >> 8 === 0xfe;
}

export interface PublicIpv6Choice {
  address: string | undefined;
  /** Why this one, or why none: for the agent's log and status. */
  reason: string;
}

/**
 * Choose the stable global IPv6 of one interface.
 *
 * With the kernel's flags (`kernel`, from /proc/net/if_inet6): never temporary, deprecated (its
 * preferred lifetime ran out: the prefix is going away), tentative or DAD-failed; a static
 * (permanent) address first, then a SLAAC one. Without them (not Linux), from the interface list:
 * a single global address, or the modified EUI-64 one among several; otherwise none, since a
 * temporary address cannot be told from a stable-privacy one there.
 */
export function choosePublicIpv6(
  iface: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  kernel: KernelIpv6Address[] | undefined,
): PublicIpv6Choice {
  if (kernel && kernel.length > 0) {
    const globals = kernel.filter((a) => a.interface === iface && isGlobalIpv6(a.address));
    const usable = globals.filter(
      (a) => (a.flags & (IFA_F_TEMPORARY | IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED)) === 0,
    );
    usable.sort(
      (a, b) => (b.flags & IFA_F_PERMANENT) - (a.flags & IFA_F_PERMANENT) || (a.address < b.address ? -1 : 1),
    );
    const best = usable[0];
    if (best)
      return {
        address: best.address,
        reason: `${best.flags & IFA_F_PERMANENT ? 'static' : 'SLAAC'} global address on ${iface}`,
      };
    return {
      address: undefined,
      reason: globals.length
        ? `only temporary, deprecated or tentative global addresses on ${iface}`
        : `no global IPv6 address on ${iface}`,
    };
  }
  const globals = [
    ...new Set(
      (interfaces[iface] ?? [])
        .filter((i) => i.family === 'IPv6' && !i.internal && isGlobalIpv6(i.address))
        .map((i) => canonicalIpv6(i.address)),
    ),
  ];
  if (globals.length === 0) return { address: undefined, reason: `no global IPv6 address on ${iface}` };
  if (globals.length === 1) return { address: globals[0], reason: `the only global address on ${iface}` };
  const eui64 = globals.filter(isEui64);
  if (eui64.length === 1) return { address: eui64[0], reason: `the EUI-64 global address on ${iface}` };
  return {
    address: undefined,
    reason: `${globals.length} global addresses on ${iface} and no address flags to tell the temporary ones (set "publicIpv6")`,
  };
}
