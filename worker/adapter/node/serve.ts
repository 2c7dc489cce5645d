// HTTP for the Node entry: HTTP/1.1 and HTTP/2 on one port. dig's DoH client speaks only HTTP/2
// (h2c with prior knowledge for +http-plain, ALPN h2 for +https) while curl, browsers and most
// API clients use HTTP/1.1 on a plain port, and RFC 8484 names HTTP/2 the minimum recommended.
import { getRequestListener } from '@hono/node-server';
import { createServer as createHttp1Server } from 'node:http';
import { createServer as createH2cServer, createSecureServer } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface HttpOptions {
  host: string;
  port: number;
  /** PEM certificate and key: serve HTTPS (ALPN h2 and http/1.1) instead of plain HTTP. */
  tls?: { cert: string; key: string };
}

export interface RunningHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

// The HTTP/2 connection preface (RFC 9113 §3.4) starts with these bytes; HTTP/1.1 never does.
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * The socket as a stream that first yields the bytes already read from it. HTTP/2 reads from
 * a socket's native handle, past anything unshift() put back, so it gets a JS stream instead.
 */
function withPrefix(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk, encoding, callback) => void socket.write(chunk, encoding, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', (e) => stream.destroy(e));
  // Read by the request's conninfo (client address) through the HTTP/2 session's socket.
  Object.assign(stream, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, remoteFamily: socket.remoteFamily });
  return stream;
}

export async function serveHttp(fetch: FetchHandler, options: HttpOptions): Promise<RunningHttp> {
  const listener = getRequestListener(fetch);
  let server: Server;
  if (options.tls) {
    server = createSecureServer({ ...options.tls, allowHTTP1: true }, listener) as unknown as Server;
  } else {
    const http1 = createHttp1Server({ keepAliveTimeout: 5_000 }, listener);
    const h2c = createH2cServer({}, listener);
    // Peek at the first bytes of each connection and hand it to the server that speaks them.
    server = createNetServer((socket: Socket) => {
      // A reset (ECONNRESET) or any other socket error before a server has taken the socket over
      // would be an unhandled 'error' event: the end of the process, and of DNS with it.
      socket.on('error', () => socket.destroy());
      socket.setTimeout(30_000, () => socket.destroy());
      // The first segment may hold only part of the preface ("P" could start a PUT or a POST):
      // read on until the bytes either are the whole preface or depart from it.
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const compared = Math.min(head.length, H2_PREFACE.length);
        const isH2 = head.subarray(0, compared).equals(H2_PREFACE.subarray(0, compared));
        if (isH2 && head.length < H2_PREFACE.length) return;
        socket.off('data', onData);
        if (isH2) {
          h2c.emit('connection', withPrefix(socket, head));
        } else {
          socket.pause();
          socket.unshift(head);
          http1.emit('connection', socket);
          socket.resume();
        }
      };
      socket.on('data', onData);
    });
    server.on('close', () => {
      http1.close();
      h2c.close();
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
