// One node's relay socket, manager side: the streams over it, the node's caps, and the two ways
// a caller's request reaches the node — a TLS connection passed through by SNI (Node manager),
// or an HTTP request whose TLS ended here (Workers, or a TLS-terminating proxy in front).
// Web-standard only: the Node hub and the Workers Durable Object both hold these.
import { HEARTBEAT_PING, HEARTBEAT_PONG, relayedHeaders } from '../../relay/frames.ts';
import { RelayMux, type RelayStream } from '../../relay/mux.ts';
import type { RelayConfig } from '../config.ts';
import { ProblemError } from '../problem.ts';

/** What a session needs of its WebSocket. */
export interface RelaySocket {
  send(data: Uint8Array | string): void;
  close(code: number, reason: string): void;
}

export type RelayLimits = Pick<RelayConfig, 'maxStreams' | 'bytesPerSecond'>;

/** WebSocket close codes the relay uses (4000–4999: private use, RFC 6455 §7.4.2). */
export const CloseCode = {
  protocolError: 1002,
  /** Another socket of the same node took over (a reconnect). */
  replaced: 4000,
} as const;

/** How long a relayed HTTP request waits for the node's response head. */
const HEAD_TIMEOUT_MS = 30_000;

/**
 * Bytes per second, paced: a caller over the budget waits until the bucket refills (one second
 * of burst). Back-pressure then reaches the far end through the stream windows.
 */
export function tokenBucket(
  bytesPerSecond: number,
  now: () => number = Date.now,
): ((bytes: number) => Promise<void>) | undefined {
  if (bytesPerSecond <= 0) return undefined;
  let tokens = bytesPerSecond;
  let at = now();
  return async (bytes) => {
    const t = now();
    tokens = Math.min(bytesPerSecond, tokens + ((t - at) * bytesPerSecond) / 1000);
    at = t;
    tokens -= bytes;
    if (tokens < 0) await new Promise((resolve) => setTimeout(resolve, (-tokens * 1000) / bytesPerSecond));
  };
}

export class NodeRelaySession {
  readonly licence: string;
  readonly node: string;
  readonly #socket: RelaySocket;
  readonly #mux: RelayMux;
  readonly #limits: RelayLimits;
  #closed = false;

  constructor(licence: string, node: string, socket: RelaySocket, limits: RelayLimits) {
    this.licence = licence;
    this.node = node;
    this.#socket = socket;
    this.#limits = limits;
    const pace = tokenBucket(limits.bytesPerSecond);
    this.#mux = new RelayMux((frame) => socket.send(frame), pace ? { pace } : {});
  }

  /** Streams open now. */
  get streams(): number {
    return this.#mux.size;
  }

  /** One message from the node's socket. A malformed frame closes the socket. */
  message(data: string | ArrayBuffer | Uint8Array): void {
    if (typeof data === 'string') {
      // Answered here on Node; on Workers the runtime's auto-response answers it first.
      if (data === HEARTBEAT_PING) this.#socket.send(HEARTBEAT_PONG);
      return;
    }
    try {
      this.#mux.receive(data);
    } catch (e) {
      this.close(CloseCode.protocolError, (e as Error).message.slice(0, 120));
    }
  }

  /** Close the socket (if still open) and fail every stream. */
  close(code: number, reason: string): void {
    this.closed(reason);
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  /** The socket is gone: every stream fails at once. */
  closed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#mux.close(reason);
  }

  /** A stream for a TLS connection routed by SNI, or the problem why not. */
  openTls(): RelayStream | ProblemError {
    return this.#refusal() ?? this.#mux.open({ mode: 'tls' });
  }

  /**
   * Forward one HTTP request to the node and stream its answer back. `host` is the relay name the
   * request was routed by: the node sees that as Host, whatever the request line said.
   */
  async forward(request: Request, host: string): Promise<Response> {
    const refused = this.#refusal();
    if (refused) return withRetryAfter(refused.toResponse());
    const url = new URL(request.url);
    const stream = this.#mux.open({
      mode: 'http',
      method: request.method,
      path: url.pathname + url.search,
      headers: [['host', host], ...relayedHeaders(request.headers).filter(([n]) => n !== 'host')],
    });
    if (request.body) request.body.pipeTo(stream.writable).catch(() => stream.reset('request body failed'));
    else stream.writable.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), HEAD_TIMEOUT_MS)),
    );
    try {
      const head = await Promise.race([stream.head, timeout]);
      if (head === 'timeout') {
        stream.reset('no response head in time');
        return new ProblemError(
          'relay-timeout',
          `node "${this.node}" of licence "${this.licence}" did not answer within ${HEAD_TIMEOUT_MS / 1000} s`,
        ).toResponse();
      }
      const nullBody = request.method === 'HEAD' || head.status === 204 || head.status === 304;
      if (nullBody) stream.readable.cancel().catch(() => {});
      return new Response(nullBody ? null : stream.readable, { status: head.status, headers: head.headers });
    } catch (e) {
      return new ProblemError(
        'relay-failed',
        `node "${this.node}" of licence "${this.licence}" dropped the request: ${(e as Error).message}`,
      ).toResponse();
    } finally {
      clearTimeout(timer);
    }
  }

  #refusal(): ProblemError | undefined {
    if (this.#closed) return offline(this.licence, this.node);
    if (this.#mux.size >= this.#limits.maxStreams) {
      return new ProblemError(
        'relay-busy',
        `node "${this.node}" of licence "${this.licence}" has ${this.#limits.maxStreams} relayed requests open, its cap`,
      );
    }
    return undefined;
  }
}

export function offline(licence: string, node: string): ProblemError {
  return new ProblemError(
    'relay-offline',
    `node "${node}" of licence "${licence}" is not connected to the relay (its agent is down, cannot reach the manager, or has the relay turned off)`,
  );
}

/** Problem answers of the relay carry Retry-After: the caller's client may come back. */
export function withRetryAfter(response: Response): Response {
  if (response.status === 429 || response.status === 503) response.headers.set('retry-after', '1');
  return response;
}
