// The Node manager as a primary server: transfer handler for the port-53 server, NOTIFY on every
// serial change. startNodeManager calls this once and plugs in what it returns.

import type { Fields } from '../../log/logger.ts';
import type { Env, ManagerConfig } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import type { Zone } from '../zone/answer.ts';
import type { DnsHandler } from '../zone/handler.ts';
import { soaRecord } from '../zone/records.ts';
import { transferConfigFromEnv } from './config.ts';
import { transferHandler } from './handler.ts';
import { Notifier } from './notify.ts';

export interface Primary {
  handlers: DnsHandler[];
  /** Hook for ManagerDeps.onZoneChange: a report, enrolment, deletion or ACME TXT change happened. */
  zoneChanged(): void;
  close(): Promise<void>;
}

/**
 * ```ts
 * const primary = startPrimary({ env, config, store, zone, log });
 * await startDnsServer({ zone, host, port, handlers: primary.handlers });
 * ```
 */
export function startPrimary(options: {
  env: Env;
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  log: (line: string, fields?: Fields) => void;
  metrics?: Metrics;
}): Primary {
  const { env, config, store, zone, log, metrics } = options;
  const transfer = transferConfigFromEnv(env);
  const notifier = new Notifier({
    secondaries: transfer.secondaries,
    key: transfer.key,
    soa: async () => soaRecord(config, await store.serial()),
    log,
    ...(metrics ? { metrics } : {}),
  });
  if (transfer.secondaries.length > 0) {
    const targets = transfer.secondaries.map((s) =>
      s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`,
    );
    log(`zone transfers: NOTIFY to ${targets.join(', ')}${transfer.key ? `, TSIG key ${transfer.key.name}` : ''}`);
    // A restarted primary announces its serial: secondaries that missed changes catch up now.
    notifier.zoneChanged();
  }
  return {
    handlers: [transferHandler({ config, store, zone, transfer, log, ...(metrics ? { metrics } : {}) })],
    zoneChanged: () => notifier.zoneChanged(),
    close: () => notifier.close(),
  };
}
