// What answers port 53 on Node, built the same way on the main thread (HAIRPIN_DNS_WORKERS=0) and
// in each DNS worker thread (dns-worker.ts): the zone watch that keeps the response cache current,
// the handlers before the zone, and the server itself.
import type { Logger } from '../../../log/logger.ts';
import type { Env, ManagerConfig } from '../../config.ts';
import type { DnsServerLimits } from '../../dns-server/limits.ts';
import type { RateLimitOptions } from '../../dns-server/rate-limit.ts';
import { type RunningDns, startDnsServer } from '../../dns-server/server.ts';
import { sqliteVersion } from '../../dns-server/sqlite-version.ts';
import { staleCanaryHandler } from '../../dns-server/stale-canary.ts';
import type { Metrics } from '../../metrics.ts';
import type { Store } from '../../store/store.ts';
import { primaryHandler } from '../../transfer/primary.ts';
import type { Zone } from '../../zone/answer.ts';
import { type ZoneJournal, ZoneWatch } from '../../zone/zone-watch.ts';
import { storeKind } from '../sqlite/store.ts';

/** How often the journal is read where no counter tells of another process's commit (Postgres). */
const JOURNAL_POLL_MS = 100;

export interface FollowedZone {
  watch: ZoneWatch;
  close(): void;
}

/**
 * The watch that keeps answer caches current, or undefined when HAIRPIN_DNS_CACHE=0. It follows
 * the store's journal: on a SQLite file, the wal-index counter checked before every cached answer
 * (any connection's commit is seen at once: this process's, another thread's, another
 * process's); elsewhere this process's own changes as they are made (`watch.changed()` on the
 * main thread, `ownChanges` in a worker) and, on Postgres, a poll for other processes'. Nothing
 * else can write a ':memory:' database.
 *
 * ```ts
 * const followed = await followZone({ env, db, journal: reads, logger });
 * ```
 */
export async function followZone(options: {
  env: Env;
  db: string;
  journal: ZoneJournal;
  logger: Logger;
  /**
   * On Postgres, in a DNS worker thread: a counter the main thread moves with each of this
   * process's own changes, before it answers the request that made it (dns-workers.ts), so those
   * are followed at once; other processes' changes still come with the poll.
   */
  ownChanges?: () => number;
}): Promise<FollowedZone | undefined> {
  const { env, db, journal, logger } = options;
  if (env.HAIRPIN_DNS_CACHE === '0') return undefined;
  const postgres = storeKind(db) === 'postgres';
  const version = postgres ? undefined : sqliteVersion(db);
  const counter = version?.version ?? options.ownChanges;
  const watch = await ZoneWatch.start({
    journal,
    ...(counter ? { version: counter } : {}),
    onError: (e) => logger.error('dns: failed to follow the zone journal', { error: String(e) }),
  });
  if (postgres) watch.poll(JOURNAL_POLL_MS);
  return {
    watch,
    close: () => {
      watch.close();
      version?.close();
    },
  };
}

/**
 * The port-53 server: zone transfers, then the stale-answer canary, then the zone.
 *
 * ```ts
 * const dns = await serveZone({ env, config, store, zone, watch, metrics, logger, host: '127.0.0.1', port: 5353 });
 * ```
 */
export function serveZone(options: {
  env: Env;
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  watch: ZoneWatch | undefined;
  metrics: Metrics;
  logger: Logger;
  host: string;
  port: number;
  rateLimit: RateLimitOptions | undefined;
  limits?: Partial<DnsServerLimits>;
  reusePort?: boolean;
  admission?: SharedArrayBuffer;
}): Promise<RunningDns> {
  const { env, config, store, zone, watch, metrics, logger } = options;
  const log = (line: string, fields?: Record<string, unknown>) => logger.info(line, fields);
  return startDnsServer({
    zone,
    host: options.host,
    port: options.port,
    handlers: [primaryHandler({ env, config, store, zone, log, metrics }), staleCanaryHandler(zone)],
    ...(watch ? { watch } : {}),
    metrics,
    rateLimit: options.rateLimit,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.reusePort ? { reusePort: true } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    onError: (e) => logger.error('dns: failed to answer', { error: (e as Error).stack ?? String(e) }),
  });
}
