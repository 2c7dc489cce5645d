// `hairpin probe <name>`: does this internal name resolve through this resolver, and if not, why.
import { parseArgs } from 'node:util';
import { resolverTransport, systemTransport } from '../probe/adapter/node/index.ts';
import { dohTransport } from '../probe/doh.ts';
import type { Observation } from '../probe/observe.ts';
import { probeNode, type ProbeResult } from '../probe/probe.ts';
import { postProbeReport } from '../probe/report.ts';
import type { DnsTransport } from '../probe/transport.ts';

const USAGE = `usage: hairpin probe <internal name> [--resolver host[:port] | --resolver https://…/dns-query] [--tcp]
                    [--external name] [--doh URL] [--timeout ms] [--json]
                    [--report --licence L --node N [--network-label text]]

Asks the manager (DoH, the truth) and the resolver (default: the system's, from /etc/resolv.conf)
for the name's A, AAAA and TXT, the zone's canaries and the external name, and prints a verdict:
ok, filtered-servfail, filtered-nodata, filtered-refused, nxdomain, not-published, mismatch,
timeout or unreachable. Exit status 0 for ok, 1 for any other verdict, 2 for bad usage.

--doh defaults to $HAIRPIN_MANAGER_URL/dns-query or http://127.0.0.1:8787/dns-query.
--report posts the result to the manager ($HAIRPIN_MANAGER_URL) as node N of licence L, with the
node credential from $HAIRPIN_NODE_CREDENTIAL (never on the command line: it would show in ps).`;

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
  for (const c of result.checks) rows.push([c.role, c.name, c.type, c.verdict, observed(c.resolver), observed(c.truth), String(c.resolver.elapsedMs)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  return `${result.name} through ${result.resolver} (truth: ${result.truth})\n\nverdict: ${result.verdict} — ${result.reason}\n\n${table}\n\n${result.elapsedMs} ms`;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        resolver: { type: 'string' }, doh: { type: 'string' }, external: { type: 'string' }, tcp: { type: 'boolean' },
        timeout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
        report: { type: 'boolean' }, licence: { type: 'string' }, node: { type: 'string' }, 'network-label': { type: 'string' },
      },
    });
  } catch (e) {
    console.error(`hairpin probe: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [name] = positionals;
  if (values.help || !name) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const manager = process.env.HAIRPIN_MANAGER_URL ?? 'http://127.0.0.1:8787';
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 30_000)) {
    console.error('hairpin probe: --timeout is milliseconds, 1 to 30000');
    return 2;
  }
  const credential = process.env.HAIRPIN_NODE_CREDENTIAL;
  if (values.report && (!values.licence || !values.node || !credential)) {
    console.error('hairpin probe: --report needs --licence, --node and $HAIRPIN_NODE_CREDENTIAL');
    return 2;
  }
  let resolver: DnsTransport;
  let truth: DnsTransport;
  try {
    truth = dohTransport(values.doh ?? new URL('/dns-query', manager).href);
    resolver = !values.resolver
      ? await systemTransport()
      : resolverTransport(values.resolver, { protocol: values.tcp ? 'tcp' : 'udp' });
  } catch (e) {
    console.error(`hairpin probe: ${(e as Error).message}`);
    return 2;
  }
  const result = await probeNode({
    names: { internal: name, ...(values.external ? { external: values.external } : {}) },
    truth,
    resolver,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatProbe(result));
  if (values.report) {
    const label = values['network-label'];
    try {
      const { id } = await postProbeReport(manager, values.licence!, values.node!, credential!, { result, ...(label ? { network: { label } } : {}) });
      console.error(`reported to ${manager} as ${id}`);
    } catch (e) {
      console.error(`hairpin probe: ${(e as Error).message}`);
      return 1;
    }
  }
  return result.verdict === 'ok' ? 0 : 1;
}
