import { connect as connectH2 } from 'node:http2';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHttp, serveHttp } from './serve.ts';

let http: RunningHttp;
beforeAll(async () => {
  http = await serveHttp(
    async (request) => new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`),
    { host: '127.0.0.1', port: 0 },
  );
});
afterAll(() => http.close());

describe('HTTP/1.1 and h2c on one port', () => {
  it('an HTTP/1.1 request that arrives a byte at a time ("P", "U", …) is still HTTP/1.1', async () => {
    const request = 'PUT /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi';
    const socket = connect(http.port, '127.0.0.1');
    socket.setNoDelay(true);
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    // Separate segments: the server's first read holds only the first bytes of the method.
    for (const part of ['P', 'U', 'T /v1', request.slice(7)]) {
      socket.write(part);
      await sleep(20);
    }
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/PUT \/v1\/x hi$/);
  });

  it('a client speaking HTTP/2 with prior knowledge (h2c) gets HTTP/2', async () => {
    const session = connectH2(`http://127.0.0.1:${http.port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': '/h2' });
        let data = '';
        stream.on('data', (d) => (data += d));
        stream.on('end', () => resolve(data));
        stream.on('error', reject);
      });
      expect(body).toBe('GET /h2 ');
    } finally {
      session.close();
    }
  });
});
