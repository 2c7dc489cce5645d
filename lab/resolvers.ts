// The resolvers of the field, each real DNS software with the setting that makes it behave like
// the network it stands for. Measured answers for a name whose only address is RFC 1918 are in
// docs/lab.md ("Resolvers, measured"); lab/run.ts shows them again on every run.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVE_STALE } from '../agent/index.ts';
import { BOXES, type BoxKey, type BoxPlan, INET, NAT64, RFC1918, SERVICES, SERVICES6, ttls, ZONE } from './plan.ts';
import { type Daemon, inNs, startDaemon, waitFor } from './shell.ts';

/** The longest a resolver of the field keeps an answer: 5 s in the lab, the TTL itself in production's run. */
const cap = () => ttls().resolverCapSeconds;

// Short caches: a report must show through within a scenario, and no negative answer may linger.
const UNBOUND_COMMON = (dir: string, name: string, address: string, modules = 'iterator') => `server:
  interface: ${address}
  port: 53
  access-control: 0.0.0.0/0 allow
  access-control: ::/0 allow
  do-ip6: ${address.includes(':') ? 'yes' : 'no'}
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${join(dir, `${name}.pid`)}"
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "${modules}"
  do-not-query-localhost: no
  qname-minimisation: no
${cap() === null ? '' : `  cache-max-ttl: ${cap()}\n`}  cache-max-negative-ttl: 1
  # unbound answers the special-use TLDs (RFC 6761: test., invalid., …) itself, NXDOMAIN, by default
  local-zone: "${ZONE.split('.').at(-1)}." nodefault
`;

const PRIVATE_ADDRESS = RFC1918.map((p) => `  private-address: ${p}\n`).join('');

/**
 * The public resolver: asks the manager's port-53 server for the zone, passes private answers.
 * It also answers `ipv4only.arpa` as the real DNS does (RFC 7050 §8.2, RFC 8880): the name DNS64
 * discovery asks for, with no root to find it from in the lab.
 */
function publicUnbound(dir: string, name: string, address: string, filterPrivate: boolean): string {
  return `${UNBOUND_COMMON(dir, name, address)}${filterPrivate ? PRIVATE_ADDRESS : ''}  local-data: "ipv4only.arpa. 3600 IN A 192.0.0.170"
  local-data: "ipv4only.arpa. 3600 IN A 192.0.0.171"
stub-zone:
  name: "${ZONE}"
  stub-addr: ${SERVICES.manager}
`;
}

/**
 * The Orange box: a forwarder to a resolver that passes private answers. With `filterPrivate`,
 * a box with DNS-rebind protection that strips RFC 1918 answers only (unbound private-address).
 */
function forwardingUnbound(
  dir: string,
  name: string,
  address: string,
  serveStale: boolean,
  filterPrivate = false,
): string {
  return `${UNBOUND_COMMON(dir, name, address)}${serveStale ? `  ${SERVE_STALE.unbound}\n` : ''}${filterPrivate ? PRIVATE_ADDRESS : ''}
forward-zone:
  name: "."
  forward-addr: ${SERVICES.resolver}
`;
}

/**
 * The carrier's DNS64 for its IPv6-only network (RFC 6147): an AAAA made from the A where a name
 * has none, under the NAT64 prefix. Local data would bypass the dns64 module, so the A records
 * (the zone's, ipv4only.arpa's) come from upstream: the public resolver.
 */
function dns64Unbound(dir: string, name: string, address: string): string {
  return `${UNBOUND_COMMON(dir, name, address, 'dns64 iterator')}  dns64-prefix: ${NAT64.prefix}
forward-zone:
  name: "."
  forward-addr: ${SERVICES.resolver}
`;
}

/** The Free box: BIND's deny-answer-addresses turns an answer with a private address into SERVFAIL. */
function bindDenying(dir: string, name: string, address: string, serveStale: boolean): string {
  return `controls { };
options {
  directory "${dir}";
  pid-file "${join(dir, `${name}.pid`)}";
  session-keyfile "${join(dir, `${name}.session.key`)}";
  listen-on port 53 { ${address}; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { any; };
  allow-recursion { any; };
  forward only;
  forwarders { ${SERVICES.resolver}; };
  dnssec-validation no;
${cap() === null ? '' : `  max-cache-ttl ${cap()};\n`}  max-ncache-ttl 1;
  deny-answer-addresses { ${RFC1918.join('; ')}; };${serveStale ? `\n  ${SERVE_STALE.bind}` : ''}
};
`;
}

export interface ResolverSet {
  daemons: Daemon[];
  /** Each box's own resolver (also in `daemons`), for the rows that restart it with other settings. */
  boxes: Record<BoxKey, Daemon>;
}

async function startUnbound(ns: string, dir: string, name: string, conf: string): Promise<Daemon> {
  const file = join(dir, `${name}.conf`);
  await writeFile(file, conf);
  return startDaemon(ns, 'unbound', ['-d', '-c', file], join(dir, `${name}.log`));
}

/** How one of a box's resolvers differs from the box's own: the outage rows run variants beside it. */
export interface BoxResolverVariant {
  /** Default: the box's LAN address. */
  address?: string;
  /** Serve-stale on (RFC 8767), with the software's setting in the pairing advice. */
  serveStale?: boolean;
  /** dnsmasq settings the shop added (`--` and the setting), e.g. the pairing advice's forwarding to the node. */
  dnsmasqSettings?: readonly string[];
}

/** A box's resolver: the box's own by default, or a variant of it (the outage rows run them side by side). */
export async function startBoxResolver(b: BoxPlan, dir: string, variant: BoxResolverVariant = {}): Promise<Daemon> {
  const serveStale = variant.serveStale ?? false;
  const name = `resolver-${b.key}${serveStale ? '-stale' : ''}`;
  const address = variant.address ?? b.lan.box;
  switch (b.resolver) {
    case 'unbound-forward':
      return startUnbound(b.ns, dir, name, forwardingUnbound(dir, name, address, serveStale));
    case 'unbound-filter':
      return startUnbound(b.ns, dir, name, forwardingUnbound(dir, name, address, serveStale, true));
    case 'bind-deny-answer': {
      const file = join(dir, `${name}.conf`);
      await writeFile(file, bindDenying(dir, name, address, serveStale));
      return startDaemon(b.ns, 'named', ['-g', '-4', '-c', file], join(dir, `${name}.log`));
    }
    case 'dnsmasq-stop-rebind':
      // --stop-dns-rebind: answers from upstream carrying a private address are rejected.
      return startDaemon(
        b.ns,
        'dnsmasq',
        [
          '--no-daemon',
          '--no-resolv',
          '--no-hosts',
          '--bind-interfaces',
          `--listen-address=${address}`,
          `--server=${SERVICES.resolver}`,
          '--stop-dns-rebind',
          // Serve-stale needs a cache: dnsmasq's default size, capped like the other resolvers.
          ...(variant.dnsmasqSettings ?? []).map((setting) => `--${setting}`),
          ...(serveStale
            ? ['--cache-size=150', SERVE_STALE.dnsmasq, ...(cap() === null ? [] : [`--max-cache-ttl=${cap()}`])]
            : ['--cache-size=0']),
          `--pid-file=${join(dir, `${name}.pid`)}`,
          '--log-queries',
        ],
        join(dir, `${name}.log`),
      );
  }
}

/** Resolves once the resolver on `address` answers on port 53, whatever its rcode. */
export async function waitAnswering(ns: string, address: string): Promise<void> {
  await waitFor(
    `resolver ${address}`,
    async () => {
      const out = await inNs(ns, 'dig', [`@${address}`, '+time=1', '+tries=1', `${ZONE}`, 'SOA'], {
        allowFail: true,
      });
      return /status: (NOERROR|SERVFAIL|NXDOMAIN|REFUSED)/.test(out);
    },
    15_000,
    200,
  );
}

/** Start the public, carrier and box resolvers; resolves once each answers on port 53. */
export async function startResolvers(dir: string): Promise<ResolverSet> {
  const daemons = [
    await startUnbound(INET, dir, 'resolver-public', publicUnbound(dir, 'resolver-public', SERVICES.resolver, false)),
    await startUnbound(
      INET,
      dir,
      'resolver-carrier-filtering',
      publicUnbound(dir, 'resolver-carrier-filtering', SERVICES.filteringResolver, true),
    ),
    await startUnbound(INET, dir, 'resolver-dns64', dns64Unbound(dir, 'resolver-dns64', SERVICES6.dns64)),
  ];
  const boxes = {} as Record<BoxKey, Daemon>;
  for (const b of BOXES) daemons.push((boxes[b.key] = await startBoxResolver(b, dir)));
  const listening: Array<[string, string]> = [
    [INET, SERVICES.resolver],
    [INET, SERVICES.filteringResolver],
    [INET, SERVICES6.dns64],
    ...BOXES.map((b): [string, string] => [b.ns, b.lan.box]),
  ];
  for (const [ns, address] of listening) await waitAnswering(ns, address);
  return { daemons, boxes };
}

/** What one resolver answered for a name whose only address is RFC 1918. */
export interface ResolverBehaviour {
  resolver: string;
  software: string;
  rcode: string;
  addresses: string[];
  /** Extended DNS Error (RFC 8914) as dig prints it, e.g. "15 (Blocked)". */
  ede: string | null;
}

/** `dig` from inside a namespace: the rcode, the addresses answered and any EDE. */
export async function lookup(
  ns: string,
  name: string,
  server: string,
): Promise<Omit<ResolverBehaviour, 'resolver' | 'software'>> {
  const out = await inNs(ns, 'dig', [`@${server}`, '+time=2', '+tries=1', name, 'A'], { allowFail: true });
  const answer = out.split(';; ANSWER SECTION:')[1]?.split('\n\n')[0] ?? '';
  return {
    rcode: /status: ([A-Z]+)/.exec(out)?.[1] ?? 'TIMEOUT',
    addresses: [...answer.matchAll(/\sA\s+([\d.]+)/g)].map((m) => m[1]!),
    ede: /; EDE: ([^\n]+)/.exec(out)?.[1]?.trim() ?? null,
  };
}

const SOFTWARE: Record<BoxPlan['resolver'], string> = {
  'unbound-forward': 'unbound, forwarding to the public resolver',
  'bind-deny-answer': 'BIND named, deny-answer-addresses { RFC 1918 }',
  'dnsmasq-stop-rebind': 'dnsmasq --stop-dns-rebind',
  'unbound-filter': 'unbound, private-address: RFC 1918',
};

/** Ask every resolver of the field for a node's internal name: the measured rows of docs/lab.md. */
export async function measureResolvers(internalName: (b: BoxPlan) => string): Promise<ResolverBehaviour[]> {
  const name = internalName(BOXES[0]!);
  const rows: ResolverBehaviour[] = [
    {
      resolver: `public ${SERVICES.resolver}`,
      software: 'unbound, no private-address',
      ...(await lookup(INET, name, SERVICES.resolver)),
    },
    {
      resolver: `carrier ${SERVICES.filteringResolver}`,
      software: 'unbound, private-address: RFC 1918',
      ...(await lookup(INET, name, SERVICES.filteringResolver)),
    },
  ];
  for (const b of BOXES)
    rows.push({
      resolver: `${b.key} box ${b.lan.box}`,
      software: SOFTWARE[b.resolver],
      ...(await lookup(b.node.ns, internalName(b), b.lan.box)),
    });
  return rows;
}
