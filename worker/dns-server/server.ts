// The built-in authoritative server: UDP and TCP on one port, both answering through one
// responder (handlers, then the zone module that DoH also answers through).
import type { Metrics } from '../metrics.ts';
import type { Zone } from '../zone/answer.ts';
import type { DnsHandler } from '../zone/handler.ts';
import type { ZoneWatch } from '../zone/zone-watch.ts';
import { countedResponder } from './counted.ts';
import { DEFAULT_LIMITS, type DnsServerLimits } from './limits.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import { createResponder } from './responder.ts';
import { type RunningTcp, serveTcp } from './tcp.ts';
import { type RunningUdp, serveUdp } from './udp.ts';

export interface DnsServerOptions {
  zone: Zone;
  host: string;
  /** 0 picks a free port, the same for UDP and TCP. */
  port: number;
  handlers?: readonly DnsHandler[];
  /** Turns the response cache on, kept current by the zone's journal (see response-cache.ts). */
  watch?: ZoneWatch;
  /** The cache's admission door, shared with the other DNS threads (ResponderOptions.admission). */
  admission?: SharedArrayBuffer;
  limits?: Partial<DnsServerLimits>;
  /** Response rate limiting on UDP (rate-limit.ts); off when undefined. */
  rateLimit?: RateLimitOptions | undefined;
  onError?: (error: unknown) => void;
  /** Count answers for /metrics (see counted.ts). */
  metrics?: Metrics;
  /**
   * Bind with SO_REUSEPORT, so that several servers (one per DNS worker thread,
   * worker/adapter/node/dns-workers.ts) share the port and the kernel spreads the load.
   */
  reusePort?: boolean;
}

export interface RunningDns {
  host: string;
  udpPort: number;
  tcpPort: number;
  close(): Promise<void>;
}

// With port 0 the kernel picks the UDP port; TCP then asks for the same one, which another
// process may hold: try a few UDP ports before giving up.
const FREE_PORT_ATTEMPTS = 20;

/**
 * ```ts
 * const dns = await startDnsServer({ zone, host: '127.0.0.1', port: 5353 });
 * // dig @127.0.0.1 -p 5353 i-nur1.pl-1234.example.test A  (+tcp too)
 * await dns.close();
 * ```
 */
export async function startDnsServer(options: DnsServerOptions): Promise<RunningDns> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const responder = createResponder({
    zone: options.zone,
    handlers: options.handlers ?? [],
    ...(options.watch ? { watch: options.watch } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    cacheEntries: limits.cacheEntries,
    cacheBytes: limits.cacheBytes,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const respond = options.metrics ? countedResponder(responder, options.metrics) : responder;
  const common = {
    host: options.host,
    reusePort: options.reusePort === true,
    ...(options.onError ? { onError: options.onError } : {}),
  };
  let udp: RunningUdp | undefined;
  let tcp: RunningTcp | undefined;
  for (let attempt = 0; !tcp; attempt++) {
    udp = await serveUdp(respond, {
      ...common,
      port: options.port,
      rateLimit: options.rateLimit,
      onRateLimited: options.metrics && ((action) => options.metrics!.rrl(action)),
    });
    try {
      tcp = await serveTcp(respond, { ...common, port: udp.port, limits });
    } catch (e) {
      await udp.close();
      const retry =
        options.port === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt + 1 < FREE_PORT_ATTEMPTS;
      if (!retry) throw e;
    }
  }
  const [u, t] = [udp!, tcp];
  return {
    host: options.host,
    udpPort: u.port,
    tcpPort: t.port,
    async close() {
      await Promise.all([u.close(), t.close()]);
    },
  };
}
