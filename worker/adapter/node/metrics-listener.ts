// HAIRPIN_METRICS_LISTEN: /metrics on an address of its own (loopback, a management network),
// where the bind address is the guard and Prometheus needs no token.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, type Metrics } from '../../metrics.ts';

export interface RunningMetricsListener {
  port: number;
  close(): Promise<void>;
}

/** `127.0.0.1:9153`, `[::1]:9153` or a bare port (loopback). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`HAIRPIN_METRICS_LISTEN must be HOST:PORT, [IPV6]:PORT or PORT, got "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export async function serveMetrics(
  metrics: Metrics,
  listen: { host: string; port: number },
): Promise<RunningMetricsListener> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(metrics.render());
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
