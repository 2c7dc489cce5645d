// Health and the API description.
import { Hono } from 'hono';
import type { ManagerEnv } from '../context.ts';
import { openApiDocument } from '../openapi.ts';

export const metaRoutes = new Hono<ManagerEnv>();

metaRoutes.get('/healthz', async (c) => {
  const { store, config } = c.get('deps');
  return c.json({ status: 'ok', zone: config.names.zone, serial: await store.serial() }, 200, { 'cache-control': 'no-store' });
});

metaRoutes.get('/openapi.json', (c) => c.json(openApiDocument(c.get('deps').config.names.zone)));
