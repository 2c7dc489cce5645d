// The manager on Deno: the same app, SQLite through Deno's node:sqlite, Deno.serve for HTTP.
// deno run --allow-net --allow-read --allow-write --allow-env worker/adapter/deno/index.ts
import { createApp } from '../../app.ts';
import { configFromEnv } from '../../config.ts';
import type { ConnectResult, TcpConnect } from '../../reachability/check.ts';
import { Zone } from '../../zone/answer.ts';
import { openStore } from '../sqlite/store.ts';

declare const Deno: {
  env: { toObject(): Record<string, string> };
  connect(options: { hostname: string; port: number }): Promise<{ close(): void }>;
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { finished: Promise<void> };
};

const env = Deno.env.toObject();
if (!env.HAIRPIN_ADMIN_TOKEN) throw new Error('set HAIRPIN_ADMIN_TOKEN for the Deno entry');
const config = configFromEnv(env);
// `reads`: DoH answers through prepared statements on a SQLite file (as on Node), the store elsewhere.
const { store, reads } = await openStore(env.HAIRPIN_DB || 'data/hairpin.sqlite');
const peers = new WeakMap<Request, string>();

/** The reachability check's connect: Deno.connect, raced with the bound (a late connection is closed). */
const tcpConnect: TcpConnect = (hostname, port, timeoutMs) =>
  new Promise<ConnectResult>((resolve) => {
    const timer = setTimeout(
      () => resolve({ outcome: 'filtered', detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    Deno.connect({ hostname, port }).then(
      (conn) => {
        conn.close();
        clearTimeout(timer);
        resolve({ outcome: 'open', detail: 'TCP handshake completed' });
      },
      (e: Error) => {
        clearTimeout(timer);
        resolve({
          outcome: e.name === 'ConnectionRefused' ? 'refused' : 'unreachable',
          detail: `${e.name}: ${e.message}`,
        });
      },
    );
  });

const app = createApp({
  config,
  store,
  zone: new Zone(config, reads),
  peerAddress: (c) => peers.get(c.req.raw),
  now: Date.now,
  tcpConnect,
});

Deno.serve(
  {
    hostname: env.HAIRPIN_HTTP_HOST || '127.0.0.1',
    port: Number(env.HAIRPIN_HTTP_PORT || 8787),
    onListen: ({ port }) => console.log(`manager (deno) for zone ${config.names.zone} on port ${port}`),
  },
  (request, info) => {
    peers.set(request, info.remoteAddr.hostname);
    return app.fetch(request);
  },
);
