import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestPki, type TestPki } from '../lab/pki.ts';
import { refusedPort, startSilentListener, startTestNode, type TestNode } from '../test/support/node-server.ts';
import {
  createHairpinClient,
  type HairpinClient,
  HairpinClientError,
  type HairpinClientOptions,
  type OriginStorage,
  type OriginSwitchEvent,
  type TransportFailureEvent,
} from './index.ts';

// Loopback stands in for the two paths: 127.0.0.2 is the LAN (internal) origin, 127.0.0.1 the public one.
const names = { internal: '127.0.0.2', external: '127.0.0.1' };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(
  host: string,
  label: string,
  extra: Partial<Parameters<typeof startTestNode>[0]> = {},
): Promise<TestNode> {
  const n = await startTestNode({ host, names, label, ...extra });
  cleanups.push(() => n.stop());
  return n;
}

function client(options: HairpinClientOptions): {
  c: HairpinClient;
  switches: OriginSwitchEvent[];
  failures: TransportFailureEvent[];
} {
  const c = createHairpinClient({ storage: null, reprobe: false, ...options });
  const switches: OriginSwitchEvent[] = [];
  const failures: TransportFailureEvent[] = [];
  c.addEventListener('switch', (e) => switches.push(e as OriginSwitchEvent));
  c.addEventListener('failure', (e) => failures.push(e as TransportFailureEvent));
  cleanups.push(() => c.close());
  return { c, switches, failures };
}

async function served(res: Response): Promise<string> {
  return ((await res.json()) as { served: string }).served;
}

async function rejection(p: Promise<unknown>): Promise<HairpinClientError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HairpinClientError);
  return error as HairpinClientError;
}

describe('switching on transport failures', () => {
  it('internal port refused: the race picks the external origin, classified refused', async () => {
    const port = await refusedPort('127.0.0.2');
    const external = await node('127.0.0.1', 'external');
    const { c, switches, failures } = client({ mountPoint: `http://127.0.0.2:${port}/`, otherOrigin: external.origin });
    expect(await served(await c.fetch('/v1/stock'))).toBe('external');
    expect(switches.map((s) => [s.to, s.reason])).toEqual([[external.origin, 'race']]);
    expect(failures.map((f) => [f.failure.kind, f.failure.neverSent])).toEqual([['refused', true]]);
  });

  it('refused mid-session: a GET is repeated on the other origin at once', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c, switches } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    expect(await served(await c.fetch('/v1/a'))).toBe('internal');
    await internal.stop();
    expect(await served(await c.fetch('/v1/b'))).toBe('external');
    expect(switches.at(-1)).toMatchObject({
      from: internal.origin,
      to: external.origin,
      reason: 'transport-failure',
      failure: { kind: 'refused' },
    });
  });

  it('internal accepts and never answers: the external origin wins the race after the delay', async () => {
    const silent = await startSilentListener('127.0.0.2');
    cleanups.push(() => silent.stop());
    const external = await node('127.0.0.1', 'external');
    // A probe time bound far above scheduling noise: winning must not wait for it.
    const { c } = client({
      mountPoint: `${silent.origin}/`,
      otherOrigin: external.origin,
      raceDelayMs: 100,
      probeTimeoutMs: 20_000,
    });
    const t0 = performance.now();
    expect(await served(await c.fetch('/v1/stock'))).toBe('external');
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(10_000);
  });

  /**
   * A client in use on the internal origin when, Wi-Fi → cellular while the app runs, the same
   * address starts swallowing packets; then one GET, timed. Only the given bound can end it.
   */
  async function afterSilentDrop(options: Partial<HairpinClientOptions>) {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const made = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin, ...options });
    expect(await served(await made.c.fetch('/v1/warm'))).toBe('internal');
    await internal.stop();
    const silent = await startSilentListener('127.0.0.2', internal.port);
    cleanups.push(() => silent.stop());
    const t0 = performance.now();
    expect(await served(await made.c.fetch('/v1/x'))).toBe('external');
    return { ...made, external, ms: performance.now() - t0 };
  }

  it('silently dropped mid-session: the attempt time bound fires, classified timeout, GET repeated', async () => {
    const { failures, ms } = await afterSilentDrop({ attemptTimeoutMs: 300, stallCheckMs: false, pathCheckMs: false });
    expect(ms).toBeLessThan(5_000);
    expect(failures.map((f) => [f.failure.kind, f.failure.neverSent])).toEqual([['timeout', false]]);
  });

  it('silently dropped mid-session: the stall check sees the path dead long before the attempt bound', async () => {
    const { failures, ms } = await afterSilentDrop({ attemptTimeoutMs: 20_000, stallCheckMs: 200, pathCheckMs: false });
    expect(ms).toBeLessThan(10_000);
    expect(failures.map((f) => f.failure.kind)).toEqual(['timeout', 'timeout']);
  });

  it('silently dropped mid-session: the path check sees the other origin answer and repeats the GET there', async () => {
    const { failures, switches, external, ms } = await afterSilentDrop({
      attemptTimeoutMs: 20_000,
      stallCheckMs: false,
      pathCheckMs: 100,
    });
    expect(ms).toBeLessThan(10_000);
    expect(failures.map((f) => [f.failure.kind, f.failure.neverSent])).toEqual([['timeout', false]]);
    expect(switches.at(-1)).toMatchObject({ to: external.origin, reason: 'transport-failure' });
  });

  it('the path check leaves a request that is not safe to repeat to the stall check', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c } = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      stallCheckMs: false,
      pathCheckMs: 50,
    });
    await c.fetch('/v1/warm');
    const hits = internal.hits.get('/.well-known/hairpin') ?? 0;
    // A slow POST: no identity probe is sent on its behalf, and it is answered where it was sent.
    expect(await served(await c.fetch('/slow/400', { method: 'POST', body: 'x' }))).toBe('internal');
    expect(internal.hits.get('/.well-known/hairpin') ?? 0).toBe(hits);
  });

  it('a slow service is not a dead path: the stall check finds it alive and the attempt goes on', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    // Both checks fire (100 ms stall check, 200 ms path check) and both find this path alive.
    const { c, switches, failures } = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      stallCheckMs: 100,
    });
    expect(await served(await c.fetch('/slow/600'))).toBe('internal');
    expect(switches.map((s) => s.reason)).toEqual(['race']);
    expect(failures).toEqual([]);
    expect(internal.hits.get('/.well-known/hairpin')).toBeGreaterThanOrEqual(2);
  });

  it('internal name does not resolve (.invalid): classified dns, never sent', async () => {
    const external = await node('127.0.0.1', 'external', {
      names: { internal: 'i-nur1.pl-1234.invalid', external: '127.0.0.1' },
    });
    const { c, failures } = client({
      mountPoint: 'http://i-nur1.pl-1234.invalid:18443/',
      otherOrigin: external.origin,
    });
    expect(await served(await c.fetch('/v1/stock'))).toBe('external');
    expect(failures.map((f) => [f.failure.kind, f.failure.neverSent])).toEqual([['dns', true]]);
    expect(c.internalOrigin).toBe('http://i-nur1.pl-1234.invalid:18443');
  });

  it('both origins down: ERR_ALL_ORIGINS_FAILED lists both failures', async () => {
    const a = await refusedPort('127.0.0.2');
    const b = await refusedPort('127.0.0.1');
    const { c, switches } = client({ mountPoint: `http://127.0.0.2:${a}/`, otherOrigin: `http://127.0.0.1:${b}` });
    const error = await rejection(c.fetch('/v1/x'));
    expect(error.code).toBe('ERR_ALL_ORIGINS_FAILED');
    expect((error as unknown as { failures: Array<{ kind: string }> }).failures.map((f) => f.kind)).toEqual([
      'refused',
      'refused',
    ]);
    expect(switches).toEqual([]);
    expect(c.current).toBeNull();
  });
});

describe('TLS', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), pki.caPem]);
  });
  afterAll(() => pki.dispose());

  it('a certificate for the wrong name is a TLS failure: switch, never sent', async () => {
    const internal = await node('127.0.0.2', 'internal', { tls: pki.issue(['someone-else.example.test']) });
    const external = await node('127.0.0.1', 'external', {
      tls: pki.issue(['nur1.pl-1234.example.test'], ['127.0.0.1']),
    });
    const { c, failures } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    const res = await c.fetch('/v1/sales', { method: 'POST', body: 'x' });
    expect(await served(res)).toBe('external');
    expect(failures.map((f) => [f.failure.kind, f.failure.detail])).toEqual([['tls', 'ERR_TLS_CERT_ALTNAME_INVALID']]);
  });
});

describe('HTTP answers never switch', () => {
  it.each([404, 500, 503])('%i from the service is returned as is', async (status) => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c, switches, failures } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    const res = await c.fetch(`/status/${status}`);
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(`status ${status} from internal`);
    expect(switches.map((s) => s.reason)).toEqual(['race']);
    expect(failures).toEqual([]);
    expect(external.hits.get(`/status/${status}`)).toBeUndefined();
  });
});

describe('repeating only when safe', () => {
  it('a POST whose connection drops after sending is not repeated: ERR_NOT_REPEATED, switched for the next call', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c, switches } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    const error = await rejection(c.fetch('/drop', { method: 'POST', body: 'sale 42' }));
    expect(error.code).toBe('ERR_NOT_REPEATED');
    expect(internal.hits.get('/drop')).toBe(1);
    expect(external.hits.get('/drop')).toBeUndefined();
    expect(switches.at(-1)).toMatchObject({
      to: external.origin,
      reason: 'transport-failure',
      failure: { kind: 'network', neverSent: false },
    });
    expect(c.current).toBe(external.origin);
  });

  it('with Local Network Access denied and no other path, a POST that may have arrived is still ERR_NOT_REPEATED', async () => {
    vi.stubGlobal('navigator', { permissions: { query: async () => ({ state: 'denied' }) } });
    cleanups.push(() => vi.unstubAllGlobals());
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin, localNetworkAccess: 'on' });
    expect(await served(await c.fetch('/v1/warm'))).toBe('external');
    const error = await rejection(c.fetch('/drop', { method: 'POST', body: 'sale 42' }));
    expect(error.code).toBe('ERR_NOT_REPEATED');
    expect(external.hits.get('/drop')).toBe(1);
    expect(internal.hits.size).toBe(0);
    // A GET in the same place has nothing to fear from a repeat: the denial is what it learns.
    expect((await rejection(c.fetch('/drop'))).code).toBe('ERR_LOCAL_NETWORK_DENIED');
  });

  it('a dismissed Local Network Access prompt (state stays prompt) is backed off like a denial: not asked again by calls or re-probes', async () => {
    vi.stubGlobal('navigator', { permissions: { query: async () => ({ state: 'prompt' }) } });
    cleanups.push(() => vi.unstubAllGlobals());
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    let asked = 0;
    // What Chromium gives a page whose user closed the prompt: a plain network error.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).startsWith(internal.origin)) {
        asked++;
        throw new TypeError('Failed to fetch');
      }
      return globalThis.fetch(input, init);
    };
    const { c, failures } = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      localNetworkAccess: 'on',
      fetch,
      reprobe: { initialMs: 20, maxMs: 40 },
    });
    expect(await served(await c.fetch('/v1/a'))).toBe('external');
    // Several re-probe periods go by, and more calls come.
    await new Promise((r) => setTimeout(r, 400));
    for (const path of ['/v1/b', '/v1/c', '/v1/d']) expect(await served(await c.fetch(path))).toBe('external');
    expect(asked).toBe(1);
    expect(failures.map((f) => [f.failure.kind, f.failure.detail])).toEqual([
      ['local-network-denied', 'local-network-access prompt dismissed'],
    ]);
  });

  it('the same POST with an Idempotency-Key is repeated on the other origin', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    const error = await rejection(
      c.fetch('/drop', { method: 'POST', body: 'sale 42', headers: { 'Idempotency-Key': 'k-42' } }),
    );
    // The external stand-in drops /drop too: what matters is that the request reached it, body intact.
    expect(error.code).toBe('ERR_ALL_ORIGINS_FAILED');
    expect(internal.hits.get('/drop')).toBe(1);
    expect(external.hits.get('/drop')).toBe(1);
  });

  it('a POST in a Request object is repeated when it never left (refused), body intact', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    await internal.stop();
    const res = await c.fetch(new Request(`${internal.origin}/v1/sales`, { method: 'POST', body: 'sale 43' }));
    expect(await res.json()).toEqual({ served: 'external', method: 'POST', body: 'sale 43' });
  });
});

describe('streams', () => {
  it('a stream body is never sent twice, even for a PUT that never left', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    await internal.stop();
    const body = new ReadableStream({
      start: (ctl) => {
        ctl.enqueue(new TextEncoder().encode('sale 44'));
        ctl.close();
      },
    });
    const error = await rejection(c.fetch('/v1/sales', { method: 'PUT', body, duplex: 'half' } as RequestInit));
    expect(error.code).toBe('ERR_NOT_REPEATED');
    expect(c.current).toBe(external.origin);
  });
});

describe('caller abort, pass-through, identity, memory, return to internal', () => {
  it("a caller's abort is rethrown as is and switches nothing", async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const { c, switches, failures } = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin });
    await c.fetch('/v1/warm');
    const reason = new Error('user left the page');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    await expect(c.fetch('/slow/2000', { signal: controller.signal })).rejects.toBe(reason);
    expect(switches.length).toBe(1);
    expect(failures).toEqual([]);
  });

  it('other origins pass through untouched', async () => {
    const other = await node('127.0.0.3', 'elsewhere');
    const { c, switches } = client({ mountPoint: 'http://127.0.0.2:18443/', otherOrigin: 'http://127.0.0.1:18443' });
    expect(await served(await c.fetch(`${other.origin}/v1/x`))).toBe('elsewhere');
    expect(switches).toEqual([]);
  });

  it('an origin that answers but is not the node loses the race', async () => {
    const impostor = await node('127.0.0.2', 'portal', {
      names: { internal: 'captive.example.test', external: 'captive.example.test' },
    });
    const external = await node('127.0.0.1', 'external');
    const { c, failures } = client({ mountPoint: `${impostor.origin}/`, otherOrigin: external.origin });
    expect(await served(await c.fetch('/v1/x'))).toBe('external');
    expect(failures.map((f) => f.failure.kind)).toEqual(['identity']);
  });

  it('remembers the last good origin and races it first next time', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const memory = new Map<string, string>();
    const storage: OriginStorage = { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v) };
    const first = client({ mountPoint: `${internal.origin}/`, otherOrigin: external.origin, storage });
    await internal.stop();
    await first.c.fetch('/v1/x');
    expect([...memory.values()]).toEqual([external.origin]);
    await internal.start();
    const second = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      storage,
      raceDelayMs: 1_000,
    });
    expect(await served(await second.c.fetch('/v1/y'))).toBe('external');
  });

  it('goes back to the internal origin when a re-probe finds it working', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    await internal.stop();
    const { c, switches } = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      reprobe: { initialMs: 50, maxMs: 200 },
    });
    expect(await served(await c.fetch('/v1/a'))).toBe('external');
    await internal.start();
    for (let i = 0; i < 100 && c.current !== internal.origin; i++) await new Promise((r) => setTimeout(r, 20));
    expect(switches.at(-1)).toMatchObject({ from: external.origin, to: internal.origin, reason: 'internal-back' });
    expect(await served(await c.fetch('/v1/b'))).toBe('internal');
  });

  it('close() stops re-probes and refuses further calls with ERR_CLIENT_CLOSED', async () => {
    const { c } = client({
      mountPoint: 'http://127.0.0.2:18443/',
      otherOrigin: 'http://127.0.0.1:18443',
      reprobe: { initialMs: 10 },
    });
    c.close();
    expect((await rejection(c.fetch('/v1/x'))).code).toBe('ERR_CLIENT_CLOSED');
  });
});
