// The relay on Workers, inside workerd: the node's WebSocket held by its Durable Object with the
// Hibernation API, a request for the relay name relayed with streamed bodies, 503 problem+json at
// once when the node is gone, heartbeats answered by the runtime while the object hibernates.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_PING, HEARTBEAT_PONG } from '../../relay/frames.ts';
import { RelayMux } from '../../relay/mux.ts';

const manager = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
const ADMIN = { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' };
const relayName = (licence: string) => `relay-nur1-pl-${licence}.example.test`;
let serial = 0;
const freshLicence = () => `${8000 + serial++}`;

async function enrol(licence: string, node = 'nur1'): Promise<string> {
  const res = await manager.fetch(
    new Request(`https://manager.example/v1/licences/${licence}/nodes`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ node }),
    }),
  );
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

/** The node's side, played by the test: its socket, and a mux answering the streams opened on it. */
async function connectNode(licence: string, credential: string, node = 'nur1') {
  const res = await manager.fetch(
    new Request(`https://manager.example/v1/licences/${licence}/nodes/${node}/relay`, {
      headers: { upgrade: 'websocket', authorization: `Bearer ${credential}` },
    }),
  );
  const socket = (res as unknown as { webSocket: WebSocket | null }).webSocket;
  if (res.status !== 101 || !socket) return { status: res.status, socket: null, texts: [] as string[] };
  socket.accept();
  // Binary messages as ArrayBuffer (the standard's default is Blob).
  (socket as { binaryType: string }).binaryType = 'arraybuffer';
  const texts: string[] = [];
  const mux = new RelayMux((frame) => socket.send(frame), {
    onOpen: (stream, open) => {
      void (async () => {
        if (open.mode !== 'http') return stream.reset('tls streams do not come from Workers');
        // Echo: the request's body back, in the chunks it arrived in, with what the node saw.
        const chunks: Uint8Array[] = [];
        const reader = stream.readable.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
        const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
        const host = open.headers.find(([k]) => k === 'host')?.[1];
        stream.sendHead({
          status: 200,
          headers: [
            ['content-type', 'application/octet-stream'],
            ['x-node-saw', `${open.method} ${open.path} ${host} ${bytes}`],
          ],
        });
        const writer = stream.writable.getWriter();
        for (const chunk of chunks) await writer.write(chunk);
        await writer.close();
      })();
    },
  });
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string') texts.push(event.data);
    else mux.receive(event.data as ArrayBuffer);
  });
  return { status: 101, socket, texts };
}

/** Ask until the answer has `status` (what the object learns arrives a moment later), at most 50 times. */
async function untilStatus(url: string, status: number): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await manager.fetch(new Request(url));
    if (res.status === status || i === 49) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const stubOf = (licence: string) => env.RELAY.get(env.RELAY.idFromName(`${licence}/nur1`));

/** A body the runtime has to stream: 600 KB in 6 chunks. */
function streamedBody(): { body: ReadableStream<Uint8Array>; bytes: number } {
  let sent = 0;
  return {
    bytes: 6 * 100_000,
    body: new ReadableStream({
      pull(controller) {
        if (sent === 6) return controller.close();
        controller.enqueue(new Uint8Array(100_000).fill(sent++));
      },
    }),
  };
}

describe('relay on Workers (Durable Object per node)', () => {
  it("holds the node's WebSocket in the node's Durable Object; another node's credential cannot take it", async () => {
    const licence = freshLicence();
    const credential = await enrol(licence);
    const other = await enrol(licence, 'nur2');
    const { status } = await connectNode(licence, credential);
    expect(status).toBe(101);
    expect(await runInDurableObject(stubOf(licence), (_instance, state) => state.getWebSockets().length)).toBe(1);
    const stolen = await connectNode(licence, other);
    expect(stolen.status).toBe(403);
    const admin = await manager.fetch(
      new Request(`https://manager.example/v1/licences/${licence}/nodes/nur1/relay`, {
        headers: { upgrade: 'websocket', authorization: 'Bearer test-admin-token' },
      }),
    );
    expect(admin.status).toBe(403);
    expect(await runInDurableObject(stubOf(licence), (_instance, state) => state.getWebSockets().length)).toBe(1);
  });

  it("relays a request for the relay name through the node's socket, bodies streamed both ways", async () => {
    const licence = freshLicence();
    await connectNode(licence, await enrol(licence));
    const { body, bytes } = streamedBody();
    const res = await manager.fetch(
      new Request(`https://${relayName(licence)}/v1/upload?x=1`, {
        method: 'POST',
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-node-saw')).toBe(`POST /v1/upload?x=1 ${relayName(licence)} ${bytes}`);
    const echoed = new Uint8Array(await res.arrayBuffer());
    expect(echoed.byteLength).toBe(bytes);
    expect([echoed[0], echoed[150_000], echoed[599_999]]).toEqual([0, 1, 5]);
  });

  it('answers 503 problem+json at once when the node is gone, and reaches no other node', async () => {
    const licence = freshLicence();
    const { socket } = await connectNode(licence, await enrol(licence));
    socket!.close(1000, 'agent stopping');
    // The close reaches the object; then the relay name has nowhere to go.
    const res = await untilStatus(`https://${relayName(licence)}/v1/items`, 503);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { type: string }).type).toBe('urn:hairpin:problem:relay-offline');
    // A relay name of a licence that has no node at all: the same answer, nothing connected.
    const none = await manager.fetch(new Request(`https://${relayName(freshLicence())}/v1/items`));
    expect(none.status).toBe(503);
    await none.body?.cancel();
  });

  it('answers heartbeats by auto-response while the object hibernates, and relays after waking', async () => {
    const licence = freshLicence();
    const node = await connectNode(licence, await enrol(licence));
    const pair = await runInDurableObject(stubOf(licence), (_instance, state) => state.getWebSocketAutoResponse());
    expect([pair?.request, pair?.response]).toEqual([HEARTBEAT_PING, HEARTBEAT_PONG]);
    await evictDurableObject(stubOf(licence), { webSockets: 'hibernate' });
    node.socket!.send(HEARTBEAT_PING);
    for (let i = 0; i < 100 && !node.texts.includes(HEARTBEAT_PONG); i++) await new Promise((r) => setTimeout(r, 10));
    expect(node.texts).toContain(HEARTBEAT_PONG);
    const answered = await runInDurableObject(stubOf(licence), (_instance, state) =>
      state.getWebSocketAutoResponseTimestamp(state.getWebSockets()[0]!),
    );
    expect(answered).toBeInstanceOf(Date);
    // Woken by a request, a new object finds the hibernated socket and relays through it.
    const res = await manager.fetch(
      new Request(`https://${relayName(licence)}/v1/after`, { method: 'POST', body: 'awake' }),
    );
    expect(res.headers.get('x-node-saw')).toBe(`POST /v1/after ${relayName(licence)} 5`);
    expect(await res.text()).toBe('awake');
  });

  it("caps the node's concurrent streams (429 problem+json)", async () => {
    const licence = freshLicence();
    const credential = await enrol(licence);
    // A node that never answers: its streams stay open.
    const res = await manager.fetch(
      new Request(`https://manager.example/v1/licences/${licence}/nodes/nur1/relay`, {
        headers: { upgrade: 'websocket', authorization: `Bearer ${credential}` },
      }),
    );
    const socket = (res as unknown as { webSocket: WebSocket }).webSocket;
    socket.accept();
    const pending = [1, 2].map(() => manager.fetch(new Request(`https://${relayName(licence)}/v1/hold`)));
    const refused = await untilStatus(`https://${relayName(licence)}/v1/third`, 429);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { type: string }).type).toBe('urn:hairpin:problem:relay-busy');
    socket.close(1000, 'done');
    for (const r of await Promise.all(pending)) {
      expect([502, 503]).toContain(r.status);
      await r.body?.cancel();
    }
  });
});
