// The HTTP port's bounds, held against clients that try to hold it: a request head sent a byte at a
// time, a body that never ends, a connection left open; connections over the caps; requests the
// parser refuses, answered as problem+json. Deadlines are short here (300 ms) and each closure is
// asserted within a generous multiple, never near scheduling noise.
import { connect as connectH2 } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';

const DEADLINE_MS = 300;
/** Closed within this counts as "within the deadline" on a loaded machine. */
const CLOSED_WITHIN_MS = 10 * DEADLINE_MS;

let short: TestManager;
let capped: TestManager;
beforeAll(async () => {
  short = await startTestManager({
    HAIRPIN_HTTP_HEADERS_TIMEOUT_MS: String(DEADLINE_MS),
    HAIRPIN_HTTP_REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
    HAIRPIN_HTTP_IDLE_TIMEOUT_MS: String(DEADLINE_MS),
  });
  capped = await startTestManager({ HAIRPIN_HTTP_MAX_CONNECTIONS: '6', HAIRPIN_HTTP_MAX_CONNECTIONS_PER_SOURCE: '3' });
});
afterAll(async () => {
  await short?.close();
  await capped?.close();
});

interface Client {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the time from `since` to the server closing the connection. */
  closed: Promise<number>;
}

async function open(port: number, localAddress = '127.0.0.1'): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  const started = Date.now();
  let text = '';
  socket.on('data', (d) => (text += d));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, received: () => text, closed };
}

/** Write `text` one byte every `everyMs` until the server closes (or the text runs out). */
async function trickle(client: Client, text: string, everyMs = 50): Promise<number> {
  let sent = 0;
  for (const byte of text) {
    if (client.socket.destroyed || client.socket.writableEnded) break;
    client.socket.write(byte);
    sent++;
    await Promise.race([sleep(everyMs), client.closed]);
  }
  return sent;
}

function port(manager: TestManager): number {
  return manager.http.port;
}

describe('deadlines', () => {
  it('closes a connection whose request head arrives a byte at a time, within the head deadline', async () => {
    const client = await open(port(short));
    const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(400)}\r\n\r\n`;
    const sent = await trickle(client, head);
    expect(await client.closed).toBeLessThan(CLOSED_WITHIN_MS);
    expect(sent).toBeLessThan(head.length);
  });

  it('closes a connection that sends nothing, and an HTTP/2 one that never completes a request', async () => {
    const silent = await open(port(short));
    const h2 = await open(port(short));
    h2.socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    expect(await silent.closed).toBeLessThan(CLOSED_WITHIN_MS);
    expect(await h2.closed).toBeLessThan(CLOSED_WITHIN_MS);
  });

  it('ends a request whose body never arrives within the request deadline', async () => {
    const client = await open(port(short));
    // DoH reads the whole message before answering anything.
    client.socket.write(
      'POST /dns-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/dns-message\r\nContent-Length: 400\r\n\r\n',
    );
    await trickle(client, '\0'.repeat(399));
    expect(await client.closed).toBeLessThan(CLOSED_WITHIN_MS * 2);
  });

  it('closes a kept-alive connection once idle, after answering', async () => {
    const client = await open(port(short));
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await client.closed).toBeLessThan(CLOSED_WITHIN_MS);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
  });

  it('still answers an HTTP/2 client that keeps its requests coming', async () => {
    const session = connectH2(short.url);
    session.on('error', () => {});
    try {
      for (let i = 0; i < 3; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const stream = session.request({ ':path': '/healthz' });
          stream.on('response', (h) => resolve(Number(h[':status'])));
          stream.on('error', reject);
          stream.resume();
        });
        expect(status).toBe(200);
        await sleep(DEADLINE_MS / 3);
      }
    } finally {
      session.close();
    }
  });
});

describe('connection caps', () => {
  it('closes connections over the per-source cap on accept; other sources still get in', async () => {
    const held = await Promise.all([1, 2, 3].map(() => open(port(capped))));
    const over = await open(port(capped)).catch(() => undefined);
    if (over) expect(await over.closed).toBeLessThan(CLOSED_WITHIN_MS);
    // Another loopback address is another source.
    const other = await open(port(capped), '127.0.0.2');
    other.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await other.closed;
    expect(other.received()).toMatch(/^HTTP\/1\.1 200/);
    // A connection that ends makes room for the next from its source.
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await sleep(50);
    const next = await open(port(capped));
    next.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await next.closed;
    expect(next.received()).toMatch(/^HTTP\/1\.1 200/);
    for (const c of held) c.socket.destroy();
  });

  it('closes connections over the total cap', async () => {
    const held = await Promise.all(
      ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'].map((a) => open(port(capped), a)),
    );
    const over = await open(port(capped), '127.0.0.9').catch(() => undefined);
    if (over) expect(await over.closed).toBeLessThan(CLOSED_WITHIN_MS);
    for (const c of held) c.socket.destroy();
  });
});

describe('requests the parser refuses', () => {
  async function exchange(
    raw: string,
  ): Promise<{ status: number; type: string | undefined; contentType: string | undefined }> {
    const client = await open(port(short));
    client.socket.write(raw);
    await client.closed;
    const text = client.received();
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return {
      status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
      contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1],
      type: body ? (JSON.parse(body) as { type?: string }).type : undefined,
    };
  }

  it('answers a header line that is not a header with 400 problem+json', async () => {
    expect(await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n')).toEqual({
      status: 400,
      contentType: 'application/problem+json',
      type: 'urn:hairpin:problem:malformed-http',
    });
  });

  it('answers a request head larger than allowed with 431 problem+json', async () => {
    expect(await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toEqual({
      status: 431,
      contentType: 'application/problem+json',
      type: 'urn:hairpin:problem:header-too-large',
    });
  });

  it('answers a path the adapter refuses (a backslash) with 400 problem+json', async () => {
    expect(await exchange('GET /a\\b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toEqual({
      status: 400,
      contentType: 'application/problem+json',
      type: 'urn:hairpin:problem:malformed-http',
    });
  });
});
