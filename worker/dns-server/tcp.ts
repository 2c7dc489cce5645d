// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): two-byte length prefix, several queries per connection
// (pipelined, answered as they complete, RFC 7766 §6.2.1.1), and bounds on everything a client
// could make us hold: connections (in all and per source), queries in flight, unread responses,
// idle time, and the time one message may take to arrive.
import { createServer, type Server, type Socket } from 'node:net';
import { FrameReader, frameTcp } from '../../dns/tcp-frame.ts';
import { DEFAULT_LIMITS, type DnsServerLimits } from './limits.ts';
import { listening } from './listening.ts';
import type { Answered, Responder } from './responder.ts';
import { SourceSlots, sourceKey } from './source-slots.ts';

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
  /** Share the port with other servers that set it too (SO_REUSEPORT): the kernel spreads connections by source. */
  reusePort?: boolean;
}

/** Resolves once the socket takes writes again, or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** One connection: read frames, answer each, keep at most `maxInFlight` unanswered. */
function serveConnection(
  socket: Socket,
  respond: Responder,
  limits: DnsServerLimits,
  onError?: (e: unknown) => void,
): void {
  const frames = new FrameReader();
  let inFlight = 0;
  let ended = false;
  let deadline: ReturnType<typeof setTimeout> | undefined;
  // Answers go out one after another, in the order they complete, each message waiting while the
  // socket's buffer is full: a client that does not read (or reads a transfer slowly) makes us
  // hold its answers in flight and one message in the socket, not everything it asked for.
  let writing = Promise.resolve();
  const peer = socket.remoteAddress;

  socket.setNoDelay(true);
  socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());

  const stopDeadline = () => {
    clearTimeout(deadline);
    deadline = undefined;
  };
  socket.on('close', stopDeadline);

  // A stream (a zone transfer) is pulled one message at a time as the socket takes them; a
  // client gone ends it (its `finally` frees what it holds), and a stream that fails midway ends
  // the connection: the client could not tell a cut transfer from a slow one.
  const send = (messages: Answered): Promise<void> => {
    const written = writing.then(async () => {
      try {
        for await (const m of messages ?? []) {
          if (socket.destroyed) break;
          if (!socket.write(frameTcp(m))) await drained(socket);
        }
      } catch (e) {
        socket.destroy();
        throw e;
      }
    });
    writing = written.catch(() => {});
    return written;
  };

  // New queries are taken while few enough are unanswered and the client reads its answers.
  const accepting = () => inFlight < limits.maxInFlightPerConnection && !socket.writableNeedDrain;

  const flow = () => {
    if (socket.destroyed) return;
    while (accepting()) {
      const message = frames.next();
      if (!message) break;
      // A frame is complete: the next one's deadline starts with its own first byte.
      stopDeadline();
      inFlight++;
      Promise.resolve(respond(message, { transport: 'tcp', peer, raw: message }))
        .then(send)
        .catch((e: unknown) => onError?.(e))
        .finally(() => {
          inFlight--;
          flow();
        });
    }
    // What we hold is then at most one socket read plus the answers in flight.
    const reading = accepting();
    if (reading) socket.resume();
    else socket.pause();
    // Bytes of an unfinished frame start the message deadline, which runs only while we read:
    // a pause is our doing, not the client's.
    if (!reading || ended || frames.buffered === 0) stopDeadline();
    else deadline ??= setTimeout(() => socket.destroy(), limits.messageTimeoutMs);
    // Half-closed and all answered: a partial frame left over can never complete.
    if (ended && inFlight === 0) socket.end();
  };

  socket.on('drain', flow);
  socket.on('data', (chunk) => {
    frames.push(chunk);
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
  const slots = new SourceSlots(limits.maxConnectionsPerSource);
  // allowHalfOpen: a client may send its queries and shut its side; we still owe the answers.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const source = sourceKey(socket.remoteAddress ?? '');
    if (!socket.remoteAddress || !slots.take(source)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      slots.release(source);
    });
    serveConnection(socket, respond, limits, options.onError);
  });
  server.maxConnections = limits.maxConnections;
  await listening(server, (ready) =>
    server.listen({ port: options.port, host: options.host, reusePort: options.reusePort === true }, ready),
  );
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
