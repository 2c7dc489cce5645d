import { Buffer } from 'node:buffer';
import { connect, Http2ServerResponse, type IncomingHttpHeaders } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeMessage, encodeMessage, headerRcode } from '../../../dns/message.ts';
import { Rcode } from '../../../dns/rcode.ts';
import { query } from '../../../test/dns/wire-client.ts';
import { startTestManager, type TestManager } from '../../../test/support/manager.ts';
import { metricSample } from '../../../test/support/metrics.ts';

interface Answer {
  status: number;
  /** The headers both protocols send, by name; the date's value aside. */
  headers: Record<string, string>;
  body: Buffer;
}

/** The headers an answer's bytes and semantics depend on: what HTTP/1.1 adds about its connection, and the date's value, left out. */
function comparable(entries: Iterable<[string, unknown]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (name.startsWith(':') || name === 'connection' || name === 'keep-alive') continue;
    out[name] = name === 'date' ? 'present' : String(value);
  }
  return out;
}

const question = (name: string, id = 7) => Buffer.from(encodeMessage(query(name, 'A', 1232, id))).toString('base64url');

describe('DoH on HTTP/2 streams, beside the app', () => {
  let manager: TestManager;
  const lines: string[] = [];
  // HTTP/2 answers through the compatibility layer: the app's. A stream answered on the core API
  // writes none (and HTTP/1.1's answers are node:http's).
  const written = vi.spyOn(Http2ServerResponse.prototype, 'writeHead');
  beforeAll(async () => {
    manager = await startTestManager({ HAIRPIN_RELAY_TARGET: '127.0.0.1' }, { log: (line) => lines.push(line) });
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(async () => {
    written.mockRestore();
    await manager?.close();
  });

  async function h2(path: string, method = 'GET', body?: Uint8Array, authority?: string): Promise<Answer> {
    const session = connect(manager.url);
    try {
      return await new Promise((resolve, reject) => {
        const stream = session.request({
          ':path': path,
          ':method': method,
          ...(authority ? { ':authority': authority } : {}),
          ...(body ? { 'content-type': 'application/dns-message' } : {}),
        });
        const chunks: Buffer[] = [];
        let headers: IncomingHttpHeaders = {};
        stream.on('response', (h) => {
          headers = h;
        });
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () =>
          resolve({
            status: Number(headers[':status']),
            headers: comparable(Object.entries(headers)),
            body: Buffer.concat(chunks),
          }),
        );
        stream.on('error', reject);
        stream.end(body);
      });
    } finally {
      session.close();
    }
  }

  async function h1(path: string, method = 'GET', body?: Uint8Array): Promise<Answer> {
    const res = await fetch(`${manager.url}${path}`, {
      method,
      ...(body ? { headers: { 'content-type': 'application/dns-message' }, body: body as BodyInit } : {}),
    });
    return { status: res.status, headers: comparable(res.headers), body: Buffer.from(await res.arrayBuffer()) };
  }

  /** The same request over h2c and over HTTP/1.1 (always the app): the same answer, byte for byte. */
  async function same(path: string, method = 'GET', body?: Uint8Array): Promise<Answer> {
    const viaStreams = await h2(path, method, body);
    expect(viaStreams).toEqual(await h1(path, method, body));
    return viaStreams;
  }

  it('answers a hit and a miss on the stream, as the app answers them', async () => {
    const before = written.mock.calls.length;
    const miss = await same(`/dns-query?dns=${question('i-nur1.pl-1234.example.test', 1)}`);
    const hit = await same(`/dns-query?dns=${question('i-nur1.pl-1234.example.test', 2)}`);
    for (const answer of [miss, hit]) {
      expect(answer.status).toBe(200);
      expect(answer.headers).toEqual({
        'content-type': 'application/dns-message',
        'cache-control': 'max-age=300',
        'content-length': String(answer.body.length),
        date: 'present',
      });
    }
    expect(decodeMessage(hit.body).id).toBe(2);
    expect(written.mock.calls.length - before).toBe(0);
  });

  it('answers NXDOMAIN on the stream, with its negative TTL', async () => {
    const nx = await same(`/dns-query?dns=${question('nope.pl-1234.example.test')}`);
    expect(headerRcode(decodeMessage(nx.body))).toBe(Rcode.NXDOMAIN);
    expect(nx.headers['cache-control']).toBe('max-age=60');
  });

  it('leaves every problem, other parameter, method and path to the app', async () => {
    const response = Buffer.from(encodeMessage({ ...query('x.example.test', 'A'), type: 'response' })).toString(
      'base64url',
    );
    const cases: [string, string, number][] = [
      [`/dns-query?dns=${response}`, 'GET', 400], // rejected after the responder
      ['/dns-query?dns=AAAA', 'GET', 400], // too short to be a message
      ['/dns-query?dns=AAAAA', 'GET', 400], // not base64
      ['/dns-query?dns=%%%', 'GET', 400], // the query string's to decode
      [`/dns-query?dns=${'A'.repeat(5_000)}`, 'GET', 413],
      [`/dns-query?dns=${question('x.example.test')}`, 'HEAD', 200],
      [`/dns-query?dns=${question('x.example.test')}`, 'DELETE', 405],
      ['/dns-query?name=i-nur1.pl-1234.example.test', 'GET', 200],
      ['/healthz', 'GET', 200],
    ];
    for (const [path, method, status] of cases) {
      const before = written.mock.calls.length;
      const answer = await same(path, method);
      expect([path, method, answer.status]).toEqual([path, method, status]);
      if (status >= 400) expect(answer.headers['content-type']).toBe('application/problem+json');
      // h2c's, through the app.
      expect(written.mock.calls.length - before).toBe(1);
    }
    const post = await same('/dns-query', 'POST', encodeMessage(query('i-nur1.pl-1234.example.test', 'A', 1232, 3)));
    expect(decodeMessage(post.body).id).toBe(3);
  });

  it("leaves a relay name's requests to the app, which sends them to the node", async () => {
    const before = written.mock.calls.length;
    const relayed = await h2(
      `/dns-query?dns=${question('i-nur1.pl-1234.example.test')}`,
      'GET',
      undefined,
      'relay-nur1-pl-1234.example.test',
    );
    // The node holds no relay socket here: the app's answer says so, where DoH would answer 200.
    expect(relayed.status).not.toBe(200);
    expect(relayed.headers['content-type']).toBe('application/problem+json');
    expect(written.mock.calls.length - before).toBe(1);
  });

  it('counts and logs what it answers as the app does', async () => {
    const counted = () =>
      metricSample(
        manager.metrics.render(),
        'hairpin_http_requests_total{route="/dns-query",method="GET",status="200"}',
      );
    const hits = () => metricSample(manager.metrics.render(), 'hairpin_dns_cache_hits_total{transport="doh"}');
    const path = `/dns-query?dns=${question('i-nur1.pl-1234.example.test')}`;
    await h2(path);
    const [before, hitsBefore, linesBefore] = [counted(), hits(), lines.length];
    await h2(path);
    await h2(path);
    expect(counted() - before).toBe(2);
    expect(hits() - hitsBefore).toBe(2);
    const access = lines.slice(linesBefore).filter((l) => l.includes('access'));
    expect(access).toHaveLength(2);
    for (const line of access)
      expect(line).toMatch(/method=GET path=\/dns-query route=\/dns-query status=200 ms=[\d.]+ client=127\.0\.0\.1/);
  });
});
