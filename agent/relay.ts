// The node's end of the relay: one outbound WebSocket to the manager, authenticated by the
// node's credential, kept open with jittered reconnects. Streams the manager opens on it are
// joined to the node's own HTTPS service: TLS bytes as they are (the service's certificate,
// which names the relay name too, ends TLS), or an HTTP request whose TLS ended at the relay
// (Workers), re-sent over HTTPS to the service. Nothing else is reachable through it: the
// target is this agent's configuration, never something a frame says.
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { HEARTBEAT_PING, MAX_FRAME, type OpenFrame, relayedHeaders } from '../relay/frames.ts';
import { RelayMux, type RelayStream } from '../relay/mux.ts';
import { splice } from '../relay/splice.ts';
import { backoffDelay } from './retry.ts';

export interface RelayLinkOptions {
  /** The manager's base URL (http → ws, https → wss). */
  manager: string;
  licence: string;
  node: string;
  credential: string;
  /** The node's HTTPS service, as this host reaches it. */
  target: { host: string; port: number };
  /** CA certificates (PEM) the service's certificate is checked against; default the system's. */
  ca?: string;
  /** Heartbeat period (ms, default 30 000): a socket silent for two periods is dropped and redialled. */
  heartbeatMs?: number;
  /** Reconnect backoff (full jitter): first ceiling and the largest (ms, default 1 000 → 60 000). */
  backoff?: { baseMs: number; maxMs: number };
  log?: (line: string) => void;
}

/**
 * ```ts
 * const link = new RelayLink({ manager, licence, node, credential, target: { host: '127.0.0.1', port: 8443 } });
 * link.start();
 * // …
 * await link.stop();
 * ```
 */
export class RelayLink {
  readonly #options: RelayLinkOptions;
  readonly #log: (line: string) => void;
  #socket: WebSocket | undefined;
  #stopped = true;
  #failures = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #connected: Promise<void>;
  #resolveConnected!: () => void;
  #wasConnected = false;

  constructor(options: RelayLinkOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => {});
    this.#connected = this.#newConnected();
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Settles the next time the socket opens (tests, and `agent relay-status`). */
  whenConnected(): Promise<void> {
    return this.connected ? Promise.resolve() : this.#connected;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#dial();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1001, 'the agent is stopping');
      setTimeout(() => socket.terminate(), 2_000).unref();
    });
  }

  #newConnected(): Promise<void> {
    return new Promise((resolve) => (this.#resolveConnected = resolve));
  }

  #dial(): void {
    const { manager, licence, node, credential } = this.#options;
    const url = new URL(`/v1/licences/${encodeURIComponent(licence)}/nodes/${encodeURIComponent(node)}/relay`, manager);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${credential}` },
      maxPayload: MAX_FRAME,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
    });
    this.#socket = socket;
    const mux = new RelayMux((frame) => socket.send(frame), { onOpen: (stream, open) => this.#serve(stream, open) });
    let alive = true;
    socket.on('open', () => {
      this.#failures = 0;
      this.#log(`relay: connected to ${url.origin}`);
      this.#resolveConnected();
      this.#wasConnected = true;
      const period = this.#options.heartbeatMs ?? 30_000;
      // A text ping the manager answers without work (Workers: the runtime's auto-response,
      // so an idle node wakes no Durable Object); two periods without any message mean a dead path.
      this.#heartbeat = setInterval(() => {
        if (!alive) return void socket.terminate();
        alive = false;
        socket.send(HEARTBEAT_PING);
      }, period);
      this.#heartbeat.unref();
    });
    socket.on('unexpected-response', (_req, res) => {
      this.#log(`relay: the manager refused the socket: HTTP ${res.statusCode}`);
      res.resume();
      socket.terminate();
    });
    socket.on('message', (data, isBinary) => {
      alive = true;
      if (!isBinary) return;
      try {
        mux.receive(
          Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data,
        );
      } catch (e) {
        this.#log(`relay: ${(e as Error).message}; reconnecting`);
        socket.terminate();
      }
    });
    socket.on('error', (e) => this.#log(`relay: ${e.message}`));
    socket.on('close', (code, reason) => {
      clearInterval(this.#heartbeat);
      mux.close('the relay socket closed');
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#stopped) return;
      if (this.#wasConnected) {
        this.#wasConnected = false;
        this.#connected = this.#newConnected();
      }
      const { baseMs, maxMs } = this.#options.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
      // Full jitter, never zero: a fleet that lost the manager at once does not come back in step.
      const delay = Math.max(100, backoffDelay(this.#failures++, { baseMs, maxMs }));
      this.#log(`relay: socket closed (${code}${reason.length ? ` ${reason.toString()}` : ''}); again in ${delay} ms`);
      this.#retry = setTimeout(() => this.#dial(), delay);
      this.#retry.unref();
    });
  }

  /** A stream the manager opened: join it to the node's service, and only to it. */
  #serve(stream: RelayStream, open: OpenFrame): void {
    const { host, port } = this.#options.target;
    if (open.mode === 'tls') {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      socket.once('connect', () => splice(socket, stream));
      socket.once('error', (e) => stream.reset(`the node's service: ${e.message}`));
      return;
    }
    if (
      open.mode !== 'http' ||
      typeof open.path !== 'string' ||
      !open.path.startsWith('/') ||
      !Array.isArray(open.headers)
    ) {
      return stream.reset('unknown stream');
    }
    const headers = relayedHeaders(
      open.headers.filter(
        (h): h is [string, string] => Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string',
      ),
    );
    const hostHeader = headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? '';
    // The service is checked as the relay name the caller asked for (its certificate names it).
    const servername = hostHeader.replace(/:\d+$/, '');
    const upstream = httpsRequest({
      host,
      port,
      method: open.method,
      path: open.path,
      headers: headers.flat(),
      servername,
      timeout: 60_000,
      ...(this.#options.ca ? { ca: this.#options.ca } : {}),
    });
    upstream.on('response', (res) => {
      const head: Array<[string, string]> = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) head.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
      stream.sendHead({ status: res.statusCode ?? 502, headers: relayedHeaders(head) });
      (Readable.toWeb(res) as ReadableStream<Uint8Array>)
        .pipeTo(stream.writable)
        .catch(() => stream.reset('response body failed'));
    });
    upstream.on('timeout', () => upstream.destroy(new Error('no answer in time')));
    upstream.on('error', (e) => stream.reset(`the node's service: ${e.message}`));
    Readable.fromWeb(stream.readable as import('node:stream/web').ReadableStream<Uint8Array>)
      .on('error', () => upstream.destroy())
      .pipe(upstream);
  }
}
