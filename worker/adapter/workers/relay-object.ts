// The relay on Workers: one Durable Object per node holds the node's socket with the WebSocket
// Hibernation API, so an idle node costs nothing — its heartbeats are answered by the runtime's
// auto-response without waking the object, and a hibernated object wakes only for a relayed
// request or a frame. Requests for the node's relay name come here from the Worker (TLS ended at
// Cloudflare's edge) and go on through the node's socket, bodies streamed both ways.
import type {
  DurableObjectNamespace,
  DurableObjectState,
  WebSocketRequestResponsePair as RuntimeAutoResponse,
  WebSocketPair as RuntimeWebSocketPair,
  WebSocket,
} from '@cloudflare/workers-types';
import { HEARTBEAT_PING, HEARTBEAT_PONG } from '../../../relay/frames.ts';
import { configFromEnv, type Env } from '../../config.ts';
import type { RelayHost } from '../../context.ts';
import { ProblemError } from '../../problem.ts';
import { CloseCode, NodeRelaySession, offline, type RelayLimits, withRetryAfter } from '../../relay/session.ts';

/** Headers the Worker sets for its Durable Object: which node, and what it is asked to do. */
const NODE_HEADER = 'x-hairpin-relay-node';
const HOST_HEADER = 'x-hairpin-relay-host';

interface Attachment {
  licence: string;
  node: string;
}

/** workerd's globals, typed from @cloudflare/workers-types (the Node-side typecheck has no Workers lib). */
const runtime = globalThis as unknown as {
  WebSocketPair: typeof RuntimeWebSocketPair;
  WebSocketRequestResponsePair: typeof RuntimeAutoResponse;
};

/** The Durable Object class (wrangler.toml: binding RELAY, class NodeRelay). */
export class NodeRelay {
  readonly ctx: DurableObjectState;
  readonly #sessions = new WeakMap<WebSocket, NodeRelaySession>();
  readonly #limits: RelayLimits;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    this.ctx = ctx;
    const strings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Env;
    this.#limits = configFromEnv(strings).relay ?? { maxStreams: 32, bytesPerSecond: 0 };
    // Answered by the runtime itself, even while the object hibernates: an idle node wakes nothing.
    ctx.setWebSocketAutoResponse(new runtime.WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
  }

  async fetch(request: Request): Promise<Response> {
    const [licence = '', node = ''] = (request.headers.get(NODE_HEADER) ?? '').split('/');
    const host = request.headers.get(HOST_HEADER);
    if (host === null) return this.#accept(licence, node);
    const socket = this.ctx.getWebSockets()[0];
    if (!socket) return withRetryAfter(offline(licence, node).toResponse());
    const headers = new Headers(request.headers);
    headers.delete(NODE_HEADER);
    headers.delete(HOST_HEADER);
    return this.#session(socket).forward(new Request(request, { headers }), host);
  }

  /** The node's socket: a newer one replaces the older (a reconnect), whose streams fail at once. */
  #accept(licence: string, node: string): Response {
    for (const old of this.ctx.getWebSockets()) {
      this.#sessions.get(old)?.closed('replaced by a newer socket of the same node');
      old.close(CloseCode.replaced, 'replaced by a newer socket of the same node');
    }
    const { 0: client, 1: server } = new runtime.WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ licence, node } satisfies Attachment);
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  }

  /** The session of a socket; after hibernation the object is new, and so is the session. */
  #session(socket: WebSocket): NodeRelaySession {
    let session = this.#sessions.get(socket);
    if (!session) {
      const { licence, node } = socket.deserializeAttachment() as Attachment;
      session = new NodeRelaySession(
        licence,
        node,
        { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) },
        this.#limits,
      );
      this.#sessions.set(socket, session);
    }
    return session;
  }

  webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): void {
    this.#session(socket).message(message);
  }

  webSocketClose(socket: WebSocket, code: number, reason: string): void {
    this.#sessions.get(socket)?.closed(`the node's relay socket closed (${code} ${reason})`);
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code, 'closed');
    } catch {
      // Already closed.
    }
  }

  webSocketError(socket: WebSocket): void {
    this.#sessions.get(socket)?.closed("the node's relay socket failed");
  }
}

/** The Worker's side: each node's requests go to its own Durable Object, named by the node. */
export function workersRelayHost(namespace: DurableObjectNamespace): RelayHost {
  // The runtime's Request and Response are the web-standard ones the app uses.
  const stub = (licence: string, node: string) =>
    namespace.get(namespace.idFromName(`${licence}/${node}`)) as unknown as {
      fetch(request: Request): Promise<Response>;
    };
  const to = (request: Request, licence: string, node: string, host?: string) => {
    const headers = new Headers(request.headers);
    headers.set(NODE_HEADER, `${licence}/${node}`);
    if (host) headers.set(HOST_HEADER, host);
    else headers.delete(HOST_HEADER);
    return new Request(request, { headers });
  };
  return {
    accept: (request, licence, node) => stub(licence, node).fetch(to(request, licence, node)),
    forward: async (request, host, licence, node) => {
      try {
        return await stub(licence, node).fetch(to(request, licence, node, host));
      } catch (e) {
        return new ProblemError(
          'relay-failed',
          `the relay of node "${node}" of licence "${licence}" failed: ${(e as Error).message}`,
        ).toResponse();
      }
    },
  };
}
