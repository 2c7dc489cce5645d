import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS } from './http-limits.ts';
import { shedLoad } from './load-shedding.ts';

const limits = { ...DEFAULT_HTTP_LIMITS, maxRequestsInFlight: 2, maxQueuedWrites: 3, retryAfterSeconds: 2 };

/** A handler whose answers wait until released. */
function held() {
  const releases: (() => void)[] = [];
  const fetch = (request: Request) =>
    new Promise<Response>((resolve) => releases.push(() => resolve(new Response(`${request.method} ok`))));
  return { fetch, release: () => releases.splice(0).forEach((r) => r()) };
}

async function expectShed(response: Response, type = 'urn:hairpin:problem:overloaded') {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(((await response.json()) as { type: string }).type).toBe(type);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(2);
  expect(retryAfter).toBeLessThanOrEqual(4);
}

describe('shedLoad', () => {
  it('answers 503 with Retry-After at once beyond the requests in flight, and serves again once they end', async () => {
    const { fetch, release } = held();
    const shed = shedLoad(fetch, limits, { queuedWrites: () => 0 });
    const first = [shed(new Request('http://m/a')), shed(new Request('http://m/b'))];
    await expectShed(await shed(new Request('http://m/c')));
    release();
    expect(await Promise.all(first.map(async (r) => (await r).status))).toEqual([200, 200]);
    const later = shed(new Request('http://m/d'));
    release();
    expect((await later).status).toBe(200);
  });

  it('answers writes 503 while the store has too many waiting, and lets reads through', async () => {
    let queued = 3;
    const shed = shedLoad(async (r) => new Response(`${r.method} ok`), limits, { queuedWrites: () => queued });
    await expectShed(await shed(new Request('http://m/x', { method: 'PUT', body: '{}' })));
    expect((await shed(new Request('http://m/x'))).status).toBe(200);
    // A DoH question is a read, whatever its method.
    const question = new Request('http://m/dns-query', { method: 'POST', body: new Uint8Array(12) });
    expect((await shed(question)).status).toBe(200);
    queued = 2;
    expect((await shed(new Request('http://m/x', { method: 'PUT', body: '{}' }))).status).toBe(200);
  });
});
