// What /dns-query answers to a wire question, in one place for both ways a request reaches it:
// the Hono route (routes/doh.ts) and the Node entry's HTTP/2 streams answered without the app
// (adapter/node/doh-streams.ts), which must give the same bytes, headers and counts.
import { Buffer } from 'node:buffer';
import { type DnsMessage, decodeMessage } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { peekRcode } from '../../dns/wire.ts';
import type { ManagerDeps } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { answerWire, responseTtl } from '../zone/answer.ts';

// RFC 8484 §6 wants bounds on input: a POST body is at most MAX_MESSAGE, a GET parameter this.
export const MAX_GET_PARAM = 4096;
export const DNS_MESSAGE = 'application/dns-message';

/** A wire answer and the headers it goes out with. */
export interface DohAnswer {
  wire: Uint8Array;
  headers: { 'content-type': typeof DNS_MESSAGE; 'cache-control': string };
}

function decodeBase64Url(value: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value))
    throw new ProblemError('invalid-dns-message', '"dns" must be base64url (RFC 4648 §5) without padding');
  // 4n + 1 characters cannot be base64 (the last would carry 6 bits of a byte), which Buffer
  // would pass over in silence. Buffer decodes natively: atob and a copy a character at a time
  // were a few percent of a DoH answer's time.
  if (value.replace(/=+$/, '').length % 4 === 1)
    throw new ProblemError('invalid-dns-message', '"dns" is not valid base64url');
  return Buffer.from(value, 'base64url');
}

export function parseQuery(bytes: Uint8Array): DnsMessage {
  try {
    const message = decodeMessage(bytes);
    if (message.type === 'response') throw new Error('the message is a response, not a query');
    return message;
  } catch (e) {
    throw new ProblemError('invalid-dns-message', (e as Error).message);
  }
}

export function cacheControl(wire: Uint8Array): string {
  const ttl = responseTtl(wire);
  return ttl === undefined ? 'no-store' : `max-age=${ttl}`;
}

/**
 * The wire answer to `bytes`, counted for /metrics with the DNS server's answers: through the
 * runtime's responder and its response cache where there is one (Node), else through the zone.
 * Synchronous when the responder answers from its cache. Bytes that are not a query get a
 * ProblemError: both answer them FORMERR or not at all, and only then is the message decoded
 * here, for the reason.
 */
export function answerCounted(deps: ManagerDeps, bytes: Uint8Array): Uint8Array | Promise<Uint8Array> {
  const started = performance.now();
  const { zone, metrics, dohResponder } = deps;
  const answered = dohResponder ? dohResponder(bytes) : answerWire(zone, bytes);
  const counted = (wire: Uint8Array | undefined, hit: boolean) => {
    if (wire === undefined || peekRcode(wire) === Rcode.FORMERR) parseQuery(bytes);
    if (wire === undefined) throw new ProblemError('invalid-dns-message', 'the message got no answer');
    metrics?.dnsAnswer('doh', peekRcode(wire), (performance.now() - started) / 1000, hit);
    return wire;
  };
  // A responder gives a cached answer synchronously (WireResponder): that is a cache hit.
  return answered instanceof Promise ? answered.then((wire) => counted(wire, false)) : counted(answered, true);
}

function withHeaders(wire: Uint8Array): DohAnswer {
  return { wire, headers: { 'content-type': DNS_MESSAGE, 'cache-control': cacheControl(wire) } };
}

/** The answer to a DNS message (a POST's body, a GET's decoded parameter), with its headers. */
export function answerMessage(deps: ManagerDeps, bytes: Uint8Array): DohAnswer | Promise<DohAnswer> {
  const wire = answerCounted(deps, bytes);
  return wire instanceof Promise ? wire.then(withHeaders) : withHeaders(wire);
}

/**
 * The answer to GET's `dns` parameter (RFC 8484 §4.1), decoded: synchronous on a cache hit; a
 * ProblemError, thrown or rejected, for a value too long, not base64url or not a query.
 */
export function answerDnsParam(deps: ManagerDeps, dns: string): DohAnswer | Promise<DohAnswer> {
  // Queries are small; larger messages belong in a POST body, and URLs this long already strain
  // proxies and servers' header limits.
  if (dns.length > MAX_GET_PARAM)
    throw new ProblemError(
      'payload-too-large',
      `the "dns" value is over ${MAX_GET_PARAM} characters; POST larger messages`,
    );
  return answerMessage(deps, decodeBase64Url(dns));
}
