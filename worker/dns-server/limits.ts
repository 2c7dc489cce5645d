// The bounds that keep one hostile or broken client from holding the server's memory or sockets.

export interface DnsServerLimits {
  /** TCP connections open at once; more are refused at accept (RFC 7766 §6.2.2 wants a cap). */
  maxConnections: number;
  /** TCP connections open at once from one source (an IPv4 address or an IPv6 /64); more are closed at accept. */
  maxConnectionsPerSource: number;
  /** Queries read from one TCP connection and not yet answered; past it, reading pauses. */
  maxInFlightPerConnection: number;
  /** A TCP connection with nothing to read or write for this long is closed (RFC 7766 §6.2.3). */
  idleTimeoutMs: number;
  /**
   * A TCP message must arrive whole within this long of its first byte, however steadily the
   * rest trickles in: the idle timer restarts on every byte, so alone it would let a client
   * hold a connection for ever by sending one byte at a time.
   */
  messageTimeoutMs: number;
  /** Cached responses (0: no cache). Each is a few hundred bytes. */
  cacheEntries: number;
  /** Bytes the cached responses and their keys may take in all, whatever their number. */
  cacheBytes: number;
}

export const DEFAULT_LIMITS: DnsServerLimits = {
  maxConnections: 256,
  // An eighth of the whole: at least eight sources always get in, and a resolver farm behind one
  // NAT still has room for its TC fallbacks (RFC 7766 §6.2.2: looser than a client's own limit).
  maxConnectionsPerSource: 32,
  maxInFlightPerConnection: 32,
  // RFC 7766 §6.2.3 suggests "a few seconds"; NSD uses 120 s, Knot 10 s for idle clients.
  idleTimeoutMs: 10_000,
  // A query is a few hundred bytes, sent in one segment: 2 s leaves room for retransmissions.
  messageTimeoutMs: 2_000,
  cacheEntries: 200_000,
  // A flood of distinct long names fills the entries with ~600-byte keys and answers: 64 MiB
  // keeps that to a fixed share of memory (ordinary entries are ~200 bytes: ~330,000 fit).
  cacheBytes: 64 * 1024 * 1024,
};

/** UDP without EDNS (RFC 1035 §2.3.4), and the floor of any advertised size (RFC 6891 §6.2.5). */
export const CLASSIC_UDP_PAYLOAD = 512;
