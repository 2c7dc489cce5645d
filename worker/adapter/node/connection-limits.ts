// Every connection the HTTP port accepts, bounded: an 'error' listener from the first moment (a
// reset must end the connection, not the process), a count per source, and one deadline at a time
// while no request is in progress — the request head's on a new connection, the idle one after an
// answer — and the request's own deadline while one is.
import type { ServerHttp2Stream } from 'node:http2';
import { isIPv6, type Socket } from 'node:net';
import type { HttpLimits } from './http-limits.ts';

/** Where a connection's deadlines ride: on the socket the HTTP server reads (read through proxies). */
const DEADLINES = Symbol('hairpin.connection-deadlines');

/** A request as both HTTP/1.1 and the HTTP/2 compatibility layer give it. */
interface TrackedRequest {
  socket: object | null;
}
interface TrackedResponse {
  once(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

class ConnectionDeadlines {
  readonly #limits: HttpLimits;
  readonly #close: () => void;
  #inProgress = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: HttpLimits, close: () => void) {
    this.#limits = limits;
    this.#close = close;
    this.#arm(limits.headersTimeoutMs);
  }

  get busy(): boolean {
    return this.#inProgress > 0;
  }

  requestStarted(): void {
    this.#inProgress++;
    clearTimeout(this.#timer);
  }

  requestEnded(): void {
    if (--this.#inProgress === 0) this.#arm(this.#limits.idleTimeoutMs);
  }

  closed(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#close, ms).unref();
  }
}

/** IPv4 by address, IPv6 by /64 (one subscriber's prefix), IPv4-mapped IPv6 as IPv4. */
export function sourceKey(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class ConnectionLimits {
  readonly limits: HttpLimits;
  readonly #perSource = new Map<string, number>();

  constructor(limits: HttpLimits) {
    this.limits = limits;
  }

  /**
   * Take a socket just accepted. Returns false (and destroys it) when its source already holds
   * the most connections allowed; the total is bounded by the listening server's maxConnections.
   */
  admit(socket: Socket): boolean {
    // A reset (ECONNRESET) or any other socket error must end this connection, not the process.
    socket.on('error', () => socket.destroy());
    const key = sourceKey(socket.remoteAddress);
    const open = this.#perSource.get(key) ?? 0;
    if (open >= this.limits.maxConnectionsPerSource) {
      socket.destroy();
      return false;
    }
    this.#perSource.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.#perSource.get(key) ?? 1) - 1;
      if (left === 0) this.#perSource.delete(key);
      else this.#perSource.set(key, left);
    });
    return true;
  }

  /** Start the deadlines of a connection whose HTTP server reads `socket` (a TCP or TLS socket). */
  watch(socket: Socket): void {
    const deadlines = new ConnectionDeadlines(this.limits, () => socket.destroy());
    Object.assign(socket, { [DEADLINES]: deadlines });
    socket.once('close', () => deadlines.closed());
  }

  /**
   * The connection left HTTP (a WebSocket upgrade): its HTTP deadlines end, and whoever took the
   * socket bounds it from now on (the relay drops a node silent for 90 s).
   */
  upgraded(socket: object): void {
    deadlinesOf(socket)?.closed();
  }

  /** Whether a request is in progress on the connection (then a parser error cannot be answered). */
  busy(carrier: object): boolean {
    return deadlinesOf(carrier)?.busy ?? false;
  }

  /** Wrap a request listener: the request's deadline, and the connection's while none is in progress. */
  track<Q extends TrackedRequest, S extends TrackedResponse>(
    listener: (req: Q, res: S) => void,
  ): (req: Q, res: S) => void {
    return (req, res) => {
      // HTTP/2's request.socket is a proxy that reads through to the session's socket.
      this.#inProgress(req.socket, res);
      listener(req, res);
    };
  }

  /** The same for an HTTP/2 stream answered on the core API (doh-streams.ts), without a request listener. */
  trackStream(stream: ServerHttp2Stream): void {
    this.#inProgress(stream.session?.socket ?? null, stream);
  }

  #inProgress(socket: object | null, response: TrackedResponse): void {
    const deadlines = socket ? deadlinesOf(socket) : undefined;
    deadlines?.requestStarted();
    const timer = setTimeout(() => response.destroy(), this.limits.requestTimeoutMs).unref();
    response.once('close', () => {
      clearTimeout(timer);
      deadlines?.requestEnded();
    });
  }
}

function deadlinesOf(carrier: object): ConnectionDeadlines | undefined {
  return (carrier as { [DEADLINES]?: ConnectionDeadlines })[DEADLINES];
}
