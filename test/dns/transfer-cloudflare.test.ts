// The Cloudflare publisher against a local stand-in of the DNS records API v4 (Cloudflare itself
// is out of reach here): a Hono app on loopback with the documented request and response shapes,
// pagination (two records a page, to make the client follow result_info), bearer auth, and
// injected 429 (with Retry-After) and 5xx answers.
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningHttp, serveHttp } from '../../worker/adapter/node/serve.ts';
import { createApp } from '../../worker/app.ts';
import { COMMENT, cloudflarePublisher, publishNode } from '../../worker/publish/cloudflare.ts';
import {
  CloudflareApi,
  CloudflareApiError,
  type CloudflareRecord,
  RateWindow,
} from '../../worker/publish/cloudflare-api.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const TOKEN = 'cf-test-token';
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const PAGE_CAP = 2;

function standIn() {
  const records = new Map<string, CloudflareRecord>();
  const faults: { status: number; retryAfter?: string }[] = [];
  const log: string[] = [];
  const app = new Hono();
  const envelope = (result: unknown, extra: object = {}) => ({
    success: true,
    errors: [],
    messages: [],
    result,
    ...extra,
  });
  const failure = (code: number, message: string) => ({
    success: false,
    errors: [{ code, message }],
    messages: [],
    result: null,
  });
  let next = 1;
  app.use(async (c, next) => {
    log.push(`${c.req.method} ${new URL(c.req.url).search.includes('name=') ? 'by-name' : ''}`.trim());
    if (c.req.header('authorization') !== `Bearer ${TOKEN}`) return c.json(failure(10000, 'Authentication error'), 403);
    const fault = faults.shift();
    if (fault) {
      return c.json(
        failure(fault.status === 429 ? 971 : 10001, 'injected'),
        fault.status as 429,
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    }
    await next();
  });
  const base = `/zones/${ZONE_ID}/dns_records`;
  app.get(base, (c) => {
    const name = c.req.query('name')?.toLowerCase();
    const type = c.req.query('type');
    const page = Math.max(1, Number(c.req.query('page') ?? 1));
    const perPage = Math.min(PAGE_CAP, Number(c.req.query('per_page') ?? 100));
    const all = [...records.values()].filter((r) => (!name || r.name === name) && (!type || r.type === type));
    const result = all.slice((page - 1) * perPage, page * perPage);
    return c.json(
      envelope(result, {
        result_info: {
          page,
          per_page: perPage,
          count: result.length,
          total_count: all.length,
          total_pages: Math.max(1, Math.ceil(all.length / perPage)),
        },
      }),
    );
  });
  app.post(base, async (c) => {
    const body = await c.req.json<CloudflareRecord>();
    if (!body.name || !body.type || !body.content) return c.json(failure(9000, 'missing field'), 400);
    if (body.type === 'TXT' && !body.content.startsWith('"'))
      return c.json(failure(9000, 'TXT content must be quoted'), 400);
    const record = { ...body, name: body.name.toLowerCase(), id: (next++).toString(16).padStart(32, '0') };
    records.set(record.id, record);
    return c.json(envelope(record));
  });
  app.patch(`${base}/:id`, async (c) => {
    const existing = records.get(c.req.param('id'));
    if (!existing) return c.json(failure(81044, 'Record does not exist.'), 404);
    const updated = { ...existing, ...(await c.req.json<Partial<CloudflareRecord>>()), id: existing.id };
    records.set(existing.id, updated);
    return c.json(envelope(updated));
  });
  app.delete(`${base}/:id`, (c) => {
    const id = c.req.param('id');
    if (!records.delete(id)) return c.json(failure(81044, 'Record does not exist.'), 404);
    return c.json(envelope({ id }));
  });
  return { app, records, faults, log };
}

describe('Cloudflare DNS publishing (against a local stand-in)', () => {
  const cf = standIn();
  let server: RunningHttp;
  let manager: TestManager;
  let credential: string;
  const sleeps: number[] = [];
  let api: CloudflareApi;
  const byName = (name: string) =>
    [...cf.records.values()]
      .filter((r) => r.name === name)
      .map((r) => `${r.type} ${r.content} ${r.ttl}`)
      .sort();

  beforeAll(async () => {
    server = await serveHttp(cf.app.fetch, { host: '127.0.0.1', port: 0 });
    manager = await startTestManager({ HAIRPIN_APPS_TARGET: 'cname:apps-host.example.net' });
    credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
  });
  afterAll(async () => {
    await server?.close();
    await manager?.close();
  });
  beforeEach(() => {
    api = new CloudflareApi({
      apiToken: TOKEN,
      zoneId: ZONE_ID,
      baseUrl: `http://127.0.0.1:${server.port}`,
      sleep: async (ms) => void sleeps.push(ms),
    });
    cf.log.length = 0;
    sleeps.length = 0;
  });

  it("creates the node records, its licence's app-store name and the canaries, then a second run writes nothing", async () => {
    // 4 node records, the app-store CNAME, 3 canaries.
    expect(await publishNode(api, manager.zone, '1234', 'nur1')).toEqual({
      created: 8,
      updated: 0,
      deleted: 0,
      unchanged: 0,
    });
    // The internal name carries HAIRPIN_INTERNAL_TTL (300 s by default), the external one the address TTL.
    expect(byName('i-nur1.pl-1234.example.test')).toEqual(['A 10.1.2.3 300', 'TXT "v=hairpin1 a=10.1.2.3" 300']);
    expect(byName('nur1.pl-1234.example.test')).toEqual(['A 203.0.113.7 60', 'TXT "v=hairpin1 a=203.0.113.7" 60']);
    expect(byName('pl-1234.apps.example.test')).toEqual([expect.stringMatching(/^CNAME apps-host\.example\.net \d+$/)]);
    expect(byName('private.canary.example.test')).toEqual([expect.stringMatching(/^A 10\.255\.255\.254 /)]);
    expect(byName('ula.canary.example.test')).toHaveLength(1);
    expect(byName('public.canary.example.test')).toHaveLength(1);
    expect([...cf.records.values()].every((r) => r.proxied === false && r.comment === COMMENT)).toBe(true);
    cf.log.length = 0;
    // A report-like run touches the node's names only.
    expect(await publishNode(api, manager.zone, '1234', 'nur1')).toEqual({
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 4,
    });
    expect(cf.log.every((l) => l.startsWith('GET'))).toBe(true);
  });

  it('updates in place after a report, and deletes what the zone dropped', async () => {
    await manager.report('1234', 'nur1', credential, {
      privateIpv4: '10.1.2.99',
      privateIpv6: 'fd00::5',
      publicIpv4: '203.0.113.7',
    });
    const ids = [...cf.records.values()]
      .filter((r) => r.name === 'i-nur1.pl-1234.example.test')
      .map((r) => r.id)
      .sort();
    // The new AAAA is a creation, so the shared names are checked too: 4 more unchanged.
    expect(await publishNode(api, manager.zone, '1234', 'nur1')).toEqual({
      created: 1,
      updated: 2,
      deleted: 0,
      unchanged: 6,
    });
    expect(byName('i-nur1.pl-1234.example.test')).toEqual([
      'A 10.1.2.99 300',
      'AAAA fd00::5 300',
      'TXT "v=hairpin1 a=10.1.2.99 aaaa=fd00::5" 300',
    ]);
    expect(ids.every((id) => cf.records.has(id))).toBe(true);
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.99', publicIpv4: '203.0.113.7' });
    expect(await publishNode(api, manager.zone, '1234', 'nur1')).toMatchObject({ deleted: 1, updated: 1 });
    expect(byName('i-nur1.pl-1234.example.test')).toEqual(['A 10.1.2.99 300', 'TXT "v=hairpin1 a=10.1.2.99" 300']);
  });

  it('waits out 429 (Retry-After) and retries 5xx with backoff, reading every page', async () => {
    cf.faults.push({ status: 429, retryAfter: '7' }, { status: 502 }, { status: 503 });
    const all = await api.list();
    expect(all.length).toBeGreaterThan(PAGE_CAP);
    expect(sleeps).toEqual([7000, 1000, 2000]);
  });

  it('gives up after the bounded attempts, and does not retry a 4xx', async () => {
    cf.faults.push(...Array.from({ length: 5 }, () => ({ status: 500 })));
    await expect(api.list()).rejects.toThrow(/gave up after 5 attempts \(HTTP 500\)/);
    const wrong = new CloudflareApi({
      apiToken: 'nope',
      zoneId: ZONE_ID,
      baseUrl: `http://127.0.0.1:${server.port}`,
      sleep: async () => {},
    });
    const error = await wrong.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(error).toMatchObject({ status: 403, errors: [{ code: 10000 }] });
    expect(wrong.requests).toBe(1);
  });

  it('removes every record of a deleted node, and of a deleted licence', async () => {
    const nur2 = await manager.enrol('1234', 'nur2');
    await manager.report('1234', 'nur2', nur2, { privateIpv4: '10.2.2.2' });
    await publishNode(api, manager.zone, '1234', 'nur2');
    expect(byName('i-nur2.pl-1234.example.test')).toHaveLength(2);
    const del = (path: string) =>
      fetch(`${manager.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await del('/v1/licences/1234/nodes/nur2')).status).toBe(204);
    expect(await publishNode(api, manager.zone, '1234', 'nur2')).toMatchObject({ deleted: 3, created: 0 });
    expect(byName('pl-1234.apps.example.test')).toHaveLength(1); // nur1 is still there
    expect((await del('/v1/licences/1234')).status).toBe(204);
    // nur1's 4 records and the licence's app-store name; the canaries belong to the zone.
    expect(await publishNode(api, manager.zone, '1234', undefined)).toMatchObject({ deleted: 5 });
    expect([...cf.records.values()].map((r) => r.name).sort()).toEqual([
      'private.canary.example.test',
      'public.canary.example.test',
      'ula.canary.example.test',
    ]);
  });

  it('paces under a request budget', () => {
    const window = new RateWindow(2, 1000);
    expect([window.reserve(0), window.reserve(10), window.reserve(20), window.reserve(1500)]).toEqual([0, 0, 980, 0]);
  });

  it('is wired only when both bindings exist, and the routes call the hook', async () => {
    expect(cloudflarePublisher({ CLOUDFLARE_API_TOKEN: TOKEN }, manager.zone)).toBeUndefined();
    expect(cloudflarePublisher({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ZONE_ID: ZONE_ID }, manager.zone)).toBeTypeOf(
      'function',
    );
    const calls: string[] = [];
    const app = createApp({
      config: manager.config,
      store: manager.store,
      zone: manager.zone,
      peerAddress: () => '127.0.0.1',
      now: Date.now,
      onZoneChange: async (licence, node) => void calls.push(`${licence}/${node ?? '*'}`),
    });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const enrolled = await app.request('/v1/licences/5678/nodes', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ node: 'nur9' }),
    });
    const { credential: nur9 } = (await enrolled.json()) as { credential: string };
    const report = (ip: string) =>
      app.request('/v1/licences/5678/nodes/nur9/addresses', {
        method: 'PUT',
        headers: { authorization: `Bearer ${nur9}`, 'content-type': 'application/json' },
        body: JSON.stringify({ privateIpv4: ip }),
      });
    await report('10.0.0.9');
    await report('10.0.0.9'); // unchanged: no hook call
    await app.request('/v1/licences/5678/nodes/nur9', { method: 'DELETE', headers: admin });
    await app.request('/v1/licences/5678', { method: 'DELETE', headers: admin });
    expect(calls).toEqual(['5678/nur9', '5678/nur9', '5678/nur9', '5678/*']);
  });
});
