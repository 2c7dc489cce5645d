// The manager: one Hono app, web-standard only. Runtime entries (adapter/*) build its
// dependencies and hand them in; nothing here knows whether it runs on Workers, Node or Deno.
import { Hono } from 'hono';
import { allowedMethods } from './allowed-methods.ts';
import type { ManagerDeps, ManagerEnv } from './context.ts';
import { ProblemError } from './problem.ts';
import { acmeRoutes } from './routes/acme.ts';
import { acmeDnsRoutes } from './routes/acme-dns.ts';
import { adminRoutes } from './routes/admin.ts';
import { compatRoutes } from './routes/compat.ts';
import { dohRoutes } from './routes/doh.ts';
import { metaRoutes } from './routes/meta.ts';
import { nodeRoutes } from './routes/node.ts';
import { supportRoutes } from './routes/support.ts';

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
    await next();
  });
  app.route('/', metaRoutes);
  app.route('/', dohRoutes);
  app.route('/', adminRoutes);
  app.route('/', nodeRoutes);
  app.route('/', compatRoutes);
  app.route('/', supportRoutes);
  app.route('/', acmeRoutes);
  app.route('/', acmeDnsRoutes);
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0) return new ProblemError('not-found', `nothing at ${c.req.method} ${c.req.path}`).toResponse(c.req.path);
    const response = new ProblemError('method-not-allowed', `${c.req.path} takes ${allowed.join(', ')}, not ${c.req.method}`).toResponse(c.req.path);
    response.headers.set('allow', allowed.join(', '));
    return response;
  });
  app.onError((err, c) => {
    if (err instanceof ProblemError) return err.toResponse(c.req.path);
    console.error(err);
    return new ProblemError('internal', 'the manager failed to handle this request; it has been logged').toResponse(c.req.path);
  });
  return app;
}
