// /metrics: Prometheus text that promtool (Debian's prometheus package) accepts, guarded by a
// token on the API port or by the address of its own listener, with counters that move with
// traffic: DNS over UDP, TCP and DoH, reports, dyndns2, HTTP by route.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { metricSample } from '../support/metrics.ts';
import { haveSystemPrograms } from '../support/system.ts';

const run = promisify(execFile);
const TOKEN = 'test-metrics-token';
let manager: TestManager;

let dir: string;

beforeAll(async () => {
  // A SQLite file, not :memory:, so that the response cache is on.
  dir = mkdtempSync(join(tmpdir(), 'hairpin-metrics-'));
  manager = await startTestManager({
    HAIRPIN_DB: join(dir, 'hairpin.sqlite'),
    // One DNS thread: each has a cache of its own, and the hits counted below must meet one.
    HAIRPIN_DNS_WORKERS: '1',
    HAIRPIN_METRICS_TOKEN: TOKEN,
    HAIRPIN_METRICS_LISTEN: '127.0.0.1:0',
  });
});
afterAll(async () => {
  await manager?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const res = await fetch(`${manager.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run(
    'dig',
    ['+tries=1', '+time=5', '@127.0.0.1', '-p', String(manager.dns.udpPort), ...args],
    { timeout: 20_000 },
  );
  return stdout;
}

describe('/metrics', () => {
  it('is refused without the token, and off where no token is set', async () => {
    expect((await fetch(`${manager.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${manager.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const off = await startTestManager();
    try {
      expect((await fetch(`${off.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('is served without a token on HAIRPIN_METRICS_LISTEN, and nothing else is', async () => {
    const at = `http://127.0.0.1:${manager.metricsListener!.port}`;
    expect(await (await fetch(`${at}/metrics`)).text()).toContain('# TYPE hairpin_dns_queries_total counter');
    expect((await fetch(`${at}/v1/licences`)).status).toBe(404);
  });

  it.skipIf(!haveSystemPrograms('dig'))(
    'counts DNS by transport and rcode, latency, cache hits, reports, HTTP by route',
    async () => {
      const before = await scrape();
      const credential = await manager.enrol('1234', 'nur1');
      await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
      for (let i = 0; i < 3; i++)
        expect(await dig('+short', '+nocookie', 'i-nur1.pl-1234.example.test', 'A')).toBe('10.1.2.3\n');
      expect(await dig('+tcp', 'nope.pl-1234.example.test', 'A')).toContain('status: NXDOMAIN');
      expect(await dig('example.com', 'A')).toContain('status: REFUSED');
      expect((await fetch(`${manager.url}/resolve?name=nur1.pl-1234.example.test&type=A`)).status).toBe(200);
      const after = await scrape();
      const moved = (series: string) => metricSample(after, series) - metricSample(before, series);
      expect(moved('hairpin_dns_queries_total{transport="udp",rcode="NOERROR"}')).toBe(3);
      expect(moved('hairpin_dns_queries_total{transport="udp",rcode="REFUSED"}')).toBe(1);
      expect(moved('hairpin_dns_queries_total{transport="tcp",rcode="NXDOMAIN"}')).toBe(1);
      expect(moved('hairpin_dns_queries_total{transport="doh",rcode="NOERROR"}')).toBe(1);
      expect(moved('hairpin_dns_answer_seconds_count{transport="udp"}')).toBe(4);
      expect(moved('hairpin_dns_answer_seconds_bucket{transport="udp",le="+Inf"}')).toBe(4);
      // The same question three times (no cookie, so the same bytes): kept the second time it
      // missed, the third from the cache.
      expect(moved('hairpin_dns_cache_hits_total{transport="udp"}')).toBe(1);
      expect(moved('hairpin_reports_total{via="api",outcome="changed"}')).toBe(1);
      expect(moved('hairpin_http_requests_total{route="/v1/licences/:licence/nodes",method="POST",status="201"}')).toBe(
        1,
      );
      expect(
        moved(
          'hairpin_http_requests_total{route="/v1/licences/:licence/nodes/:node/addresses",method="PUT",status="200"}',
        ),
      ).toBe(1);
      expect(moved('hairpin_http_requests_total{route="/metrics",method="GET",status="200"}')).toBe(1);
    },
  );

  it.skipIf(!haveSystemPrograms('promtool'))('passes promtool check metrics', async () => {
    const text = await scrape();
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
      child.stdin.end(text);
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
