// The manager's ACME side: node challenge endpoints, the acme-dns-compatible API (its accounts
// listed, capped, revoked with the credential or the node), and the zone serving
// `_acme-challenge.<name>` from both, on a real manager (Node) on SQLite and Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME_DNS_ACCOUNTS_PER_NODE } from '../../worker/store/acme-challenges.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../support/postgres.ts';

const V1 = 'a'.repeat(43);
const V2 = 'b'.repeat(43);
const V3 = 'c'.repeat(43);

let manager: TestManager;
let nur1: string;
let nur2: string;

async function call(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${manager.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (text ? JSON.parse(text) : undefined) as any,
  };
}

async function txt(name: string): Promise<string[]> {
  const found = await manager.zone.lookup(name);
  return found.status === 'exists'
    ? found.records.filter((r) => r.type === 'TXT').map((r) => String((r.data as unknown[])[0]))
    : [];
}

const backends = [
  { name: 'sqlite', postgres: false },
  ...(postgresBinDir() ? [{ name: 'postgres', postgres: true }] : []),
];

describe.each(backends)('ACME on $name', ({ postgres }) => {
  let pg: TestPostgres | undefined;
  beforeAll(async () => {
    pg = postgres ? await startPostgres() : undefined;
    manager = await startTestManager(pg ? { HAIRPIN_DB: pg.url } : {});
    nur1 = await manager.enrol('1234', 'nur1');
    nur2 = await manager.enrol('1234', 'nur2');
  }, 60_000);
  afterAll(async () => {
    await manager?.close();
    await pg?.stop();
  });

  describe('node challenge endpoints', () => {
    const path = '/v1/licences/1234/nodes/nur1/acme-challenges';

    it('publishes a value at _acme-challenge.<name> and moves the serial', async () => {
      const before = await manager.store.serial();
      const res = await call('PUT', path, nur1, { name: 'internal', value: V1 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name: 'internal',
        fqdn: '_acme-challenge.i-nur1.pl-1234.example.test',
        values: [V1],
      });
      expect(res.body.serial).toBeGreaterThan(before);
      expect(await txt('_acme-challenge.i-nur1.pl-1234.example.test')).toEqual([V1]);
      expect(await txt('_acme-challenge.nur1.pl-1234.example.test')).toEqual([]);
    });

    it('keeps the two most recent values per name', async () => {
      await call('PUT', path, nur1, { name: 'external', value: V1 });
      await new Promise((r) => setTimeout(r, 5));
      await call('PUT', path, nur1, { name: 'external', value: V2 });
      await new Promise((r) => setTimeout(r, 5));
      const res = await call('PUT', path, nur1, { name: 'external', value: V3 });
      expect(res.body.values).toEqual([V3, V2]);
      expect((await txt('_acme-challenge.nur1.pl-1234.example.test')).sort()).toEqual([V2, V3]);
    });

    it('withdraws one value, then all, and says 404 when there is nothing', async () => {
      expect((await call('DELETE', path, nur1, { name: 'external', value: V3 })).body.values).toEqual([V2]);
      expect((await call('DELETE', path, nur1, { name: 'external' })).body.values).toEqual([]);
      expect((await call('DELETE', path, nur1, { name: 'external' })).status).toBe(404);
      expect(await txt('_acme-challenge.nur1.pl-1234.example.test')).toEqual([]);
    });

    it('refuses values that are not DNS-01 digests and unknown names', async () => {
      expect((await call('PUT', path, nur1, { name: 'internal', value: 'hello world' })).status).toBe(400);
      expect((await call('PUT', path, nur1, { name: 'apps', value: V1 })).status).toBe(400);
    });

    it("a node credential cannot set another node's challenge or addresses (403)", async () => {
      const challenge = await call('PUT', '/v1/licences/1234/nodes/nur2/acme-challenges', nur1, {
        name: 'external',
        value: V1,
      });
      expect(challenge.status).toBe(403);
      expect(challenge.body.type).toBe('urn:hairpin:problem:forbidden');
      const addresses = await call('PUT', '/v1/licences/1234/nodes/nur2/addresses', nur1, { privateIpv4: '10.0.0.2' });
      expect(addresses.status).toBe(403);
      expect(await txt('_acme-challenge.nur2.pl-1234.example.test')).toEqual([]);
    });

    it('lets the admin set any node’s values', async () => {
      expect(
        (
          await call('PUT', '/v1/licences/1234/nodes/nur2/acme-challenges', ADMIN_TOKEN, {
            name: 'external',
            value: V1,
          })
        ).status,
      ).toBe(200);
      expect(await txt('_acme-challenge.nur2.pl-1234.example.test')).toEqual([V1]);
    });
  });

  describe('acme-dns-compatible API', () => {
    it('registers an account bound to one node name, and /update sets its TXT', async () => {
      const reg = await call('POST', '/register', nur1, { licence: '1234', node: 'nur1', name: 'external' });
      expect(reg.status).toBe(201);
      expect(reg.body).toMatchObject({ fulldomain: '_acme-challenge.nur1.pl-1234.example.test', allowfrom: [] });
      const { username, password, subdomain } = reg.body;
      const up = await call(
        'POST',
        '/update',
        undefined,
        { subdomain, txt: V3 },
        { 'x-api-user': username, 'x-api-key': password },
      );
      expect([up.status, up.body]).toEqual([200, { txt: V3 }]);
      expect(await txt('_acme-challenge.nur1.pl-1234.example.test')).toContain(V3);
      // As acme-dns: the body is JSON whatever the Content-Type (fetch sends text/plain for a string).
      const plain = await call(
        'POST',
        '/update',
        undefined,
        { subdomain, txt: V2 },
        { 'x-api-user': username, 'x-api-key': password, 'content-type': 'text/plain;charset=UTF-8' },
      );
      expect(plain.status).toBe(200);
    });

    it('refuses /register for another node, a wrong key, a foreign subdomain, and sources outside allowfrom', async () => {
      expect((await call('POST', '/register', nur1, { licence: '1234', node: 'nur2', name: 'external' })).status).toBe(
        403,
      );
      const a = (await call('POST', '/register', nur1, { licence: '1234', node: 'nur1', name: 'internal' })).body;
      const b = (await call('POST', '/register', nur2, { licence: '1234', node: 'nur2', name: 'internal' })).body;
      expect(
        (
          await call(
            'POST',
            '/update',
            undefined,
            { subdomain: a.subdomain, txt: V1 },
            { 'x-api-user': a.username, 'x-api-key': 'wrong' },
          )
        ).status,
      ).toBe(401);
      expect(
        (
          await call(
            'POST',
            '/update',
            undefined,
            { subdomain: b.subdomain, txt: V1 },
            { 'x-api-user': a.username, 'x-api-key': a.password },
          )
        ).status,
      ).toBe(403);
      const fenced = (
        await call('POST', '/register', nur1, {
          licence: '1234',
          node: 'nur1',
          name: 'internal',
          allowfrom: ['192.0.2.0/24'],
        })
      ).body;
      expect(
        (
          await call(
            'POST',
            '/update',
            undefined,
            { subdomain: fenced.subdomain, txt: V1 },
            { 'x-api-user': fenced.username, 'x-api-key': fenced.password },
          )
        ).status,
      ).toBe(403);
      const loopback = (
        await call('POST', '/register', nur1, {
          licence: '1234',
          node: 'nur1',
          name: 'internal',
          allowfrom: ['127.0.0.0/8', '::1/128'],
        })
      ).body;
      expect(
        (
          await call(
            'POST',
            '/update',
            undefined,
            { subdomain: loopback.subdomain, txt: V2 },
            { 'x-api-user': loopback.username, 'x-api-key': loopback.password },
          )
        ).status,
      ).toBe(200);
    });
  });
  describe('acme-dns accounts: listed, capped, revoked', () => {
    const register = (credential: string, node: string, name = 'external') =>
      call('POST', '/register', credential, { licence: '1234', node, name });
    const update = (account: { username: string; password: string; subdomain: string }, value: string) =>
      call(
        'POST',
        '/update',
        undefined,
        { subdomain: account.subdomain, txt: value },
        { 'x-api-user': account.username, 'x-api-key': account.password },
      );
    const accounts = (credential: string, node: string) =>
      call('GET', `/v1/licences/1234/nodes/${node}/acme-dns-accounts`, credential);

    it('lists a node’s accounts without secrets, and deletes one', async () => {
      const credential = await manager.enrol('1234', 'nur3');
      const kept = (await register(credential, 'nur3', 'internal')).body;
      const dropped = (await register(credential, 'nur3')).body;
      const listed = await accounts(credential, 'nur3');
      expect(listed.status).toBe(200);
      expect(listed.body).toMatchObject({ licence: '1234', node: 'nur3', limit: ACME_DNS_ACCOUNTS_PER_NODE });
      expect(listed.body.accounts.map((a: { username: string }) => a.username).sort()).toEqual(
        [kept.username, dropped.username].sort(),
      );
      expect(listed.body.accounts.find((a: { username: string }) => a.username === kept.username)).toMatchObject({
        name: 'internal',
        fulldomain: '_acme-challenge.i-nur3.pl-1234.example.test',
        subdomain: kept.subdomain,
        allowfrom: [],
      });
      expect(JSON.stringify(listed.body)).not.toContain(kept.password);
      expect((await accounts(nur1, 'nur3')).status).toBe(403);

      const path = `/v1/licences/1234/nodes/nur3/acme-dns-accounts/${dropped.username}`;
      expect((await call('DELETE', path, nur1)).status).toBe(403);
      expect((await call('DELETE', path, credential)).status).toBe(204);
      expect((await call('DELETE', path, ADMIN_TOKEN)).status).toBe(404);
      expect((await update(dropped, V1)).status).toBe(401);
      expect((await update(kept, V1)).status).toBe(200);
    });

    it(`refuses the account after ${ACME_DNS_ACCOUNTS_PER_NODE} with a 409 problem until one is deleted`, async () => {
      const credential = await manager.enrol('1234', 'nur4');
      for (let i = 0; i < ACME_DNS_ACCOUNTS_PER_NODE; i++)
        expect((await register(credential, 'nur4')).status).toBe(201);
      const refused = await register(credential, 'nur4');
      expect(refused).toMatchObject({
        status: 409,
        type: 'application/problem+json',
        body: { type: 'urn:hairpin:problem:conflict', status: 409 },
      });
      expect(refused.body.detail).toContain(`${ACME_DNS_ACCOUNTS_PER_NODE} acme-dns accounts`);
      expect((await register(ADMIN_TOKEN, 'nur4')).status).toBe(409);
      // Another node's allowance is its own.
      expect((await register(nur2, 'nur2')).status).toBe(201);
      const [first] = (await accounts(credential, 'nur4')).body.accounts;
      expect(
        (await call('DELETE', `/v1/licences/1234/nodes/nur4/acme-dns-accounts/${first.username}`, credential)).status,
      ).toBe(204);
      expect((await register(credential, 'nur4')).status).toBe(201);
    });

    it('rotating the credential revokes the accounts made with it', async () => {
      const old = await manager.enrol('1234', 'nur5');
      const a = (await register(old, 'nur5')).body;
      const b = (await register(old, 'nur5', 'internal')).body;
      expect((await update(a, V1)).status).toBe(200);
      const rotated = await call('POST', '/v1/licences/1234/nodes/nur5/credential', ADMIN_TOKEN);
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ licence: '1234', node: 'nur5', acmeDnsAccountsRevoked: 2 });
      for (const account of [a, b]) expect((await update(account, V2)).status).toBe(401);
      expect((await register(old, 'nur5')).status).toBe(401);
      expect((await accounts(rotated.body.credential, 'nur5')).body.accounts).toEqual([]);
      // The new credential registers afresh.
      const fresh = (await register(rotated.body.credential, 'nur5')).body;
      expect((await update(fresh, V2)).status).toBe(200);
      expect((await call('POST', '/v1/licences/1234/nodes/nobody/credential', ADMIN_TOKEN)).status).toBe(404);
    });

    it('deleting the node deletes its accounts', async () => {
      const credential = await manager.enrol('1234', 'nur6');
      const account = (await register(credential, 'nur6')).body;
      expect((await call('DELETE', '/v1/licences/1234/nodes/nur6', ADMIN_TOKEN)).status).toBe(204);
      expect((await update(account, V1)).status).toBe(401);
      const rows = await manager.store.db
        .selectFrom('acme_dns_accounts')
        .select('username')
        .where('node', '=', 'nur6')
        .execute();
      expect(rows).toEqual([]);
    });
  });
});
