// The manager on Cloudflare Workers: D1 through kysely-d1, writes through D1's batch (its only
// transaction), the client address from CF-Connecting-IP, configuration from bindings.
import type { D1Database, DurableObjectNamespace, ExecutionContext } from '@cloudflare/workers-types';
import { Kysely } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import { loggerFromEnv } from '../../../log/logger.ts';
import type { Database } from '../../../schema/database.ts';
import { createApp } from '../../app.ts';
import { configFromEnv, type Env } from '../../config.ts';
import { cloudflarePublisher } from '../../publish/cloudflare.ts';
import type { AtomicBatch } from '../../store/batch.ts';
import { Store } from '../../store/store.ts';
import { Zone } from '../../zone/answer.ts';
import { workersRelayHost } from './relay-object.ts';
import { workersTcpConnect } from './tcp-connect.ts';

export { NodeRelay } from './relay-object.ts';

export interface WorkerBindings {
  DB: D1Database;
  /** The relay's Durable Objects, one per node (wrangler.toml). */
  RELAY?: DurableObjectNamespace;
  [key: string]: unknown;
}

function d1Batch(d1: D1Database): AtomicBatch {
  return async (queries) => {
    const results = await d1.batch(queries.map((q) => d1.prepare(q.sql).bind(...q.parameters)));
    return results.map((r: { results?: unknown[]; meta?: { changes?: number } }) => ({
      rows: (r.results ?? []) as unknown[],
      numAffectedRows: BigInt(r.meta?.changes ?? 0),
    }));
  };
}

function stringBindings(bindings: WorkerBindings): Env {
  return Object.fromEntries(Object.entries(bindings).filter(([, v]) => typeof v === 'string')) as Env;
}

// One app per isolate and bindings object: building it parses configuration once, not per request.
const apps = new WeakMap<WorkerBindings, ReturnType<typeof createApp>>();

function appFor(bindings: WorkerBindings) {
  let app = apps.get(bindings);
  if (!app) {
    // On Workers the client address is CF-Connecting-IP, set by Cloudflare and not forgeable.
    const config = configFromEnv({ HAIRPIN_TRUSTED_PROXY_HEADER: 'cf-connecting-ip', ...stringBindings(bindings) });
    const db = new Kysely<Database>({ dialect: new D1Dialect({ database: bindings.DB }) });
    const store = new Store(db, d1Batch(bindings.DB));
    const zone = new Zone(config, store);
    // With CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID bound, changes go to Cloudflare DNS (waitUntil).
    const onZoneChange = cloudflarePublisher(stringBindings(bindings), zone);
    const relay = config.relay && bindings.RELAY ? workersRelayHost(bindings.RELAY) : undefined;
    // JSON lines: Workers Logs index their fields.
    const logger = loggerFromEnv({ ...stringBindings(bindings), HAIRPIN_LOG_FORMAT: 'json' });
    app = createApp({
      config,
      store,
      zone,
      logger,
      peerAddress: (c) => c.req.header('cf-connecting-ip'),
      now: Date.now,
      tcpConnect: workersTcpConnect,
      ...(onZoneChange ? { onZoneChange } : {}),
      ...(relay ? { relay } : {}),
    });
    apps.set(bindings, app);
  }
  return app;
}

export default {
  fetch(request: Request, bindings: WorkerBindings, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(bindings).fetch(request, bindings, ctx);
  },
};
