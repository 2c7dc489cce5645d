// What the main thread and a DNS worker thread say to each other (dns-workers.ts, dns-worker.ts).
import type { Env } from '../../config.ts';
import type { DnsServerLimits } from '../../dns-server/limits.ts';
import type { RateLimitOptions } from '../../dns-server/rate-limit.ts';
import type { LabelledCounterName } from '../../metrics.ts';

export interface DnsWorkerData {
  /** The manager's settings, the admin token filled in (the worker builds the same config). */
  env: Env;
  /** The SQLite file or Postgres URL the worker opens connections of its own to. */
  db: string;
  host: string;
  port: number;
  /** This worker's share (see dns-workers.ts). */
  rateLimit: RateLimitOptions | undefined;
  limits: Partial<DnsServerLimits>;
  /**
   * The worker's per-packet counters (MetricsOptions.dnsCounters), on memory shared with the main
   * thread, whose /metrics adds them up: no message per answer, nothing late, and a worker that
   * ends leaves its counts to the one that replaces it.
   */
  dnsCounters: Float64Array;
  /**
   * One number on shared memory that the main thread moves with each change it makes, before it
   * answers the request: on Postgres (no commit counter to read) the worker follows it at once.
   */
  zoneChanges: Int32Array;
  /** The response cache's admission door, one for all the threads (admission-door.ts says why). */
  admission: SharedArrayBuffer;
}

export type FromDnsWorker =
  | { type: 'listening'; udpPort: number; tcpPort: number }
  | { type: 'failed'; error: string; code: string | undefined }
  | { type: 'log'; line: string }
  /** One count of a labelled counter (a zone transfer served or refused). */
  | { type: 'count'; name: LabelledCounterName; values: string[] };

/** Close the sockets and the store, send the last counts, end. */
export type ToDnsWorker = { type: 'close' };
