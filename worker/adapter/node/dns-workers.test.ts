// DNS worker threads: every thread serves the store's current answers (a report seen by all at
// once, through the journal), their counts reach /metrics, a thread that ends is replaced while
// the others answer, and the settings and shares are what the docs say.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../log/logger.ts';
import { answerSummary, query, tcpAsk, udpAsk } from '../../../test/dns/wire-client.ts';
import { startTestManager, type TestManager } from '../../../test/support/manager.ts';
import { metricSample } from '../../../test/support/metrics.ts';
import { DEFAULT_LIMITS } from '../../dns-server/limits.ts';
import { DEFAULT_RATE_LIMIT } from '../../dns-server/rate-limit.ts';
import { Metrics } from '../../metrics.ts';
import { openStore } from '../sqlite/store.ts';
import { dnsWorkerCount, startDnsWorkers, workerShare } from './dns-workers.ts';

const METRICS_TOKEN = 'workers-metrics-token';
/** Questions per check, each from a socket of its own: the kernel spreads their source ports over the threads. */
const QUESTIONS = 40;
let dir: string;
let manager: TestManager;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hairpin-dns-workers-'));
  manager = await startTestManager({
    HAIRPIN_DB: join(dir, 'hairpin.sqlite'),
    HAIRPIN_DNS_WORKERS: '2',
    HAIRPIN_METRICS_TOKEN: METRICS_TOKEN,
  });
});
afterAll(async () => {
  await manager?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const internal = 'i-nur1.pl-4242.example.test';

async function answersFromAll(address: string): Promise<void> {
  const udp = await Promise.all(
    Array.from({ length: QUESTIONS }, () => udpAsk(manager.dns.udpPort, query(internal, 'A'))),
  );
  const tcp = await Promise.all(Array.from({ length: 8 }, () => tcpAsk(manager.dns.tcpPort, query(internal, 'A'))));
  for (const answer of [...udp, ...tcp])
    expect(answerSummary(answer)).toBe(`NOERROR aa=true soa-in-authority=false [${internal} 300 A "${address}"]`);
}

async function dnsQueriesCounted(): Promise<number> {
  const res = await fetch(`${manager.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return metricSample(await res.text(), 'hairpin_dns_queries_total{transport="udp",rcode="NOERROR"}');
}

describe('DNS worker threads', () => {
  it('answer what the store holds now: a report reaches every thread at once, cached answers included', async () => {
    const credential = await manager.enrol('4242', 'nur1');
    await manager.report('4242', 'nur1', credential, { privateIpv4: '192.168.1.10' });
    await answersFromAll('192.168.1.10');
    // Every thread has it cached now; the next report must reach all of them before any answer.
    await manager.report('4242', 'nur1', credential, { privateIpv4: '192.168.1.11' });
    await answersFromAll('192.168.1.11');
  });

  it('count in memory the main thread adds up for /metrics: every answer, at once', async () => {
    const before = await dnsQueriesCounted();
    await Promise.all(Array.from({ length: QUESTIONS }, () => udpAsk(manager.dns.udpPort, query(internal, 'A'))));
    expect(await dnsQueriesCounted()).toBe(before + QUESTIONS);
  });

  it('replace a thread that ends, the others answering meanwhile', async () => {
    const db = join(dir, 'alone.sqlite');
    const opened = await openStore(db);
    await opened.close();
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    const dns = await startDnsWorkers({
      count: 2,
      env: { HAIRPIN_ADMIN_TOKEN: 'admin', HAIRPIN_DB: db },
      db,
      host: '127.0.0.1',
      port: 0,
      rateLimit: undefined,
      metrics: new Metrics(Date.now),
      write: (line) => lines.push(line),
      logger,
    });
    try {
      const soa = () => udpAsk(dns.udpPort, query('example.test', 'SOA'));
      const [first] = dns.threads();
      await first!.terminate();
      for (const answer of await Promise.all(Array.from({ length: 10 }, soa)))
        expect(answerSummary(answer)).toMatch(/^NOERROR /);
      for (let tries = 0; tries < 100 && dns.threads().length < 2; tries++) await new Promise((r) => setTimeout(r, 50));
      expect(dns.threads()).toHaveLength(2);
      expect(dns.threads()).not.toContain(first);
      expect(lines.join('\n')).toMatch(/a worker thread ended; starting another/);
      for (const answer of await Promise.all(Array.from({ length: 10 }, soa)))
        expect(answerSummary(answer)).toMatch(/^NOERROR /);
    } finally {
      await dns.close();
    }
    expect(dns.threads()).toHaveLength(0);
  });
});

describe('HAIRPIN_DNS_WORKERS', () => {
  it('defaults to a thread per core on a store other threads can open, none on :memory:', () => {
    expect(dnsWorkerCount({}, 'data/hairpin.sqlite')).toBeGreaterThan(0);
    expect(dnsWorkerCount({}, 'postgres://db/hairpin')).toBeGreaterThan(0);
    expect(dnsWorkerCount({}, ':memory:')).toBe(0);
    expect(dnsWorkerCount({ HAIRPIN_DNS_WORKERS: '0' }, 'data/hairpin.sqlite')).toBe(0);
    expect(dnsWorkerCount({ HAIRPIN_DNS_WORKERS: '3' }, 'data/hairpin.sqlite')).toBe(3);
  });

  it('is refused when it is not a count, or names threads for :memory:', () => {
    for (const bad of ['-1', '1.5', 'two', '257'])
      expect(() => dnsWorkerCount({ HAIRPIN_DNS_WORKERS: bad }, 'h.sqlite')).toThrow(/HAIRPIN_DNS_WORKERS/);
    expect(() => dnsWorkerCount({ HAIRPIN_DNS_WORKERS: '2' }, ':memory:')).toThrow(/':memory:'/);
  });

  it('shares the rate limit and the TCP caps among the threads, rounding up', () => {
    const { rateLimit, limits } = workerShare(3, DEFAULT_RATE_LIMIT);
    expect(rateLimit?.rate).toBe(Math.ceil(DEFAULT_RATE_LIMIT.rate / 3));
    expect(limits.maxConnections).toBe(Math.ceil(DEFAULT_LIMITS.maxConnections / 3));
    expect(limits.maxConnectionsPerSource).toBe(Math.ceil(DEFAULT_LIMITS.maxConnectionsPerSource / 3));
    expect(workerShare(64, { ...DEFAULT_RATE_LIMIT, rate: 1 }).rateLimit?.rate).toBe(1);
    expect(workerShare(2, undefined).rateLimit).toBeUndefined();
  });
});
