// 405 rather than 404 when the path exists for other methods (RFC 9110 §15.5.6), with the Allow
// header a client needs. Asks Hono's own router, so it cannot disagree with the routes.
import type { Hono } from 'hono';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods with a route at `path`; middleware mounted for every method does not count. */
// biome-ignore lint/suspicious/noExplicitAny: reads the routes of an app whatever its bindings
export function allowedMethods(app: Hono<any>, path: string): string[] {
  const allowed = METHODS.filter((method) =>
    app.router.match(method, path)[0].some(([[, route]]) => route.method === method),
  );
  // Hono answers HEAD from the GET route.
  return allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
}
