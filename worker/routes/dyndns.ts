// dyndns2, the protocol routers, NAS boxes, ddclient, inadyn and OpenWrt's ddns-scripts speak:
// `GET /nic/update?hostname=<name>[,<name>]&myip=<address>[,<address>]` with HTTP basic auth.
// The user name is the node's external name, the password its credential. The external name
// takes public addresses, the internal name private ones (so an appliance without the agent can
// keep both); the write is the JSON report's (worker/report.ts), with the same address checks.
// Answers are the protocol's plain-text return codes, one line per host name.
import { type Context, Hono } from 'hono';
import { ADDRESS_FIELDS, type AddressField } from '../../contract/api.ts';
import { isIpv4, isIpv6, unmapIpv4 } from '../../dns/address.ts';
import { isValidHostName, normalizeName } from '../../dns/name.ts';
import { credentialHash, logFailure, type ManagerDeps, type ManagerEnv } from '../context.ts';
import { timingSafeEqual } from '../credential.ts';
import { WindowLimiter } from '../rate-limit.ts';
import { type ReportValues, writeReport } from '../report.ts';
import { clientAddress } from './node.ts';

export const dyndnsRoutes = new Hono<ManagerEnv>();

/** Return codes (dyndns2 "Remote Access API"); `good`/`nochg` are followed by the address(es). */
export const DYNDNS_ANSWERS = {
  good: 'the update was stored',
  nochg: 'the address was already this one (the update was accepted; repeating it is not abuse)',
  badauth: 'no credential, or the user name is not the external name of the node the credential belongs to',
  notfqdn: 'a host name is missing or is not a fully qualified domain name',
  nohost: "a host name is not one of this node's two names",
  numhost: 'more host names than the node has (two)',
  dnserr:
    'an address does not suit the name: the external name takes public addresses, the internal name private ones; or the node has no private address yet and the update gives none',
  abuse: 'too many requests from this address; wait a minute',
  '911': 'the manager failed; retry later',
} as const;
export type DyndnsAnswer = keyof typeof DYNDNS_ANSWERS;

/** ddclient and inadyn update every few minutes at most; 30 a minute per source leaves room for a few boxes behind one NAT. */
const PER_SOURCE = { limit: 30, windowMs: 60_000 };
const limiters = new WeakMap<ManagerDeps, WindowLimiter>();

function limiter(deps: ManagerDeps): WindowLimiter {
  let l = limiters.get(deps);
  if (!l) limiters.set(deps, (l = new WindowLimiter(PER_SOURCE)));
  return l;
}

function reply(c: Context<ManagerEnv>, answer: DyndnsAnswer, lines: string[] = [answer]): Response {
  c.get('deps').metrics?.dyndns(answer);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
  if (answer === 'badauth') headers['www-authenticate'] = 'Basic realm="hairpin", charset="UTF-8"';
  // Clients read the body; only badauth has its own status, so that HTTP clients send credentials.
  return c.body(`${lines.join('\n')}\n`, answer === 'badauth' ? 401 : 200, headers);
}

function basicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header ?? '');
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The report field an address goes to under a name of this kind, or undefined if it cannot. */
function fieldFor(kind: 'external' | 'internal', address: string): AddressField | undefined {
  const family = isIpv4(address) ? 'Ipv4' : isIpv6(address) ? 'Ipv6' : undefined;
  if (!family) return undefined;
  const field: AddressField = `${kind === 'external' ? 'public' : 'private'}${family}`;
  return ADDRESS_FIELDS[field].check(address) ? field : undefined;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

dyndnsRoutes.get('/nic/update', async (c) => {
  const deps = c.get('deps');
  const source = clientAddress(c);
  if (!limiter(deps).allow(source ?? 'unknown', deps.now())) return reply(c, 'abuse');
  const auth = basicAuth(c.req.header('authorization'));
  if (!auth || auth.password === '') return reply(c, 'badauth');
  const owner = await deps.store.nodeByCredentialHash(await credentialHash(c, auth.password));
  const names = owner && deps.config.names.nodeNames(owner.licence, owner.node);
  if (!owner || !names || !timingSafeEqual(normalizeName(auth.user), names.external)) return reply(c, 'badauth');

  const hostnames = list(c.req.query('hostname'));
  if (hostnames.length === 0) return reply(c, 'notfqdn');
  if (hostnames.length > 2) return reply(c, 'numhost');
  const kinds: ('external' | 'internal')[] = [];
  for (const hostname of hostnames) {
    if (!isValidHostName(hostname) || !normalizeName(hostname).includes('.')) return reply(c, 'notfqdn');
    const name = normalizeName(hostname);
    if (name !== names.external && name !== names.internal) return reply(c, 'nohost');
    kinds.push(name === names.external ? 'external' : 'internal');
  }

  // myip may list both families; some clients send IPv6 as myipv6. Absent: the request's source.
  const given = [...list(c.req.query('myip')), ...list(c.req.query('myipv6'))];
  const addresses = (given.length > 0 ? given : source ? [source] : []).map(unmapIpv4);
  if (addresses.length === 0 || addresses.length > 2) return reply(c, 'dnserr');
  const values: Partial<Record<AddressField, string>> = {};
  const perHost: string[][] = [];
  for (const kind of kinds) {
    const shown: string[] = [];
    for (const address of addresses) {
      const field = fieldFor(kind, address);
      if (!field || values[field] !== undefined) return reply(c, 'dnserr');
      values[field] = ADDRESS_FIELDS[field].canonical(address);
      shown.push(values[field]);
    }
    perHost.push(shown);
  }
  // The private IPv4 column cannot be empty: a node's first report must carry one.
  if (values.privateIpv4 === undefined && !(await deps.store.getNode(owner.licence, owner.node))?.addresses)
    return reply(c, 'dnserr');

  const report: ReportValues = {
    privateIpv4: values.privateIpv4,
    privateIpv6: values.privateIpv6,
    publicIpv4: values.publicIpv4,
    publicIpv6: values.publicIpv6,
    port: undefined,
    sourceAddress: source ?? null,
  };
  let changed: boolean;
  try {
    changed = (await writeReport(c, owner.licence, owner.node, report, 'dyndns2')).changed;
  } catch (error) {
    logFailure(deps, 'dyndns2: update failed', { error: (error as Error).stack ?? String(error) });
    return reply(c, '911');
  }
  const answer = changed ? 'good' : 'nochg';
  return reply(
    c,
    answer,
    perHost.map((shown) => `${answer} ${shown.join(',')}`),
  );
});
