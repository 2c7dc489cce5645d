// HTTP for the Node entry: HTTP/1.1 and HTTP/2 on one port. dig's DoH client speaks only HTTP/2
// (h2c with prior knowledge for +http-plain, ALPN h2 for +https) while curl, browsers and most
// API clients use HTTP/1.1 on a plain port, and RFC 8484 names HTTP/2 the minimum recommended.

import { createServer as createHttp1Server, type IncomingMessage, STATUS_CODES } from 'node:http';
import {
  createServer as createH2cServer,
  createSecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { getRequestListener, RequestError } from '@hono/node-server';
import { ProblemError } from '../../problem.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.ts';

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface HttpOptions {
  host: string;
  port: number;
  /** PEM certificate and key: serve HTTPS (ALPN h2 and http/1.1) instead of plain HTTP. */
  tls?: { cert: string; key: string };
  /** Deadlines, connection caps, backlog; DEFAULT_HTTP_LIMITS when not given. */
  limits?: HttpLimits;
  /** HTTP/1.1 upgrades (the relay's WebSocket); without it they are refused. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** HTTP/2 streams offered to this first (DoH's hot path, doh-streams.ts), before the app. */
  streams?: StreamAnswerer;
}

/**
 * Answers an HTTP/2 stream itself, or calls `toApp` (at once, or later while the stream is still
 * unanswered) to hand it to the app as it came.
 */
export type StreamAnswerer = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, toApp: () => void) => void;

export interface RunningHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

// The HTTP/2 connection preface (RFC 9113 §3.4) starts with these bytes; HTTP/1.1 never does.
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/** RFC 9113 §6.5.2: the default is unlimited; a hundred streams at once is the RFC's own floor. */
const H2_SETTINGS = { maxConcurrentStreams: 100 };

/**
 * Offer the server's streams to `answer` first. The compatibility layer (request listener) is
 * itself a 'stream' listener, which the server added when given the listener: it is taken off and
 * called for the streams handed back. A stream kept gets the connection's request deadlines, as
 * requests through the listener do; one handed back later is tracked again by the listener, and
 * both end at the stream's close.
 */
function offerStreams(server: Http2Server, answer: StreamAnswerer, connections: ConnectionLimits): void {
  const [compat] = server.listeners('stream') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('stream');
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
    let handed = false;
    answer(stream, headers, () => {
      handed = true;
      compat!.call(server, stream, headers, ...rest);
    });
    if (!handed) connections.trackStream(stream);
  });
}

/** An answer written straight to a socket, where the HTTP parser gave up before any Response. */
function rawProblem(problem: ProblemError): string {
  const body = problem.toBody();
  return `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * HTTP/1.1's parser errors (Node's 'clientError') as problem+json where nothing else is being
 * answered on the connection; Node's own answer there is an empty 400.
 */
function answerClientError(connections: ConnectionLimits) {
  return (error: Error & { code?: string }, socket: Duplex & { destroySoon?(): void }) => {
    if (error.code === 'ECONNRESET' || !socket.writable || connections.busy(socket)) return void socket.destroy();
    const problem =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new ProblemError('header-too-large', 'the request line and headers exceed the size allowed')
        : new ProblemError('malformed-http', `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`);
    socket.write(rawProblem(problem));
    socket.destroySoon?.() ?? socket.destroy();
  };
}

export async function serveHttp(fetch: FetchHandler, options: HttpOptions): Promise<RunningHttp> {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const connections = new ConnectionLimits(limits);
  const listener = connections.track(
    getRequestListener(fetch, {
      // What the adapter itself refuses (a Host that does not parse, a backslash in the path) gets
      // a problem like every other 400; anything else the app did not answer is an internal error.
      errorHandler: (error) =>
        error instanceof RequestError
          ? new ProblemError('malformed-http', error.message).toResponse()
          : new ProblemError('internal', 'the request could not be handled').toResponse(),
    }),
  );
  const onUpgrade =
    options.onUpgrade &&
    ((req: IncomingMessage, socket: Duplex, head: Buffer) => {
      connections.upgraded(socket);
      options.onUpgrade!(req, socket, head);
    });
  let server: Server;
  if (options.tls) {
    const secure = createSecureServer(
      { ...options.tls, allowHTTP1: true, settings: H2_SETTINGS, handshakeTimeout: limits.headersTimeoutMs },
      listener,
    );
    if (options.streams) offerStreams(secure, options.streams, connections);
    secure.on('connection', (socket: Socket) => connections.admit(socket));
    secure.on('secureConnection', (socket: TLSSocket) => connections.watch(socket));
    secure.on('clientError', answerClientError(connections));
    if (onUpgrade) secure.on('upgrade', onUpgrade);
    server = secure as unknown as Server;
  } else {
    const http1 = createHttp1Server({ keepAliveTimeout: limits.idleTimeoutMs }, listener);
    http1.on('clientError', answerClientError(connections));
    if (onUpgrade) http1.on('upgrade', onUpgrade);
    const h2c = createH2cServer({ settings: H2_SETTINGS }, listener);
    if (options.streams) offerStreams(h2c, options.streams, connections);
    // Peek at the first bytes of each connection and hand it to the server that speaks them.
    server = createNetServer((socket: Socket) => {
      if (!connections.admit(socket)) return;
      connections.watch(socket);
      // The first segment may hold only part of the preface ("P" could start a PUT or a POST):
      // read on until the bytes either are the whole preface or depart from it.
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const compared = Math.min(head.length, H2_PREFACE.length);
        const isH2 = head.subarray(0, compared).equals(H2_PREFACE.subarray(0, compared));
        if (isH2 && head.length < H2_PREFACE.length) return;
        socket.off('data', onData);
        socket.pause();
        socket.unshift(head);
        if (isH2) {
          // The session reads from the socket's native handle, after feeding itself what is
          // already in the socket's buffer (the bytes put back here), as it does for a socket
          // handed over with data buffered.
          h2c.emit('connection', socket);
        } else {
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
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, backlog: limits.backlog }, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port, close: closeWithConnections(server) };
}

/** From now on, track the server's connections; the function returned closes it and them. */
export function closeWithConnections(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}
