// Port 53 answered on every core: DNS worker threads (dns-worker.ts), each with a UDP socket and a
// TCP server on the same port (SO_REUSEPORT, as NSD's server-count and Knot's udp-workers do), so
// the kernel spreads queries by source over them. The main thread keeps HTTP (DoH, reports), so a
// stream of reports no longer queues behind answers, nor answers behind reports. Each worker reads
// the store on connections of its own and follows its journal; none writes.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../log/logger.ts';
import { ConfigError, type Env } from '../../config.ts';
import { AdmissionDoor } from '../../dns-server/admission-door.ts';
import { DEFAULT_LIMITS, type DnsServerLimits } from '../../dns-server/limits.ts';
import type { RateLimitOptions } from '../../dns-server/rate-limit.ts';
import type { RunningDns } from '../../dns-server/server.ts';
import { DNS_COUNTER_SLOTS, type Metrics } from '../../metrics.ts';
import { storeKind } from '../sqlite/store.ts';
import type { DnsWorkerData, FromDnsWorker, ToDnsWorker } from './dns-worker-protocol.ts';

const ENTRY = new URL('./dns-worker.ts', import.meta.url);
/** A worker that ended on its own is replaced after this long (not at once: a failing start would spin). */
const RESPAWN_MS = 1000;
/** A worker asked to close that has not ended by then is terminated. */
const CLOSE_TIMEOUT_MS = 5000;
const MAX_WORKERS = 256;

/**
 * HAIRPIN_DNS_WORKERS: how many threads answer port 53; 0 answers on the main thread. The default
 * is one per core, except for ':memory:', which no other thread can open (0 there).
 */
export function dnsWorkerCount(env: Env, db: string): number {
  const raw = env.HAIRPIN_DNS_WORKERS;
  const memory = storeKind(db) === 'memory';
  if (raw === undefined || raw === '') return memory ? 0 : Math.min(availableParallelism(), MAX_WORKERS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS)
    throw new ConfigError(`HAIRPIN_DNS_WORKERS must be an integer from 0 to ${MAX_WORKERS}, got "${raw}"`);
  if (n > 0 && memory)
    throw new ConfigError(
      `HAIRPIN_DNS_WORKERS=${n} needs a store other threads can open (a file or Postgres), not ':memory:'`,
    );
  return n;
}

/**
 * One worker's share of bounds meant for the whole server. The kernel spreads datagrams and
 * connections by source address and port, so a flood from many ports (what a spoofed reflection
 * looks like) reaches every worker: each lets through its share of the rate, and the prefix gets
 * about the rate in all. The TCP caps are shared the same way. Each worker's response cache has
 * the whole byte budget: the working set reaches every worker too.
 */
export function workerShare(
  count: number,
  rateLimit: RateLimitOptions | undefined,
  limits: Partial<DnsServerLimits> = {},
): { rateLimit: RateLimitOptions | undefined; limits: Partial<DnsServerLimits> } {
  const share = (n: number) => Math.max(1, Math.ceil(n / count));
  const whole = { ...DEFAULT_LIMITS, ...limits };
  return {
    rateLimit: rateLimit && { ...rateLimit, rate: share(rateLimit.rate) },
    limits: {
      ...limits,
      maxConnections: share(whole.maxConnections),
      maxConnectionsPerSource: share(whole.maxConnectionsPerSource),
    },
  };
}

export interface DnsWorkersOptions {
  count: number;
  env: Env;
  db: string;
  host: string;
  port: number;
  rateLimit: RateLimitOptions | undefined;
  limits?: Partial<DnsServerLimits>;
  /** Where the workers' counts are added, for /metrics. */
  metrics: Metrics;
  /** Where the workers' finished log lines go (the main thread's sink). */
  write: (line: string) => void;
  logger: Logger;
}

export interface RunningWorkers extends RunningDns {
  /** The threads answering now. */
  threads(): readonly Worker[];
  /** This process changed the zone (ManagerDeps.onZoneChange): the threads follow at once. */
  zoneChanged(): void;
}

interface Started {
  worker: Worker;
  udpPort: number;
  tcpPort: number;
}

/** Starts one worker; resolves once it listens, rejects if it could not. */
function startWorker(
  data: DnsWorkerData,
  options: DnsWorkersOptions,
  onEnded: (code: number) => void,
): Promise<Started> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, {
      workerData: data,
      // node:sqlite's "experimental" notice, which bin/hairpin.js silences on the main thread: a
      // thread loads it before any of its code could.
      execArgv: [...process.execArgv, '--disable-warning=ExperimentalWarning'],
    });
    let listening = false;
    worker.on('message', (message: FromDnsWorker) => {
      if (message.type === 'log') options.write(message.line);
      else if (message.type === 'count') options.metrics.count(message.name, message.values);
      else if (message.type === 'listening') {
        listening = true;
        resolve({ worker, udpPort: message.udpPort, tcpPort: message.tcpPort });
      } else if (message.type === 'failed') reject(Object.assign(new Error(message.error), { code: message.code }));
    });
    worker.on('error', (e) => {
      if (listening) options.logger.error('dns: a worker thread failed', { error: e.stack ?? String(e) });
      else reject(e);
    });
    worker.on('exit', (code) => {
      if (listening) onEnded(code);
      else reject(new Error(`a DNS worker thread ended (code ${code}) before it listened`));
    });
  });
}

async function stopWorker(worker: Worker): Promise<void> {
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ type: 'close' } satisfies ToDnsWorker);
  const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
  await ended;
  clearTimeout(timer);
}

/**
 * ```ts
 * const dns = await startDnsWorkers({ count: 2, env, db, host: '127.0.0.1', port: 5353, rateLimit, metrics, write, logger });
 * await dns.close();
 * ```
 * The first worker binds (with port 0 it picks the port), the others join it on the same port.
 * A worker that ends on its own (a crash) is replaced; the others answer meanwhile.
 */
export async function startDnsWorkers(options: DnsWorkersOptions): Promise<RunningWorkers> {
  const { count } = options;
  const share = workerShare(count, options.rateLimit, options.limits);
  const zoneChanges = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const admission = AdmissionDoor.memory();
  // One slice of shared memory per worker slot, kept across a replacement.
  const counters = Array.from({ length: count }, () => {
    const slice = new Float64Array(new SharedArrayBuffer(DNS_COUNTER_SLOTS * Float64Array.BYTES_PER_ELEMENT));
    options.metrics.include(slice);
    return slice;
  });
  const data = (slot: number, port: number): DnsWorkerData => ({
    env: options.env,
    db: options.db,
    host: options.host,
    port,
    rateLimit: share.rateLimit,
    limits: share.limits,
    dnsCounters: counters[slot]!,
    zoneChanges,
    admission,
  });
  const workers = new Set<Worker>();
  const respawns = new Set<ReturnType<typeof setTimeout>>();
  let closing = false;
  let port = options.port;

  // A slot whose worker ended gets another, a second later, and again until one starts.
  const respawn = (slot: number) => {
    const timer = setTimeout(() => {
      respawns.delete(timer);
      start(slot).catch((e) => {
        options.logger.error('dns: could not start a worker thread', { error: String(e) });
        if (!closing) respawn(slot);
      });
    }, RESPAWN_MS);
    respawns.add(timer);
  };

  const start = async (slot: number): Promise<Started> => {
    const started = await startWorker(data(slot, port), options, (code) => {
      workers.delete(started.worker);
      if (closing) return;
      options.logger.error('dns: a worker thread ended; starting another', { code });
      respawn(slot);
    });
    // Closed meanwhile: this one was started too late to be stopped with the rest.
    if (closing) await stopWorker(started.worker);
    else workers.add(started.worker);
    return started;
  };

  const close = async () => {
    closing = true;
    for (const timer of respawns) clearTimeout(timer);
    await Promise.all([...workers].map(stopWorker));
  };

  try {
    const first = await start(0);
    port = first.udpPort;
    await Promise.all(Array.from({ length: count - 1 }, (_, k) => start(k + 1)));
    return {
      host: options.host,
      udpPort: first.udpPort,
      tcpPort: first.tcpPort,
      close,
      threads: () => [...workers],
      zoneChanged: () => void Atomics.add(zoneChanges, 0, 1),
    };
  } catch (e) {
    await close();
    throw e;
  }
}
