// The node's own addresses: the private IPv4 of the interface that holds the default route (the
// one the shop's LAN reaches it on), and a ULA IPv6 on it if there is one. Linux tells us the
// default route in /proc/net/route; os.networkInterfaces() gives the addresses.
import { readFile } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { canonicalIpv6, isRfc1918, isUla } from '../dns/address.ts';

export interface NodeAddresses {
  privateIpv4: string;
  privateIpv6?: string;
  /** The interface the addresses came from, or "config" for an override. */
  interface: string;
}

export interface AddressOverride {
  privateIpv4?: string;
  privateIpv6?: string;
  /** Look on this interface instead of the default route's. */
  interface?: string;
}

export class AddressError extends Error {
  readonly code = 'ERR_NO_PRIVATE_ADDRESS';
}

/**
 * Interfaces that never carry the shop's LAN address: container and VM bridges, veth pairs,
 * overlay networks, tunnels. A Docker host's default route never points at them, but the
 * fallback scan (no default route) must not pick 172.17.0.1.
 */
const VIRTUAL = /^(docker|br-|virbr|veth|cni|flannel|cali|vxlan|weave|podman|lxcbr|lxdbr|tun|tap|wg|zt|tailscale)/;

export function isVirtualInterface(name: string): boolean {
  return name === 'lo' || VIRTUAL.test(name);
}

/**
 * Default-route interfaces from /proc/net/route text, best (lowest metric) first. Destination
 * and mask 00000000 is 0.0.0.0/0; flag 0x1 is RTF_UP.
 *
 * ```ts
 * defaultRouteInterfaces('Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000');
 * // ['eth0']
 * ```
 */
export function defaultRouteInterfaces(routeText: string): string[] {
  const routes: { iface: string; metric: number }[] = [];
  for (const line of routeText.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (!iface || destination !== '00000000' || mask !== '00000000') continue;
    if ((parseInt(flags ?? '0', 16) & 0x1) === 0) continue;
    routes.push({ iface, metric: Number(metric) || 0 });
  }
  return routes.sort((a, b) => a.metric - b.metric).map((r) => r.iface);
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

function addressesOn(infos: NetworkInterfaceInfo[] | undefined): { ipv4?: string; ipv6?: string } {
  // RFC 1918 only: link-local (169.254/16) and CGNAT (100.64/10) are not RFC 1918, so they fall out here.
  const ipv4 = infos?.find((i) => i.family === 'IPv4' && !i.internal && isRfc1918(i.address))?.address;
  const ipv6 = infos?.find((i) => i.family === 'IPv6' && !i.internal && isUla(i.address))?.address;
  return { ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6: canonicalIpv6(ipv6) } : {}) };
}

/**
 * Choose the node's addresses from the routing table and the interface list (pure: tests give
 * both). Order: the override; the default route's interfaces; any other non-virtual interface.
 */
export function chooseAddresses(routeText: string, interfaces: Interfaces, override: AddressOverride = {}): NodeAddresses {
  if (override.privateIpv4) {
    if (!isRfc1918(override.privateIpv4)) throw new AddressError(`configured privateIpv4 "${override.privateIpv4}" is not an RFC 1918 address`);
    if (override.privateIpv6 && !isUla(override.privateIpv6)) throw new AddressError(`configured privateIpv6 "${override.privateIpv6}" is not a ULA (fc00::/7)`);
    return { privateIpv4: override.privateIpv4, ...(override.privateIpv6 ? { privateIpv6: canonicalIpv6(override.privateIpv6) } : {}), interface: 'config' };
  }
  const candidates = override.interface
    ? [override.interface]
    : [...defaultRouteInterfaces(routeText), ...Object.keys(interfaces).sort()].filter((name, i, all) => !isVirtualInterface(name) && all.indexOf(name) === i);
  for (const name of candidates) {
    const found = addressesOn(interfaces[name]);
    if (found.ipv4) return { privateIpv4: found.ipv4, ...(found.ipv6 ? { privateIpv6: found.ipv6 } : {}), interface: name };
  }
  throw new AddressError(
    `no RFC 1918 IPv4 address on ${override.interface ? `interface ${override.interface}` : `the default route's interface or any other (looked at ${candidates.join(', ') || 'none'})`}; ` +
    'set "privateIpv4" in the agent configuration (HAIRPIN_AGENT_PRIVATE_IPV4)',
  );
}

/** The addresses of this machine now. */
export async function detectAddresses(override: AddressOverride = {}, routeFile = '/proc/net/route'): Promise<NodeAddresses> {
  const routeText = await readFile(routeFile, 'utf8').catch(() => '');
  return chooseAddresses(routeText, networkInterfaces(), override);
}

/** Whether two detections differ in what the manager publishes. */
export function addressesChanged(a: NodeAddresses | undefined, b: NodeAddresses): boolean {
  return a?.privateIpv4 !== b.privateIpv4 || a?.privateIpv6 !== b.privateIpv6;
}
