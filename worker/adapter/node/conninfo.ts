// The TCP peer of a request on Node. HTTP/1.1 requests carry their socket; h2c requests come
// through the prefixed stream of serve.ts, which the HTTP/2 session wraps once more.
import type { Context } from 'hono';

interface SocketLike {
  remoteAddress?: string;
  stream?: SocketLike;
}

export function nodePeerAddress(c: Context): string | undefined {
  const socket = (c.env as { incoming?: { socket?: SocketLike } } | undefined)?.incoming?.socket;
  return socket?.remoteAddress ?? socket?.stream?.remoteAddress;
}
