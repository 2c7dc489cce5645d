import { afterEach, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../test/support/node-server.ts';
import { type FetchEventLike, routeThroughHairpin, type ServiceWorkerScopeLike } from './service-worker.ts';

// A stand-in for ServiceWorkerGlobalScope: only `location` and the fetch listeners matter.
function fakeScope(origin: string) {
  const listeners = new Set<(e: FetchEventLike) => void>();
  const scope: ServiceWorkerScopeLike = {
    location: { origin },
    addEventListener: (_type, l) => void listeners.add(l),
    removeEventListener: (_type, l) => void listeners.delete(l),
  };
  const dispatch = (request: Request): Promise<Response> | undefined => {
    let answer: Promise<Response> | undefined;
    for (const l of listeners)
      l({
        request,
        respondWith: (r) => {
          answer = r;
        },
      });
    return answer;
  };
  return { scope, dispatch, listeners };
}

const names = { internal: '127.0.0.2', external: '127.0.0.1' };
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function nodes(): Promise<[TestNode, TestNode]> {
  const internal = await startTestNode({ host: '127.0.0.2', names, label: 'internal' });
  const external = await startTestNode({ host: '127.0.0.1', names, label: 'external' });
  stops.push(
    () => internal.stop(),
    () => external.stop(),
  );
  return [internal, external];
}

describe('routeThroughHairpin', () => {
  it('maps the path prefix on the page origin to the mount point, and fails over', async () => {
    const [internal, external] = await nodes();
    const { scope, dispatch } = fakeScope('https://pl-1234.apps.example.test');
    const route = routeThroughHairpin(scope, {
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      pathPrefix: '/api/',
      storage: null,
      reprobe: false,
    });
    stops.push(() => route.stop());
    const first = await dispatch(new Request('https://pl-1234.apps.example.test/api/v1/stock?sku=1'));
    expect(await first?.json()).toMatchObject({ served: 'internal' });
    expect(internal.hits.get('/v1/stock')).toBe(1);
    await internal.stop();
    const second = await dispatch(
      new Request('https://pl-1234.apps.example.test/api/v1/sales', { method: 'PUT', body: 'sale 7' }),
    );
    expect(await second?.json()).toEqual({ served: 'external', method: 'PUT', body: 'sale 7' });
  });

  it('routes calls to either node origin and leaves everything else to the network', async () => {
    const [internal, external] = await nodes();
    const { scope, dispatch, listeners } = fakeScope('https://pl-1234.apps.example.test');
    const route = routeThroughHairpin(scope, {
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      pathPrefix: '/api/',
      storage: null,
      reprobe: false,
    });
    expect(await (await dispatch(new Request(`${external.origin}/v1/x`)))?.json()).toMatchObject({
      served: 'internal',
    });
    expect(dispatch(new Request('https://pl-1234.apps.example.test/index.html'))).toBeUndefined();
    expect(dispatch(new Request('https://cdn.example.test/api/x'))).toBeUndefined();
    expect(dispatch(new Request('https://pl-1234.apps.example.test/apiary/x'))).toBeUndefined();
    route.stop();
    expect(listeners.size).toBe(0);
  });

  it('takes the prefix with or without its trailing slash, as whole segments', async () => {
    const [internal, external] = await nodes();
    const { scope, dispatch } = fakeScope('https://pl-1234.apps.example.test');
    const route = routeThroughHairpin(scope, {
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      pathPrefix: '/api',
      storage: null,
      reprobe: false,
    });
    stops.push(() => route.stop());
    expect(await (await dispatch(new Request('https://pl-1234.apps.example.test/api/v1/stock')))?.json()).toMatchObject(
      { served: 'internal' },
    );
    expect(internal.hits.get('/v1/stock')).toBe(1);
    expect(dispatch(new Request('https://pl-1234.apps.example.test/apiary'))).toBeUndefined();
  });
});
