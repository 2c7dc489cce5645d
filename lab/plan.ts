// The lab's field, as data: namespaces, links and addresses. The "internet" uses 198.18.0.0/15
// (RFC 2544 benchmarking): the documentation ranges (TEST-NETs) are treated as private by
// dnsmasq's rebind filter, which would make the third box filter public answers too. The LANs use
// RFC 1918. None of these addresses exists outside the namespaces the lab makes.

export const ZONE = 'polaris-lab.test';
export const NODE_PORT = 8443;
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

export type BoxKey = 'orange' | 'free' | 'third';

/** The LAN resolver kind: passes private answers, answers SERVFAIL (BIND), or dnsmasq's rebind filter. */
export type BoxResolver = 'unbound-forward' | 'bind-deny-answer' | 'dnsmasq-stop-rebind';

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
}

function box(key: BoxKey, n: number, title: string, hairpin: boolean, resolver: BoxResolver, licence: string): BoxPlan {
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
  };
}

export const BOXES: readonly BoxPlan[] = [
  box('orange', 1, 'Orange: no hairpin, resolver passes private answers', false, 'unbound-forward', '1001'),
  box('free', 2, 'Free: hairpin, resolver answers SERVFAIL to private answers', true, 'bind-deny-answer', '1002'),
  box('third', 3, 'third box: no hairpin, resolver filters private answers', false, 'dnsmasq-stop-rebind', '1003'),
];

/** The phone on "cellular" only: attached to the internet, RFC 1918 blocked by the carrier. */
export const CELL = { ns: 'hp-cell', phone: '198.18.4.2', inet: '198.18.4.1', inetIf: 'cell-only' } as const;

export const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

export function boxPlan(key: BoxKey): BoxPlan {
  return BOXES.find((b) => b.key === key)!;
}

export function namespaces(): string[] {
  return [INET, CELL.ns, ...BOXES.flatMap((b) => [b.ns, b.node.ns, b.phone.ns])];
}

export const names = {
  external: (b: BoxPlan) => `${b.node.name}.pl-${b.node.licence}.${ZONE}`,
  internal: (b: BoxPlan) => `i-${b.node.name}.pl-${b.node.licence}.${ZONE}`,
  apps: (licence: string) => `pl-${licence}.apps.${ZONE}`,
};
