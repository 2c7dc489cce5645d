// Health, metrics and the API description.
import { type Context, Hono } from 'hono';
import type { ManagerEnv } from '../context.ts';
import { timingSafeEqual } from '../credential.ts';
import { METRICS_CONTENT_TYPE } from '../metrics.ts';
import { openApiDocument } from '../openapi.ts';
import { ProblemError } from '../problem.ts';

export const metaRoutes = new Hono<ManagerEnv>();

const health = async (c: Context<ManagerEnv>) => {
  const { store, config } = c.get('deps');
  return c.json({ status: 'ok', zone: config.names.zone, serial: await store.serial() }, 200, {
    'cache-control': 'no-store',
  });
};
metaRoutes.get('/healthz', health);
// acme-dns clients (and acme-dns's own docs) probe /health.
metaRoutes.get('/health', health);

metaRoutes.get('/metrics', (c) => {
  const { config, metrics } = c.get('deps');
  if (!config.metricsToken || !metrics)
    throw new ProblemError(
      'not-found',
      'metrics are off on this port: set HAIRPIN_METRICS_TOKEN (or, on Node, HAIRPIN_METRICS_LISTEN)',
    );
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
  if (!m || !timingSafeEqual(m[1]!, config.metricsToken))
    throw new ProblemError('unauthorized', 'send "Authorization: Bearer <HAIRPIN_METRICS_TOKEN>"');
  return c.body(metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
});

metaRoutes.get('/openapi.json', (c) => c.json(openApiDocument(c.get('deps').config.names.zone)));
