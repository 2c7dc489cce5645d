// The Node manager as a primary server: NOTIFY on every serial change (once, on the main thread),
// and the transfer handler for the port-53 server (wherever that answers: the main thread or each
// DNS worker thread).

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
  /** Hook for ManagerDeps.onZoneChange: a report, enrolment, deletion or ACME TXT change happened. */
  zoneChanged(): void;
  close(): Promise<void>;
}

interface PrimaryOptions {
  env: Env;
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  log: (line: string, fields?: Fields) => void;
  metrics?: Metrics | undefined;
}

/**
 * ```ts
 * await startDnsServer({ zone, host, port, handlers: [primaryHandler({ env, config, store, zone, log })] });
 * ```
 * AXFR and IXFR answered with the settings of HAIRPIN_TRANSFER_* (transfer/config.ts).
 */
export function primaryHandler(options: PrimaryOptions): DnsHandler {
  const { env, config, store, zone, log, metrics } = options;
  return transferHandler({
    config,
    store,
    zone,
    transfer: transferConfigFromEnv(env),
    log,
    ...(metrics ? { metrics } : {}),
  });
}

/**
 * ```ts
 * const primary = startPrimary({ env, config, store, zone, log });
 * onZoneChange: () => primary.zoneChanged();
 * ```
 */
export function startPrimary(options: Omit<PrimaryOptions, 'zone'>): Primary {
  const { env, config, store, log, metrics } = options;
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
    zoneChanged: () => notifier.zoneChanged(),
    close: () => notifier.close(),
  };
}
