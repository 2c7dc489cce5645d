// The manager's configuration, read the same way from process.env, Deno.env and Worker bindings.
import { canonicalIpv6, isIpv4, isIpv6, isRfc1918, isUla } from '../dns/address.ts';
import { isValidHostName, normalizeName } from '../dns/name.ts';
import { DEFAULT_RELAY_TEMPLATE, SEED_TEMPLATES, ZoneNames } from './names.ts';

export interface NameServer {
  name: string;
  ipv4: string[];
  ipv6: string[];
}

export interface AppsTarget {
  cname?: string;
  ipv4: string[];
  ipv6: string[];
}

export interface ManagerConfig {
  names: ZoneNames;
  /** TTL of node address, TXT and challenge records (s). Short: nodes move. */
  addressTtl: number;
  /**
   * TTL of the internal name's records (s): how long the shop's caches keep answering it once
   * the internet line is down, against how long a moved node's old address is kept (docs/offline.md).
   */
  internalTtl: number;
  /** TTL of SOA and NS (s). */
  zoneTtl: number;
  /** SOA minimum: the negative-caching TTL (RFC 2308). */
  negativeTtl: number;
  nameServers: NameServer[];
  hostmaster: string;
  canaries: { privateIpv4: string; ulaIpv6: string; publicIpv4: string };
  apps: AppsTarget | undefined;
  /** Header carrying the client address when behind a proxy (e.g. CF-Connecting-IP). */
  trustedProxyHeader: string | undefined;
  /** Admin bearer token; undefined disables admin endpoints. */
  adminToken: string | undefined;
  /** Bearer token for GET /metrics; undefined: /metrics is off on the API port. */
  metricsToken: string | undefined;
  /** Who may read support pages besides the admin: support tokens, Cloudflare Access. */
  support: SupportConfig;
  /** URL template answering an address's network (ASN, organisation) where the runtime cannot. */
  asnLookup: string | undefined;
  /** The relay (docs/relay.md): on when its names have somewhere to point. */
  relay: RelayConfig | undefined;
}

export interface RelayConfig {
  /** Where every relay name points: the manager's relay listener (or Cloudflare's proxy). */
  target: AppsTarget;
  /** Per node: relayed streams open at once; one more is refused (429). */
  maxStreams: number;
  /** Per node: bytes per second both ways together, paced (0: no cap). */
  bytesPerSecond: number;
}

export type Env = Record<string, string | undefined>;

/**
 * Five minutes: caches keep answering the internal name through a box's reboot or a line's
 * resync (a few minutes) instead of one minute, while a node whose DHCP address changed (rare:
 * leases renew the same address) is seen at the new one within five minutes; until then the
 * client uses the external origin or the relay. The trade, with figures: docs/offline.md.
 */
export const DEFAULT_INTERNAL_TTL = 300;

/** Who may read the support pages besides the admin (worker/support-auth.ts). */
export interface SupportConfig {
  /** HS256 key of support tokens; derived from the admin token when unset. */
  secret: string | undefined;
  /** Cloudflare Access team domain (`team.cloudflareaccess.com`, or a URL for tests). */
  accessTeamDomain: string | undefined;
  /** The Access application's audience tag. */
  accessAud: string | undefined;
}

export function supportConfigFromEnv(env: Env): SupportConfig {
  return {
    secret: env.HAIRPIN_SUPPORT_SECRET || undefined,
    accessTeamDomain: env.HAIRPIN_ACCESS_TEAM_DOMAIN || undefined,
    accessAud: env.HAIRPIN_ACCESS_AUD || undefined,
  };
}

export class ConfigError extends Error {
  static readonly code = 'ERR_CONFIG';
  readonly code = ConfigError.code;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

function seconds(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647)
    throw new ConfigError(`${key} must be a whole number of seconds, got "${raw}"`);
  return n;
}

function address(env: Env, key: string, fallback: string, check: (v: string) => boolean, what: string): string {
  const value = env[key] || fallback;
  if (!check(value)) throw new ConfigError(`${key} must be ${what}, got "${value}"`);
  return value.includes(':') ? canonicalIpv6(value) : value;
}

/** `ns1.example.test=192.0.2.53,2001:db8::53 ns2.example.test` → name servers with glue. */
function nameServers(env: Env, zone: string): NameServer[] {
  // Entries are separated by white space only: commas separate one server's addresses.
  const specs = (env.HAIRPIN_NAMESERVERS ?? '').split(/\s+/).filter(Boolean);
  if (specs.length === 0) specs.push(`ns1.${zone}`);
  return specs.map((spec) => {
    const [name = '', addrs = ''] = spec.split('=');
    if (!isValidHostName(name)) throw new ConfigError(`HAIRPIN_NAMESERVERS: invalid name "${name}"`);
    const all = addrs.split(',').filter(Boolean);
    const bad = all.find((a) => !isIpv4(a) && !isIpv6(a));
    if (bad) throw new ConfigError(`HAIRPIN_NAMESERVERS: invalid address "${bad}"`);
    return { name: normalizeName(name), ipv4: all.filter(isIpv4), ipv6: all.filter(isIpv6).map(canonicalIpv6) };
  });
}

/** `cname:apps-host.example.net` or `192.0.2.10,2001:db8::10`. */
function target(key: string, value: string | undefined): AppsTarget | undefined {
  if (!value) return undefined;
  if (value.startsWith('cname:')) {
    const cname = value.slice('cname:'.length);
    if (!isValidHostName(cname)) throw new ConfigError(`${key}: invalid CNAME target "${cname}"`);
    return { cname: normalizeName(cname), ipv4: [], ipv6: [] };
  }
  const all = list(value);
  const bad = all.find((a) => !isIpv4(a) && !isIpv6(a));
  if (bad) throw new ConfigError(`${key}: "${bad}" is neither "cname:<host>" nor an address`);
  return { ipv4: all.filter(isIpv4), ipv6: all.filter(isIpv6).map(canonicalIpv6) };
}

function count(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${key} must be a whole number, got "${raw}"`);
  return n;
}

function relayConfig(env: Env): RelayConfig | undefined {
  const relayTarget = target('HAIRPIN_RELAY_TARGET', env.HAIRPIN_RELAY_TARGET);
  if (!relayTarget) return undefined;
  // 32 streams is a browser's 6 connections per origin for a handful of tabs and apps; 8 MiB/s
  // (~67 Mbit/s) keeps one shop from saturating a small relay host, as Plex caps its relay.
  return {
    target: relayTarget,
    maxStreams: Math.max(1, count(env, 'HAIRPIN_RELAY_MAX_STREAMS', 32)),
    bytesPerSecond: count(env, 'HAIRPIN_RELAY_BYTES_PER_SECOND', 8 * 1024 * 1024),
  };
}

/**
 * Read the configuration from an environment map.
 *
 * ```ts
 * const config = configFromEnv({ HAIRPIN_ZONE: 'polarisgestionmag.net', HAIRPIN_ADMIN_TOKEN: 's3cret' });
 * ```
 */
export function configFromEnv(env: Env): ManagerConfig {
  const zone = normalizeName(env.HAIRPIN_ZONE || 'example.test');
  let names: ZoneNames;
  try {
    names = new ZoneNames(zone, {
      external: env.HAIRPIN_EXTERNAL_TEMPLATE || SEED_TEMPLATES.external,
      internal: env.HAIRPIN_INTERNAL_TEMPLATE || SEED_TEMPLATES.internal,
      apps: env.HAIRPIN_APPS_TEMPLATE || SEED_TEMPLATES.apps,
      ...(env.HAIRPIN_RELAY_TARGET ? { relay: env.HAIRPIN_RELAY_TEMPLATE || DEFAULT_RELAY_TEMPLATE } : {}),
    });
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const addressTtl = seconds(env, 'HAIRPIN_ADDRESS_TTL', 60);
  return {
    names,
    addressTtl,
    internalTtl: seconds(env, 'HAIRPIN_INTERNAL_TTL', DEFAULT_INTERNAL_TTL),
    zoneTtl: seconds(env, 'HAIRPIN_ZONE_TTL', 3600),
    negativeTtl: seconds(env, 'HAIRPIN_NEGATIVE_TTL', addressTtl),
    nameServers: nameServers(env, zone),
    hostmaster: normalizeName(env.HAIRPIN_HOSTMASTER || `hostmaster.${zone}`),
    canaries: {
      privateIpv4: address(env, 'HAIRPIN_CANARY_PRIVATE_IPV4', '10.255.255.254', isRfc1918, 'an RFC 1918 address'),
      ulaIpv6: address(env, 'HAIRPIN_CANARY_ULA_IPV6', 'fd68:6169:7270:696e::1', isUla, 'a ULA (fc00::/7) address'),
      // Benchmarking range (RFC 2544): resolvers' rebind filters, dnsmasq's included, let it through.
      publicIpv4: address(env, 'HAIRPIN_CANARY_PUBLIC_IPV4', '198.18.0.1', isIpv4, 'an IPv4 address'),
    },
    apps: target('HAIRPIN_APPS_TARGET', env.HAIRPIN_APPS_TARGET),
    trustedProxyHeader: env.HAIRPIN_TRUSTED_PROXY_HEADER || undefined,
    adminToken: env.HAIRPIN_ADMIN_TOKEN || undefined,
    metricsToken: env.HAIRPIN_METRICS_TOKEN || undefined,
    support: supportConfigFromEnv(env),
    asnLookup: env.HAIRPIN_ASN_LOOKUP || undefined,
    relay: relayConfig(env),
  };
}
