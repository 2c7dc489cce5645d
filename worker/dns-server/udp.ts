// DNS over UDP: one datagram in, at most one datagram out (RFC 1035 §4.2.1). A handler's further
// messages (an AXFR stream) have no place here; only the first is sent.
import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { listening } from './listening.ts';
import { type RateLimitOptions, ResponseRateLimiter, slipped } from './rate-limit.ts';
import type { Answered, Responder } from './responder.ts';

export interface RunningUdp {
  socket: Socket;
  port: number;
  close(): Promise<void>;
}

// The peer's address in a reply is always the literal the datagram came from, so the socket's
// look-up hands it straight back: the default (dns.lookup) answers even a literal a tick later,
// about a twelfth of a Node UDP echo's CPU per datagram, measured.
const literal =
  (family: 4 | 6): SocketOptions['lookup'] =>
  (address, _options, done) =>
    done(null, address, family);

// Deep socket buffers ride out bursts (a resolver's retry storm, the benchmark) without drops;
// the kernel caps them at net.core.rmem_max / wmem_max anyway.
const SOCKET_BUFFER = 4 * 1024 * 1024;

/**
 * ```ts
 * const udp = await serveUdp(respond, { host: '127.0.0.1', port: 5353 });
 * await udp.close();
 * ```
 */
export async function serveUdp(
  respond: Responder,
  options: {
    host: string;
    port: number;
    rateLimit?: RateLimitOptions | undefined;
    /** Told of every response the rate limit dropped or replaced by a slip (for /metrics). */
    onRateLimited?: ((action: 'slip' | 'drop') => void) | undefined;
    onError?: (e: unknown) => void;
    /** Share the port with other sockets that set it too (SO_REUSEPORT): the kernel spreads datagrams by source. */
    reusePort?: boolean;
  },
): Promise<RunningUdp> {
  const v6 = isIPv6(options.host);
  const socket = createSocket({
    type: v6 ? 'udp6' : 'udp4',
    reusePort: options.reusePort === true,
    lookup: literal(v6 ? 6 : 4),
  });
  const limiter = options.rateLimit && new ResponseRateLimiter(options.rateLimit);
  const reply = (messages: Answered, peer: RemoteInfo) => {
    // The responder answers UDP with messages at hand, never a stream.
    const first = Array.isArray(messages) ? messages[0] : undefined;
    if (!first) return;
    const verdict = limiter ? limiter.verdict(peer.address) : 'send';
    if (verdict !== 'send') options.onRateLimited?.(verdict);
    if (verdict !== 'drop') socket.send(verdict === 'slip' ? slipped(first) : first, peer.port, peer.address);
  };
  socket.on('message', (bytes, peer) => {
    // Port 0 cannot be answered; such a source is spoofed or broken.
    if (peer.port === 0) return;
    const answered = respond(bytes, { transport: 'udp', peer: peer.address, raw: bytes });
    if (answered instanceof Promise) answered.then((messages) => reply(messages, peer), options.onError);
    else reply(answered, peer);
  });
  await listening(socket, (ready) => socket.bind(options.port, options.host, ready));
  // After bind, a send error (ICMP unreachable reported back, a full buffer) is about one peer.
  socket.on('error', (e) => options.onError?.(e));
  for (const set of [() => socket.setRecvBufferSize(SOCKET_BUFFER), () => socket.setSendBufferSize(SOCKET_BUFFER)]) {
    try {
      set();
    } catch {
      /* not permitted above the system maximum: keep the default */
    }
  }
  return {
    socket,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
