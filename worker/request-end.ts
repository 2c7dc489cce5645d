// Where every HTTP request ends: counted for /metrics and written to the access log. The app's
// middleware ends its requests here, and so do the Node entry's HTTP/2 streams answered without
// the app (adapter/node/doh-streams.ts), so that /metrics and the log count both alike.
import { isIpv4, isIpv6, unmapIpv4 } from '../dns/address.ts';
import type { ManagerDeps } from './context.ts';

export interface EndedRequest {
  method: string;
  /** The path without its query. */
  path: string;
  /** The pattern of the route that answered, or 'unmatched': the label set stays bounded. */
  route: string;
  status: number;
  /** performance.now() when the request began. */
  started: number;
  client: string | undefined;
}

export function requestEnded(deps: ManagerDeps, r: EndedRequest): void {
  deps.metrics?.http(r.route, r.method, r.status);
  deps.logger?.access({
    method: r.method,
    path: r.path,
    route: r.route,
    status: r.status,
    ms: Math.round((performance.now() - r.started) * 10) / 10,
    client: r.client ?? null,
  });
}

/**
 * The client's address: from the trusted proxy header when one is configured (`header` reads a
 * request header by its lower-case name), else the peer. Of a list (X-Forwarded-For), the last
 * entry is the one the proxy in front of us appended; the ones before it came from the client and
 * may be forged. A value that is not an address is none.
 */
export function clientAddressOf(
  deps: Pick<ManagerDeps, 'config'>,
  header: (name: string) => string | undefined,
  peer: () => string | undefined,
): string | undefined {
  const name = deps.config.trustedProxyHeader;
  const raw = name ? header(name.toLowerCase())?.split(',').at(-1)?.trim() : peer();
  const address = raw ? unmapIpv4(raw) : undefined;
  return address !== undefined && (isIpv4(address) || isIpv6(address)) ? address : undefined;
}
