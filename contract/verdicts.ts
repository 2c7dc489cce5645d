// The probe's vocabulary, defined once: every verdict a probe can reach, with a stable code, the
// sentence support staff read, the evidence that leads to it and what support should do. A
// contract: the probe reaches these verdicts, the manager's API accepts only these codes in a
// probe report (contract/api.ts), the support page and the docs (docs/probe.md, checked by
// test/docs/tables.test.ts) show them; callers branch on the code, never on a reason's wording.

export interface VerdictInfo {
  /** What the verdict means, in one sentence. */
  meaning: string;
  /** The evidence the probe saw to reach it. */
  evidence: string;
  /** What support should do about it. */
  action: string;
}

/** Verdict codes, in the order the support page shows them. */
export const VERDICT_INFO = {
  ok: {
    meaning: 'the resolver returns the address the manager publishes',
    evidence: 'NOERROR with the same address set as the manager (a CNAME chain followed to its end)',
    action: 'nothing: the internal name works on this network',
  },
  dns64: {
    meaning:
      'the resolver synthesises IPv6 addresses (DNS64: an IPv6-only network behind NAT64), where a private IPv4 address is never reachable',
    evidence:
      "an AAAA for ipv4only.arpa carrying 192.0.0.170/171 (RFC 7050, the NAT64 prefix), and the internal name's A as published or its AAAA made of that prefix and the published RFC 1918 address (RFC 6052)",
    action:
      'the external name is the path on this network (through NAT64); the internal name works only on a LAN with IPv4 and a resolver without DNS64',
  },
  'filtered-servfail': {
    meaning: 'the resolver answers SERVFAIL for the private address (Free, BIND deny-answer-addresses)',
    evidence:
      'SERVFAIL for the A/AAAA while the TXT control on the same name resolves, or an EDE 15–18 (Blocked, Censored, Filtered, Prohibited)',
    action: 'a rebind exception for the zone on the router or resolver, another resolver, or NAT loopback',
  },
  'filtered-nodata': {
    meaning: 'the resolver strips the private address and answers NOERROR with nothing in it',
    evidence:
      "NOERROR with no address (no SOA, or the zone's current SOA, or an EDE 15–18) while the TXT control resolves",
    action:
      'a rebind exception for the zone (dnsmasq --rebind-domain-ok, unbound private-domain), another resolver, or NAT loopback',
  },
  'filtered-refused': {
    meaning: 'the resolver answers REFUSED for the private address, yet passes the TXT control',
    evidence: 'REFUSED for the A/AAAA while the TXT control on the same name resolves',
    action: 'a rebind exception for the zone, another resolver, or NAT loopback',
  },
  overridden: {
    meaning: 'the resolver serves its own data for the zone (a local zone, a blocklist, an ISP rewriting answers)',
    evidence:
      "a negative answer whose SOA is not the zone's (another owner, name server or contact, or none), or an authoritative (AA) answer with other data",
    action: "remove the local zone or blocklist entry for the zone on the shop's resolver, or use another resolver",
  },
  'stale-cache': {
    meaning:
      "the resolver still holds an answer from before the manager's last change; it fixes itself when that entry expires",
    evidence:
      "a negative answer carrying the zone's SOA with a serial older than the manager's (the seconds left are its TTL), or an old address the TXT control on the same name still vouches for",
    action: "wait the seconds shown (or flush the resolver's cache), then probe again; not a filter",
  },
  nxdomain: {
    meaning: 'the resolver says the name does not exist although the manager publishes it',
    evidence: "NXDOMAIN with the zone's SOA at the manager's current serial",
    action: 'the resolver rewrites or blocks the name: another resolver; check for a blocklist',
  },
  'not-published': {
    meaning: 'the manager has no address for this name yet (not enrolled or not reported)',
    evidence: 'the manager itself answers NXDOMAIN or NODATA',
    action: 'check that the node is enrolled and its agent reports (hairpin agent status)',
  },
  mismatch: {
    meaning: 'the resolver returns another address than the manager: partial or rewritten answer',
    evidence:
      "NOERROR with an address set other than the manager's, not explained by a cache the TXT control vouches for",
    action: 'wait one TTL and probe again; if it stays, the resolver rewrites answers: another resolver',
  },
  'upstream-failure': {
    meaning: "the resolver answers but cannot get answers from the zone's name servers (dead upstream)",
    evidence:
      'SERVFAIL or no answer for the address and for the TXT control alike (EDE 22/23 when the resolver says why)',
    action: "the shop's resolver or its upstream is down: restart the router or use another resolver; not a filter",
  },
  timeout: {
    meaning: 'no answer from the resolver within the time bound',
    evidence:
      'no response to the address question (with EDNS, then without) within the tries, and no SERVFAIL that would tell an upstream failure',
    action: "check the LAN's DNS settings; probe again",
  },
  unreachable: {
    meaning: 'no resolver answers (refused connection, unreachable network) or it refuses this client',
    evidence: 'a connection refused or unreachable, an unusable response, or REFUSED for the TXT control too',
    action: "check the LAN's DNS settings (DHCP DNS server) and the resolver's access control",
  },
} as const satisfies Record<string, VerdictInfo>;

export type Verdict = keyof typeof VERDICT_INFO;

/** Verdict codes and what each means, in the order the support page shows them. */
export const VERDICTS = Object.fromEntries(
  Object.entries(VERDICT_INFO).map(([code, info]) => [code, info.meaning]),
) as { readonly [V in Verdict]: (typeof VERDICT_INFO)[V]['meaning'] };

export const VERDICT_CODES = Object.keys(VERDICT_INFO) as Verdict[];

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === 'string' && Object.hasOwn(VERDICT_INFO, value);
}
