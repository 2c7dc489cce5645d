// The manager on Node: SQLite (or Postgres), HTTP/1.1 + HTTP/2 on one port, and the DNS server.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Fields, loggerFromEnv } from '../../../log/logger.ts';
import { createApp } from '../../app.ts';
import { ConfigError, configFromEnv, type Env, type ManagerConfig } from '../../config.ts';
import type { ManagerDeps } from '../../context.ts';
import { newCredential } from '../../credential.ts';
import { dohResponder } from '../../dns-server/doh.ts';
import { rateLimitFromEnv } from '../../dns-server/rate-limit.ts';
import type { RunningDns } from '../../dns-server/server.ts';
import { Metrics } from '../../metrics.ts';
import type { Store } from '../../store/store.ts';
import { startPrimary } from '../../transfer/primary.ts';
import { Zone } from '../../zone/answer.ts';
import { openStore, storeKind } from '../sqlite/store.ts';
import { nodePeerAddress } from './conninfo.ts';
import { followZone, serveZone } from './dns-serving.ts';
import { dnsWorkerCount, type RunningWorkers, startDnsWorkers } from './dns-workers.ts';
import { dohStreams } from './doh-streams.ts';
import { httpLimitsFromEnv } from './http-limits.ts';
import { InFlight, shedLoad } from './load-shedding.ts';
import { parseListen, type RunningMetricsListener, serveMetrics } from './metrics-listener.ts';
import { listenRelayTls, NodeRelayHub, type RunningRelayListener } from './relay.ts';
import { type RunningHttp, serveHttp } from './serve.ts';
import { stdoutLines } from './stdout-lines.ts';
import { nodeTcpConnect } from './tcp-connect.ts';

export interface NodeManagerOptions {
  env: Env;
  /** Where to say things an operator must see once (the generated admin token). */
  /** Where finished log lines go (default stdout); format and level from HAIRPIN_LOG_*. */
  log?: (line: string) => void;
}

export interface RunningManager {
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  http: RunningHttp;
  /** The built-in authoritative server (UDP and TCP on one port). */
  dns: RunningDns;
  metrics: Metrics;
  /** The token-free /metrics listener, when HAIRPIN_METRICS_LISTEN is set. */
  metricsListener: RunningMetricsListener | undefined;
  /** The relay, when HAIRPIN_RELAY_TARGET turns it on: nodes' sockets, and its TLS port with HAIRPIN_RELAY_PORT. */
  relay?: { hub: NodeRelayHub; tls?: RunningRelayListener };
  /** The admin token in force (generated when HAIRPIN_ADMIN_TOKEN is unset). */
  adminToken: string;
  close(): Promise<void>;
}

function port(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${key} must be a port number, got "${raw}"`);
  return n;
}

/**
 * The admin token: from the environment, else from a file beside the database, else made now,
 * written there (0600) and printed this once.
 */
async function adminToken(env: Env, db: string, log: (line: string) => void): Promise<string> {
  if (env.HAIRPIN_ADMIN_TOKEN) return env.HAIRPIN_ADMIN_TOKEN;
  const persistent = storeKind(db) === 'file';
  const file = `${db}.admin-token`;
  if (persistent) {
    const existing = await readFile(file, 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    );
    if (existing) {
      log(`admin token: read from ${file}`);
      return existing;
    }
  }
  const token = newCredential().replace(/^hpn_/, 'hpa_');
  if (persistent) {
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  log(`admin token (shown once${persistent ? `, kept in ${file}` : ''}): ${token}`);
  return token;
}

/**
 * Start the manager as `npm start` does.
 *
 * ```ts
 * const manager = await startNodeManager({ env: { HAIRPIN_DB: ':memory:', HAIRPIN_HTTP_PORT: '0' } });
 * await fetch(`http://127.0.0.1:${manager.http.port}/healthz`);
 * await manager.close();
 * ```
 */
export async function startNodeManager(options: NodeManagerOptions): Promise<RunningManager> {
  const { env } = options;
  // Finished log lines, the DNS worker threads' too.
  const write = options.log ?? stdoutLines();
  const logger = loggerFromEnv(env, write);
  const log = (line: string, fields?: Fields) => logger.info(line, fields);
  const db = env.HAIRPIN_DB || 'data/hairpin.sqlite';
  if (storeKind(db) === 'file') await mkdir(dirname(db), { recursive: true });
  const token = await adminToken(env, db, log);
  const config = configFromEnv({ ...env, HAIRPIN_ADMIN_TOKEN: token });
  const rateLimit = rateLimitFromEnv(env);
  const limits = httpLimitsFromEnv(env);
  const dnsWorkers = dnsWorkerCount(env, db);
  const { store, reads, queuedWrites, close: closeStore } = await openStore(db);
  const zone = new Zone(config, reads);
  const metrics = new Metrics(Date.now);
  const primary = startPrimary({ env, config, store, log, metrics });
  const followed = await followZone({ env, db, journal: reads, logger });
  const watch = followed?.watch;
  // The DNS worker threads, once started (below): told of this process's own changes.
  let workers: RunningWorkers | undefined;
  const hub = config.relay ? new NodeRelayHub(config.relay) : undefined;
  const deps: ManagerDeps = {
    ...(hub ? { relay: hub } : {}),
    config,
    store,
    zone,
    // DoH answers from a response cache of its own, following the same journal as port 53's.
    dohResponder: dohResponder({
      zone,
      ...(watch ? { watch } : {}),
      onError: (e) => logger.error('doh: failed to answer', { error: (e as Error).stack ?? String(e) }),
    }),
    peerAddress: nodePeerAddress,
    now: Date.now,
    metrics,
    logger,
    tcpConnect: nodeTcpConnect,
    hashCredential: async (credential) => createHash('sha256').update(credential).digest('hex'),
    onZoneChange: () => {
      watch?.changed();
      workers?.zoneChanged();
      primary.zoneChanged();
    },
  };
  const app = createApp(deps);
  const tls =
    env.HAIRPIN_TLS_CERT && env.HAIRPIN_TLS_KEY
      ? { cert: await readFile(env.HAIRPIN_TLS_CERT, 'utf8'), key: await readFile(env.HAIRPIN_TLS_KEY, 'utf8') }
      : undefined;
  // The app's requests and DoH's HTTP/2 streams answered beside it count against one bound.
  const inFlight = new InFlight(limits.maxRequestsInFlight);
  const http = await serveHttp(shedLoad(app.fetch, limits, { queuedWrites }, inFlight), {
    host: env.HAIRPIN_HTTP_HOST || '127.0.0.1',
    port: port(env, 'HAIRPIN_HTTP_PORT', 8787),
    limits,
    streams: dohStreams(deps, inFlight),
    ...(tls ? { tls } : {}),
    ...(hub ? { onUpgrade: hub.upgradeListener((request) => app.fetch(request)) } : {}),
  });
  log(
    `manager for zone ${config.names.zone}: http${tls ? 's' : ''}://${env.HAIRPIN_HTTP_HOST || '127.0.0.1'}:${http.port} (DoH at /dns-query), store ${storeKind(db) === 'postgres' ? 'postgres' : db}`,
  );
  const dnsHost = env.HAIRPIN_DNS_HOST || '127.0.0.1';
  // What is open so far, closed in reverse order by close() or when a later step fails.
  const closers: (() => unknown)[] = [
    () => logger.flush(),
    closeStore,
    () => primary.close(),
    () => followed?.close(),
    () => http.close(),
    () => hub?.close(),
  ];
  const closeAll = async () => {
    for (const close of [...closers].reverse()) await close();
    closers.length = 0;
  };
  let dns: RunningDns;
  let metricsListener: RunningMetricsListener | undefined;
  let relayTls: RunningRelayListener | undefined;
  try {
    const dnsPort = port(env, 'HAIRPIN_DNS_PORT', 5353);
    workers =
      dnsWorkers > 0
        ? await startDnsWorkers({
            count: dnsWorkers,
            env: { ...env, HAIRPIN_ADMIN_TOKEN: token },
            db,
            host: dnsHost,
            port: dnsPort,
            rateLimit,
            metrics,
            write,
            logger,
          })
        : undefined;
    dns =
      workers ??
      (await serveZone({
        env,
        config,
        store,
        zone,
        watch,
        metrics,
        logger,
        host: dnsHost,
        port: dnsPort,
        rateLimit,
      }));
    closers.push(() => dns.close());
    if (env.HAIRPIN_METRICS_LISTEN) {
      metricsListener = await serveMetrics(metrics, parseListen(env.HAIRPIN_METRICS_LISTEN));
      closers.push(() => metricsListener!.close());
      log(`metrics: http://${env.HAIRPIN_METRICS_LISTEN}/metrics (no token: the address is the guard)`);
    }
    if (hub && env.HAIRPIN_RELAY_PORT) {
      const relayHost = env.HAIRPIN_RELAY_HOST || env.HAIRPIN_HTTP_HOST || '127.0.0.1';
      relayTls = await listenRelayTls(hub, config.names, {
        host: relayHost,
        port: port(env, 'HAIRPIN_RELAY_PORT', 443),
      });
      closers.push(() => relayTls!.close());
      log(`relay: TLS passed through by SNI on ${relayHost}:${relayTls.port}, names ${config.names.templates.relay}`);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const rrl = rateLimit
    ? `, response rate limit ${rateLimit.rate}/s per /${rateLimit.ipv4Prefix} and /${rateLimit.ipv6Prefix} (slip ${rateLimit.slip})`
    : ', no response rate limit';
  log(
    `dns for zone ${config.names.zone}: udp+tcp ${dnsHost.includes(':') ? `[${dnsHost}]` : dnsHost}:${dns.udpPort}${dnsWorkers > 0 ? `, ${dnsWorkers} worker thread${dnsWorkers > 1 ? 's' : ''}` : ''}${watch ? ', response cache on' : ''}${rrl}`,
  );
  return {
    config,
    store,
    zone,
    http,
    dns,
    metrics,
    metricsListener,
    ...(hub ? { relay: { hub, ...(relayTls ? { tls: relayTls } : {}) } } : {}),
    adminToken: token,
    close: closeAll,
  };
}
