/**
 * hairpin app client: a fetch that fails over between a node's internal (`i-nurX…`) and external
 * (`nurX…`) origins. Web-standard APIs only; runs in browsers, service workers, Node, Deno and
 * React Native.
 *
 * @example
 *   import { createHairpinClient } from './client/index.ts';
 *   const client = createHairpinClient({ mountPoint: 'https://i-nur1.pl-1234.example.test:8443/' });
 *   const stock = await (await client.fetch('/v1/stock')).json();
 */

export { type AppShellOptions, type AppShellScopeLike, type ExtendableEventLike, keepAppShell } from './app-shell.ts';
export { classify, type Failure, type FailureKind } from './classify.ts';
export {
  AllOriginsFailed,
  ClientClosed,
  HairpinClientError,
  IdentityMismatch,
  LocalNetworkDenied,
  NotRepeated,
} from './errors.ts';
export { OriginSwitchEvent, type SwitchReason, TransportFailureEvent } from './events.ts';
export { createHairpinClient, HairpinClient, type HairpinClientOptions } from './failover-fetch.ts';
export { IDENTITY_PATH, type NodeIdentity, verifyIdentity } from './identity.ts';
export { nodeOrigins } from './origins.ts';
export { routeThroughHairpin, type ServiceWorkerRouteOptions } from './service-worker.ts';
export type { OriginStorage } from './storage.ts';
