// Probe reports in (node credential), the ISP compatibility report out (support role only).
import { type Context, Hono } from 'hono';
import { ProbeReportBody } from '../../contract/api.ts';
import { isGlobalIpv6, isIpv4, isNonPublicIpv4, parseIpv6 } from '../../dns/address.ts';
import { dohTransport } from '../../probe/doh.ts';
import { type Observation, observe } from '../../probe/observe.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import type { NetworkInfo, ProbeReport } from '../store/probe-reports.ts';
import { requireSupport } from '../support-auth.ts';
import { type JsonObject, parseBody, readJsonObject } from '../validate.ts';
import { clientAddress } from './node.ts';

export const compatRoutes = new Hono<ManagerEnv>();

/** What Workers attach to each request (request.cf): the client's network as Cloudflare sees it. */
interface EdgeNetwork {
  asn?: number;
  asOrganization?: string;
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
async function network(c: Context<ManagerEnv>, sent: ProbeReportBody['network']): Promise<NetworkInfo> {
  const edge = (c.req.raw as { cf?: EdgeNetwork }).cf;
  const publicAddress = clientAddress(c) ?? null;
  const label = sent?.label ?? null;
  if (edge?.asn !== undefined) {
    return { publicAddress, asn: edge.asn, organisation: edge.asOrganization ?? null, label, source: 'edge' };
  }
  const lookup = c.get('deps').config.asnLookup;
  const found = lookup && publicAddress ? await lookupNetwork(lookup, publicAddress) : undefined;
  if (found) return { publicAddress, ...found, label, source: 'lookup' };
  const asn = sent?.asn ?? null;
  const organisation = sent?.organisation ?? null;
  return {
    publicAddress,
    asn,
    organisation,
    label,
    source: asn !== null || organisation !== null || label !== null ? 'node' : null,
  };
}

async function parseReport(
  c: Context<ManagerEnv>,
  body: JsonObject,
  licence: string,
  node: string,
): Promise<ProbeReport> {
  const { result, hairpins = null, network: sent } = parseBody(ProbeReportBody, body);
  return {
    id: crypto.randomUUID(),
    licence,
    node,
    at: c.get('deps').now(),
    verdict: result.verdict,
    reason: result.reason,
    name: result.name,
    resolver: result.resolver,
    hairpins,
    network: await network(c, sent),
    elapsedMs: Math.max(0, Math.round(result.elapsedMs ?? 0)),
    evidence: result,
  };
}

// A probe result with its evidence is about 5 KiB; the app's /v1 body limit (16 KiB) bounds it.
compatRoutes.post('/v1/licences/:licence/nodes/:node/probe-reports', async (c) => {
  const { licence, node } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  const report = await parseReport(c, await readJsonObject(c.req.raw), licence, node);
  await c.get('deps').store.probeReports.add(report);
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
  const networks = await c.get('deps').store.probeReports.compat(since(c));
  return c.json({ generatedAt: new Date(c.get('deps').now()).toISOString(), networks }, 200, {
    'cache-control': 'no-store',
  });
});

compatRoutes.get('/v1/compat/licences/:licence', async (c) => {
  await requireSupport(c);
  const licence = c.req.param('licence');
  return c.json({ licence, nodes: await c.get('deps').store.probeReports.forLicence(licence) }, 200, {
    'cache-control': 'no-store',
  });
});

compatRoutes.get('/v1/compat/licences/:licence/nodes/:node', async (c) => {
  await requireSupport(c);
  const { licence, node } = c.req.param();
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 20) || 20, 1), 200);
  return c.json({ licence, node, reports: await c.get('deps').store.probeReports.forNode(licence, node, limit) }, 200, {
    'cache-control': 'no-store',
  });
});
