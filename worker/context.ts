// What every route needs, provided by the runtime entry (Workers, Node, Deno): the only place
// the app learns where it runs.
import type { Context } from 'hono';
import type { Fields, Logger } from '../log/logger.ts';
import type { ManagerConfig } from './config.ts';
import { hashCredential } from './credential.ts';
import type { Metrics } from './metrics.ts';
import type { TcpConnect } from './reachability/check.ts';
import type { Store } from './store/store.ts';
import type { Zone } from './zone/answer.ts';
import type { WireResponder } from './zone/handler.ts';

export interface ManagerDeps {
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  /**
   * How DoH answers wire queries: the Node entry's responder, whose response cache follows the
   * zone's journal as port 53's does; absent (Workers, Deno), every query is answered by `zone`.
   */
  dohResponder?: WireResponder;
  /** The TCP peer's address as the runtime sees it (before any trusted proxy header). */
  peerAddress(c: Context): string | undefined;
  now(): number;
  /** Access lines and failures; absent, errors go to the console. */
  logger?: Logger;
  /** Counters for /metrics; absent, nothing is counted. */
  metrics?: Metrics;
  /** Outgoing TCP for the reachability check (Node: node:net; Workers: cloudflare:sockets); absent: the check answers 501. */
  tcpConnect?: TcpConnect;
  /** A node's records changed (enrolled, reported, deleted; node undefined: whole licence deleted). */
  onZoneChange?(licence: string, node: string | undefined): void | Promise<void>;
  /**
   * SHA-256 of a credential, hex. Defaults to Web Crypto; the Node entry passes node:crypto's,
   * which answers in microseconds where crypto.subtle takes a thread-pool round trip (~0.2 ms).
   */
  hashCredential?(credential: string): Promise<string>;
  /** The relay's runtime half (docs/relay.md): the Node hub or the Workers Durable Objects. */
  relay?: RelayHost;
}

/** Where nodes' relay sockets live, per runtime. */
export interface RelayHost {
  /** Take the node's socket. `request` is its WebSocket upgrade, already authenticated as the node. */
  accept(request: Request, licence: string, node: string): Promise<Response>;
  /** Forward a request for the node's relay name `host` through the node's own socket. */
  forward(request: Request, host: string, licence: string, node: string): Promise<Response>;
}

export type ManagerEnv = { Variables: { deps: ManagerDeps } };

/** Hash a credential the way this runtime does it fastest (see ManagerDeps.hashCredential). */
export function credentialHash(c: Context<ManagerEnv>, credential: string): Promise<string> {
  return (c.get('deps').hashCredential ?? hashCredential)(credential);
}

/** Routes call this after a change; on Workers the hook's work outlives the response (waitUntil). */
export function zoneChanged(c: Context<ManagerEnv>, licence: string, node?: string): void {
  const pending = c.get('deps').onZoneChange?.(licence, node);
  if (!pending) return;
  const logged = pending.catch((e: unknown) =>
    logFailure(c.get('deps'), 'zone change hook failed', { licence, node, error: (e as Error).stack ?? String(e) }),
  );
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // Node and Deno have no ExecutionContext (Hono throws): the promise simply runs on.
  }
}

/** A failure worth an operator's eye: through the logger (escaped, throttled), else the console. */
export function logFailure(deps: ManagerDeps, msg: string, fields: Fields): void {
  if (deps.logger) deps.logger.error(msg, fields);
  else console.error(msg, fields);
}
