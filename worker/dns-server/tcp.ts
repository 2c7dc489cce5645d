// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): two-byte length prefix, several queries per connection
// (pipelined, answered as they complete, RFC 7766 §6.2.1.1), and bounds on everything a client
// could make us hold: connections, queries in flight, unread responses, idle time.
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_LIMITS, type DnsServerLimits } from './limits.ts';
import { listening } from './listening.ts';
import type { Responder } from './responder.ts';

export interface RunningTcp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export interface TcpOptions {
  host: string;
  port: number;
  limits?: Partial<DnsServerLimits>;
  onError?: (e: unknown) => void;
}

function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.byteLength + 2);
  out.writeUInt16BE(message.byteLength, 0);
  out.set(message, 2);
  return out;
}

/** One connection: read frames, answer each, keep at most `maxInFlight` unanswered. */
function serveConnection(socket: Socket, respond: Responder, limits: DnsServerLimits, onError?: (e: unknown) => void): void {
  let buffered = Buffer.alloc(0);
  let inFlight = 0;
  let ended = false;
  let draining = false;
  const peer = socket.remoteAddress;

  socket.setNoDelay(true);
  socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());

  // Reading stops while the client has enough queries unanswered, or does not read its answers:
  // what we hold per connection is then at most one socket read plus the answers in progress.
  const flow = () => {
    if (socket.destroyed) return;
    const stop = inFlight >= limits.maxInFlightPerConnection || draining;
    if (stop) socket.pause();
    else {
      socket.resume();
      dispatch();
    }
    // Half-closed and all answered: a partial frame left over can never complete.
    if (ended && inFlight === 0) socket.end();
  };

  const dispatch = () => {
    while (inFlight < limits.maxInFlightPerConnection && buffered.byteLength >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.byteLength < 2 + length) break;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      inFlight++;
      Promise.resolve(respond(message, { transport: 'tcp', peer, raw: message })).then((messages) => {
        if (socket.destroyed) return;
        for (const m of messages ?? []) {
          if (!socket.write(frame(m))) draining = true;
        }
      }, onError).finally(() => {
        inFlight--;
        flow();
      });
    }
  };

  socket.on('drain', () => {
    draining = false;
    flow();
  });
  socket.on('data', (chunk) => {
    buffered = buffered.byteLength === 0 ? chunk : Buffer.concat([buffered, chunk]);
    dispatch();
    flow();
  });
  socket.on('end', () => {
    ended = true;
    flow();
  });
}

/**
 * ```ts
 * const tcp = await serveTcp(respond, { host: '127.0.0.1', port: 5353 });
 * await tcp.close();
 * ```
 */
export async function serveTcp(respond: Responder, options: TcpOptions): Promise<RunningTcp> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sockets = new Set<Socket>();
  // allowHalfOpen: a client may send its queries and shut its side; we still owe the answers.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, respond, limits, options.onError);
  });
  server.maxConnections = limits.maxConnections;
  await listening(server, (ready) => server.listen(options.port, options.host, ready));
  server.on('error', (e) => options.onError?.(e));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
