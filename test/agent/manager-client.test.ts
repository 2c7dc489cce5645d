// Reports retry on transport errors, 5xx and 429 (bounded, with backoff and jitter), and
// surface other 4xx at once.
import { describe, expect, it } from 'vitest';
import { ManagerClient, ManagerError } from '../../agent/manager-client.ts';
import { backoffDelay, RetryableError, type RetryPolicy } from '../../agent/retry.ts';

function scripted(answers: (Response | Error)[]) {
  const calls: string[] = [];
  const fetchImpl = (async (url: URL, init: RequestInit) => {
    calls.push(`${init.method} ${url.pathname}`);
    const next = answers.shift() ?? new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

function client(fetchImpl: typeof fetch, delays: number[]) {
  const retry: RetryPolicy = {
    attempts: 4,
    baseMs: 100,
    maxMs: 1000,
    random: () => 1,
    sleep: async (ms) => void delays.push(ms),
  };
  return new ManagerClient({
    url: 'http://manager.invalid',
    licence: '1234',
    node: 'nur1',
    credential: 'hpn_x',
    retry,
    fetch: fetchImpl,
  });
}

const ok = () => Response.json({ names: {}, serial: 7, changed: true, addresses: null });
const problem = (status: number, type: string) =>
  new Response(JSON.stringify({ type: `urn:hairpin:problem:${type}`, detail: 'no' }), { status });

describe('ManagerClient retries', () => {
  it('retries 503 and transport errors with growing delays, then succeeds', async () => {
    const delays: number[] = [];
    const { calls, fetchImpl } = scripted([new TypeError('fetch failed'), problem(503, 'internal'), ok()]);
    const answer = await client(fetchImpl, delays).reportAddresses({ privateIpv4: '10.0.0.2' });
    expect(answer.serial).toBe(7);
    expect(calls).toEqual(Array(3).fill('PUT /v1/licences/1234/nodes/nur1/addresses'));
    expect(delays).toEqual([100, 200]);
  });

  it('honours Retry-After on 429 and 503 as a floor capped by the policy, with its jitter on top', async () => {
    const delays: number[] = [];
    const { fetchImpl } = scripted([
      new Response('', { status: 429, headers: { 'retry-after': '120' } }),
      problem(503, 'overloaded'),
      new Response('', { status: 503, headers: { 'retry-after': '0' } }),
      ok(),
    ]);
    await client(fetchImpl, delays).reportAddresses({ privateIpv4: '10.0.0.2' });
    // 120 s capped at 1 s, plus full jitter (random() = 1 here) over 100 ms, then 200 ms, 400 ms.
    expect(delays).toEqual([1000 + 100, 200, 400]);
  });

  it('surfaces 403 at once with its problem type, never retried', async () => {
    const delays: number[] = [];
    const { calls, fetchImpl } = scripted([problem(403, 'forbidden'), ok()]);
    const error = await client(fetchImpl, delays)
      .reportAddresses({ privateIpv4: '10.0.0.2' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ManagerError);
    expect(error).toMatchObject({ status: 403, problem: 'forbidden' });
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('gives up after the bounded number of attempts', async () => {
    const delays: number[] = [];
    const { calls, fetchImpl } = scripted(Array.from({ length: 10 }, () => problem(502, 'internal')));
    await expect(client(fetchImpl, delays).reportAddresses({ privateIpv4: '10.0.0.2' })).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(calls).toHaveLength(4);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('jitters: full jitter spreads delays over [0, cap]', () => {
    const policy = { attempts: 6, baseMs: 500, maxMs: 30_000 };
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, policy, () => 0.999)).toBeLessThan(30_000);
  });
});
