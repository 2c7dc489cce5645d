// One DNS worker thread (started by dns-workers.ts): its own connections to the store, its own
// zone, watch and response cache, and a UDP socket and TCP server on the shared port
// (SO_REUSEPORT). It never writes; it sees every commit through the store's journal, as a second
// manager process on the same file would. What it counts and logs reaches the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { loggerFromEnv } from '../../../log/logger.ts';
import { configFromEnv } from '../../config.ts';
import type { RunningDns } from '../../dns-server/server.ts';
import { Metrics } from '../../metrics.ts';
import { Zone } from '../../zone/answer.ts';
import { openStore } from '../sqlite/store.ts';
import { followZone, serveZone } from './dns-serving.ts';
import type { DnsWorkerData, FromDnsWorker, ToDnsWorker } from './dns-worker-protocol.ts';

const port = parentPort!;
const data = workerData as DnsWorkerData;
const post = (message: FromDnsWorker) => port.postMessage(message);

const logger = loggerFromEnv(data.env, (line) => post({ type: 'log', line }));
const metrics = new Metrics(Date.now, {
  dnsCounters: data.dnsCounters,
  forward: (name, values) => post({ type: 'count', name, values: [...values] }),
});

const closers: (() => unknown)[] = [];
async function closeAll(): Promise<void> {
  for (const close of closers.reverse()) await close();
  closers.length = 0;
}

try {
  const opened = await openStore(data.db);
  closers.push(opened.close);
  const zone = new Zone(configFromEnv(data.env), opened.reads);
  const followed = await followZone({
    env: data.env,
    db: data.db,
    journal: opened.reads,
    logger,
    ownChanges: () => Atomics.load(data.zoneChanges, 0),
  });
  if (followed) closers.push(followed.close);
  const dns: RunningDns = await serveZone({
    env: data.env,
    config: zone.config,
    store: opened.store,
    zone,
    watch: followed?.watch,
    metrics,
    logger,
    host: data.host,
    port: data.port,
    rateLimit: data.rateLimit,
    limits: data.limits,
    reusePort: true,
    admission: data.admission,
  });
  closers.push(() => dns.close());
  port.on('message', (message: ToDnsWorker) => {
    if (message.type !== 'close') return;
    void closeAll().then(() => {
      logger.flush();
      port.close();
    });
  });
  post({ type: 'listening', udpPort: dns.udpPort, tcpPort: dns.tcpPort });
} catch (e) {
  await closeAll();
  post({ type: 'failed', error: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
  port.close();
}
