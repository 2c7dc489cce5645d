import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('answers /healthz from D1', async () => {
  const res = await exports.default.fetch('http://manager/healthz');
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', serial: 1 });
});
