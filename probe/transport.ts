// One small interface for every way of reaching a resolver: UDP, TCP, DoH, the system's
// resolvers. Runtime adapters (probe/adapter/*) implement it; the probe core only sees this.

import { isIpv4, isIpv6 } from '../dns/address.ts';
import { FLAG_TC } from '../dns/message.ts';
import { Rcode } from '../dns/rcode.ts';
import { peekFlags, peekRcode } from '../dns/wire.ts';
import { ResolverUnreachable } from './errors.ts';

/**
 * Sends one DNS message and returns the response bytes. Must reject with a ProbeError (or any
 * error, which the probe calls "unreachable") and must give up when `signal` aborts.
 */
export interface DnsTransport {
  /** Where the queries go, e.g. `udp://127.0.0.1:53`, `https://manager/dns-query`. */
  readonly label: string;
  /**
   * The transport retransmits below DNS (DoH: HTTP over TCP), so a question that timed out is
   * still on its way or being answered, and asking it again only adds load to a server that is
   * already slow (a fleet probing its manager at once). Such a question gets one try with the
   * whole budget (timeoutMs × attempts); a failure that is not a timeout (a closed connection)
   * is still tried again.
   */
  readonly reliable?: boolean;
  exchange(query: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
}

export interface ResolverAddress {
  host: string;
  port: number;
}

/**
 * `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353` → host and port.
 *
 * ```ts
 * parseResolverAddress('[::1]:5353'); // { host: '::1', port: 5353 }
 * ```
 */
export function parseResolverAddress(spec: string, defaultPort = 53): ResolverAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : isIpv6(spec)
      ? [spec, undefined]
      : (spec.split(':') as [string, string | undefined]);
  const n = port === undefined ? defaultPort : Number(port);
  if (!(isIpv4(host) || isIpv6(host)) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new TypeError(`not a resolver address (host[:port], IPv6 in brackets with a port): ${spec}`);
  }
  return { host, port: n };
}

/** `udp://[::1]:53` style labels. */
export function addressLabel(scheme: string, { host, port }: ResolverAddress): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * UDP first, TCP when the answer is truncated (RFC 7766 §5: TC means "retry over TCP").
 */
export function withTcpFallback(udp: DnsTransport, tcp: DnsTransport): DnsTransport {
  return {
    label: udp.label,
    async exchange(query, signal) {
      const response = await udp.exchange(query, signal);
      // The flags are in the first four bytes: enough to tell, whatever follows.
      const truncated = response.byteLength >= 4 && (peekFlags(response) & FLAG_TC) !== 0;
      return truncated ? tcp.exchange(query, signal) : response;
    },
  };
}

/**
 * At most `limit` questions in flight; the others wait their turn (their signal still bounds the
 * wait). A probe asks its questions at once, and over DoH with HTTP/1.1 each would open a
 * connection of its own, kept open a few seconds after (keep-alive): a fleet deciding at once
 * after a regional power cut held thousands at the manager and met its connection cap. Two
 * connections, reused, carry a probe's questions a few round trips later.
 */
export function withConcurrency(transport: DnsTransport, limit: number): DnsTransport {
  let active = 0;
  const waiting: Array<() => void> = [];
  // A slot freed goes straight to the next waiter, so a newcomer cannot take it in between.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const turn = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        waiting.splice(waiting.indexOf(go), 1);
        reject(signal.reason);
      };
      waiting.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return {
    label: transport.label,
    ...(transport.reliable ? { reliable: true } : {}),
    async exchange(query, signal) {
      signal.throwIfAborted();
      if (active < limit) active++;
      else await turn(signal);
      try {
        return await transport.exchange(query, signal);
      } finally {
        release();
      }
    },
  };
}

/** The answers after which glibc's stub asks the next name server (res_send.c, `next_ns`). */
const NEXT_SERVER_RCODES: ReadonlySet<number> = new Set([Rcode.SERVFAIL, Rcode.NOTIMP, Rcode.REFUSED]);

/**
 * The stub resolver's rule (resolv.conf(5), glibc): the name servers in order, the next one when
 * one does not answer or answers SERVFAIL, NOTIMP or REFUSED. All are asked at once so a dead or
 * filtering first server costs no extra time; the answer kept is the first in list order that
 * glibc would have accepted, else the first refusal (what the device's lookup ends with, evidence
 * for the verdict).
 */
export function firstAnswering(label: string, transports: readonly DnsTransport[]): DnsTransport {
  return {
    label,
    async exchange(query, signal) {
      const inFlight = transports.map((t) => t.exchange(query, signal));
      // Unobserved rejections of servers after the one that answered are expected, not errors.
      for (const p of inFlight) p.catch(() => undefined);
      let last: unknown = new ResolverUnreachable(`${label}: no name server configured`);
      let refusal: Uint8Array | undefined;
      for (const p of inFlight) {
        try {
          const response = await p;
          if (response.byteLength < 4 || !NEXT_SERVER_RCODES.has(peekRcode(response))) return response;
          refusal ??= response;
        } catch (e) {
          last = e;
        }
      }
      if (refusal) return refusal;
      throw last;
    },
  };
}
