// Real recursive resolvers on loopback, forwarding the test zone to the authority: unbound,
// dnsmasq and BIND, plain and with the filters shops meet in the field.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARIES } from '../../dns/canary.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { observe } from '../../probe/observe.ts';
import { freePort } from '../support/net.ts';
import { waitUntil } from '../support/wait.ts';

export type ResolverKind =
  | 'unbound'
  | 'unbound-private-address'
  | 'unbound-private-ula'
  | 'unbound-local-zone'
  | 'unbound-doh'
  | 'unbound-dns64'
  | 'unbound-serve-expired'
  | 'dnsmasq'
  | 'dnsmasq-stop-dns-rebind'
  | 'dnsmasq-use-stale-cache'
  | 'named'
  | 'named-deny-answer-addresses'
  | 'named-stale-answer'
  | 'kresd'
  | 'kresd-serve-stale';

export interface RunningResolver {
  kind: ResolverKind;
  /** `127.0.0.1:PORT` for resolverTransport. */
  spec: string;
  /** `unbound-doh`: its DoH URL (HTTP/2 only, in the clear). */
  doh?: string;
  close(): Promise<void>;
}

const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** The NAT64 prefix `unbound-dns64` synthesises with: the well-known one (RFC 6052 §2.1). */
export const NAT64_PREFIX = '64:ff9b::/96';

/**
 * `ipv4only.arpa` as the arpa servers serve it (RFC 7050 §2.2: A records only), so that the
 * probe's DNS64 question gets the internet's answer on a machine with no way out.
 */
const IPV4ONLY = ['192.0.0.170', '192.0.0.171'];
function ipv4onlyZone(dir: string): string {
  const file = join(dir, 'ipv4only.arpa.zone');
  writeFileSync(
    file,
    `$ORIGIN ipv4only.arpa.
@ 3600 IN SOA ns.ipv4only.arpa. nobody.ipv4only.arpa. 1 3600 600 86400 3600
@ 3600 IN NS ns.ipv4only.arpa.
${IPV4ONLY.map((a) => `@ 3600 IN A ${a}`).join('\n')}
`,
  );
  return file;
}
const PRIVATE_V6 = ['fc00::/7', 'fe80::/10'];

function config(
  kind: ResolverKind,
  dir: string,
  port: number,
  zone: string,
  authority: number,
  dohPort: number,
): { cmd: string; args: string[] } {
  switch (kind) {
    case 'unbound':
    case 'unbound-private-address':
    case 'unbound-private-ula':
    case 'unbound-local-zone':
    case 'unbound-doh':
    case 'unbound-dns64':
    case 'unbound-serve-expired': {
      const ranges =
        kind === 'unbound-private-address'
          ? [...PRIVATE_V4, ...PRIVATE_V6]
          : kind === 'unbound-private-ula'
            ? PRIVATE_V6
            : [];
      const lines = ranges.map((a) => `private-address: ${a}`);
      // A shop's own DNS server (an AD domain controller, a router's "local domain") holding a
      // zone of the same name: its own SOA, none of the manager's names.
      if (kind === 'unbound-local-zone')
        lines.push(
          `local-zone: "${zone}." static`,
          `local-data: "${zone}. 3600 IN SOA dc1.shop.lan. admin.shop.lan. 1 3600 600 86400 300"`,
        );
      // unbound's DoH is HTTP/2 only; without a certificate it needs http-notls-downstream
      // (then HTTP/2 in the clear, by prior knowledge).
      if (kind === 'unbound-doh')
        lines.push(
          `interface: 127.0.0.1@${dohPort}`,
          `https-port: ${dohPort}`,
          'http-notls-downstream: yes',
          'http-endpoint: "/dns-query"',
        );
      // An IPv6-only network's resolver (a mobile carrier's): AAAA made up from every A.
      if (kind === 'unbound-dns64') lines.push('module-config: "dns64 iterator"', `dns64-prefix: ${NAT64_PREFIX}`);
      else lines.push('module-config: "iterator"');
      // RFC 8767 in unbound; 1.17 answers the expired data at once, then refreshes it.
      if (kind === 'unbound-serve-expired') lines.push('serve-expired: yes');
      const filter = lines.map((l) => `  ${l}`).join('\n');
      writeFileSync(
        join(dir, 'unbound.conf'),
        `server:
  interface: 127.0.0.1@${port}
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  verbosity: 0
  local-zone: "test." nodefault
  domain-insecure: "${zone}"
${filter}
stub-zone:
  name: "${zone}"
  stub-addr: 127.0.0.1@${authority}
# As if from upstream (for-upstream), so the module stack (DNS64) sees it as it would the arpa servers' answer.
auth-zone:
  name: "ipv4only.arpa"
  zonefile: "${ipv4onlyZone(dir)}"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
`,
      );
      return { cmd: 'unbound', args: ['-d', '-c', join(dir, 'unbound.conf')] };
    }
    case 'dnsmasq':
    case 'dnsmasq-stop-dns-rebind':
    case 'dnsmasq-use-stale-cache':
      return {
        cmd: 'dnsmasq',
        args: [
          '-d',
          '--conf-file=/dev/null',
          '--no-resolv',
          '--no-hosts',
          `--server=/${zone}/127.0.0.1#${authority}`,
          `--port=${port}`,
          '--listen-address=127.0.0.1',
          '--bind-interfaces',
          `--pid-file=${dir}/dnsmasq.pid`,
          ...IPV4ONLY.map((a) => `--host-record=ipv4only.arpa,${a}`),
          '--user=root',
          ...(kind === 'dnsmasq-stop-dns-rebind' ? ['--stop-dns-rebind'] : []),
          // dnsmasq ≥ 2.90: the expired entry at once, then a refresh.
          ...(kind === 'dnsmasq-use-stale-cache' ? ['--use-stale-cache'] : []),
        ],
      };
    case 'named':
    case 'named-deny-answer-addresses':
    case 'named-stale-answer': {
      const deny =
        kind === 'named-deny-answer-addresses'
          ? `deny-answer-addresses { ${[...PRIVATE_V4, ...PRIVATE_V6].join('; ')}; };`
          : kind === 'named-stale-answer'
            ? // BIND 9.18 keeps no stale data by default, and with the default client timeout (off)
              // answers it only after resolver-query-timeout (10 s): 0 answers it at once.
              'stale-cache-enable yes; stale-answer-enable yes; stale-answer-client-timeout 0;'
            : '';
      writeFileSync(
        join(dir, 'named.conf'),
        `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { any; };
  allow-recursion { any; };
  dnssec-validation no;
  empty-zones-enable no;
  ${deny}
};
controls { };
zone "${zone}" { type forward; forward only; forwarders { 127.0.0.1 port ${authority}; }; };
zone "ipv4only.arpa" { type primary; file "${ipv4onlyZone(dir)}"; };
`,
      );
      return { cmd: 'named', args: ['-g', '-4', '-c', join(dir, 'named.conf')] };
    }
    case 'kresd':
    case 'kresd-serve-stale': {
      writeFileSync(
        join(dir, 'kresd.conf'),
        `net.ipv6 = false
net.listen('127.0.0.1', ${port}, { kind = 'dns' })
cache.open(10 * MB, 'lmdb://${dir}/cache')
trust_anchors.remove('.')
policy.add(policy.suffix(policy.STUB({ '127.0.0.1@${authority}' }), { todname('${zone}.') }))
${kind === 'kresd-serve-stale' ? "modules.load('serve_stale < cache')" : ''}
`,
      );
      return { cmd: 'kresd', args: ['-n', '-q', '-c', join(dir, 'kresd.conf'), dir] };
    }
  }
}

/**
 * Start a resolver and wait until it answers (bounded: 10 s).
 *
 * ```ts
 * const r = await startResolver('unbound', 'example.test', authority.port);
 * resolverTransport(r.spec);
 * ```
 */
export async function startResolver(
  kind: ResolverKind,
  zone: string,
  authority: number,
  options: {
    deadUpstream?: boolean /** Appended to the daemon's command line (dnsmasq: `--` and a setting). */;
    extraArgs?: string[];
  } = {},
): Promise<RunningResolver> {
  const dir = mkdtempSync(join(tmpdir(), `hairpin-${kind}-`));
  const port = await freePort();
  const dohPort = kind === 'unbound-doh' ? await freePort() : 0;
  const { cmd, args } = config(kind, dir, port, zone, authority, dohPort);
  const child: ChildProcess = spawn(cmd, [...args, ...(options.extraArgs ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const spec = `127.0.0.1:${port}`;
  const answers = async () => {
    if (child.exitCode !== null) throw new Error(`${kind} exited`);
    const seen = await observe(resolverTransport(spec), `${CANARIES.public}.${zone}`, 'A', {
      timeoutMs: 300,
      attempts: 1,
    });
    // With a dead upstream, listening (the question held, not refused) is all there is to see.
    return seen.outcome === 'answer' || (options.deadUpstream === true && seen.outcome === 'timeout');
  };
  try {
    await waitUntil(answers, { timeoutMs: 10_000, timeout: () => `${kind} did not answer in time` });
  } catch {
    await close();
    throw new Error(`${kind} did not come up on ${spec}: ${stderr}`);
  }
  return { kind, spec, ...(dohPort ? { doh: `http://127.0.0.1:${dohPort}/dns-query` } : {}), close };
}
