import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { freePort } from './net.ts';

/** A stand-in for a node's HTTP(S) service on loopback, for tests and the bench. */
export interface TestNode {
  readonly origin: string;
  readonly port: number;
  /** Requests seen per path (identity probes under `/.well-known/hairpin`). */
  readonly hits: Map<string, number>;
  /** Closes the listener and every open connection: the port now refuses (once clients saw the FIN). */
  stop(): Promise<void>;
  /** Listens again on the same address and port. */
  start(): Promise<void>;
}

export interface TestNodeOptions {
  host: string;
  /** The hostname the origin uses (default: `host`). */
  hostname?: string;
  port?: number;
  tls?: { key: string; cert: string };
  /** The names the identity answer lists. */
  names: { external: string; internal: string; relay?: string };
  /** Label echoed in `/v1/*` answers so tests can tell which origin served them. */
  label: string;
  /** Delay before every answer, standing in for a round trip longer than loopback's (ms). */
  delayMs?: number;
}

/**
 * Routes: `GET /.well-known/hairpin` (identity), `/status/<code>` (that status), `POST /drop`
 * (reads the body, then drops the connection without answering), `/slow/<ms>`, anything else:
 * 200 `{"served":label,"method":…}`. CORS and Private Network Access headers on every answer.
 *
 * @example
 *   const node = await startTestNode({ host: '127.0.0.2', names, label: 'internal' });
 *   await node.stop(); await node.start();
 */
export async function startTestNode(options: TestNodeOptions): Promise<TestNode> {
  const hits = new Map<string, number>();
  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', '*');
    res.setHeader('access-control-allow-methods', '*');
    res.setHeader('access-control-allow-private-network', 'true');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        if (url.pathname === '/.well-known/hairpin') {
          const body = {
            service: 'hairpin',
            licence: '1234',
            node: 'nur1',
            names: options.names,
            nonce: url.searchParams.get('nonce'),
          };
          return void res
            .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(body));
        }
        const status = /^\/status\/(\d{3})$/.exec(url.pathname);
        if (status)
          return void res
            .writeHead(Number(status[1]), { 'content-type': 'text/plain' })
            .end(`status ${status[1]} from ${options.label}`);
        if (url.pathname === '/drop') return void req.socket.destroy();
        const slow = /^\/slow\/(\d+)$/.exec(url.pathname);
        const answer = () =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              served: options.label,
              method: req.method,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        if (slow) setTimeout(answer, Number(slow[1]));
        else answer();
      }, options.delayMs ?? 0),
    );
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  return {
    origin: `${scheme}://${options.hostname ?? options.host}:${port}`,
    port,
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        // Pooled keep-alive sockets learn of the close a moment later; until then a request on one
        // fails as "other side closed", which is the stale-connection case, not the refused one.
        server.close(() => setTimeout(resolve, 50));
      }),
    start: () => listen(port),
  };
}

/**
 * A node's two origins on loopback under their names, as a browser test maps them: the internal
 * one on 127.0.0.2 (the LAN), the external one on 127.0.0.1, one certificate for both names.
 */
export async function startNamedNodes(
  names: { external: string; internal: string },
  tls: { key: string; cert: string },
): Promise<{ internal: TestNode; external: TestNode }> {
  const internal = await startTestNode({ host: '127.0.0.2', hostname: names.internal, tls, names, label: 'internal' });
  const external = await startTestNode({ host: '127.0.0.1', hostname: names.external, tls, names, label: 'external' });
  return { internal, external };
}

/** A listener that accepts connections and never answers: a silently dropping path. */
export async function startSilentListener(
  host: string,
  port = 0,
): Promise<{ origin: string; port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${bound}`,
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on `host` where nothing listens (bound once, then released). */
export function refusedPort(host: string): Promise<number> {
  return freePort(host);
}
