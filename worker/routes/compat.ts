// Probe reports in (node credential), the ISP compatibility report out (support role only).
import { type Context, Hono } from 'hono';
import { isGlobalIpv6, isIpv4, isNonPublicIpv4, parseIpv6 } from '../../dns/address.ts';
import { dohTransport } from '../../probe/doh.ts';
import { type Observation, observe } from '../../probe/observe.ts';
import { isVerdict } from '../../probe/verdicts.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { type NetworkInfo, type ProbeReport, ProbeReports } from '../store/probe-reports.ts';
import { requireSupport } from '../support-auth.ts';
import { type JsonObject, readJsonObject, rejectUnknownFields } from '../validate.ts';
import { clientAddress } from './node.ts';

export const compatRoutes = new Hono<ManagerEnv>();

/** What Workers attach to each request (request.cf): the client's network as Cloudflare sees it. */
interface EdgeNetwork {
  asn?: number;
  asOrganization?: string;
}

function invalid(message: string): never {
  throw new ProblemError('invalid-request', message);
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value === '' || value.length > max)
    invalid(`"${field}" must be a string of 1 to ${max} characters`);
  return value;
}

/**
 * Team Cymru's IP-to-ASN mapping over DNS (team-cymru.com, "IP to ASN mapping"):
 * `<reversed address>.origin.asn.cymru.com TXT "3215 | 2.0.0.0/16 | FR | ripencc | 1990-01-01"`,
 * then `AS3215.asn.cymru.com TXT "3215 | FR | ripencc | 1990-01-01 | FT-ORANGE-AS Orange, FR"`,
 * asked through the DoH resolver HAIRPIN_ASN_LOOKUP names (off when unset). One try, 1 s each:
 * a report is never held up by it, and a failed lookup only leaves the ASN unknown.
 */
async function lookupNetwork(
  doh: string,
  address: string,
): Promise<{ asn: number; organisation: string | null } | undefined> {
  const groups = parseIpv6(address);
  const origin =
    isIpv4(address) && !isNonPublicIpv4(address)
      ? `${address.split('.').reverse().join('.')}.origin.asn.cymru.com`
      : groups && isGlobalIpv6(address)
        ? `${groups
            .map((g) => g.toString(16).padStart(4, '0'))
            .join('')
            .split('')
            .reverse()
            .join('.')}.origin6.asn.cymru.com`
        : undefined;
  if (!origin) return undefined;
  const transport = dohTransport(doh);
  const bounds = { timeoutMs: 1000, attempts: 1 };
  const fields = (o: Observation) =>
    o.answers
      .find((r) => r.type === 'TXT')
      ?.data.split('|')
      .map((f) => f.trim()) ?? [];
  const asn = Number(fields(await observe(transport, origin, 'TXT', bounds))[0]?.split(' ')[0]);
  if (!Number.isInteger(asn) || asn <= 0) return undefined;
  return { asn, organisation: fields(await observe(transport, `AS${asn}.asn.cymru.com`, 'TXT', bounds))[4] || null };
}

/** Network facts: the edge's (request.cf) first, then the configured lookup, then what the node says. */
async function network(c: Context<ManagerEnv>, sent: unknown): Promise<NetworkInfo> {
  const edge = (c.req.raw as { cf?: EdgeNetwork }).cf;
  const publicAddress = clientAddress(c) ?? null;
  const node = (sent ?? {}) as JsonObject;
  if (typeof node !== 'object' || Array.isArray(node)) invalid('"network" must be an object');
  rejectUnknownFields(node, ['asn', 'organisation', 'label']);
  const label = node.label === undefined ? null : text(node.label, 'network.label', 100);
  const asn = node.asn;
  if (asn !== undefined && !(Number.isInteger(asn) && (asn as number) > 0 && (asn as number) < 2 ** 32))
    invalid('"network.asn" must be an AS number');
  const organisation = node.organisation === undefined ? null : text(node.organisation, 'network.organisation', 200);
  if (edge?.asn !== undefined) {
    return { publicAddress, asn: edge.asn, organisation: edge.asOrganization ?? null, label, source: 'edge' };
  }
  const lookup = c.get('deps').config.asnLookup;
  const found = lookup && publicAddress ? await lookupNetwork(lookup, publicAddress) : undefined;
  if (found) return { publicAddress, ...found, label, source: 'lookup' };
  const known = asn !== undefined || organisation !== null || label !== null;
  return {
    publicAddress,
    asn: (asn as number | undefined) ?? null,
    organisation,
    label,
    source: known ? 'node' : null,
  };
}

async function parseReport(
  c: Context<ManagerEnv>,
  body: JsonObject,
  licence: string,
  node: string,
): Promise<ProbeReport> {
  rejectUnknownFields(body, ['result', 'hairpins', 'network']);
  const result = body.result as JsonObject | undefined;
  if (typeof result !== 'object' || result === null || Array.isArray(result))
    invalid('"result" must be the probe result object');
  if (!isVerdict(result.verdict))
    invalid(`"result.verdict" must be a verdict code (got ${JSON.stringify(result.verdict)})`);
  const hairpins = body.hairpins ?? null;
  if (hairpins !== null && typeof hairpins !== 'boolean') invalid('"hairpins" must be true, false or null');
  const elapsed = result.elapsedMs;
  return {
    id: crypto.randomUUID(),
    licence,
    node,
    at: c.get('deps').now(),
    verdict: result.verdict,
    reason: text(result.reason, 'result.reason', 2000),
    name: text(result.name, 'result.name', 253),
    resolver: text(result.resolver, 'result.resolver', 300),
    hairpins,
    network: await network(c, body.network),
    elapsedMs: typeof elapsed === 'number' && elapsed >= 0 ? Math.round(elapsed) : 0,
    evidence: result,
  };
}

// A probe result with its evidence is about 5 KiB; the app's /v1 body limit (16 KiB) bounds it.
compatRoutes.post('/v1/licences/:licence/nodes/:node/probe-reports', async (c) => {
  const { licence, node } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  const report = await parseReport(c, await readJsonObject(c.req.raw), licence, node);
  await new ProbeReports(c.get('deps').store).add(report);
  return c.json(
    { id: report.id, at: new Date(report.at).toISOString(), verdict: report.verdict, network: report.network },
    201,
  );
});

/** The start (epoch ms) of the last `days` days; 0 (all time) unless `days` is positive. */
export function sinceDays(now: number, days: number): number {
  return Number.isFinite(days) && days > 0 ? now - days * 86_400_000 : 0;
}

/** `?days=30` bounds the report to recent probes; default all. */
function since(c: Context<ManagerEnv>): number {
  return sinceDays(c.get('deps').now(), Number(c.req.query('days') ?? 0));
}

compatRoutes.get('/v1/compat', async (c) => {
  await requireSupport(c);
  const networks = await new ProbeReports(c.get('deps').store).compat(since(c));
  return c.json({ generatedAt: new Date(c.get('deps').now()).toISOString(), networks }, 200, {
    'cache-control': 'no-store',
  });
});

compatRoutes.get('/v1/compat/licences/:licence', async (c) => {
  await requireSupport(c);
  const licence = c.req.param('licence');
  return c.json({ licence, nodes: await new ProbeReports(c.get('deps').store).forLicence(licence) }, 200, {
    'cache-control': 'no-store',
  });
});

compatRoutes.get('/v1/compat/licences/:licence/nodes/:node', async (c) => {
  await requireSupport(c);
  const { licence, node } = c.req.param();
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 20) || 20, 1), 200);
  return c.json(
    { licence, node, reports: await new ProbeReports(c.get('deps').store).forNode(licence, node, limit) },
    200,
    { 'cache-control': 'no-store' },
  );
});
