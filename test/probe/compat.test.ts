// Probe reports in, the ISP compatibility report out, and who may read it: support tokens,
// Cloudflare Access assertions (against a JWKS on loopback), never a node credential. On the
// embedded SQLite store and on Postgres (the same queries serve D1; its migration runs in test/workers).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../contract/verdicts.ts';
import { decodeMessage, encodeMessage } from '../../dns/message.ts';
import { dohTransport } from '../../probe/doh.ts';
import { type ProbeResult, probeNode } from '../../probe/probe.ts';
import { postProbeReport } from '../../probe/report.ts';
import { createApp } from '../../worker/app.ts';
import { configFromEnv } from '../../worker/config.ts';
import { PER_NODE_KEPT, weekStart } from '../../worker/store/probe-reports.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../support/postgres.ts';

const havePostgres = postgresBinDir() !== undefined;
if (!havePostgres && process.env.CI) throw new Error('CI needs postgresql (scripts/install-system-packages.sh)');

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.skipIf(backend === 'postgres' && !havePostgres)(`on ${backend}`, () => {
    let manager: TestManager;
    let pg: TestPostgres | undefined;
    let sample: ProbeResult;
    const credentials: Record<string, string> = {};

    function result(verdict: Verdict, resolver = 'system (192.168.1.1)'): ProbeResult {
      return { ...sample, verdict, reason: `test: ${verdict}`, resolver };
    }

    async function call(path: string, token?: string, init: RequestInit = {}) {
      const res = await fetch(`${manager.url}${path}`, {
        ...init,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
      return { status: res.status, body: (await res.json().catch(() => null)) as any };
    }

    async function supportToken(body: Record<string, unknown> = {}): Promise<string> {
      const res = await call('/v1/support-tokens', ADMIN_TOKEN, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(201);
      return res.body.token;
    }

    /** An app over the same store, configured from Worker-style bindings, seeing request.cf. */
    function workersApp(bindings: Record<string, string> = {}, now = Date.now) {
      const config = configFromEnv({ HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN, ...bindings });
      return createApp({ config, store: manager.store, zone: manager.zone, peerAddress: () => '203.0.113.9', now });
    }

    beforeAll(async () => {
      if (backend === 'postgres') pg = await startPostgres();
      manager = await startTestManager(pg ? { HAIRPIN_DB: pg.url } : {});
      for (const node of ['nur1', 'nur2', 'nur3']) credentials[node] = await manager.enrol('1234', node);
      await manager.report('1234', 'nur1', credentials.nur1!, { privateIpv4: '10.1.2.3' });
      const doh = dohTransport(`${manager.url}/dns-query`);
      sample = await probeNode({ names: { internal: 'i-nur1.pl-1234.example.test' }, truth: doh, resolver: doh });
      const post = (node: string, verdict: Verdict, label: string, hairpins: boolean | null, resolver?: string) =>
        postProbeReport(manager.url, '1234', node, credentials[node]!, {
          result: result(verdict, resolver),
          hairpins,
          network: { label },
        });
      await post('nur1', 'ok', 'orange-pro', false);
      await post('nur1', 'ok', 'orange-pro', false);
      await post('nur2', 'ok', 'orange-pro', null, 'udp://192.168.1.1:53');
      await post('nur3', 'filtered-servfail', 'free', true);
      await post('nur3', 'filtered-servfail', 'free', true);
      await post('nur3', 'timeout', 'free', null);
    });

    afterAll(async () => {
      await manager?.close();
      await pg?.stop();
    });

    describe('probe reports', () => {
      it('are recorded with the network: public address and the label the node sent', async () => {
        const res = await call('/v1/licences/1234/nodes/nur1/probe-reports', credentials.nur1, {
          method: 'POST',
          body: JSON.stringify({ result: sample, hairpins: false, network: { label: 'orange-pro', asn: 3215 } }),
        });
        expect(res.status).toBe(201);
        expect(res.body.network).toEqual({
          publicAddress: '127.0.0.1',
          asn: 3215,
          organisation: null,
          label: 'orange-pro',
          source: 'node',
        });
      });

      it('take the ASN from request.cf on Workers over what the node says', async () => {
        const body = JSON.stringify({ result: sample, network: { asn: 1, label: 'shop wifi' } });
        const request = new Request('http://manager/v1/licences/1234/nodes/nur2/probe-reports', {
          method: 'POST',
          headers: {
            authorization: `Bearer ${credentials.nur2}`,
            'content-type': 'application/json',
            'content-length': String(new TextEncoder().encode(body).byteLength),
          },
          body,
        });
        Object.defineProperty(request, 'cf', { value: { asn: 12322, asOrganization: 'Free SAS' } });
        const res = await workersApp().fetch(request, {});
        expect(res.status).toBe(201);
        expect(((await res.json()) as any).network).toEqual({
          publicAddress: '203.0.113.9',
          asn: 12322,
          organisation: 'Free SAS',
          label: 'shop wifi',
          source: 'edge',
        });
      });

      it('look the ASN up through HAIRPIN_ASN_LOOKUP (Team Cymru over DoH) when the runtime does not know it', async () => {
        const cymru: Record<string, string> = {
          '9.113.0.203.origin.asn.cymru.com': '3215 | 203.0.113.0/24 | FR | ripencc | 1990-01-01',
          'as3215.asn.cymru.com': '3215 | FR | ripencc | 1990-01-01 | FT-ORANGE-AS Orange, FR',
        };
        const doh = createServer(async (req, res) => {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const query = decodeMessage(new Uint8Array(Buffer.concat(chunks)));
          const q = query.questions![0]!;
          const txt = cymru[q.name.toLowerCase()];
          const answer = encodeMessage({
            id: query.id,
            type: 'response',
            flags: txt ? 0x8180 : 0x8183,
            questions: [q],
            answers: txt ? [{ name: q.name, type: 'TXT', ttl: 60, class: 'IN', data: [txt] }] : [],
          });
          res.writeHead(200, { 'content-type': 'application/dns-message' }).end(answer);
        });
        await new Promise<void>((r) => doh.listen(0, '127.0.0.1', r));
        try {
          const bindings = { HAIRPIN_ASN_LOOKUP: `http://127.0.0.1:${(doh.address() as AddressInfo).port}/dns-query` };
          const res = await workersApp(bindings).request(
            '/v1/licences/1234/nodes/nur2/probe-reports',
            {
              method: 'POST',
              headers: { authorization: `Bearer ${credentials.nur2}`, 'content-type': 'application/json' },
              body: JSON.stringify({ result: sample, network: { label: 'shop' } }),
            },
            bindings,
          );
          expect(res.status).toBe(201);
          expect(((await res.json()) as any).network).toEqual({
            publicAddress: '203.0.113.9',
            asn: 3215,
            organisation: 'FT-ORANGE-AS Orange, FR',
            label: 'shop',
            source: 'lookup',
          });
        } finally {
          await new Promise<void>((r) => doh.close(() => r()));
        }
      });

      it("need the node's own credential, and a verdict code", async () => {
        const body = JSON.stringify({ result: sample });
        expect(
          (await call('/v1/licences/1234/nodes/nur2/probe-reports', credentials.nur1, { method: 'POST', body })).status,
        ).toBe(403);
        expect(
          (await call('/v1/licences/1234/nodes/nur2/probe-reports', undefined, { method: 'POST', body })).status,
        ).toBe(401);
        const bad = await call('/v1/licences/1234/nodes/nur1/probe-reports', credentials.nur1, {
          method: 'POST',
          body: JSON.stringify({ result: { ...sample, verdict: 'fine' } }),
        });
        expect(bad.status).toBe(400);
        expect(bad.body.detail).toMatch(/verdict code/);
        expect(
          (
            await call('/v1/licences/1234/nodes/nur1/probe-reports', credentials.nur1, {
              method: 'POST',
              body: JSON.stringify({ result: sample, hairpin: true }),
            })
          ).status,
        ).toBe(400);
      });
    });

    describe('GET /v1/compat', () => {
      it('aggregates per network and resolver: resolved, failures, hairpins, last seen', async () => {
        const { status, body } = await call('/v1/compat', await supportToken());
        expect(status).toBe(200);
        const free = body.networks.find((n: any) => n.network === 'label:free');
        expect(free).toMatchObject({ reports: 3, resolved: 0, hairpins: { yes: 2, no: 0, unknown: 1 } });
        expect(free.verdicts).toMatchObject({ 'filtered-servfail': 2, timeout: 1, ok: 0 });
        const orange = body.networks.find((n: any) => n.network === 'label:orange-pro');
        expect(orange).toMatchObject({ reports: 3, resolved: 3, hairpins: { yes: 0, no: 2, unknown: 1 } });
        expect(orange.resolvers.map((r: any) => [r.resolver, r.reports])).toEqual([
          ['system (192.168.1.1)', 2],
          ['udp://192.168.1.1:53', 1],
        ]);
        expect(body.networks.find((n: any) => n.network === 'AS12322')).toMatchObject({
          organisation: 'Free SAS',
          reports: 1,
        });
        expect(Date.parse(free.lastSeen)).toBeGreaterThan(Date.now() - 60_000);
      });

      it('drills down per licence and node', async () => {
        const token = await supportToken();
        const licence = await call('/v1/compat/licences/1234', token);
        expect(licence.body.nodes.find((n: any) => n.node === 'nur3')).toMatchObject({
          reports: 3,
          verdicts: { 'filtered-servfail': 2, timeout: 1 },
        });
        const node = await call('/v1/compat/licences/1234/nodes/nur3?limit=2', token);
        expect(node.body.reports).toHaveLength(2);
        expect(node.body.reports[0].evidence.checks.length).toBeGreaterThan(3);
      });

      it(`keeps a node's newest ${PER_NODE_KEPT} reports and drops older ones as new ones come`, async () => {
        const reports = manager.store.probeReports;
        const [template] = await reports.forNode('1234', 'nur1', 1);
        for (let i = 1; i <= PER_NODE_KEPT + 5; i++)
          await reports.add({ ...template!, id: `many-${i}`, node: 'nur-many', at: i });
        const kept = await reports.forNode('1234', 'nur-many', 1_000);
        expect(kept).toHaveLength(PER_NODE_KEPT);
        expect(Math.min(...kept.map((r) => r.at))).toBe(6);
        // Other nodes are untouched.
        expect((await reports.forNode('1234', 'nur1', 1_000)).length).toBeGreaterThan(0);
      });

      it('counts reports per network, ISO week (Monday 00:00 UTC) and verdict in the database', async () => {
        const reports = manager.store.probeReports;
        const [template] = await reports.forNode('1234', 'nur1', 1);
        const network = { ...template!.network, asn: 64501, label: null };
        const at = (iso: string) => Date.parse(iso);
        const sent: [string, Verdict][] = [
          ['2026-11-01T23:59:59.999Z', 'timeout'],
          ['2026-11-02T00:00:00.000Z', 'ok'],
          ['2026-11-04T12:00:00Z', 'filtered-servfail'],
          ['2026-11-08T23:59:59Z', 'ok'],
        ];
        for (const [i, [when, verdict]] of sent.entries())
          await reports.add({
            ...template!,
            id: `weekly-${i}`,
            node: `nur-weekly-${i}`,
            at: at(when),
            verdict,
            network,
          });
        const weekly = (await reports.weekly(at('2026-10-01T00:00:00Z'))).filter((w) => w.network === 'AS64501');
        const shown = weekly
          .map((w) => [new Date(w.week).toISOString().slice(0, 10), w.verdict, w.reports])
          .sort((a, b) => String(a).localeCompare(String(b)));
        expect(shown).toEqual([
          ['2026-10-26', 'timeout', 1],
          ['2026-11-02', 'filtered-servfail', 1],
          ['2026-11-02', 'ok', 2],
        ]);
        expect(weekStart(at('2026-11-08T23:59:59Z'))).toBe(at('2026-11-02T00:00:00Z'));
        expect(
          (await reports.weekly(at('2026-11-02T00:00:00Z')))
            .filter((w) => w.network === 'AS64501')
            .reduce((n, w) => n + w.reports, 0),
        ).toBe(3);
      });

      it('the support page narrows to a period, and finds a licence beyond its recent list', async () => {
        const headers = { authorization: `Bearer ${await supportToken()}` };
        const found = await fetch(`${manager.url}/support?licence=1234`, { headers, redirect: 'manual' });
        expect(found.status).toBe(303);
        expect(found.headers.get('location')).toBe('/support/licences/1234');
        const recent = await (await fetch(`${manager.url}/support?days=7`, { headers })).text();
        expect(recent).toContain('<option value="7" selected>last 7 days</option>');
        expect(recent).toContain('href="/v1/compat?days=7"');
        expect(recent).toMatch(/data-network="AS12322"/); // every report here is recent
      });

      it('is for support only: not the public, not a node, not a forged or expired token', async () => {
        expect((await call('/v1/compat')).status).toBe(401);
        const asNode = await call('/v1/compat', credentials.nur1);
        expect(asNode.status).toBe(403);
        expect(asNode.body.type).toBe('urn:hairpin:problem:forbidden');
        expect((await call('/v1/compat/licences/1234/nodes/nur1', credentials.nur1)).status).toBe(403);
        expect((await call('/v1/compat', ADMIN_TOKEN)).status).toBe(200);
        const token = await supportToken({ subject: 'alice', ttlSeconds: 3600 });
        const [h, p, s] = token.split('.');
        expect((await call('/v1/compat', `${h}.${p}.${s!.slice(0, -4)}AAAA`)).status).toBe(401);
        // A support token is read-only: the admin API does not take it.
        expect((await call('/v1/licences', token)).status).toBe(401);
        // Issued two days ago for an hour: expired now.
        const past = await workersApp({}, () => Date.now() - 2 * 86_400_000).request('/v1/support-tokens', {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect((await call('/v1/compat', ((await past.json()) as any).token)).status).toBe(401);
        // Only the admin issues support tokens.
        expect((await call('/v1/support-tokens', credentials.nur1, { method: 'POST' })).status).toBe(401);
      });

      it('HAIRPIN_SUPPORT_SECRET signs tokens instead of the admin-derived key', async () => {
        const app = workersApp({ HAIRPIN_SUPPORT_SECRET: 'a-long-random-support-secret' });
        const issued = await app.request('/v1/support-tokens', {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const { token } = (await issued.json()) as { token: string };
        expect((await app.request('/v1/compat', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        expect(
          (await workersApp().request('/v1/compat', { headers: { authorization: `Bearer ${token}` } })).status,
        ).toBe(401);
      });
    });

    describe('Cloudflare Access assertions, verified against the team JWKS', () => {
      let jwks: Server;
      let issuer: string;
      let key: CryptoKey;
      let otherKey: CryptoKey;
      const aud = 'access-aud-tag-1234';

      beforeAll(async () => {
        const team = await generateKeyPair('RS256');
        key = team.privateKey;
        // Another key pair whose public half is in the set under kid k2, and a third nobody published.
        const decoyPair = await generateKeyPair('RS256');
        otherKey = (await generateKeyPair('RS256')).privateKey;
        const real = await exportJWK(team.publicKey);
        const decoy = await exportJWK(decoyPair.publicKey);
        jwks = createServer((req, res) => {
          if (req.url !== '/cdn-cgi/access/certs') return void res.writeHead(404).end();
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              keys: [
                { ...real, kid: 'k1', alg: 'RS256' },
                { ...decoy, kid: 'k2', alg: 'RS256' },
              ],
            }),
          );
        });
        await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
        issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
      });
      afterAll(() => new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r())));

      const assertion = (signer: CryptoKey, claims: { aud?: string; iss?: string; kid?: string } = {}) =>
        new SignJWT({ email: 'support@shop.example' })
          .setProtectedHeader({ alg: 'RS256', kid: claims.kid ?? 'k1' })
          .setIssuer(claims.iss ?? issuer)
          .setAudience(claims.aud ?? aud)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signer);

      it('a valid assertion opens /v1/compat and the support page; wrong audience, issuer or key do not', async () => {
        const bindings = { HAIRPIN_ACCESS_TEAM_DOMAIN: issuer, HAIRPIN_ACCESS_AUD: aud };
        const app = workersApp(bindings);
        const get = async (path: string, jwt: string) =>
          (await app.request(path, { headers: { 'cf-access-jwt-assertion': jwt } }, bindings)).status;
        expect(await get('/v1/compat', await assertion(key))).toBe(200);
        const page = await app.request(
          '/support',
          { headers: { 'cf-access-jwt-assertion': await assertion(key) } },
          bindings,
        );
        expect(page.status).toBe(200);
        expect(page.headers.get('cache-control')).toBe('private, no-store');
        expect(await page.text()).toMatch(/<svg class="grid" id="grid"/);
        expect(await get('/v1/compat', await assertion(key, { aud: 'other-app' }))).toBe(401);
        expect(await get('/v1/compat', await assertion(key, { iss: 'https://evil.cloudflareaccess.com' }))).toBe(401);
        expect(await get('/v1/compat', await assertion(otherKey))).toBe(401);
        expect(await get('/v1/compat', await assertion(otherKey, { kid: 'k2' }))).toBe(401);
        // Without Access configured, the header opens nothing.
        expect(
          (
            await workersApp().request(
              '/v1/compat',
              { headers: { 'cf-access-jwt-assertion': await assertion(key) } },
              {},
            )
          ).status,
        ).toBe(401);
      });
    });
  });
}
