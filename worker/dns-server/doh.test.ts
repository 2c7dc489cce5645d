import { Buffer } from 'node:buffer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FLAG_TC, headerRcode, records } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { query } from '../../test/dns/wire-client.ts';
import { startTestManager, type TestManager } from '../../test/support/manager.ts';
import { metricSample } from '../../test/support/metrics.ts';

// Enough name servers with glue that the NS answer is larger than any UDP limit (1232).
const MANY_NS = Array.from({ length: 60 }, (_, i) => `ns${i}.example.test=192.0.2.${i + 1}`).join(' ');

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The counter `series` in the manager's /metrics text. */
const sample = (manager: TestManager, series: string) => metricSample(manager.metrics.render(), series);

// A SQLite file (the wal-index counter tells the cache of every commit) and ':memory:' (the
// manager follows its own changes): DoH answers from the cache on both, and a report is in the
// very next answer.
describe.each(['file', 'memory'] as const)('DoH through the response cache (SQLite %s)', (kind) => {
  let dir: string;
  let manager: TestManager;
  let credential: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-doh-'));
    manager = await startTestManager({
      HAIRPIN_NAMESERVERS: MANY_NS,
      ...(kind === 'file' ? { HAIRPIN_DB: join(dir, 'hairpin.sqlite') } : {}),
    });
    credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(async () => {
    await manager?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const name = 'i-nur1.pl-1234.example.test';
  const get = (id = 7) => fetch(`${manager.url}/dns-query?dns=${base64url(encodeMessage(query(name, 'A', 1232, id)))}`);
  const post = () =>
    fetch(`${manager.url}/dns-query`, {
      method: 'POST',
      headers: { 'content-type': 'application/dns-message' },
      body: encodeMessage(query(name, 'A', 1232)) as BodyInit,
    });
  const wireAddress = async (res: Response) => {
    expect(res.status).toBe(200);
    return records(decodeMessage(new Uint8Array(await res.arrayBuffer())).answers).map((r) => r.data);
  };
  const jsonAddress = async () => {
    const res = await fetch(`${manager.url}/resolve?name=${name}&type=A`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { Answer: { data: string }[] }).Answer.map((a) => a.data);
  };

  it('counts repeated questions as cache hits, GET, POST and JSON alike, with the same headers', async () => {
    const hits = () => sample(manager, 'hairpin_dns_cache_hits_total{transport="doh"}');
    const answered = () => sample(manager, 'hairpin_dns_queries_total{transport="doh",rcode="NOERROR"}');
    const [hitsBefore, answeredBefore] = [hits(), answered()];
    const first = await get(1);
    expect(first.headers.get('cache-control')).toBe('max-age=300');
    expect(await wireAddress(first)).toEqual(['10.1.2.3']);
    // Another ID, the same question: answered with the asker's ID (and kept now: an answer is
    // kept the second time its question misses).
    const again = await get(2);
    expect(again.headers.get('cache-control')).toBe('max-age=300');
    expect(again.headers.get('content-type')).toBe('application/dns-message');
    const bytes = new Uint8Array(await again.arrayBuffer());
    expect(decodeMessage(bytes).id).toBe(2);
    expect(records(decodeMessage(bytes).answers).map((r) => r.data)).toEqual(['10.1.2.3']);
    expect(await wireAddress(await post())).toEqual(['10.1.2.3']);
    expect(await jsonAddress()).toEqual(['10.1.2.3']);
    expect(await jsonAddress()).toEqual(['10.1.2.3']);
    expect(await jsonAddress()).toEqual(['10.1.2.3']);
    // POST (the same bytes as GET's), JSON's third.
    expect(hits() - hitsBefore).toBe(2);
    expect(answered() - answeredBefore).toBe(6);
  });

  it('answers a report in the very next DoH answer, wire and JSON', async () => {
    for (const address of ['10.9.0.1', '10.9.0.2', '10.9.0.3']) {
      // Cached before the report: the report must drop these answers.
      await get();
      await jsonAddress();
      await manager.report('1234', 'nur1', credential, { privateIpv4: address });
      expect(await wireAddress(await get())).toEqual([address]);
      expect(await wireAddress(await post())).toEqual([address]);
      expect(await jsonAddress()).toEqual([address]);
    }
  });

  it('gives DoH answers up to 65,535 bytes, as TCP, whatever EDNS advertises', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(
        `${manager.url}/dns-query?dns=${base64url(encodeMessage(query('example.test', 'NS', 1232)))}`,
      );
      const message = decodeMessage(new Uint8Array(await res.arrayBuffer()));
      expect(message.flags! & FLAG_TC).toBe(0);
      expect(records(message.answers)).toHaveLength(60);
    }
  });

  it('keeps negative answers and problem+json for what is not a query', async () => {
    const nx = await fetch(
      `${manager.url}/dns-query?dns=${base64url(encodeMessage(query('nope.pl-1234.example.test', 'A')))}`,
    );
    expect(headerRcode(decodeMessage(new Uint8Array(await nx.arrayBuffer())))).toBe(Rcode.NXDOMAIN);
    expect(nx.headers.get('cache-control')).toBe('max-age=60');
    const response = encodeMessage({ ...query(name, 'A'), type: 'response' });
    for (const bytes of [response, encodeMessage(query(name, 'A')).slice(0, 20)]) {
      const res = await fetch(`${manager.url}/dns-query?dns=${base64url(bytes)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
