// The relay in the Node manager: nodes' sockets in one process (ws), and the relay's TLS
// listener, which routes each connection by the name in its ClientHello and passes the TLS
// bytes through that node's socket untouched: the node's own certificate ends TLS, and this
// process never sees plaintext.
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { MAX_FRAME } from '../../../relay/frames.ts';
import { splice } from '../../../relay/splice.ts';
import type { RelayHost } from '../../context.ts';
import type { ZoneNames } from '../../names.ts';
import { ProblemError } from '../../problem.ts';
import { CloseCode, NodeRelaySession, offline, type RelayLimits, withRetryAfter } from '../../relay/session.ts';
import { MAX_CLIENT_HELLO, serverName, UNRECOGNIZED_NAME_ALERT } from '../../relay/sni.ts';
import { closeWithConnections, type RunningHttp } from './serve.ts';

/** A node that sent nothing (not even its heartbeat) for this long is gone. */
const SILENT_NODE_MS = 90_000;
/** A caller has this long to send its ClientHello. */
const HELLO_TIMEOUT_MS = 10_000;

interface PendingUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

function bytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * ```ts
 * const hub = new NodeRelayHub(config.relay);
 * const app = createApp({ ...deps, relay: hub });
 * http1Server.on('upgrade', hub.upgradeListener(app.fetch));
 * ```
 */
export class NodeRelayHub implements RelayHost {
  readonly #limits: RelayLimits;
  readonly #sessions = new Map<string, NodeRelaySession>();
  readonly #pending = new WeakMap<Request, PendingUpgrade>();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME, perMessageDeflate: false });

  constructor(limits: RelayLimits) {
    this.#limits = limits;
  }

  /** The session of a connected node. */
  session(licence: string, node: string): NodeRelaySession | undefined {
    return this.#sessions.get(`${licence}/${node}`);
  }

  /**
   * The HTTP server's `upgrade` listener: the upgrade goes through the app like any request
   * (route, credential); the route's `accept` takes the socket, anything else answers it.
   */
  upgradeListener(
    fetch: (request: Request) => Response | Promise<Response>,
  ): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
    return (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const headers = new Headers();
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      let request: Request;
      try {
        request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? 'manager.invalid'}`), { headers });
      } catch {
        return void socket.destroy();
      }
      this.#pending.set(request, { req, socket, head });
      Promise.resolve(fetch(request)).then(
        async (response) => {
          if (!this.#pending.has(request)) return;
          this.#pending.delete(request);
          const body = Buffer.from(await response.arrayBuffer());
          const lines = [
            `HTTP/1.1 ${response.status} ${response.statusText || 'Refused'}`,
            ...[...response.headers].map(([k, v]) => `${k}: ${v}`),
            `content-length: ${body.length}`,
            'connection: close',
          ];
          socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
        },
        () => socket.destroy(),
      );
    };
  }

  accept(request: Request, licence: string, node: string): Promise<Response> {
    const pending = this.#pending.get(request);
    if (!pending)
      return Promise.resolve(
        new ProblemError('upgrade-required', 'open the relay socket as an HTTP/1.1 WebSocket upgrade').toResponse(),
      );
    this.#pending.delete(request);
    return new Promise((resolve) => {
      // A handshake ws refuses (bad key, version) is answered and closed by ws, without callback.
      pending.socket.once('close', () => resolve(new Response(null, { status: 204 })));
      this.#wss.handleUpgrade(pending.req, pending.socket, pending.head, (ws) => {
        this.#attach(ws, licence, node);
        resolve(new Response(null, { status: 204 }));
      });
    });
  }

  async forward(request: Request, host: string, licence: string, node: string): Promise<Response> {
    const session = this.session(licence, node);
    if (!session) return withRetryAfter(offline(licence, node).toResponse());
    return session.forward(request, host);
  }

  /** Close every node's socket (the manager stops). */
  close(): void {
    for (const session of this.#sessions.values()) session.close(1001, 'the manager is stopping');
    this.#sessions.clear();
    this.#wss.close();
  }

  #attach(ws: WebSocket, licence: string, node: string): void {
    const key = `${licence}/${node}`;
    const session = new NodeRelaySession(
      licence,
      node,
      { send: (data) => ws.send(data), close: (code, reason) => ws.close(code, reason) },
      this.#limits,
    );
    // One socket per node: a reconnect replaces the old one (its streams fail at once).
    this.#sessions.get(key)?.close(CloseCode.replaced, 'replaced by a newer socket of the same node');
    this.#sessions.set(key, session);
    let silence = setTimeout(() => ws.terminate(), SILENT_NODE_MS);
    ws.on('message', (data, isBinary) => {
      clearTimeout(silence);
      silence = setTimeout(() => ws.terminate(), SILENT_NODE_MS);
      session.message(isBinary ? bytes(data) : bytes(data).toString());
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(silence);
      session.closed("the node's relay socket closed");
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
  }
}

export type RunningRelayListener = RunningHttp;

/**
 * The relay's TLS port: each connection goes to the node whose relay name its ClientHello asks
 * for, through that node's socket; a name that is no connected node's gets a TLS alert.
 */
export async function listenRelayTls(
  hub: NodeRelayHub,
  names: ZoneNames,
  options: { host: string; port: number },
): Promise<RunningRelayListener> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.setTimeout(HELLO_TIMEOUT_MS, () => socket.destroy());
    let hello = Buffer.alloc(0);
    const refuse = () => socket.end(UNRECOGNIZED_NAME_ALERT);
    const onData = (chunk: Buffer) => {
      hello = Buffer.concat([hello, chunk]);
      const name = serverName(hello);
      if (name === 'more' && hello.length < MAX_CLIENT_HELLO) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      const parsed = typeof name === 'string' ? names.parse(name) : undefined;
      const session = parsed?.kind === 'relay' ? hub.session(parsed.licence, parsed.node) : undefined;
      const stream = session?.openTls();
      if (!stream || stream instanceof ProblemError) return refuse();
      splice(socket, stream, hello);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  const close = closeWithConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port, close };
}
