// The relay against the direct path, on loopback, in one run: the same node service (HTTPS, its
// own certificate) reached directly and through the Node manager's relay (TLS passed through by
// SNI, the agent's socket, the agent's connection to the service). Interleaved rounds; medians of
// rounds; ratios relay/direct. Both paths are first checked to give the same answers.
// Bounded: ROUNDS rounds, each a fixed count of requests and one download per path.
//   npm run bench:relay
import { Agent, createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { withHairpinListener } from '../agent/http/index.ts';
import { RelayLink } from '../agent/relay.ts';
import { sendBlob } from '../lab/node-site.ts';
import { createTestPki } from '../lab/pki.ts';
import { startTestManager } from '../test/support/manager.ts';
import { median } from '../test/support/stats.ts';

const ROUNDS = 5;
const SEQUENTIAL = 200;
const PARALLEL = 8;
const PARALLEL_TOTAL = 400;
const DOWNLOAD_BYTES = 32 * 1024 * 1024;
const names = {
  external: 'nur1.pl-9001.example.test',
  internal: 'i-nur1.pl-9001.example.test',
  relay: 'relay-nur1-pl-9001.example.test',
};

interface Path {
  label: string;
  get(path: string): Promise<Buffer>;
  close(): void;
}

function path(label: string, port: number, servername: string, ca: string): Path {
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL, ca });
  return {
    label,
    get: (p) =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, servername, headers: { host: servername }, path: p, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              res.statusCode === 200
                ? resolve(Buffer.concat(chunks))
                : reject(new Error(`${label} ${p}: HTTP ${res.statusCode}`)),
            );
            res.on('error', reject);
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`${label} ${p}: timed out`)));
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

async function round(p: Path) {
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    await p.get('/v1/items');
    latencies.push(performance.now() - t0);
  }
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next++ < PARALLEL_TOTAL) await p.get('/v1/items');
    }),
  );
  const perSecond = PARALLEL_TOTAL / ((performance.now() - t1) / 1000);
  const t2 = performance.now();
  const bytes = (await p.get(`/v1/blob?bytes=${DOWNLOAD_BYTES}`)).length;
  if (bytes !== DOWNLOAD_BYTES) throw new Error(`${p.label}: downloaded ${bytes} bytes of ${DOWNLOAD_BYTES}`);
  return { latencyMs: median(latencies), perSecond, mbPerSecond: bytes / 1e6 / ((performance.now() - t2) / 1000) };
}

const pki = createTestPki();
const leaf = pki.issue(Object.values(names));
const service: Server = createServer(
  { key: leaf.key, cert: leaf.cert },
  withHairpinListener(
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://node.invalid');
      if (url.pathname === '/v1/blob') return sendBlob(res, Number(url.searchParams.get('bytes')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"sku":42,"stock":7}]}');
    },
    { licence: '9001', node: 'nur1', names, appsName: 'pl-9001.apps.example.test', port: 8443 },
  ),
);
// Longer than the run: an idle close racing a reused keep-alive connection is not what is measured.
service.keepAliveTimeout = 120_000;
await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
const manager = await startTestManager({
  HAIRPIN_RELAY_TARGET: '127.0.0.1',
  HAIRPIN_RELAY_PORT: '0',
  HAIRPIN_RELAY_BYTES_PER_SECOND: '0',
  HAIRPIN_RELAY_MAX_STREAMS: '64',
});
const credential = await manager.enrol('9001', 'nur1');
const link = new RelayLink({
  manager: manager.url,
  licence: '9001',
  node: 'nur1',
  credential,
  target: { host: '127.0.0.1', port: (service.address() as AddressInfo).port },
});
link.start();
await link.whenConnected();
const direct = path('direct', (service.address() as AddressInfo).port, names.external, pki.caPem);
const relayed = path('relay', manager.relay!.tls!.port, names.relay, pki.caPem);
try {
  // Same answers on a sample, or the comparison means nothing.
  const [a, b] = [await direct.get('/v1/items'), await relayed.get('/v1/items')];
  if (!a.equals(b)) throw new Error(`the paths answer differently: ${a} vs ${b}`);
  const results: Record<string, Array<Awaited<ReturnType<typeof round>>>> = { direct: [], relay: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, alternating who goes first: drift on a shared machine hits both.
    for (const p of r % 2 ? [relayed, direct] : [direct, relayed]) results[p.label]!.push(await round(p));
  }
  const m = (label: string, key: 'latencyMs' | 'perSecond' | 'mbPerSecond') =>
    median(results[label]!.map((x) => x[key]));
  const row = (what: string, key: 'latencyMs' | 'perSecond' | 'mbPerSecond', digits: number) =>
    `| ${what} | ${m('direct', key).toFixed(digits)} | ${m('relay', key).toFixed(digits)} | ${(m('relay', key) / m('direct', key)).toFixed(2)}× |`;
  console.log(`relay vs direct on loopback, ${ROUNDS} interleaved rounds (medians of rounds)\n`);
  console.log('| measure | direct | relay | relay/direct |\n|---|---|---|---|');
  console.log(row(`latency per request, keep-alive, sequential (ms, median of ${SEQUENTIAL})`, 'latencyMs', 3));
  console.log(row(`requests/s, ${PARALLEL} connections`, 'perSecond', 0));
  console.log(row(`MB/s, one ${DOWNLOAD_BYTES >> 20} MiB download`, 'mbPerSecond', 1));
  console.log(`\nadded latency per request: ${(m('relay', 'latencyMs') - m('direct', 'latencyMs')).toFixed(3)} ms`);
} finally {
  direct.close();
  relayed.close();
  await link.stop();
  service.closeAllConnections();
  service.close();
  await manager.close();
  pki.dispose();
}
