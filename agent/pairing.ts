// The pairing rule (docs/agent.md, "decides the pairing URL"): hand the app the internal URL when the internal
// name resolves to the node's private address through the shop's resolver; else the external
// URL — quietly when the box hairpins, with a warning and advice when it does not. Every
// decision says why, in sentences support can read to the shop.

import type { ReachCheckView } from '../contract/api.ts';
import { resolverTransport, systemTransport } from '../probe/adapter/node/index.ts';
import { type DnsTransport, type ProbeResult, probeNode, type Verdict } from '../probe/index.ts';
import type { HairpinResult } from './hairpin.ts';
import type { HostPort } from './host-port.ts';
import type { NodeNames } from './http/policy.ts';
import { dnsmasqForwarding } from './lan-dns.ts';

export interface PairingInput {
  names: NodeNames;
  /** The zone apex, as the manager names it (the probe need not ask the SOA for it). */
  zone: string;
  /** The port the node's HTTPS service is reached on. */
  port: number;
  /** The node's private IPv4: the internal answer must be this address. */
  privateIpv4?: string;
  /** What the manager publishes (its DoH transport). */
  truth: DnsTransport;
  /** The shop's resolver, `host[:port]` or a transport to it; default: the system's (/etc/resolv.conf). */
  resolver?: string | DnsTransport;
  /** The hairpin self-test's result; awaited only when the internal name does not resolve. */
  hairpin: () => Promise<HairpinResult>;
  timeoutMs?: number;
  /** The decision in force, if any: an internal one is kept through a cache that fixes itself. */
  previous?: { kind: PairingDecision['kind'] };
  /** The node's own address change, while the old record may still sit in the shop's resolver. */
  freshChange?: AddressChange;
  /**
   * The node's stable global IPv6 (the external name's AAAA), and the manager's last check of it
   * from outside; awaited only when the box does not hairpin (the advice is the only use).
   */
  ipv6?: { address: string; reach?: () => Promise<ReachCheckView | null> };
  /** Where the node's own LAN responder listens (`lanDnsListen`), when it runs: the advice names the router setting that uses it. */
  lanDns?: HostPort;
  /** The clock the decision is stamped with: the agent's, which also says when it is an hour old. */
  now?: () => number;
}

/** The node's IPv6 address and the manager's check of it, as the firewall advice reads them. */
export interface Ipv6Reach {
  address: string;
  reach?: ReachCheckView | null;
}

/** A change of the node's private address: from what, how long ago, and the record's TTL. */
export interface AddressChange {
  from: string;
  secondsAgo: number;
  ttl: number;
}

/**
 * Past the TTL, a resolver may still hand out the old record for a moment: it counts whole
 * seconds, and the report needs its round trip before the new record exists at all.
 */
export const TTL_GRACE_SECONDS = 2;

export interface PairingDecision {
  url: string;
  /** `relay`: neither direct origin works from the LAN; the app gets the external URL and the relay's. */
  kind: 'internal' | 'external' | 'relay';
  /**
   * The relay origin, whenever the node has one, whatever the kind: the app's last resort
   * (HairpinClientOptions.relayOrigin) if both direct names fail later (a browser's Local
   * Network Access denied where the box does not hairpin, a router changed).
   */
  relayUrl?: string;
  /** Present when the LAN path is broken: what the shop sees. */
  warning?: string;
  /** What the shop can change, when there is a warning. */
  advice?: string[];
  /** Why, one sentence per step. */
  explanation: string[];
  internal: { verdict: Verdict; reason: string; resolver: string; answers: string[] };
  hairpin: HairpinResult | null;
  decidedAt: string;
  /** The whole probe, for the manager's compatibility report. */
  probe: ProbeResult;
  /** Decide again after this many seconds: a cache in the shop's resolver is about to expire. */
  recheckAfterSeconds?: number;
}

function origin(name: string, port: number): string {
  return port === 443 ? `https://${name}/` : `https://${name}:${port}/`;
}

/**
 * Serve-stale (RFC 8767), per resolver software: with it the box's resolver keeps answering the
 * node's name from its expired cache while the internet line is down, so a browser app on the
 * shop's Wi-Fi keeps finding the node (measured in the field lab, rows O3: the whole outage, where
 * the same resolver without it stops within one TTL). A Node app does not need it (the client's
 * last known address).
 */
export const SERVE_STALE = {
  unbound: 'serve-expired: yes',
  bind: 'stale-answer-enable yes; stale-cache-enable yes; stale-answer-client-timeout 0;',
  dnsmasq: '--use-stale-cache',
  knot: 'serve_stale',
} as const;

export const SERVE_STALE_ADVICE = `So that apps on the shop's Wi-Fi keep finding the node while the internet line is down, turn on serve-stale (RFC 8767) in the router's resolver: unbound "${SERVE_STALE.unbound}"; BIND 9.18 "${SERVE_STALE.bind}"; dnsmasq 2.89 and later ${SERVE_STALE.dnsmasq} (with its cache on); Knot Resolver ${SERVE_STALE.knot}.`;

/**
 * With the node's own LAN responder running: have the router forward the internal name to it. The
 * name then resolves on the LAN from the node itself, through a rebind filter and while the line
 * is down (docs/offline.md).
 */
function lanForwardAdvice(name: string, listen: HostPort): string {
  const [server, rebindOk] = dnsmasqForwarding(name, listen);
  return `Or, where the router can forward one name to a server of the LAN, forward ${name} to the node (${listen.host} port ${listen.port}, UDP), which answers for it itself, also while the internet line is down: dnsmasq and Pi-hole "${server}" and "${rebindOk}"; OpenWrt: DHCP and DNS › DNS forwardings "/${name}/${listen.host}#${listen.port}", and the name under Domain whitelist.`;
}

/** The forwarding advice, when the node runs its LAN responder. */
const lanForward = (input: Pick<PairingInput, 'names' | 'lanDns'>): string[] =>
  input.lanDns ? [lanForwardAdvice(input.names.internal, input.lanDns)] : [];

/** What keeps the LAN path through an outage of the shop's line, where it works today. */
const outageAdvice = (input: Pick<PairingInput, 'names' | 'lanDns'>): string[] => [
  SERVE_STALE_ADVICE,
  ...lanForward(input),
];

/** What the shop can do about a verdict, in the order worth trying. */
function adviceFor(verdict: Verdict, zone: string): string[] {
  const rebind = [
    `Add a DNS-rebind exception for ${zone} on the router (Fritz!Box: "DNS rebind protection" exceptions; OpenWrt/dnsmasq: rebind_domain / --rebind-domain-ok=/${zone}/; pfSense or Unbound: private-domain: "${zone}").`,
    "Or give the LAN another resolver that passes private answers (the router's DHCP DNS setting).",
    'Or enable NAT loopback (hairpinning) on the router, so the external name works from inside.',
  ];
  if (verdict.startsWith('filtered-')) return rebind;
  // Per verdict: what it means and what to do first, then the rebind remedies from the one given,
  // then what else to do.
  const first: Partial<Record<Verdict, readonly [advice: string, rebindFrom?: number, after?: readonly string[]]>> = {
    'not-published': [
      'The manager has no private address for this node yet: check that the agent reports (hairpin agent status).',
    ],
    mismatch: [
      "The resolver answers another address (stale cache or rewritten answer): wait one TTL and pair again, or flush the router's DNS cache.",
      2,
    ],
    nxdomain: [
      'The resolver claims the name does not exist: it may block the zone or serve a stale negative answer; flush its cache or use another resolver.',
      1,
    ],
    overridden: [
      `The shop's resolver serves its own data for ${zone} (a local zone of that name, a blocklist): remove it, or forward ${zone} to the public DNS.`,
      1,
    ],
    dns64: [
      "The shop's resolver synthesises IPv6 addresses (DNS64, meant for IPv6-only networks): devices that prefer IPv6 go through NAT64, where the node's private address is never reachable. Give the LAN a resolver without DNS64 (the box's own), or keep the external name.",
      2,
    ],
    'stale-cache': [
      "The resolver still holds an answer from before the node reported: it expires by itself (pair again in a minute), or flush the router's DNS cache.",
    ],
    'upstream-failure': [
      "The shop's resolver answers but cannot reach the internet's DNS: restart the router, or give the LAN another resolver.",
      2,
      [SERVE_STALE_ADVICE],
    ],
  };
  const [advice, rebindFrom, after = []] = first[verdict] ?? [
    "The resolver did not answer: check the LAN's DNS settings and the router.",
    1,
  ];
  const remedies = rebindFrom === undefined ? [] : rebind.slice(rebindFrom);
  return [advice, ...remedies, ...after];
}

/**
 * Whether `decision` still holds once the manager publishes something new for the node: an
 * internal decision rests on the internal name answering the node's private address, for its
 * URL at this port. A new public address (the box back from a power cut, the ISP's reconnect)
 * leaves that as it was; a new private address, port or name does not.
 */
export function internalDecisionHolds(
  decision: Pick<PairingDecision, 'kind' | 'url' | 'internal'>,
  node: { names: Pick<NodeNames, 'internal'>; port: number; privateIpv4: string },
): boolean {
  return (
    decision.kind === 'internal' &&
    decision.url === origin(node.names.internal, node.port) &&
    decision.internal.answers.includes(node.privateIpv4)
  );
}

/**
 * What a decision for the internal URL shows when the internal name resolves to the node: the
 * URL, the advice that keeps the LAN path through an outage, the explanation. Also what the herd
 * benchmark writes as a node's decision before a power cut.
 */
export function internalPairing(
  input: Pick<PairingInput, 'names' | 'port' | 'lanDns'>,
  answers: readonly string[],
  resolverLabel: string,
): Pick<PairingDecision, 'url' | 'kind' | 'advice' | 'explanation' | 'hairpin'> {
  return {
    url: origin(input.names.internal, input.port),
    kind: 'internal',
    advice: outageAdvice(input),
    explanation: [
      `${input.names.internal} resolves to ${answers.join(', ')} through ${resolverLabel}: apps in the shop reach the node on the LAN.`,
    ],
    hairpin: null,
  };
}

/** The shop's resolver as the pairing asks it: the one configured, else the system's. */
export async function pairingResolver(resolver?: string | DnsTransport): Promise<DnsTransport> {
  if (typeof resolver === 'object') return resolver;
  return resolver ? resolverTransport(resolver) : systemTransport();
}

/**
 * Decide the URL to hand an app at pairing.
 *
 * ```ts
 * const decision = await decidePairingUrl({ names, port: 8443, privateIpv4: '192.168.1.20',
 *   truth: dohTransport('https://manager.example.net/dns-query'), resolver: '192.168.1.1',
 *   hairpin: () => hairpinSelfTest({ origin: 'https://nur1.pl-1234.example.test:8443', licence: '1234', node: 'nur1' }) });
 * decision.url; // 'https://i-nur1.pl-1234.example.test:8443/'
 * ```
 */
export async function decidePairingUrl(input: PairingInput): Promise<PairingDecision> {
  const resolver = await pairingResolver(input.resolver);
  const probe: ProbeResult = await probeNode({
    names: { internal: input.names.internal, external: input.names.external },
    zone: input.zone,
    truth: input.truth,
    resolver,
    ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
  });
  const main = probe.checks.find((c) => c.role === 'internal' && c.type === 'A');
  const answers = main?.resolver.answers.filter((r) => r.type === 'A').map((r) => r.data) ?? [];
  let verdict = probe.verdict;
  let reason = probe.reason;
  if (verdict === 'ok' && input.privateIpv4 && !answers.includes(input.privateIpv4)) {
    // The manager and the resolver agree, but not with the node: the last report is stale.
    verdict = 'mismatch';
    reason = `it resolves to ${answers.join(', ')}, but this node's private address is ${input.privateIpv4} (report not yet published?)`;
  }
  const internal = { verdict, reason, resolver: resolver.label, answers };
  const decidedAt = new Date((input.now ?? Date.now)()).toISOString();
  const expires = cacheExpiry(input, verdict, answers, probe);
  const facts = {
    internal,
    decidedAt,
    probe,
    ...(expires ? { recheckAfterSeconds: expires.seconds } : {}),
    ...(input.names.relay ? { relayUrl: origin(input.names.relay, 443) } : {}),
  };
  const explanation: string[] = [];
  if (expires && input.previous?.kind === 'internal') {
    // The LAN path worked before and what stands in the way expires by itself: downgrading now
    // would send the shop to the external name (or a warning) for an hour over a minute's cache.
    explanation.push(
      `${input.names.internal} does not resolve to the node through ${resolver.label} yet: ${verdict} (${reason}).`,
      expires.why,
      'Keeping the internal URL; deciding again then.',
    );
    return { url: origin(input.names.internal, input.port), kind: 'internal', explanation, hairpin: null, ...facts };
  }
  if (verdict === 'ok') return { ...internalPairing(input, answers, resolver.label), ...facts };
  explanation.push(
    `${input.names.internal} does not resolve to the node through ${resolver.label}: ${verdict} (${reason}).`,
  );
  const hairpin = await input.hairpin();
  if (hairpin.hairpins) {
    explanation.push(`The box hairpins: the node ${hairpin.reason}. Apps in the shop can use the external name.`);
    return {
      url: origin(input.names.external, input.port),
      kind: 'external',
      advice: outageAdvice(input),
      explanation,
      hairpin,
      ...facts,
    };
  }
  explanation.push(`The box does not hairpin: the node ${hairpin.reason}.`);
  if (input.ipv6) {
    // Same /64 as the shop's devices: on-link, no box in the way, no NAT to loop back.
    explanation.push(
      `The node has the global IPv6 address ${input.ipv6.address}, the AAAA of ${input.names.external}: devices on the shop's Wi-Fi that have IPv6 reach it directly, with no NAT; IPv4-only devices need the paths below.`,
    );
  }
  const relay = input.names.relay;
  const warning = relay
    ? `The LAN path to the node is broken: ${input.names.internal} does not resolve through the shop's resolver (${verdict}) and the router does not loop ${input.names.external} back. Apps on the shop's Wi-Fi go through the relay (${relay}), slower and capped, until one of these is fixed; apps on cellular use the external name.`
    : `The LAN path to the node is broken: ${input.names.internal} does not resolve through the shop's resolver (${verdict}) and the router does not loop ${input.names.external} back. Apps on the shop's Wi-Fi will fail until one of these is fixed; apps on cellular work.`;
  explanation.push(
    relay
      ? `Handing out the external name, with the relay ${relay} as the LAN's path: the app uses it only while neither direct name answers.`
      : 'Handing out the external name anyway: it is the only one that works from outside.',
  );
  return {
    url: origin(input.names.external, input.port),
    kind: relay ? 'relay' : 'external',
    warning,
    advice: [
      ...adviceFor(verdict, input.zone),
      ...lanForward(input),
      ...(input.ipv6
        ? ipv6FirewallAdvice({
            port: input.port,
            ipv6: { address: input.ipv6.address, reach: (await input.ipv6.reach?.()) ?? null },
          })
        : []),
    ],
    explanation,
    hairpin,
    ...facts,
  };
}

/**
 * When the manager's check found the node's IPv6 address closed from outside: where each common
 * box opens its IPv6 firewall for one device and port (they drop unsolicited inbound IPv6 by
 * default; the LAN still reaches the node, cellular phones do not).
 */
export function ipv6FirewallAdvice(input: { port: number; ipv6?: Ipv6Reach }): string[] {
  const reach = input.ipv6?.reach;
  if (!input.ipv6 || !reach?.current || reach.outcome === 'open') return [];
  const rule = `TCP port ${input.port} to ${input.ipv6.address}`;
  const seen = `the manager's check from outside: ${reach.outcome}, ${reach.detail}`;
  // A reset is ambiguous: the node itself answers so when nothing listens on the port (an agent
  // checks at start, maybe before its service is up), and a few firewalls reject that way
  // (OpenWrt's REJECT). Silence or an ICMP error is the box.
  const finding =
    reach.outcome === 'refused'
      ? `Inbound IPv6 to the node was refused (${seen}): either nothing listened on port ${input.port} at the node when it was checked (check again once the service is up), or the box's IPv6 firewall rejects it. If the service is up, open`
      : `The box blocks inbound IPv6 to the node (${seen}): IPv6 phones on cellular cannot reach it. Open`;
  return [
    `${finding} ${rule} in the box's IPv6 firewall — ` +
      `Livebox: Advanced settings › Firewall › IPv6 ("Pare-feu IPv6"), a custom inbound rule; ` +
      `Freebox: Freebox OS › Settings › Network › IPv6 ("Firewall IPv6"), allow the port; ` +
      `Bbox: Services › Firewall › IPv6 rules ("Pare-feu IPv6"), an inbound rule; ` +
      `SFR Box: Network v6 › IPv6 firewall ("Pare-feu IPv6"), allow inbound to the node; ` +
      `Fritz!Box: Internet › Permit Access › Port Sharing, the node's device, "IPv6" with the port (and "Open firewall for delegated IPv6 prefixes" off unless wanted); ` +
      `OpenWrt: Network › Firewall › Traffic Rules, accept from wan to lan, family IPv6, ${rule} (uci: config rule, option family 'ipv6', option dest_port '${input.port}', option target 'ACCEPT').`,
  ];
}

/**
 * When the probe's failure is a cache that expires by itself — the shop's resolver still holds
 * the node's old address after its own fresh change, or any `stale-cache` — how long until it does.
 */
function cacheExpiry(
  input: PairingInput,
  verdict: Verdict,
  answers: string[],
  probe: ProbeResult,
): { seconds: number; why: string } | undefined {
  if (verdict === 'ok') return undefined;
  const change = input.freshChange;
  if (change && (answers.includes(change.from) || verdict === 'stale-cache' || verdict === 'mismatch')) {
    const seconds = Math.max(1, Math.ceil(change.ttl + TTL_GRACE_SECONDS - change.secondsAgo));
    if (change.secondsAgo < change.ttl + TTL_GRACE_SECONDS) {
      return {
        seconds,
        why: `The node's own address changed from ${change.from} ${Math.round(change.secondsAgo)} s ago; records live ${change.ttl} s, so the shop's resolver drops the old one within ${seconds} s.`,
      };
    }
  }
  if (verdict === 'stale-cache') {
    const seconds = (probe.fixesInSeconds ?? 60) + TTL_GRACE_SECONDS;
    return {
      seconds,
      why: `The resolver's cached answer predates the manager's last change and expires within ${seconds} s.`,
    };
  }
  return undefined;
}

/** The decision as text for a terminal: URL, then why, then warning and advice. */
export function formatDecision(decision: PairingDecision): string {
  const lines = [
    decision.url,
    ...(decision.relayUrl ? [`relay: ${decision.relayUrl}`] : []),
    '',
    ...decision.explanation.map((e) => `  - ${e}`),
  ];
  if (decision.warning) lines.push('', `WARNING: ${decision.warning}`);
  if (decision.advice)
    lines.push('', ...(decision.warning ? [] : ['Advice:']), ...decision.advice.map((a) => `  * ${a}`));
  return lines.join('\n');
}
