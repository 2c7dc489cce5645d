// The probe's transports on Deno: TCP through Deno.connect (stable), UDP through
// Deno.listenDatagram when the runtime offers it (it needs --unstable-net), and the system
// resolver read from /etc/resolv.conf. The probe core is the same as on Node.

import { FrameReader, frameTcp } from '../../../dns/tcp-frame.ts';
import { sameId } from '../../../dns/wire.ts';
import { dohTransport as fetchDohTransport } from '../../doh.ts';
import { asProbeError } from '../../errors.ts';
import { resolvConfTransport } from '../../resolv-conf.ts';
import {
  addressLabel,
  type DnsTransport,
  parseResolverAddress,
  type ResolverAddress,
  withTcpFallback,
} from '../../transport.ts';

interface DenoConn {
  write(p: Uint8Array): Promise<number>;
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}
interface DenoDatagram {
  send(p: Uint8Array, addr: { transport: 'udp'; hostname: string; port: number }): Promise<number>;
  receive(): Promise<[Uint8Array, unknown]>;
  close(): void;
}
declare const Deno: {
  createHttpClient(options: { http1?: boolean; http2?: boolean }): { close(): void };
  connect(options: { hostname: string; port: number; transport?: 'tcp' }): Promise<DenoConn>;
  listenDatagram?: (options: { hostname: string; port: number; transport: 'udp' }) => DenoDatagram;
  readTextFile(path: string): Promise<string>;
};

/** Close `resource` when `signal` aborts, so a pending read rejects instead of hanging. */
async function bounded<T>(
  label: string,
  signal: AbortSignal,
  resource: { close(): void },
  work: () => Promise<T>,
): Promise<T> {
  const onAbort = () => {
    try {
      resource.close();
    } catch {
      /* already closed */
    }
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    return await work();
  } catch (e) {
    throw asProbeError(label, e, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
    onAbort();
  }
}

export function tcpTransport(address: ResolverAddress): DnsTransport {
  const label = addressLabel('tcp', address);
  return {
    label,
    async exchange(query, signal) {
      let conn: DenoConn;
      try {
        conn = await Deno.connect({ hostname: address.host, port: address.port });
      } catch (e) {
        throw asProbeError(label, e, signal);
      }
      return bounded(label, signal, conn, async () => {
        await conn.write(frameTcp(query));
        const frames = new FrameReader();
        for (;;) {
          const message = frames.next();
          if (message) return message;
          // A buffer a read: the reader keeps the chunks it is handed.
          const chunk = new Uint8Array(65_537);
          const n = await conn.read(chunk);
          if (n === null) throw new Error('connection closed before a full answer');
          frames.push(chunk.subarray(0, n));
        }
      });
    },
  };
}

export function udpTransport(address: ResolverAddress): DnsTransport {
  const label = addressLabel('udp', address);
  return {
    label,
    async exchange(query, signal) {
      if (!Deno.listenDatagram) throw asProbeError(label, new Error('UDP needs deno --unstable-net'), signal);
      const socket = Deno.listenDatagram({
        hostname: address.host.includes(':') ? '::' : '0.0.0.0',
        port: 0,
        transport: 'udp',
      });
      return bounded(label, signal, socket, async () => {
        await socket.send(query, { transport: 'udp', hostname: address.host, port: address.port });
        for (let i = 0; i < 64; i++) {
          const [message] = await socket.receive();
          if (sameId(message, query)) return message;
        }
        throw new Error('too many unrelated datagrams');
      });
    },
  };
}

/**
 * Deno's fetch for `http:` URLs with HTTP/2 by prior knowledge only (its plain fetch offers h2 by
 * ALPN over TLS, but speaks HTTP/1.1 in the clear): for unbound's `http-notls-downstream`.
 */
const h2cFetch: typeof fetch = (input, init) => {
  const client = Deno.createHttpClient({ http1: false, http2: true });
  // `client` is Deno's own RequestInit field; the DOM RequestInit type does not know it.
  return fetch(input, { ...init, client } as unknown as RequestInit).finally(() => client.close());
};

/**
 * DoH through Deno's fetch (HTTP/2 by ALPN on https, HTTP/1.1 in the clear), else HTTP/2 only.
 *
 * ```ts
 * const unbound = dohTransport('http://127.0.0.1:8443/dns-query');
 * ```
 */
export function dohTransport(url: string): DnsTransport {
  return fetchDohTransport(url, [fetch, h2cFetch]);
}

/** A DoH URL; else UDP with TCP on truncation when Deno has UDP, TCP alone otherwise (every resolver serves it). */
export function resolverTransport(spec: string, options: { protocol?: 'udp' | 'tcp' } = {}): DnsTransport {
  if (/^https?:\/\//i.test(spec)) return dohTransport(spec);
  const address = parseResolverAddress(spec);
  if (options.protocol === 'tcp' || !Deno.listenDatagram) return tcpTransport(address);
  return withTcpFallback(udpTransport(address), tcpTransport(address));
}

export async function systemTransport(path = '/etc/resolv.conf'): Promise<DnsTransport> {
  return resolvConfTransport(await Deno.readTextFile(path).catch(() => ''), (spec) => resolverTransport(spec));
}
