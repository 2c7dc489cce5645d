import { createHairpinClient, type HairpinClient, type HairpinClientOptions } from './failover-fetch.ts';

export interface ServiceWorkerRouteOptions extends HairpinClientOptions {
  /**
   * Requests to this path prefix on the worker's own origin go to the node, the prefix replaced
   * by the mount point's path: with `/api/` (or `/api`), `/api/v1/stock` → `<node origin>/v1/stock`;
   * the prefix matches whole path segments (`/apiary` is not routed).
   * Requests to either node origin are always routed.
   */
  pathPrefix?: string;
}

/** The part of a `FetchEvent` the helper uses (the DOM lib of this project has no WebWorker types). */
export interface FetchEventLike {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}

export interface ServiceWorkerScopeLike {
  readonly location: { readonly origin: string };
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
  removeEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
}

/**
 * Routes an existing app's API calls through the failover client without touching the app:
 * register a service worker that calls this once.
 *
 * @example
 *   // sw.js, bundled with the client
 *   import { routeThroughHairpin } from './client/index.ts';
 *   routeThroughHairpin(self, { mountPoint: 'https://i-nur1.pl-1234.example.test:8443/', pathPrefix: '/api/' });
 */
export function routeThroughHairpin(
  scope: ServiceWorkerScopeLike,
  options: ServiceWorkerRouteOptions,
): { client: HairpinClient; stop(): void } {
  const client = createHairpinClient(options);
  const listener = (event: FetchEventLike) => {
    const target = nodeUrl(event.request, scope.location.origin, client, options.pathPrefix);
    if (target) event.respondWith(forward(client, target, event.request));
  };
  scope.addEventListener('fetch', listener);
  return {
    client,
    stop() {
      scope.removeEventListener('fetch', listener);
      client.close();
    },
  };
}

function nodeUrl(
  request: Request,
  ownOrigin: string,
  client: HairpinClient,
  prefix: string | undefined,
): string | undefined {
  // A navigation is the page itself, never an API call.
  if (request.mode === 'navigate') return undefined;
  const url = new URL(request.url);
  if (client.origins.includes(url.origin)) return url.href;
  if (!prefix || url.origin !== ownOrigin) return undefined;
  const rest = underPrefix(url.pathname, prefix);
  if (rest === undefined) return undefined;
  return new URL(withSlash(client.mountPoint.pathname) + rest + url.search, client.mountPoint).href;
}

/**
 * The path below `prefix` (without a leading slash), or undefined when `pathname` is not under it.
 * Whole path segments: `/api` and `/api/` both take `/api/v1` and `/api`, never `/apiary`.
 */
export function underPrefix(pathname: string, prefix: string): string | undefined {
  const dir = withSlash(prefix);
  if (pathname !== dir.slice(0, -1) && !pathname.startsWith(dir)) return undefined;
  return pathname.slice(dir.length - 1).replace(/^\/+/, '');
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

async function forward(client: HairpinClient, target: string, request: Request): Promise<Response> {
  // A fresh init rather than the Request: its mode (same-origin) and URL would not fit the node origin.
  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
  return client.fetch(target, {
    method: request.method,
    headers: request.headers,
    body,
    credentials: request.credentials,
    redirect: request.redirect,
    signal: request.signal,
  });
}
