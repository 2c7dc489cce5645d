// The relay as a third origin: used only when both direct origins fail, identity-checked like
// them, and left as soon as a direct origin answers a re-probe.
import { afterEach, describe, expect, it } from 'vitest';
import { refusedPort, startTestNode, type TestNode } from '../test/support/node-server.ts';
import { createHairpinClient, HairpinClientError, type HairpinClientOptions, type OriginSwitchEvent } from './index.ts';

// Loopback: 127.0.0.2 the LAN origin, 127.0.0.1 the public one, 127.0.0.3 the relay.
const names = { internal: '127.0.0.2', external: '127.0.0.1', relay: '127.0.0.3' };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(host: string, label: string, port?: number, identity = names): Promise<TestNode> {
  const n = await startTestNode({ host, names: identity, label, ...(port ? { port } : {}) });
  cleanups.push(() => n.stop());
  return n;
}

function client(options: HairpinClientOptions) {
  const c = createHairpinClient({ storage: null, reprobe: false, ...options });
  const switches: OriginSwitchEvent[] = [];
  c.addEventListener('switch', (e) => switches.push(e as OriginSwitchEvent));
  cleanups.push(() => c.close());
  return { c, switches };
}

const served = async (res: Response) => ((await res.json()) as { served: string }).served;

describe('the relay, a third origin', () => {
  it('is not used while a direct origin answers', async () => {
    const internal = await node('127.0.0.2', 'internal');
    const external = await node('127.0.0.1', 'external');
    const relay = await node('127.0.0.3', 'relay');
    const { c, switches } = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: external.origin,
      relayOrigin: relay.origin,
    });
    expect(await served(await c.fetch('/v1/a'))).toBe('internal');
    await internal.stop();
    expect(await served(await c.fetch('/v1/b'))).toBe('external');
    expect(switches.map((s) => s.reason)).toEqual(['race', 'transport-failure']);
    expect(relay.hits.size).toBe(0);
  });

  it('serves when both direct origins fail, at the race and mid-session', async () => {
    const internalPort = await refusedPort('127.0.0.2');
    const externalPort = await refusedPort('127.0.0.1');
    const relay = await node('127.0.0.3', 'relay');
    const { c, switches } = client({
      mountPoint: `http://127.0.0.2:${internalPort}/`,
      otherOrigin: `http://127.0.0.1:${externalPort}`,
      relayOrigin: relay.origin,
    });
    expect(await served(await c.fetch('/v1/a'))).toBe('relay');
    expect(switches.map((s) => [s.to, s.reason])).toEqual([[relay.origin, 'relay']]);
    expect(c.current).toBe(relay.origin);

    // Mid-session: the direct origin in use dies, the other one is dead too → the relay.
    const internal = await node('127.0.0.2', 'internal');
    const session = client({
      mountPoint: `${internal.origin}/`,
      otherOrigin: `http://127.0.0.1:${externalPort}`,
      relayOrigin: relay.origin,
    });
    expect(await served(await session.c.fetch('/v1/a'))).toBe('internal');
    await internal.stop();
    expect(await served(await session.c.fetch('/v1/b'))).toBe('relay');
    expect(session.switches.map((s) => s.reason)).toEqual(['race', 'transport-failure', 'relay']);
  });

  it("must prove the node's identity like the others", async () => {
    const internalPort = await refusedPort('127.0.0.2');
    const externalPort = await refusedPort('127.0.0.1');
    // Something answers at the relay's address, but not as this node's relay name.
    const impostor = await node('127.0.0.3', 'impostor', undefined, {
      internal: 'a.example',
      external: 'b.example',
    } as typeof names);
    const { c } = client({
      mountPoint: `http://127.0.0.2:${internalPort}/`,
      otherOrigin: `http://127.0.0.1:${externalPort}`,
      relayOrigin: impostor.origin,
    });
    const error = await c.fetch('/v1/a').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HairpinClientError);
    expect((error as HairpinClientError).code).toBe('ERR_ALL_ORIGINS_FAILED');
    expect([...impostor.hits.keys()]).toEqual(['/.well-known/hairpin']); // the identity probe, never the request
  });

  it('is left as soon as a direct origin answers a re-probe (direct-back)', async () => {
    const externalPort = await refusedPort('127.0.0.1');
    const internalPort = await refusedPort('127.0.0.2');
    const relay = await node('127.0.0.3', 'relay');
    const { c, switches } = client({
      mountPoint: `http://127.0.0.2:${internalPort}/`,
      otherOrigin: `http://127.0.0.1:${externalPort}`,
      relayOrigin: relay.origin,
      reprobe: { initialMs: 50, maxMs: 100 },
    });
    expect(await served(await c.fetch('/v1/a'))).toBe('relay');
    await node('127.0.0.1', 'external', externalPort);
    const deadline = Date.now() + 20_000;
    while (c.current === relay.origin && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(switches.at(-1)).toMatchObject({
      from: relay.origin,
      to: `http://127.0.0.1:${externalPort}`,
      reason: 'direct-back',
    });
    expect(await served(await c.fetch('/v1/b'))).toBe('external');
  });

  it("is learnt from a direct origin's identity answer when not given", async () => {
    const internal = await node('127.0.0.2', 'internal');
    const { c } = client({ mountPoint: `${internal.origin}/`, otherOrigin: 'http://127.0.0.1:1' });
    await c.fetch('/v1/a');
    expect(c.relayOrigin).toBe('https://127.0.0.3');
    const off = client({ mountPoint: `${internal.origin}/`, otherOrigin: 'http://127.0.0.1:1', relayOrigin: false });
    await off.c.fetch('/v1/a');
    expect(off.c.relayOrigin).toBeNull();
  });
});
