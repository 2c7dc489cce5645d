// The manager as the benchmarks run it: `hairpin manager` in a process of its own, pinned to its
// cores, on a SQLite file the benchmark filled, ready once it answers on its DNS port.
import { fileURLToPath } from 'node:url';
import { type Daemon, startDaemon } from '../dns/daemons.ts';

const bin = fileURLToPath(new URL('../../bin/hairpin.js', import.meta.url));

export interface ManagerProcessOptions {
  db: string;
  zone: string;
  /** HAIRPIN_NAMESERVERS: the in-zone name server with its glue, as the zone file's peers load it. */
  nameservers: string;
  adminToken: string;
  dnsPort: number;
  httpPort: number;
  /** The cores it runs on, as taskset takes them ('0', '0-1'); core 0 by default. */
  cores?: string;
  timeoutMs?: number;
  /** More settings (HAIRPIN_SECONDARIES, HAIRPIN_DNS_CACHE…), over the ones above. */
  env?: Record<string, string>;
  /** Node's own flags (`--cpu-prof`). */
  nodeArgs?: string[];
}

/**
 * ```ts
 * const manager = await startManagerProcess({ db, zone, nameservers, adminToken, dnsPort, httpPort });
 * await manager.stop();
 * ```
 */
export function startManagerProcess(options: ManagerProcessOptions): Promise<Daemon> {
  return startDaemon(
    'taskset',
    ['-c', options.cores ?? '0', process.execPath, ...(options.nodeArgs ?? []), bin, 'manager'],
    {
      port: options.dnsPort,
      probeName: options.zone,
      timeoutMs: options.timeoutMs ?? 60_000,
      env: {
        HAIRPIN_DB: options.db,
        HAIRPIN_ZONE: options.zone,
        HAIRPIN_NAMESERVERS: options.nameservers,
        HAIRPIN_ADMIN_TOKEN: options.adminToken,
        HAIRPIN_HTTP_PORT: String(options.httpPort),
        HAIRPIN_DNS_PORT: String(options.dnsPort),
        // Every query comes from one address: rate limiting would measure its drops, not answers
        // (NSD and Knot run without it too).
        HAIRPIN_RRL_RATE: '0',
        // One DNS worker thread, as the peers run one server process, unless a bench says more.
        HAIRPIN_DNS_WORKERS: '1',
        ...options.env,
      },
    },
  );
}
