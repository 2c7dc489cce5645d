// The bounds the Node entry puts on its HTTP port, and the environment variables that tune them.
// Node enforces headersTimeout/requestTimeout only on a server that listen()s itself; the Node
// entry's HTTP/1.1 and h2c servers get their sockets from the one listening socket that tells them
// apart, so these are enforced by ./connection-limits.ts, the same way for every protocol.
import { ConfigError, type Env } from '../../config.ts';

export interface HttpLimits {
  /** A new connection must deliver a complete request head within this (ms); TLS handshake too. */
  headersTimeoutMs: number;
  /** A request must be answered within this from its head (ms), else its connection or stream ends. */
  requestTimeoutMs: number;
  /** A connection with no request in progress after an answer is closed after this (ms). */
  idleTimeoutMs: number;
  /** Connections open at once, in all. */
  maxConnections: number;
  /**
   * Connections open at once from one source (an IPv4 address, an IPv6 /64). Not applied behind
   * a trusted proxy (HAIRPIN_TRUSTED_PROXY_HEADER): every connection comes from the proxy then.
   */
  maxConnectionsPerSource: number;
  /** The listen backlog asked of the kernel (which caps it at net.core.somaxconn). */
  backlog: number;
  /** Requests being handled at once; more are answered 503 at once. */
  maxRequestsInFlight: number;
  /** Writes waiting for the store (SQLite's group commit); beyond this, writes are answered 503. */
  maxQueuedWrites: number;
  /** The Retry-After of a 503 (s); each answer adds up to as much again at random. */
  retryAfterSeconds: number;
}

/** Each limit's variable and default: the table docs/manager.md is checked against. */
export const HTTP_LIMIT_VARIABLES = {
  headersTimeoutMs: ['HAIRPIN_HTTP_HEADERS_TIMEOUT_MS', 10_000],
  requestTimeoutMs: ['HAIRPIN_HTTP_REQUEST_TIMEOUT_MS', 30_000],
  idleTimeoutMs: ['HAIRPIN_HTTP_IDLE_TIMEOUT_MS', 5_000],
  maxConnections: ['HAIRPIN_HTTP_MAX_CONNECTIONS', 4_096],
  maxConnectionsPerSource: ['HAIRPIN_HTTP_MAX_CONNECTIONS_PER_SOURCE', 256],
  backlog: ['HAIRPIN_HTTP_BACKLOG', 4_096],
  maxRequestsInFlight: ['HAIRPIN_HTTP_MAX_IN_FLIGHT', 1_024],
  maxQueuedWrites: ['HAIRPIN_HTTP_MAX_QUEUED_WRITES', 1_024],
  retryAfterSeconds: ['HAIRPIN_HTTP_RETRY_AFTER_SECONDS', 2],
} as const satisfies Record<keyof HttpLimits, readonly [string, number]>;

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.fromEntries(
  Object.entries(HTTP_LIMIT_VARIABLES).map(([key, [, fallback]]) => [key, fallback]),
) as unknown as HttpLimits;

/** Read the limits from `HAIRPIN_HTTP_*`; each is a whole number ≥ 1. */
export function httpLimitsFromEnv(env: Env): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS };
  if (env.HAIRPIN_TRUSTED_PROXY_HEADER) limits.maxConnectionsPerSource = Number.MAX_SAFE_INTEGER;
  for (const [key, [name]] of Object.entries(HTTP_LIMIT_VARIABLES) as [keyof HttpLimits, readonly [string, number]][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 2_147_483_647)
      throw new ConfigError(`${name} must be a whole number above 0, got "${raw}"`);
    limits[key] = n;
  }
  return limits;
}
