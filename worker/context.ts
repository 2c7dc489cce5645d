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
  /** A node's records changed (enrolled, reported, deleted; node undefined: whole licence deleted). */
  onZoneChange?(licence: string, node: string | undefined): void | Promise<void>;
}

export type ManagerEnv = { Variables: { deps: ManagerDeps } };

/** Routes call this after a change; on Workers the hook's work outlives the response (waitUntil). */
export function zoneChanged(c: Context<ManagerEnv>, licence: string, node?: string): void {
  const pending = c.get('deps').onZoneChange?.(licence, node);
  if (!pending) return;
  const logged = pending.catch((e: unknown) => console.error(`zone change hook failed for ${licence}/${node ?? '*'}:`, e));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // Node and Deno have no ExecutionContext (Hono throws): the promise simply runs on.
  }
}
