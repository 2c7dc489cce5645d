// The last known address on Node: real TLS on loopback with certificates from a test CA, undici's
// Agent with the lookup under test. The resolver is the one stand-in: the system's cannot be told
// to answer names on loopback, and the lookup is exactly the seam the feature sits on. Its
// failures have the shape getaddrinfo's have in Node (`code`, `syscall`, `hostname`).

import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../lab/pki.ts';
import { denoTestFile } from '../test/support/deno.ts';
import { freePort } from '../test/support/net.ts';
import { startTestNode } from '../test/support/node-server.ts';
import { classify } from './classify.ts';
import { createHairpinClient, type OriginStorage, type OriginSwitchEvent } from './index.ts';
import { type LookupAddress, type LookupFunction, lastKnownAddress } from './last-known-address.ts';

const INTERNAL = 'i-nur1.pl-1234.example.test';
const EXTERNAL = 'nur1.pl-1234.example.test';
const names = { internal: INTERNAL, external: EXTERNAL };

/** The shop's resolver: a name answers an address, fails with a getaddrinfo code, or never answers. */
function resolver(answers: Record<string, string | `EAI_${string}` | 'ENOTFOUND' | 'silent'>) {
  let asked = 0;
  const lookup: LookupFunction = (hostname, options, callback) => {
    asked++;
    const answer = answers[hostname] ?? 'ENOTFOUND';
    if (answer === 'silent') return;
    setImmediate(() => {
      if (answer.startsWith('E')) {
        const error = Object.assign(new Error(`getaddrinfo ${answer} ${hostname}`), {
          code: answer,
          syscall: 'getaddrinfo',
          hostname,
        });
        return callback(error, options.all ? [] : '');
      }
      const found: LookupAddress = { address: answer, family: 4 };
      if (options.all) callback(null, [found]);
      else callback(null, found.address, found.family);
    });
  };
  return { answers, lookup, asked: () => asked };
}

let pki: TestPki;
let otherPki: TestPki;
beforeAll(() => {
  pki = createTestPki();
  otherPki = createTestPki();
});
afterAll(() => {
  pki.dispose();
  otherPki.dispose();
});
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(host: string, port: number, label: string, tls = pki.issue([INTERNAL, EXTERNAL])) {
  const n = await startTestNode({ host, port, tls, names, label });
  cleanups.push(() => n.stop());
  return n;
}

/** A fresh connection pool each call: a pooled connection would skip the lookup altogether. */
function fetchWith(lookup: LookupFunction): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: pki.caPem, lookup } });
  cleanups.push(() => dispatcher.close());
  return (input, init) => fetch(input, { ...init, dispatcher } as RequestInit);
}

async function served(res: Response): Promise<string> {
  return ((await res.json()) as { served: string }).served;
}

/** The failure of a fetch, classified as the client does. */
async function failureOf(p: Promise<Response>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  return classify(error, { origin: 'x', timedOut: false });
}

describe('lastKnownAddress', () => {
  it('connects to the address the name last resolved to once the resolver fails, the name kept for TLS', async () => {
    const port = await freePort('127.0.0.2');
    const at = await node('127.0.0.2', port, 'node');
    const dns = resolver({ [INTERNAL]: '127.0.0.2' });
    const addresses = lastKnownAddress({ lookup: dns.lookup });
    const url = `https://${INTERNAL}:${port}/v1/stock`;
    expect(await served(await fetchWith(addresses.lookup)(url))).toBe('node');
    for (const code of ['EAI_AGAIN', 'ENOTFOUND'] as const) {
      dns.answers[INTERNAL] = code;
      expect(await served(await fetchWith(addresses.lookup)(url))).toBe('node');
    }
    expect(at.hits.get('/v1/stock')).toBe(3);
  });

  it('a wrong certificate at the remembered address fails the handshake', async () => {
    const port = await freePort('127.0.0.3');
    const dns = resolver({ [INTERNAL]: '127.0.0.3' });
    const addresses = lastKnownAddress({ lookup: dns.lookup });
    const url = `https://${INTERNAL}:${port}/v1/stock`;
    const real = await node('127.0.0.3', port, 'node');
    expect(await served(await fetchWith(addresses.lookup)(url))).toBe('node');
    await real.stop();
    dns.answers[INTERNAL] = 'EAI_AGAIN';
    // Another device now has the address: a certificate for another name from a trusted CA…
    const impostor = await node('127.0.0.3', port, 'impostor', pki.issue(['someone-else.example.test']));
    expect(await failureOf(fetchWith(addresses.lookup)(url))).toMatchObject({
      kind: 'tls',
      detail: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    await impostor.stop();
    // …or one for the right name from a CA nobody trusts.
    const forger = await node('127.0.0.3', port, 'forger', otherPki.issue([INTERNAL]));
    expect(await failureOf(fetchWith(addresses.lookup)(url))).toMatchObject({ kind: 'tls' });
    expect(impostor.hits.size + forger.hits.size).toBe(0);
  });

  it('is never used while the name resolves, even to an address where nothing answers', async () => {
    const port = await freePort('127.0.0.2');
    const before = await node('127.0.0.2', port, 'before');
    const dns = resolver({ [INTERNAL]: '127.0.0.2' });
    const addresses = lastKnownAddress({ lookup: dns.lookup });
    const url = `https://${INTERNAL}:${port}/v1/stock`;
    expect(await served(await fetchWith(addresses.lookup)(url))).toBe('before');
    // The node moved (a new DHCP lease): the old address still answers, the new one refuses.
    dns.answers[INTERNAL] = '127.0.0.4';
    expect(await failureOf(fetchWith(addresses.lookup)(url))).toMatchObject({ kind: 'refused' });
    expect(before.hits.get('/v1/stock')).toBe(1);
    // The new address is what is remembered now.
    expect(addresses.remembered(INTERNAL)).toEqual([{ address: '127.0.0.4', family: 4 }]);
    await node('127.0.0.4', port, 'after');
    dns.answers[INTERNAL] = 'EAI_AGAIN';
    expect(await served(await fetchWith(addresses.lookup)(url))).toBe('after');
    expect(before.hits.get('/v1/stock')).toBe(1);
  });

  it('a failure with nothing remembered, an address too old, or a name not listed is the resolver’s error', async () => {
    const port = await freePort('127.0.0.2');
    await node('127.0.0.2', port, 'node');
    const dns = resolver({ [INTERNAL]: 'EAI_AGAIN', [EXTERNAL]: '127.0.0.2' });
    const young = lastKnownAddress({ lookup: dns.lookup, names: [INTERNAL] });
    expect(await failureOf(fetchWith(young.lookup)(`https://${INTERNAL}:${port}/`))).toMatchObject({
      kind: 'dns',
      detail: 'EAI_AGAIN',
    });
    // Not one of the names: looked up, never remembered.
    await fetchWith(young.lookup)(`https://${EXTERNAL}:${port}/`);
    expect(young.remembered(EXTERNAL)).toBeUndefined();

    dns.answers[INTERNAL] = '127.0.0.2';
    const old = lastKnownAddress({ lookup: dns.lookup, maxAgeMs: 1 });
    await fetchWith(old.lookup)(`https://${INTERNAL}:${port}/`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    dns.answers[INTERNAL] = 'ENOTFOUND';
    expect(await failureOf(fetchWith(old.lookup)(`https://${INTERNAL}:${port}/`))).toMatchObject({ kind: 'dns' });
  });

  it('a resolver that never answers counts as failed after lookupTimeoutMs, when an address is remembered', async () => {
    const port = await freePort('127.0.0.2');
    await node('127.0.0.2', port, 'node');
    const dns = resolver({ [INTERNAL]: '127.0.0.2' });
    const addresses = lastKnownAddress({ lookup: dns.lookup, lookupTimeoutMs: 100 });
    const url = `https://${INTERNAL}:${port}/`;
    await fetchWith(addresses.lookup)(url);
    dns.answers[INTERNAL] = 'silent';
    expect(await served(await fetchWith(addresses.lookup)(url))).toBe('node');
  });

  it('keeps at most maxNames names, and outlives the process through storage (malformed entries ignored)', async () => {
    const dns = resolver({
      'a.example.test': '127.0.0.2',
      'b.example.test': '127.0.0.3',
      'c.example.test': '127.0.0.4',
    });
    const saved = new Map<string, string>();
    const storage: OriginStorage = { getItem: (k) => saved.get(k) ?? null, setItem: (k, v) => void saved.set(k, v) };
    const small = lastKnownAddress({ lookup: dns.lookup, maxNames: 2 });
    const withStorage = lastKnownAddress({ lookup: dns.lookup, storage });
    const ask = (lookup: LookupFunction, name: string) =>
      new Promise<void>((resolve) => lookup(name, { all: true }, () => resolve()));
    for (const name of ['a.example.test', 'b.example.test', 'c.example.test']) {
      await ask(small.lookup, name);
      await ask(withStorage.lookup, name);
    }
    expect(small.remembered('a.example.test')).toBeUndefined();
    expect(small.remembered('c.example.test')).toEqual([{ address: '127.0.0.4', family: 4 }]);

    saved.set('hairpin:last-address:b.example.test', '{"at":"soon","addresses":[1]}');
    const restarted = lastKnownAddress({ lookup: dns.lookup, storage });
    expect(restarted.remembered('a.example.test')).toEqual([{ address: '127.0.0.2', family: 4 }]);
    expect(restarted.remembered('b.example.test')).toBeUndefined();
  });

  it('the client keeps working on the LAN through a DNS outage of both names', async () => {
    const port = await freePort('127.0.0.2');
    const internal = await node('127.0.0.2', port, 'internal');
    const externalPort = await freePort('127.0.0.1');
    await node('127.0.0.1', externalPort, 'external');
    const dns = resolver({ [INTERNAL]: '127.0.0.2', [EXTERNAL]: '127.0.0.1' });
    const addresses = lastKnownAddress({ lookup: dns.lookup, names: [INTERNAL, EXTERNAL] });
    const client = createHairpinClient({
      mountPoint: `https://${INTERNAL}:${port}/`,
      otherOrigin: `https://${EXTERNAL}:${externalPort}`,
      storage: null,
      reprobe: false,
      // A pool per call, so that every call after the outage looks the names up again.
      fetch: (input, init) => fetchWith(addresses.lookup)(input, init),
    });
    cleanups.push(() => client.close());
    const switches: OriginSwitchEvent[] = [];
    client.addEventListener('switch', (e) => switches.push(e as OriginSwitchEvent));
    expect(await served(await client.fetch('/v1/stock'))).toBe('internal');
    dns.answers[INTERNAL] = 'EAI_AGAIN';
    dns.answers[EXTERNAL] = 'EAI_AGAIN';
    const asked = dns.asked();
    for (let i = 0; i < 3; i++) {
      expect(await served(await client.fetch('/v1/sales', { method: 'POST', body: `sale ${i}` }))).toBe('internal');
    }
    expect(internal.hits.get('/v1/sales')).toBe(3);
    expect(dns.asked()).toBeGreaterThan(asked);
    expect(switches.map((s) => s.reason)).toEqual(['race']);
  });
});

describe('lastKnownAddress under Deno, through undici from npm', () => {
  // lab/pki.ts runs openssl and writes its files in a temporary directory.
  denoTestFile('client/last-known-address.deno.ts', 1, ['--allow-read', '--allow-write', '--allow-run', '--allow-env']);
});
