import { type FetchEventLike, underPrefix } from './service-worker.ts';

export interface AppShellOptions {
  /**
   * The app shell, on the worker's own origin: the page and what it needs to start (its scripts,
   * the client among them, and styles). Fetched at install, then served from the cache first, so
   * a reload works while the shop's internet line is down. The first entry is the document a
   * navigation gets when the network fails and nothing else is cached for it.
   */
  shell: readonly string[];
  /** Names the cache (`hairpin-shell-<version>`): a new version installs a new shell, and activation deletes older ones. */
  version: string;
  /** The API's path prefix on this origin (as for `routeThroughHairpin`): never cached, never answered from a cache. */
  pathPrefix?: string;
  /**
   * For what is not in the shell (network first): how long to wait for the network before
   * answering from the cache, when the cache has a copy (ms, default 3 000). A line that drops
   * packets rather than refusing would otherwise hold the page for the browser's connect timeout.
   */
  networkTimeoutMs?: number;
}

/** The part of an `ExtendableEvent` (install, activate) the helper uses. */
export interface ExtendableEventLike {
  waitUntil(done: Promise<unknown>): void;
}

/** The part of `ServiceWorkerGlobalScope` the helper uses. */
export interface AppShellScopeLike {
  readonly location: { readonly origin: string };
  readonly caches: CacheStorage;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
  removeEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  removeEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
}

const CACHE_PREFIX = 'hairpin-shell-';

/**
 * Keeps the app shell in the service worker's cache so a reload works offline: the shell cache
 * first, everything else on the worker's origin network first with the cache as fallback. API
 * calls (`pathPrefix`, and any other origin, the node's included) and anything but GET are left
 * alone: an answer from the node is never served from a cache.
 *
 * @example
 *   // sw.ts, bundled with the client
 *   import { keepAppShell, routeThroughHairpin } from '@hairpin/client';
 *   keepAppShell(self, { version: '42', shell: ['/', '/app.js', '/app.css'], pathPrefix: '/api/' });
 *   routeThroughHairpin(self, { mountPoint: 'https://i-nur1.pl-1234.example.test:8443/', pathPrefix: '/api/' });
 */
export function keepAppShell(scope: AppShellScopeLike, options: AppShellOptions): { stop(): void } {
  const cacheName = `${CACHE_PREFIX}${options.version}`;
  const origin = scope.location.origin;
  const shell = options.shell.map((entry) => new URL(entry, `${origin}/`).href);
  const networkTimeoutMs = options.networkTimeoutMs ?? 3_000;

  const install = (event: ExtendableEventLike) => {
    // `reload`: the shell comes from the server, not from the browser's HTTP cache.
    event.waitUntil(
      scope.caches
        .open(cacheName)
        .then((cache) => cache.addAll(shell.map((url) => new Request(url, { cache: 'reload' })))),
    );
  };
  const activate = (event: ExtendableEventLike) => {
    event.waitUntil(
      scope.caches
        .keys()
        .then((names) =>
          Promise.all(
            names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== cacheName).map((n) => scope.caches.delete(n)),
          ),
        ),
    );
  };
  const fetchListener = (event: FetchEventLike) => {
    const request = event.request;
    if (request.method !== 'GET') return;
    const url = new URL(request.url);
    if (url.origin !== origin) return;
    if (options.pathPrefix && underPrefix(url.pathname, options.pathPrefix) !== undefined) return;
    url.hash = '';
    if (shell.includes(url.href)) event.respondWith(cacheFirst(scope.caches, cacheName, request));
    else
      event.respondWith(
        networkFirst(
          scope.caches,
          cacheName,
          request,
          networkTimeoutMs,
          request.mode === 'navigate' ? shell[0] : undefined,
        ),
      );
  };
  scope.addEventListener('install', install);
  scope.addEventListener('activate', activate);
  scope.addEventListener('fetch', fetchListener);
  return {
    stop() {
      scope.removeEventListener('install', install);
      scope.removeEventListener('activate', activate);
      scope.removeEventListener('fetch', fetchListener);
    },
  };
}

async function cacheFirst(caches: CacheStorage, cacheName: string, request: Request): Promise<Response> {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (cacheable(response)) await cache.put(request, response.clone());
  return response;
}

/** The network's answer, else (failed, or slower than `timeoutMs` with a copy at hand) the cache's. */
async function networkFirst(
  caches: CacheStorage,
  cacheName: string,
  request: Request,
  timeoutMs: number,
  fallbackDocument: string | undefined,
): Promise<Response> {
  const cache = await caches.open(cacheName);
  const cached = async () =>
    (await cache.match(request)) ?? (fallbackDocument ? await cache.match(fallbackDocument) : undefined);
  const network = fetch(request).then(async (response) => {
    if (cacheable(response)) await cache.put(request, response.clone());
    return response;
  });
  // When the copy wins, a network failure later is nobody's concern.
  network.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<Response | undefined>((resolve) => {
    timer = setTimeout(() => resolve(cached()), timeoutMs);
  });
  try {
    // The network answering first wins; a slow one loses only to a copy, never to nothing.
    const first = await Promise.race([network, slow]);
    return first ?? (await network);
  } catch (error) {
    const copy = await cached();
    if (copy) return copy;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A complete, successful answer from this origin: not an error page, not a partial or opaque one. */
function cacheable(response: Response): boolean {
  return response.status === 200 && response.type === 'basic';
}
