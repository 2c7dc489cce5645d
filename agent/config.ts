// The agent's configuration: a JSON file and the environment (HAIRPIN_AGENT_*, which wins), so
// a systemd unit can keep the credential out of the file (EnvironmentFile=, or credentials).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from './errors.ts';
import { hostPortError, parseHostPort } from './host-port.ts';

export interface AgentConfig {
  /** The manager's base URL, e.g. `https://manager.example.net`. */
  manager: string;
  licence: string;
  node: string;
  /** The node's bearer credential (from `hairpin admin enrol`). */
  credential: string;
  /** The port the node's HTTPS service listens on (forwarded on the box for the external name). */
  port: number;
  /** Where key, chain, account key and agent state live. */
  certDir: string;
  /** ACME directory URL; without it the agent manages no certificate. */
  acmeDirectory?: string;
  /** PEM file of extra CAs to trust for the ACME server (a test CA). */
  acmeCaFile?: string;
  acmeEmail?: string;
  /** The manager's port-53 server (`host[:port]`) for propagation checks; default its DoH. */
  authoritativeDns?: string;
  /** Shell command after each new certificate. */
  reloadCommand?: string;
  /** The shop's resolver for pairing checks (`host[:port]`); default /etc/resolv.conf's. */
  resolver?: string;
  /** Address overrides (see agent/addresses.ts). */
  privateIpv4?: string;
  privateIpv6?: string;
  interface?: string;
  publicIpv4?: string;
  /**
   * The external name's AAAA: unset, the interface's stable global IPv6 (never a temporary
   * privacy address); an address, that one; "off", none (the external name is IPv4 only).
   */
  publicIpv6?: string;
  /** Address for the hairpin self-test; default the public IPv4 the manager holds. */
  hairpinAddress?: string;
  /** Seconds between address checks (a report goes out only on change or when due). */
  pollSeconds: number;
  /**
   * Seconds after which an unchanged report is repeated. The manager takes the public address
   * from the report's source, which the node cannot see change: this bounds how long the
   * external name points at an old WAN address. An unchanged report is at most one row update on the
   * manager (no history row, no serial bump).
   */
  reportEverySeconds: number;
  /**
   * The first contact with the manager after start waits a random delay, uniform in [0, this]
   * seconds (full jitter): a fleet that starts together, as when a regional power cut ends, comes
   * back spread out instead of at once. 0: none. At most 3600.
   */
  startJitterSeconds: number;
  /** `host:port` for the local pairing endpoint (GET /pairing-url); off when unset. */
  pairingListen?: string;
  /**
   * `host:port` (UDP) where the node answers for its internal name itself, for a router that
   * forwards that one name to it (docs/offline.md); off when unset.
   */
  lanDnsListen?: string;
  /**
   * How support sees this shop's network in its probe reports, e.g. "Orange Livebox 6" (at most
   * 100 characters): the grouping when the manager has no ASN data (Node without
   * HAIRPIN_ASN_LOOKUP); shown beside the ISP otherwise.
   */
  networkLabel?: string;
  /**
   * `off` turns this node's relay off: the agent opens no socket, so the manager cannot reach the
   * node through the relay at all (default `on`, when the manager has a relay).
   */
  relay?: 'on' | 'off';
  /** `host:port` of the node's HTTPS service for relayed streams (default `127.0.0.1:<port>`). */
  relayTarget?: string;
}

export class AgentConfigError extends AgentError {
  static override code = 'ERR_AGENT_CONFIG';
  override code = AgentConfigError.code;
}

const STRING_KEYS = [
  'manager',
  'licence',
  'node',
  'credential',
  'certDir',
  'acmeDirectory',
  'acmeCaFile',
  'acmeEmail',
  'authoritativeDns',
  'reloadCommand',
  'resolver',
  'privateIpv4',
  'privateIpv6',
  'interface',
  'publicIpv4',
  'publicIpv6',
  'hairpinAddress',
  'pairingListen',
  'lanDnsListen',
  'networkLabel',
  'relay',
  'relayTarget',
] as const;
/** Settings that hold `host:port` (agent/host-port.ts). */
const HOST_PORT_KEYS = ['pairingListen', 'lanDnsListen', 'relayTarget'] as const;
const NUMBER_KEYS = ['port', 'pollSeconds', 'reportEverySeconds', 'startJitterSeconds'] as const;
/** Number keys for which 0 means "none". */
const ZERO_ALLOWED = new Set<string>(['startJitterSeconds']);
export const DEFAULT_START_JITTER_SECONDS = 30;
/** Every key of the configuration file (docs/agent.md lists them, checked by test/docs/tables.test.ts). */
export const CONFIG_KEYS: readonly string[] = [...STRING_KEYS, ...NUMBER_KEYS];

/** `certDir` → `HAIRPIN_AGENT_CERT_DIR`. */
export function envName(key: string): string {
  return `HAIRPIN_AGENT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Merge file and environment, check, fill defaults.
 *
 * ```ts
 * const config = await loadAgentConfig('/etc/hairpin/agent.json', process.env);
 * ```
 */
export async function loadAgentConfig(
  file: string | undefined,
  env: Record<string, string | undefined>,
): Promise<AgentConfig> {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    try {
      fromFile = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new AgentConfigError(`cannot read the agent configuration ${file}: ${(e as Error).message}`);
    }
  }
  const known = new Set<string>([...STRING_KEYS, ...NUMBER_KEYS]);
  const unknown = Object.keys(fromFile).filter((k) => !known.has(k));
  if (unknown.length)
    throw new AgentConfigError(`unknown key${unknown.length > 1 ? 's' : ''} in ${file}: ${unknown.join(', ')}`);
  const merged: Record<string, unknown> = {};
  for (const key of STRING_KEYS) {
    const value = env[envName(key)] ?? fromFile[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw new AgentConfigError(`${key} must be a string`);
    merged[key] = value;
  }
  for (const key of NUMBER_KEYS) {
    const raw = env[envName(key)] ?? fromFile[key];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < (ZERO_ALLOWED.has(key) ? 0 : 1))
      throw new AgentConfigError(
        `${key} must be a ${ZERO_ALLOWED.has(key) ? 'non-negative' : 'positive'} whole number (got ${JSON.stringify(raw)})`,
      );
    merged[key] = n;
  }
  const missing = ['manager', 'licence', 'node', 'credential', 'port'].filter((k) => merged[k] === undefined);
  if (missing.length) {
    throw new AgentConfigError(
      `missing ${missing.join(', ')} (in the config file, or ${missing.map(envName).join(', ')})`,
    );
  }
  if ((merged.port as number) > 65535) throw new AgentConfigError('port must be at most 65535');
  if (merged.relay !== undefined && merged.relay !== 'on' && merged.relay !== 'off')
    throw new AgentConfigError(`relay must be "on" or "off" (got ${JSON.stringify(merged.relay)})`);
  for (const key of HOST_PORT_KEYS) {
    const spec = merged[key] as string | undefined;
    if (spec !== undefined && !parseHostPort(spec)) throw new AgentConfigError(hostPortError(key, spec));
  }
  if (((merged.startJitterSeconds as number | undefined) ?? 0) > 3600)
    throw new AgentConfigError('startJitterSeconds must be at most 3600');
  return {
    certDir: join(process.cwd(), 'hairpin-agent'),
    reportEverySeconds: 300,
    startJitterSeconds: DEFAULT_START_JITTER_SECONDS,
    ...merged,
    // Never faster than every 10 s: the poll is local, but a flapping interface must not turn
    // into a report storm.
    pollSeconds: Math.max(10, (merged.pollSeconds as number | undefined) ?? 60),
  } as AgentConfig;
}
