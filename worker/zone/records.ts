// The records the zone holds, built from configuration and a node's stored state. The DNS
// answers and the API's "records now served" both come from here.
import { controlText } from '../../contract/control.ts';
import { CANARIES, STALE_CANARY } from '../../dns/canary.ts';
import type { DnsRecord } from '../../dns/message.ts';
import type { AppsTarget, ManagerConfig } from '../config.ts';
import type { NameKind } from '../names.ts';
import type { StoredAddresses } from '../store/store.ts';

/** What the zone reads of a node: that it is enrolled, and the addresses it reported, if any. */
export interface ZoneNode {
  addresses: Pick<StoredAddresses, 'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6'> | undefined;
}

export function soaRecord(config: ManagerConfig, serial: number): DnsRecord {
  return {
    type: 'SOA',
    name: config.names.zone,
    ttl: config.zoneTtl,
    class: 'IN',
    data: {
      mname: config.nameServers[0]?.name ?? `ns1.${config.names.zone}`,
      rname: config.hostmaster,
      serial,
      refresh: 3600,
      retry: 600,
      expire: 1_209_600,
      minimum: config.negativeTtl,
    },
  };
}

export function apexRecords(config: ManagerConfig, serial: number): DnsRecord[] {
  const zone = config.names.zone;
  return [
    soaRecord(config, serial),
    ...config.nameServers.map(
      (ns): DnsRecord => ({ type: 'NS', name: zone, ttl: config.zoneTtl, class: 'IN', data: ns.name }),
    ),
  ];
}

function addresses(
  name: string,
  ttl: number,
  ipv4: readonly (string | null)[],
  ipv6: readonly (string | null)[],
): DnsRecord[] {
  return [
    ...ipv4.filter((a): a is string => !!a).map((data): DnsRecord => ({ type: 'A', name, ttl, class: 'IN', data })),
    ...ipv6.filter((a): a is string => !!a).map((data): DnsRecord => ({ type: 'AAAA', name, ttl, class: 'IN', data })),
  ];
}

/** Glue for in-zone name servers. */
export function nameServerRecords(config: ManagerConfig, name: string): DnsRecord[] | undefined {
  const ns = config.nameServers.find((n) => n.name === name);
  return ns && addresses(name, config.zoneTtl, ns.ipv4, ns.ipv6);
}

/**
 * A node name's records: its addresses and a TXT control record. The TXT names the addresses
 * the manager holds, so a probe that gets the TXT but no A through some resolver knows the
 * answer was filtered, not missing: filters strip private A/AAAA, never TXT.
 */
export function nodeRecords(config: ManagerConfig, kind: NameKind, state: ZoneNode, name: string): DnsRecord[] {
  // The relay name leads to the relay, whatever the node reported: the relay finds the node
  // through the node's own socket, never through an address.
  if (kind === 'relay') return targetRecords(config.relay?.target, name, config.addressTtl);
  const a = state.addresses;
  const ttl = kind === 'internal' ? config.internalTtl : config.addressTtl;
  const ipv4 = kind === 'internal' ? [a?.privateIpv4 ?? null] : [a?.publicIpv4 ?? null];
  const ipv6 = kind === 'internal' ? [a?.privateIpv6 ?? null] : [a?.publicIpv6 ?? null];
  const txt = controlText({
    a: ipv4.filter((x): x is string => Boolean(x)),
    aaaa: ipv6.filter((x): x is string => Boolean(x)),
  });
  return [...addresses(name, ttl, ipv4, ipv6), { type: 'TXT', name, ttl, class: 'IN', data: [txt] }];
}

/**
 * Fixed canaries: tell "this resolver filters private answers" apart from "this node has no
 * record yet" without depending on any node.
 */
export function canaryRecords(config: ManagerConfig, relative: string, name: string): DnsRecord[] | undefined {
  const ttl = config.addressTtl;
  const { privateIpv4, ulaIpv6, publicIpv4 } = config.canaries;
  switch (relative) {
    case CANARIES.private:
      return addresses(name, ttl, [privateIpv4], []);
    case CANARIES.ula:
      return addresses(name, ttl, [], [ulaIpv6]);
    case CANARIES.public:
      return addresses(name, ttl, [publicIpv4], []);
    case 'canary':
    // An empty non-terminal above the serve-stale names: NODATA, so that a resolver minimising
    // its questions (RFC 9156) goes on down to them.
    case STALE_CANARY:
      return [];
    default:
      return undefined;
  }
}

export function appsRecords(config: ManagerConfig, name: string): DnsRecord[] {
  return targetRecords(config.apps, name, config.zoneTtl);
}

function targetRecords(target: AppsTarget | undefined, name: string, ttl: number): DnsRecord[] {
  if (!target) return [];
  if (target.cname) return [{ type: 'CNAME', name, ttl, class: 'IN', data: target.cname }];
  return addresses(name, ttl, target.ipv4, target.ipv6);
}
