// `hairpin probe <name>`: does this internal name resolve through this resolver, and if not, why.

import { VERDICT_CODES } from '../contract/verdicts.ts';
import { resolverTransport, systemTransport } from '../probe/adapter/node/index.ts';
import { IPV4ONLY_ARPA, prefixText } from '../probe/dns64.ts';
import { dohTransport } from '../probe/doh.ts';
import type { Observation } from '../probe/observe.ts';
import { type ProbeResult, probeNode } from '../probe/probe.ts';
import { postProbeReport } from '../probe/report.ts';
import type { DnsTransport } from '../probe/transport.ts';
import { defineCommand, managerUrl, UsageError } from './command.ts';

function observed(o: Observation): string {
  if (o.outcome !== 'answer') return o.outcome;
  const data = o.answers.filter((r) => r.type === o.type).map((r) => r.data);
  const ede = o.ede.map((e) => ` EDE ${e.code}${e.name ? ` ${e.name}` : ''}`).join('');
  const soa = data.length === 0 && o.authorities.some((r) => r.type === 'SOA') ? ' (SOA)' : '';
  return `${o.rcode}${data.length ? ` ${data.join(',')}` : soa}${ede}`;
}

/** The readable form: one line per question, truth beside the resolver. */
export function formatProbe(result: ProbeResult): string {
  const rows = [['check', 'name', 'type', 'verdict', 'resolver answered', 'manager answered', 'ms']];
  for (const c of result.checks)
    rows.push([
      c.role,
      c.name,
      c.type,
      c.verdict,
      observed(c.resolver),
      observed(c.truth),
      String(c.resolver.elapsedMs),
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const nat64 = result.dns64.prefixes.map(prefixText).join(', ');
  const dns64 = nat64 ? `\nDNS64: NAT64 prefix ${nat64} (from ${IPV4ONLY_ARPA} AAAA)` : '';
  const stale = result.serveStale ? `\nserve-stale: ${result.serveStale.outcome} — ${result.serveStale.reason}` : '';
  return `${result.name} through ${result.resolver} (truth: ${result.truth})\n\nverdict: ${result.verdict} — ${result.reason}${dns64}${stale}\n\n${table}\n\n${result.elapsedMs} ms`;
}

export const command = defineCommand({
  usage: `usage: hairpin probe <internal name> [--resolver host[:port] | --resolver https://…/dns-query] [--tcp]
                    [--external name] [--doh URL] [--timeout ms] [--serve-stale] [--json]
                    [--report --licence L --node N [--network-label text]]

Asks the manager (DoH, the truth) and the resolver (default: the system's, from /etc/resolv.conf)
for the name's A, AAAA and TXT, the zone's canaries and the external name (and the resolver alone
for ipv4only.arpa: DNS64), and prints a verdict: ${VERDICT_CODES.join(', ')}.

--serve-stale also checks whether the resolver serves stale answers (RFC 8767): about 3 to 15 s more.
--doh defaults to the manager's /dns-query: $HAIRPIN_MANAGER_URL, else http://127.0.0.1:$HAIRPIN_HTTP_PORT (8787).
--report posts the result to the manager ($HAIRPIN_MANAGER_URL) as node N of licence L, with the
node credential from $HAIRPIN_NODE_CREDENTIAL (never on the command line: it would show in ps).`,
  examples: [
    'hairpin probe i-nur1.pl-1234.example.test',
    'hairpin probe i-nur1.pl-1234.example.test --resolver 192.168.1.1 --json',
    'HAIRPIN_NODE_CREDENTIAL=… hairpin probe i-nur1.pl-1234.example.test --report --licence 1234 --node nur1',
  ],
  exitCodes: ['1  also for any verdict but ok'],
  options: {
    resolver: { type: 'string' },
    doh: { type: 'string' },
    external: { type: 'string' },
    tcp: { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    report: { type: 'boolean' },
    licence: { type: 'string' },
    node: { type: 'string' },
    'network-label': { type: 'string' },
    'serve-stale': { type: 'boolean' },
  },
  async run({ values, positionals }) {
    const [name] = positionals;
    if (!name) throw new UsageError('no name given');
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const manager = managerUrl(undefined, process.env);
    const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 30_000))
      throw new UsageError('--timeout is milliseconds, 1 to 30000');
    const credential = process.env.HAIRPIN_NODE_CREDENTIAL;
    if (values.report && (!values.licence || !values.node || !credential))
      throw new UsageError('--report needs --licence, --node and $HAIRPIN_NODE_CREDENTIAL');
    let resolver: DnsTransport;
    let truth: DnsTransport;
    try {
      truth = dohTransport(values.doh ?? new URL('/dns-query', manager).href);
      resolver = !values.resolver
        ? await systemTransport()
        : resolverTransport(values.resolver, { protocol: values.tcp ? 'tcp' : 'udp' });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const result = await probeNode({
      names: { internal: name, ...(values.external ? { external: values.external } : {}) },
      truth,
      resolver,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(values['serve-stale'] ? { serveStale: true } : {}),
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatProbe(result));
    if (values.report) {
      const label = values['network-label'];
      const { id } = await postProbeReport(manager, values.licence!, values.node!, credential!, {
        result,
        ...(label ? { network: { label } } : {}),
      });
      console.error(`reported to ${manager} as ${id}`);
    }
    return result.verdict === 'ok' ? 0 : 1;
  },
});
