// DoH is HTTP over TCP: a question that timed out is still in the server's hands, and asking it
// again doubles the load of a server that is already slow (a fleet of agents probing their
// manager at once after an outage). A timed-out question is asked once, with the whole budget;
// a connection that closed under it is still asked again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dohTransport } from '../../probe/doh.ts';
import { observe } from '../../probe/observe.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A DoH server whose `nth` request (from 1) is handled by `handle`; returns its URL and the count. */
async function dohServer(handle: (n: number, query: Buffer, res: import('node:http').ServerResponse) => void) {
  let requests = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(++requests, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`, requests: () => requests };
}

describe('observe over DoH', () => {
  it('asks a question that timed out once, not once per try', async () => {
    const doh = await dohServer(() => {}); // reads the question, never answers
    const seen = await observe(dohTransport(doh.url), 'i-nur1.pl-1234.example.test', 'A', {
      timeoutMs: 100,
      attempts: 3,
    });
    expect(seen).toMatchObject({ outcome: 'timeout', attempts: 1 });
    expect(doh.requests()).toBe(1);
  });

  it('asks again when the connection closed under the question', async () => {
    const doh = await dohServer((n, query, res) => {
      if (n === 1) return res.socket?.destroy();
      // The question back with QR set and no records: a NOERROR answer.
      const answer = Buffer.from(query);
      answer[2]! |= 0x80;
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(answer);
    });
    const seen = await observe(dohTransport(doh.url), 'i-nur1.pl-1234.example.test', 'A', {
      timeoutMs: 5_000,
      attempts: 2,
    });
    expect(seen).toMatchObject({ outcome: 'answer', rcode: 'NOERROR', attempts: 2 });
    expect(doh.requests()).toBe(2);
  });
});
