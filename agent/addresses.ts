// The node's own addresses: the private IPv4 of the interface that holds the default route (the
// one the shop's LAN reaches it on), a ULA IPv6 on it if there is one, and its stable global IPv6
// (agent/public-ipv6.ts). Linux tells us the default route in /proc/net/route and the IPv6
// address flags in /proc/net/if_inet6; os.networkInterfaces() gives the addresses.
import { readFile } from 'node:fs/promises';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { canonicalIpv6, isGlobalIpv6, isRfc1918, isUla } from '../dns/address.ts';
import { AgentError } from './errors.ts';
import { choosePublicIpv6, type KernelIpv6Address, parseIfInet6 } from './public-ipv6.ts';

export interface NodeAddresses {
  privateIpv4: string;
  privateIpv6?: string;
  /** The stable global IPv6, published as the external name's AAAA. */
  publicIpv6?: string;
  /** Why there is no publicIpv6, or which one was taken (the agent's log). */
  publicIpv6Reason?: string;
  /** The interface the addresses came from, or "config" for an override. */
  interface: string;
}

export interface AddressOverride {
  privateIpv4?: string;
  privateIpv6?: string;
  /** Look on this interface instead of the default route's. */
  interface?: string;
  /** A global IPv6 to publish as given, or "off": publish none (no AAAA for the external name). */
  publicIpv6?: string;
}

export class AddressError extends AgentError {
  static override code = 'ERR_NO_PRIVATE_ADDRESS';
  override code = AddressError.code;
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
 * Choose the node's addresses from the routing table, the interface list and the kernel's IPv6
 * address flags (pure: tests give all three). Order: the override; the default route's
 * interfaces; any other non-virtual interface.
 */
export function chooseAddresses(
  routeText: string,
  interfaces: Interfaces,
  override: AddressOverride = {},
  kernelIpv6?: KernelIpv6Address[],
): NodeAddresses {
  const candidates = override.interface
    ? [override.interface]
    : [...defaultRouteInterfaces(routeText), ...Object.keys(interfaces).sort()].filter(
        (name, i, all) => !isVirtualInterface(name) && all.indexOf(name) === i,
      );
  const withPublic = (found: Omit<NodeAddresses, 'publicIpv6' | 'publicIpv6Reason'>): NodeAddresses => {
    const choice = publicIpv6Of(
      found.interface === 'config' ? candidates[0] : found.interface,
      interfaces,
      override,
      kernelIpv6,
    );
    return { ...found, ...(choice.address ? { publicIpv6: choice.address } : {}), publicIpv6Reason: choice.reason };
  };
  if (override.privateIpv4) {
    if (!isRfc1918(override.privateIpv4))
      throw new AddressError(`configured privateIpv4 "${override.privateIpv4}" is not an RFC 1918 address`);
    if (override.privateIpv6 && !isUla(override.privateIpv6))
      throw new AddressError(`configured privateIpv6 "${override.privateIpv6}" is not a ULA (fc00::/7)`);
    return withPublic({
      privateIpv4: override.privateIpv4,
      ...(override.privateIpv6 ? { privateIpv6: canonicalIpv6(override.privateIpv6) } : {}),
      interface: 'config',
    });
  }
  for (const name of candidates) {
    const found = addressesOn(interfaces[name]);
    if (found.ipv4)
      return withPublic({
        privateIpv4: found.ipv4,
        ...(found.ipv6 ? { privateIpv6: found.ipv6 } : {}),
        interface: name,
      });
  }
  throw new AddressError(
    `no RFC 1918 IPv4 address on ${override.interface ? `interface ${override.interface}` : `the default route's interface or any other (looked at ${candidates.join(', ') || 'none'})`}; ` +
      'set "privateIpv4" in the agent configuration (HAIRPIN_AGENT_PRIVATE_IPV4)',
  );
}

function publicIpv6Of(
  iface: string | undefined,
  interfaces: Interfaces,
  override: AddressOverride,
  kernelIpv6: KernelIpv6Address[] | undefined,
) {
  if (override.publicIpv6 === 'off')
    return { address: undefined, reason: 'off in the configuration (publicIpv6: "off")' };
  if (override.publicIpv6) {
    if (!isGlobalIpv6(override.publicIpv6))
      throw new AddressError(
        `configured publicIpv6 "${override.publicIpv6}" is neither "off" nor a global unicast IPv6 address (2000::/3)`,
      );
    return { address: canonicalIpv6(override.publicIpv6), reason: 'from the configuration' };
  }
  return iface
    ? choosePublicIpv6(iface, interfaces, kernelIpv6)
    : { address: undefined, reason: 'no interface to look on' };
}

/** The addresses of this machine now. */
export async function detectAddresses(
  override: AddressOverride = {},
  routeFile = '/proc/net/route',
  ipv6File = '/proc/net/if_inet6',
): Promise<NodeAddresses> {
  const routeText = await readFile(routeFile, 'utf8').catch(() => '');
  // Absent off Linux, or with IPv6 disabled: the choice falls back to the interface list.
  const kernelIpv6 = await readFile(ipv6File, 'utf8').then(parseIfInet6, () => undefined);
  return chooseAddresses(routeText, networkInterfaces(), override, kernelIpv6);
}

/** Whether two detections differ in what the manager publishes. */
export function addressesChanged(a: NodeAddresses | undefined, b: NodeAddresses): boolean {
  return a?.privateIpv4 !== b.privateIpv4 || a?.privateIpv6 !== b.privateIpv6 || a?.publicIpv6 !== b.publicIpv6;
}

/** The addresses as one line: private IPv4, ULA, public IPv6. */
export function formatAddresses(a: NodeAddresses): string {
  return [a.privateIpv4, a.privateIpv6, a.publicIpv6].filter(Boolean).join(' ');
}
