// Where a report's public address comes from when the node does not say: the request's source,
// directly or through the header of a proxy the operator trusts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestManager, type TestManager } from '../support/manager.ts';

let direct: TestManager;
let proxied: TestManager;
beforeAll(async () => {
  direct = await startTestManager();
  proxied = await startTestManager({ HAIRPIN_TRUSTED_PROXY_HEADER: 'X-Forwarded-For' });
});
afterAll(async () => {
  await direct?.close();
  await proxied?.close();
});

async function report(manager: TestManager, credential: string, body: object, forwardedFor?: string) {
  const res = await fetch(`${manager.url}/v1/licences/4400/nodes/nur1/addresses`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${credential}`,
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      addresses: { publicIpv4: string | null; publicIpv6: string | null; sourceAddress: string | null };
    }
  ).addresses;
}

describe('public address from the request', () => {
  it('without a trusted header: a loopback source is no public address, and a client header is ignored', async () => {
    const credential = await direct.enrol('4400', 'nur1');
    expect(await report(direct, credential, { privateIpv4: '10.0.0.1', publicIpv4: '203.0.113.1' })).toMatchObject({
      publicIpv4: '203.0.113.1',
      sourceAddress: '127.0.0.1',
    });
    // Not public: the stored address stays; the header is the client's word, not a proxy's.
    expect(await report(direct, credential, { privateIpv4: '10.0.0.2' }, '198.51.100.7')).toMatchObject({
      publicIpv4: '203.0.113.1',
      sourceAddress: '127.0.0.1',
    });
  });

  it("behind a trusted proxy: the last X-Forwarded-For entry, the proxy's own, is the source", async () => {
    const credential = await proxied.enrol('4400', 'nur1');
    // The first entry came from the client and could say anything.
    expect(await report(proxied, credential, { privateIpv4: '10.0.0.1' }, '192.0.2.66, 198.51.100.7')).toMatchObject({
      publicIpv4: '198.51.100.7',
      sourceAddress: '198.51.100.7',
    });
    expect(await report(proxied, credential, { privateIpv4: '10.0.0.2' }, '2606:4700:4700::1111')).toMatchObject({
      publicIpv4: '198.51.100.7',
      publicIpv6: '2606:4700:4700::1111',
    });
    // Not an address: no source at all, and the stored public addresses stay.
    expect(await report(proxied, credential, { privateIpv4: '10.0.0.3' }, 'localhost; DROP TABLE nodes')).toMatchObject(
      { publicIpv4: '198.51.100.7', sourceAddress: null },
    );
  });
});
