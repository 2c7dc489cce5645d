// Extension point of the DNS transports: handlers consulted before the zone answers, for what
// is not a plain question (zone transfers, NOTIFY), by the port-53 server; and the shape of the
// responder DoH answers through (no handlers there: the zone alone).
import type { DnsMessage } from '../../dns/message.ts';
import type { Maybe } from './steps.ts';

export interface DnsRequestContext {
  transport: 'udp' | 'tcp' | 'doh';
  /** Peer address (for transfer ACLs and logs). */
  peer: string | undefined;
  /** The query as received, for TSIG verification (RFC 8945 signs the wire form). */
  raw: Uint8Array;
}

/**
 * Wire messages at hand, or a stream of them produced as the client reads (a zone transfer: the
 * transport pulls the next message when the socket takes it, and ends the stream early, which
 * runs its `finally`, when the client goes).
 */
export type DnsMessages = Uint8Array[] | AsyncIterable<Uint8Array>;

/**
 * Answer a query this handler owns with one or more wire messages (AXFR streams several), or
 * return undefined to let the next handler, and finally the zone, answer. A handler declines at
 * once, not through a promise, what it can tell is not its own: the zone then answers a question
 * it holds in memory without a promise (steps.ts).
 */
export type DnsHandler = (query: DnsMessage, context: DnsRequestContext) => Maybe<DnsMessages | undefined>;

/**
 * Wire query in, wire answer out; undefined for no answer (a response, a message shorter than a
 * header). An answer the cache held comes back synchronously, anything else as a promise. The
 * Node entry gives DoH one (worker/dns-server/doh.ts): the port-53 responder and its cache.
 */
export type WireResponder = (query: Uint8Array) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
