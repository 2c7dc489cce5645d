import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FLAG_TC, records } from '../../dns/message.ts';
import { query, tcpAsk } from '../../test/dns/wire-client.ts';
import { startTestManager, type TestManager } from '../../test/support/manager.ts';
import { ConfigError } from '../config.ts';
import { DEFAULT_RATE_LIMIT, type RateVerdict, ResponseRateLimiter, rateLimitFromEnv, slipped } from './rate-limit.ts';

describe('ResponseRateLimiter', () => {
  const options = { ...DEFAULT_RATE_LIMIT, rate: 4, slip: 2, tableSize: 64 };
  const verdicts = (limiter: ResponseRateLimiter, address: string, n: number) =>
    Array.from({ length: n }, () => limiter.verdict(address));
  const count = (list: RateVerdict[], v: RateVerdict) => list.filter((x) => x === v).length;

  it('sends the rate, then every other response slips and the rest are dropped; refills with time', () => {
    let now = 0;
    const limiter = new ResponseRateLimiter(options, () => now);
    expect(verdicts(limiter, '192.0.2.1', 10)).toEqual([
      'send',
      'send',
      'send',
      'send',
      'drop',
      'slip',
      'drop',
      'slip',
      'drop',
      'slip',
    ]);
    now += 500;
    expect(count(verdicts(limiter, '192.0.2.1', 10), 'send')).toBe(2);
    now += 10_000;
    expect(count(verdicts(limiter, '192.0.2.1', 10), 'send')).toBe(4);
  });

  it('counts a /24 and a /56 as one source, and other prefixes apart', () => {
    const limiter = new ResponseRateLimiter(options, () => 0);
    verdicts(limiter, '192.0.2.1', 4);
    expect(limiter.verdict('192.0.2.200')).not.toBe('send');
    expect(limiter.verdict('::ffff:192.0.2.9')).not.toBe('send');
    expect(limiter.verdict('192.0.3.1')).toBe('send');
    verdicts(limiter, '2001:db8:0:100::1', 4);
    expect(limiter.verdict('2001:db8:0:1ff::2')).not.toBe('send');
    expect(limiter.verdict('2001:db8:0:200::1')).toBe('send');
  });

  it('never slips with slip 0, always with slip 1', () => {
    const never = new ResponseRateLimiter({ ...options, slip: 0 }, () => 0);
    expect(count(verdicts(never, '192.0.2.1', 20), 'slip')).toBe(0);
    const always = new ResponseRateLimiter({ ...options, slip: 1 }, () => 0);
    expect(count(verdicts(always, '192.0.2.1', 20), 'slip')).toBe(16);
  });

  it('keeps a fixed table however many sources come: over the rate is still over the rate', () => {
    let now = 0;
    const limiter = new ResponseRateLimiter(options, () => now);
    for (let i = 0; i < 100_000; i++) limiter.verdict(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    now += 1;
    expect(count(verdicts(limiter, '198.51.100.1', 10), 'send')).toBe(4);
  });
});

describe('slipped', () => {
  it('keeps the header and the question, sets TC, drops every record', () => {
    const wire = encodeMessage({
      ...query('i-nur1.pl-1234.example.test', 'A', 1232, 77),
      type: 'response',
      answers: [{ type: 'A', name: 'i-nur1.pl-1234.example.test', ttl: 60, data: '10.1.2.3' }],
    });
    const slip = slipped(wire);
    const message = decodeMessage(slip);
    expect(slip.byteLength).toBeLessThan(wire.byteLength);
    expect(message.id).toBe(77);
    expect(message.flags! & FLAG_TC).toBe(FLAG_TC);
    expect(message.questions?.[0]?.name).toBe('i-nur1.pl-1234.example.test');
    expect([message.answers, message.additionals]).toEqual([[], []]);
    const bare = slipped(Uint8Array.from([1, 2, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(decodeMessage(bare).flags! & FLAG_TC).toBe(FLAG_TC);
  });
});

describe('rateLimitFromEnv', () => {
  it('is on by default, off with rate 0, and refuses nonsense', () => {
    expect(rateLimitFromEnv({})).toEqual(DEFAULT_RATE_LIMIT);
    expect(rateLimitFromEnv({ HAIRPIN_RRL_RATE: '0' })).toBeUndefined();
    expect(rateLimitFromEnv({ HAIRPIN_RRL_RATE: '50', HAIRPIN_RRL_SLIP: '3' })).toMatchObject({
      rate: 50,
      slip: 3,
      ipv4Prefix: 24,
      ipv6Prefix: 56,
    });
    expect(() => rateLimitFromEnv({ HAIRPIN_RRL_RATE: 'fast' })).toThrow(ConfigError);
    expect(() => rateLimitFromEnv({ HAIRPIN_RRL_IPV4_PREFIX: '33' })).toThrow(ConfigError);
  });
});

/** Send `n` queries from one socket bound to `source`, collect what comes back within a second. */
async function burst(port: number, source: string, n: number): Promise<{ answered: Uint8Array[]; elapsedMs: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, source, resolve));
  const answered: Uint8Array[] = [];
  socket.on('message', (m) => answered.push(new Uint8Array(m)));
  const start = performance.now();
  for (let i = 0; i < n; i++)
    socket.send(encodeMessage(query('i-nur1.pl-1234.example.test', 'A', undefined, i)), port, '127.0.0.1');
  const elapsedMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 1000));
  socket.close();
  return { answered, elapsedMs };
}

describe('response rate limiting in the built-in server', () => {
  let manager: TestManager;
  beforeAll(async () => {
    manager = await startTestManager({
      HAIRPIN_RRL_RATE: '2',
      HAIRPIN_RRL_SLIP: '2',
      HAIRPIN_METRICS_TOKEN: 'metrics-token-for-tests',
    });
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(async () => manager?.close());

  it('bounds what one /24 receives over UDP, slips TC answers, leaves other prefixes and TCP alone', async () => {
    const port = manager.dns.udpPort;
    const { answered, elapsedMs } = await burst(port, '127.0.0.1', 60);
    const full = answered.filter((m) => records(decodeMessage(m).answers).length > 0);
    const truncated = answered.filter((m) => (decodeMessage(m).flags! & FLAG_TC) !== 0);
    // The bucket's two, and what refilled while the queries were being answered (bounded by
    // the whole second we listened, however slow the machine).
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(full.length).toBeLessThanOrEqual(2 + Math.ceil(((elapsedMs + 1000) / 1000) * 2));
    expect(truncated.length).toBeGreaterThan(10);
    expect(full.length + truncated.length).toBe(answered.length);
    expect(answered.length).toBeLessThan(45);
    // Another /24 is counted apart; TCP is never limited.
    const other = await burst(port, '127.0.1.1', 1);
    expect(records(decodeMessage(other.answered[0]!).answers)).toHaveLength(1);
    expect(records((await tcpAsk(port, query('i-nur1.pl-1234.example.test', 'A')))?.answers)).toHaveLength(1);
    // Counted for /metrics.
    const metrics = await (
      await fetch(`${manager.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests' } })
    ).text();
    expect(Number(/hairpin_dns_rrl_actions_total\{action="slip"\} (\d+)/.exec(metrics)?.[1])).toBe(truncated.length);
  });
});
