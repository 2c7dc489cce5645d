// What every route needs, provided by the runtime entry (Workers, Node, Deno): the only place
// the app learns where it runs.
import type { Context } from 'hono';
import type { ManagerConfig } from './config.ts';
import type { Store } from './store/store.ts';
import type { Zone } from './zone/answer.ts';

export interface ManagerDeps {
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  /** The TCP peer's address as the runtime sees it (before any trusted proxy header). */
  peerAddress(c: Context): string | undefined;
  now(): number;
}

export type ManagerEnv = { Variables: { deps: ManagerDeps } };
