// The lab's field, as data: namespaces, links and addresses. The "internet" uses 198.18.0.0/15
// (RFC 2544 benchmarking): the documentation ranges (TEST-NETs) are treated as private by
// dnsmasq's rebind filter, which would make the third box filter public answers too. The LANs use
// RFC 1918. IPv6 uses the documentation prefix 2001:db8::/32 (RFC 3849) on the internet's side
// and the LANs of the boxes that route a /64 (dnsmasq's rebind filter is not on that path). None
// of these addresses exists outside the namespaces the lab makes.

export const ZONE = 'polaris-lab.test';
export const NODE_PORT = 8443;
/** Where each node's agent answers for its own internal name on the LAN (`lanDnsListen`), for a router that forwards it there. */
export const NODE_LAN_DNS_PORT = 5300;
/** One way, on the WAN side of each box (see lab/relay.ts): ~20 ms round trip. */
export const WAN_DELAY_MS = 10;
export const WAN_RATE = '50mbit';
export const LAN_RATE = '1gbit';

/** The manager's address TTL: production's, so the DHCP row measures what a shop would see. */
export const ADDRESS_TTL_SECONDS = 60;

/**
 * The TTLs of a run. The lab's: both names at 60 s from the manager, every resolver of the field
 * keeping an answer at most 5 s (a report shows through within a scenario). Production's, for the
 * long outage run (`hairpin lab run --outage`): the manager's defaults (internal name 300 s,
 * external 60 s) and no cap in the resolvers.
 */
export interface Ttls {
  externalSeconds: number;
  internalSeconds: number;
  resolverCapSeconds: number | null;
}
export const LAB_TTLS: Ttls = {
  externalSeconds: ADDRESS_TTL_SECONDS,
  internalSeconds: ADDRESS_TTL_SECONDS,
  resolverCapSeconds: 5,
};
export const PRODUCTION_TTLS: Ttls = { externalSeconds: 60, internalSeconds: 300, resolverCapSeconds: null };
let runTtls = LAB_TTLS;

/** Set by each run before the field comes up. */
export function useTtls(ttls: Ttls): void {
  runTtls = ttls;
}

export function ttls(): Ttls {
  return runTtls;
}

export const INET = 'hp-inet';
/** Services of the internet, on the loopback interface of `hp-inet` (this kernel has no dummy driver). */
export const SERVICES = {
  manager: '198.18.0.1',
  apps: '198.18.0.2',
  pebble: '198.18.0.14',
  /** A public resolver that passes private answers (unbound, no private-address). */
  resolver: '198.18.0.53',
  /** A carrier's resolver that strips private answers (unbound private-address). */
  filteringResolver: '198.18.0.54',
  canaryPublic: '198.18.0.99',
} as const;

export type BoxKey = 'orange' | 'free' | 'third' | 'v6open' | 'v6shut';

/**
 * The LAN resolver kind: passes private answers, answers SERVFAIL (BIND), dnsmasq's rebind
 * filter, or unbound stripping RFC 1918 answers (and only those: dnsmasq's filter also strips
 * 2001:db8::/32, RFC 6303, which would take the IPv6 boxes' AAAA away).
 */
export type BoxResolver = 'unbound-forward' | 'bind-deny-answer' | 'dnsmasq-stop-rebind' | 'unbound-filter';

/** A box with IPv6: its WAN link, the /64 it routes to the LAN (SLAAC), and its IPv6 firewall. */
export interface BoxIpv6 {
  wan: { box: string; inet: string };
  lan: { prefix: string; box: string };
  /** The firewall admits the node's port from the WAN; otherwise inbound is dropped (the boxes' default). */
  admitsNodePort: boolean;
}

export interface BoxPlan {
  key: BoxKey;
  ns: string;
  title: string;
  hairpin: boolean;
  resolver: BoxResolver;
  /** Box WAN address and the internet's side of the link. */
  wan: { box: string; inet: string; inetIf: string };
  lan: { prefix: string; box: string; node: string; phone: string };
  node: { ns: string; licence: string; name: string };
  phone: { ns: string; wwan: { phone: string; inet: string; inetIf: string } };
  ipv6?: BoxIpv6;
}

function box(
  key: BoxKey,
  n: number,
  title: string,
  hairpin: boolean,
  resolver: BoxResolver,
  licence: string,
  ipv6?: { admitsNodePort: boolean },
): BoxPlan {
  return {
    key,
    ns: `hp-${key}`,
    title,
    hairpin,
    resolver,
    wan: { box: `198.18.${n}.2`, inet: `198.18.${n}.1`, inetIf: `wan-${key}` },
    lan: { prefix: `192.168.${n}.0/24`, box: `192.168.${n}.1`, node: `192.168.${n}.10`, phone: `192.168.${n}.20` },
    node: { ns: `hp-${key}-node`, licence, name: 'nur1' },
    phone: {
      ns: `hp-${key}-phone`,
      wwan: { phone: `198.18.${n + 10}.2`, inet: `198.18.${n + 10}.1`, inetIf: `cell-${key}` },
    },
    ...(ipv6
      ? {
          ipv6: {
            wan: { box: `2001:db8:${n}::2`, inet: `2001:db8:${n}::1` },
            lan: { prefix: `2001:db8:${n}:1::/64`, box: `2001:db8:${n}:1::1` },
            ...ipv6,
          },
        }
      : {}),
  };
}

export const BOXES: readonly BoxPlan[] = [
  box('orange', 1, 'Orange: no hairpin, resolver passes private answers', false, 'unbound-forward', '1001'),
  box('free', 2, 'Free: hairpin, resolver answers SERVFAIL to private answers', true, 'bind-deny-answer', '1002'),
  box('third', 3, 'third box: no hairpin, resolver filters private answers', false, 'dnsmasq-stop-rebind', '1003'),
  box(
    'v6open',
    6,
    "IPv6 box: routes a /64, firewall admits the node's port; no hairpin, resolver filters private answers",
    false,
    'unbound-filter',
    '1006',
    { admitsNodePort: true },
  ),
  box(
    'v6shut',
    7,
    'IPv6 box: routes a /64, firewall drops inbound IPv6 (the default); no hairpin, resolver filters private answers',
    false,
    'unbound-filter',
    '1007',
    { admitsNodePort: false },
  ),
];

/** The phone on "cellular" only: attached to the internet, RFC 1918 blocked by the carrier. */
export const CELL = { ns: 'hp-cell', phone: '198.18.4.2', inet: '198.18.4.1', inetIf: 'cell-only' } as const;

/**
 * The carrier's IPv6-only network: a phone with no IPv4 at all, its resolver a DNS64 (unbound),
 * IPv4 reached through the carrier's NAT64 (tayga, in `hp-inet`). The NAT64 prefix is a
 * network-specific one (RFC 6052 §2.2), as many carriers use: the well-known 64:ff9b::/96 may
 * not carry non-global IPv4 (tayga refuses it), and the lab's internet is 198.18.0.0/15.
 */
export const CELL6 = { ns: 'hp-cell6', phone: '2001:db8:8::2', inet: '2001:db8:8::1', inetIf: 'cell6-only' } as const;
export const NAT64 = {
  prefix: '2001:db8:64::/96',
  /** tayga's own IPv4 address and the pool it maps IPv6 clients into. */
  address: '198.18.64.1',
  pool: '198.18.64.0/24',
  tun: 'nat64',
} as const;
/** A dual-stack phone on cellular: IPv4 and IPv6, the public resolver. */
export const DUAL = {
  ns: 'hp-dual',
  phone: '198.18.9.2',
  inet: '198.18.9.1',
  phone6: '2001:db8:9::2',
  inet6: '2001:db8:9::1',
  inetIf: 'cell-dual',
} as const;
/** IPv6 services of the internet (on `hp-inet`'s loopback): the carrier's DNS64 resolver. */
export const SERVICES6 = { dns64: '2001:db8::64' } as const;

export const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

export function boxPlan(key: BoxKey): BoxPlan {
  return BOXES.find((b) => b.key === key)!;
}

export function namespaces(): string[] {
  return [INET, CELL.ns, CELL6.ns, DUAL.ns, ...BOXES.flatMap((b) => [b.ns, b.node.ns, b.phone.ns])];
}

/** The namespaces that keep IPv6 on (the rest turn it off: no DAD waits, no AAAA noise). */
export function ipv6Namespaces(): string[] {
  return [INET, CELL6.ns, DUAL.ns, ...BOXES.filter((b) => b.ipv6).flatMap((b) => [b.ns, b.node.ns, b.phone.ns])];
}

export const names = {
  external: (b: BoxPlan) => `${b.node.name}.pl-${b.node.licence}.${ZONE}`,
  internal: (b: BoxPlan) => `i-${b.node.name}.pl-${b.node.licence}.${ZONE}`,
  apps: (licence: string) => `pl-${licence}.apps.${ZONE}`,
};
