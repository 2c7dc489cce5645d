// The manager: one Hono app, web-standard only. Runtime entries (adapter/*) build its
// dependencies and hand them in; nothing here knows whether it runs on Workers, Node or Deno.
import { type Context, Hono } from 'hono';
import { matchedRoutes } from 'hono/route';
import { allowedMethods } from './allowed-methods.ts';
import { logFailure, type ManagerDeps, type ManagerEnv } from './context.ts';
import { ProblemError } from './problem.ts';
import { requestEnded } from './request-end.ts';
import { acmeRoutes } from './routes/acme.ts';
import { acmeDnsRoutes } from './routes/acme-dns.ts';
import { adminRoutes } from './routes/admin.ts';
import { compatRoutes } from './routes/compat.ts';
import { dohRoutes } from './routes/doh.ts';
import { dyndnsRoutes } from './routes/dyndns.ts';
import { metaRoutes } from './routes/meta.ts';
import { clientAddress, nodeRoutes } from './routes/node.ts';
import { reachabilityRoutes } from './routes/reachability.ts';
import { relayByHost, relayRoutes } from './routes/relay.ts';
import { supportRoutes } from './routes/support.ts';

/** The pattern of the route that answered (e.g. `/v1/licences/:licence/nodes`). */
function routePattern(c: Context<ManagerEnv>): string {
  return matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
}

/**
 * Build the manager app.
 *
 * ```ts
 * const app = createApp({ config, store, zone: new Zone(config, store), peerAddress: () => undefined, now: Date.now });
 * const res = await app.request('/healthz');
 * ```
 */
export function createApp(deps: ManagerDeps): Hono<ManagerEnv> {
  const app = new Hono<ManagerEnv>();
  app.use(async (c, next) => {
    c.set('deps', deps);
    const started = performance.now();
    await next();
    // By route pattern, never by path: the label set stays bounded whatever clients ask for.
    const route = c.res.status === 404 || c.res.status === 405 ? 'unmatched' : routePattern(c);
    requestEnded(deps, {
      method: c.req.method,
      path: c.req.path,
      route,
      status: c.res.status,
      started,
      client: clientAddress(c),
    });
  });
  app.use(relayByHost);
  app.route('/', metaRoutes);
  app.route('/', dohRoutes);
  app.route('/', adminRoutes);
  app.route('/', nodeRoutes);
  app.route('/', dyndnsRoutes);
  app.route('/', relayRoutes);
  app.route('/', reachabilityRoutes);
  app.route('/', compatRoutes);
  app.route('/', supportRoutes);
  app.route('/', acmeRoutes);
  app.route('/', acmeDnsRoutes);
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0)
      return new ProblemError('not-found', `nothing at ${c.req.method} ${c.req.path}`).toResponse(c.req.path);
    const response = new ProblemError(
      'method-not-allowed',
      `${c.req.path} takes ${allowed.join(', ')}, not ${c.req.method}`,
    ).toResponse(c.req.path);
    response.headers.set('allow', allowed.join(', '));
    return response;
  });
  app.onError((err, c) => {
    if (err instanceof ProblemError) return err.toResponse(c.req.path);
    logFailure(deps, 'request failed', { method: c.req.method, path: c.req.path, error: err.stack ?? err.message });
    return new ProblemError('internal', 'the manager failed to handle this request; it has been logged').toResponse(
      c.req.path,
    );
  });
  return app;
}
