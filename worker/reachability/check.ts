// The reachability check: from outside the shop, does a TCP handshake with the node's public
// address and port complete? It answers support's most frequent question ("why does it fail
// from cellular?") with what the box does: forwards the port (IPv4), lets it in through its
// IPv6 firewall, or drops (no answer) or refuses (RST, ICMP). It only ever aims at the addresses
// the node itself reported: the caller gives no address, so it cannot be turned on anything else.

import type { AddressesView, ReachabilityView, ReachOutcome } from '../../contract/api.ts';
import { isGlobalIpv6, isIpv4, isNonPublicIpv4 } from '../../dns/address.ts';

/** What the check aims at: the node's own public addresses and port, as it reported them. */
type ReportedAddresses = Pick<AddressesView, 'publicIpv4' | 'publicIpv6' | 'port'>;

export interface ConnectResult {
  outcome: ReachOutcome;
  /** The runtime's words for it (error code or message). */
  detail: string;
}

/**
 * One TCP connect, closed at once once open. The runtime's adapter: node:net on Node,
 * `connect()` from cloudflare:sockets on Workers.
 */
export type TcpConnect = (address: string, port: number, timeoutMs: number) => Promise<ConnectResult>;

export type AddressFamily = 'ipv4' | 'ipv6';

export interface ReachResult extends ConnectResult {
  family: AddressFamily;
  address: string;
  port: number;
  elapsedMs: number;
  checkedAt: number;
}

/** The port the external name is reached on when the node reported none. */
export const DEFAULT_PORT = 443;
/** Per connect: long enough for a far carrier's SYN-ACK, short enough for a request to wait on. */
export const CONNECT_TIMEOUT_MS = 3000;

/**
 * The node's own public addresses, each checked again against its class: a stored value came
 * through the report's validation or from the request's source, and neither may ever lead the
 * manager to a private, loopback or link-local address.
 */
export function reachTargets(
  addresses: ReportedAddresses | undefined,
): { family: AddressFamily; address: string; port: number }[] {
  if (!addresses) return [];
  const port = addresses.port ?? DEFAULT_PORT;
  const targets: { family: AddressFamily; address: string; port: number }[] = [];
  const v4 = addresses.publicIpv4;
  if (v4 && isIpv4(v4) && !isNonPublicIpv4(v4)) targets.push({ family: 'ipv4', address: v4, port });
  const v6 = addresses.publicIpv6;
  if (v6 && isGlobalIpv6(v6)) targets.push({ family: 'ipv6', address: v6, port });
  return targets;
}

/** Connect to every target at once (each bounded), and say what each saw. */
export async function checkReachability(
  connect: TcpConnect,
  addresses: ReportedAddresses | undefined,
  now: () => number,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<ReachResult[]> {
  return Promise.all(
    reachTargets(addresses).map(async (t) => {
      const started = now();
      const seen = await connect(t.address, t.port, timeoutMs).catch(
        (e: Error): ConnectResult => ({ outcome: 'unreachable', detail: e.message }),
      );
      return { ...t, ...seen, elapsedMs: Math.max(0, now() - started), checkedAt: now() };
    }),
  );
}

/** A result as the node view shows it: `current` is false once the node reported another address or port. */
export function reachView(
  results: ReachResult[] | undefined,
  addresses: ReportedAddresses | undefined,
): ReachabilityView {
  const targets = reachTargets(addresses);
  const view = (family: AddressFamily) => {
    const r = results?.find((x) => x.family === family);
    if (!r) return null;
    const t = targets.find((x) => x.family === family);
    return {
      ...r,
      checkedAt: new Date(r.checkedAt).toISOString(),
      current: t !== undefined && t.address === r.address && t.port === r.port,
    };
  };
  return { ipv4: view('ipv4'), ipv6: view('ipv6') };
}
