// The portable part of the suite, run by Deno (`deno test --allow-net --no-check client/portable.deno.ts`;
// portable.test.ts does it from vitest). Only web-standard APIs plus Deno.serve and Deno.test.
import { createHairpinClient, HairpinClientError, type HairpinClientOptions, type OriginSwitchEvent } from './index.ts';

declare const Deno: {
  test(name: string, fn: () => Promise<void>): void;
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
};

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

const names = { internal: '127.0.0.2', external: '127.0.0.1' };

function serveNode(hostname: string, label: string) {
  const server = Deno.serve({ hostname, port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/.well-known/hairpin') {
      return Response.json({
        service: 'hairpin',
        licence: '1234',
        node: 'nur1',
        names,
        nonce: url.searchParams.get('nonce'),
      });
    }
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return new Response(`status from ${label}`, { status: Number(status[1]) });
    return Response.json({ served: label });
  });
  return { server, origin: `http://${hostname}:${server.addr.port}` };
}

async function withNodes(fn: (internal: string, external: string, stopInternal: () => Promise<void>) => Promise<void>) {
  const internal = serveNode('127.0.0.2', 'internal');
  const external = serveNode('127.0.0.1', 'external');
  let internalUp = true;
  const stopInternal = async () => {
    internalUp = false;
    await internal.server.shutdown();
  };
  try {
    await fn(internal.origin, external.origin, stopInternal);
  } finally {
    if (internalUp) await internal.server.shutdown();
    await external.server.shutdown();
  }
}

function client(options: HairpinClientOptions) {
  const c = createHairpinClient({ storage: null, reprobe: false, ...options });
  const switches: OriginSwitchEvent[] = [];
  c.addEventListener('switch', (e) => switches.push(e as OriginSwitchEvent));
  return { c, switches };
}

Deno.test('deno: refused internal origin → external, classified refused', async () => {
  await withNodes(async (internal, external, stopInternal) => {
    await stopInternal();
    const { c, switches } = client({ mountPoint: `${internal}/`, otherOrigin: external });
    try {
      const body = await (await c.fetch('/v1/stock')).json();
      assert(body.served === 'external', `served by ${body.served}`);
      assert(switches[0]?.to === external && switches[0].reason === 'race', 'one race switch to external');
    } finally {
      c.close();
    }
  });
});

Deno.test('deno: mid-session refusal repeats a GET on the other origin', async () => {
  await withNodes(async (internal, external, stopInternal) => {
    const { c, switches } = client({ mountPoint: `${internal}/`, otherOrigin: external });
    try {
      assert((await (await c.fetch('/v1/a')).json()).served === 'internal', 'internal first');
      await stopInternal();
      assert((await (await c.fetch('/v1/b')).json()).served === 'external', 'then external');
      const last = switches.at(-1);
      assert(
        last?.reason === 'transport-failure' && last.failure?.kind === 'refused',
        `switch reason ${last?.reason} ${last?.failure?.kind}`,
      );
    } finally {
      c.close();
    }
  });
});

Deno.test('deno: 404 and 500 from the service never switch', async () => {
  await withNodes(async (internal, external) => {
    const { c, switches } = client({ mountPoint: `${internal}/`, otherOrigin: external });
    try {
      for (const status of [404, 500]) {
        const res = await c.fetch(`/status/${status}`);
        assert(res.status === status && (await res.text()) === 'status from internal', `status ${status}`);
      }
      assert(switches.length === 1 && switches[0]?.reason === 'race', 'only the initial race');
    } finally {
      c.close();
    }
  });
});

Deno.test('deno: unresolvable name → dns; both down → ERR_ALL_ORIGINS_FAILED', async () => {
  const { c } = client({ mountPoint: 'http://i-nur1.pl-1234.invalid:18443/', otherOrigin: 'http://127.0.0.1:18444' });
  const kinds: string[] = [];
  c.addEventListener('failure', (e) => kinds.push((e as unknown as { failure: { kind: string } }).failure.kind));
  try {
    const error = await c.fetch('/v1/x').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert(error instanceof HairpinClientError && error.code === 'ERR_ALL_ORIGINS_FAILED', `error ${String(error)}`);
    assert(kinds.join() === 'dns,refused', `kinds ${kinds.join()}`);
  } finally {
    c.close();
  }
});
