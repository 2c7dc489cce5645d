// The local pairing endpoint shares decisions: one at a time, a minute's reuse, `?fresh` at most
// every 10 s; and it answers only Host names it serves (DNS rebinding). Decisions are counted,
// never timed: the clock is a variable the test moves.

import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairingDecision } from '../../agent/pairing.ts';
import {
  DECISION_MAX_AGE_MS,
  FRESH_MIN_INTERVAL_MS,
  listenPairingEndpoint,
  SharedDecision,
} from '../../agent/pairing-endpoint.ts';

const names = { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' };

/** A decision source that counts calls and settles only when told. */
function scriptedDecisions() {
  let now = 1_000_000;
  let made = 0;
  const pending: ((d: PairingDecision) => void)[] = [];
  const shared = new SharedDecision<PairingDecision>(
    () => {
      made++;
      return new Promise((resolve) => pending.push(resolve));
    },
    () => now,
  );
  const settleAll = () => {
    for (const resolve of pending.splice(0))
      resolve({
        url: `https://${names.internal}:8443/`,
        kind: 'internal',
        explanation: [`decision ${made}`],
      } as PairingDecision);
  };
  return { shared, settleAll, made: () => made, advance: (ms: number) => void (now += ms) };
}

/** One request to the endpoint, with a chosen Host header and method (fetch would send its own Host). */
function ask(port: number, path: string, options: { host?: string; method?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          headers: { host: options.host ?? `127.0.0.1:${port}` },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

describe('SharedDecision', () => {
  it('coalesces concurrent callers, fresh or not, onto the decision in flight', async () => {
    const d = scriptedDecisions();
    const all = Promise.all([d.shared.get(), d.shared.get({ fresh: true }), d.shared.get({ fresh: true })]);
    d.settleAll();
    const [a, b, c] = await all;
    expect(d.made()).toBe(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it(`lets ?fresh decide again only ${FRESH_MIN_INTERVAL_MS / 1000} s after the last decision, and plain requests after ${DECISION_MAX_AGE_MS / 1000} s`, async () => {
    const d = scriptedDecisions();
    const first = d.shared.get();
    d.settleAll();
    await first;
    d.advance(FRESH_MIN_INTERVAL_MS - 1);
    expect(await d.shared.get({ fresh: true })).toBe(await first);
    expect(d.made()).toBe(1);
    d.advance(1);
    const fresh = d.shared.get({ fresh: true });
    d.settleAll();
    expect(await fresh).not.toBe(await first);
    expect(d.made()).toBe(2);
    d.advance(DECISION_MAX_AGE_MS - 1);
    expect(await d.shared.get()).toBe(await fresh);
    d.advance(1);
    const later = d.shared.get();
    d.settleAll();
    await later;
    expect(d.made()).toBe(3);
  });

  it('reuses a failed decision within the window too (failures are not a way around the limit)', async () => {
    let made = 0;
    const shared = new SharedDecision(
      async () => {
        made++;
        throw new Error('resolver unreachable');
      },
      () => 0,
    );
    await expect(shared.get({ fresh: true })).rejects.toThrow('resolver unreachable');
    await expect(shared.get({ fresh: true })).rejects.toThrow('resolver unreachable');
    expect(made).toBe(1);
  });
});

describe('the pairing endpoint', () => {
  const d = scriptedDecisions();
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = await listenPairingEndpoint({ host: '127.0.0.1', port: 0 }, d.shared, names);
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

  /** GET with a chosen Host header (fetch would send its own). */
  const get = (path: string, host = `127.0.0.1:${port}`) => ask(port, path, { host });

  it('answers twenty concurrent ?fresh requests with one decision', async () => {
    const answers = Array.from({ length: 20 }, () => get('/pairing-url?fresh'));
    // Settle once the first has arrived: the rest join it in flight or reuse it right after.
    while (d.made() === 0) await new Promise((r) => setImmediate(r));
    d.settleAll();
    const bodies = (await Promise.all(answers)).map((a) => JSON.parse(a.body));
    expect(d.made()).toBe(1);
    expect(new Set(bodies.map((b) => b.explanation[0]))).toEqual(new Set(['decision 1']));
  });

  it('refuses Host names it does not serve (a rebinding page sends its own) with 421', async () => {
    const refused = await get('/pairing-url?fresh', `attacker.example:${port}`);
    expect(refused.status).toBe(421);
    expect(JSON.parse(refused.body)).toMatchObject({ type: 'urn:hairpin:problem:misdirected-request' });
    // Nothing a rebinding page could use: not this machine's name, not the node's names.
    for (const secret of [hostname(), names.internal, names.external, 'attacker.example'])
      expect(refused.body).not.toContain(secret);
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      `192.168.1.20:${port}`,
      names.internal,
    ]) {
      expect((await get('/pairing-url', host)).status, host).toBe(200);
    }
    expect(d.made()).toBe(1);
  });

  it('answers every refusal as problem+json: another path, another method, a failed decision', async () => {
    const other = await get('/');
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body)).toMatchObject({ type: 'urn:hairpin:problem:not-found', status: 404 });
    const post = await ask(port, '/pairing-url', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect(JSON.parse(post.body)).toMatchObject({ type: 'urn:hairpin:problem:method-not-allowed' });

    const failing = new SharedDecision<PairingDecision>(
      () => Promise.reject(new Error('no resolver answered')),
      () => 0,
    );
    const broken = await listenPairingEndpoint({ host: '127.0.0.1', port: 0 }, failing, names);
    try {
      const failed = await ask((broken.address() as AddressInfo).port, '/pairing-url');
      expect(failed.status).toBe(503);
      expect(failed.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(failed.body)).toMatchObject({
        type: 'urn:hairpin:problem:pairing-unavailable',
        detail: 'no resolver answered',
      });
    } finally {
      await new Promise<void>((resolve) => broken.close(() => resolve()));
    }
  });
});
