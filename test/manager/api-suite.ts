// The manager's API and DoH behaviour, written once and run against every runtime and store:
// Node on SQLite and on Postgres (real HTTP), and workerd on D1 (test/workers).
import { describe, expect, it } from 'vitest';
import { VERDICT_CODES } from '../../contract/verdicts.ts';
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_RA,
  FLAG_RD,
  findOpt,
  headerRcode,
  records,
} from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';

/** A property of a JSON Schema in /openapi.json, as far as the tests read one. */
interface JsonSchemaProperty {
  enum?: string[];
  properties?: Record<string, JsonSchemaProperty>;
}

export interface ManagerTarget {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  adminToken: string;
}

let nextLicence = 1000 + Math.floor(Math.random() * 8000);
/** A licence number no other test in this run uses, so tests share one manager safely. */
export function freshLicence(): string {
  return String(nextLicence++);
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function query(name: string, type: string, options: { edns?: boolean; id?: number } = {}): Uint8Array {
  const message: DnsMessage = {
    type: 'query',
    id: options.id ?? 4242,
    flags: FLAG_RD,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    additionals: options.edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0, flag_do: false, options: [] } as never]
      : [],
  };
  return encodeMessage(message);
}

/** A body in 1 KiB chunks, sent without Content-Length. */
function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, (offset += 1024)));
    },
  });
}

export function managerApiSuite(getTarget: () => ManagerTarget): void {
  const t = () => getTarget();
  const admin = () => ({ authorization: `Bearer ${t().adminToken}`, 'content-type': 'application/json' });

  async function enrol(
    licence: string,
    node: string,
  ): Promise<{ credential: string; names: { external: string; internal: string } }> {
    const res = await t().fetch(`/v1/licences/${licence}/nodes`, {
      method: 'POST',
      headers: admin(),
      body: JSON.stringify({ node }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return res.json() as never;
  }
  async function report(
    licence: string,
    node: string,
    credential: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    return t().fetch(`/v1/licences/${licence}/nodes/${node}/addresses`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
  async function doh(name: string, type: string, options: { edns?: boolean; post?: boolean } = {}) {
    const bytes = query(name, type, options);
    const res = options.post
      ? await t().fetch('/dns-query', {
          method: 'POST',
          headers: { 'content-type': 'application/dns-message' },
          body: bytes as BodyInit,
        })
      : await t().fetch(`/dns-query?dns=${base64url(bytes)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dns-message');
    return { res, message: decodeMessage(new Uint8Array(await res.arrayBuffer())) };
  }
  async function expectProblem(res: Response, status: number, type: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { type: string; detail: string; status: number };
    expect(body.type).toBe(`urn:hairpin:problem:${type}`);
    expect(body.status).toBe(status);
    expect(body.detail.length).toBeGreaterThan(0);
    return body;
  }
  async function state(licence: string, node: string) {
    const res = await t().fetch(`/v1/licences/${licence}/nodes/${node}`, { headers: admin() });
    return res.json() as Promise<{ addresses: null | Record<string, unknown>; serial: number }>;
  }

  describe('enrolment and reports', () => {
    it('enrols a node with both names and a credential shown once', async () => {
      const licence = freshLicence();
      const body = await enrol(licence, 'nur1');
      expect(body).toMatchObject({
        licence,
        node: 'nur1',
        names: { external: `nur1.pl-${licence}.example.test`, internal: `i-nur1.pl-${licence}.example.test` },
      });
      expect(body.credential).toMatch(/^hpn_[A-Za-z0-9_-]{43}$/);
      const again = await t().fetch(`/v1/licences/${licence}/nodes`, {
        method: 'POST',
        headers: admin(),
        body: JSON.stringify({ node: 'nur1' }),
      });
      await expectProblem(again, 409, 'conflict');
      const listed = await (await t().fetch(`/v1/licences/${licence}/nodes`, { headers: admin() })).json();
      expect(JSON.stringify(listed)).not.toContain(body.credential);
    });

    it('serves a report at once over DoH: internal → private, external → public, with the serial bumped', async () => {
      const licence = freshLicence();
      const { credential, names } = await enrol(licence, 'nur1');
      const before = (await state(licence, 'nur1')).serial;
      const res = await report(licence, 'nur1', credential, {
        privateIpv4: '10.1.2.3',
        publicIpv4: '203.0.113.7',
        privateIpv6: 'fd00:0:0::5',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        serial: number;
        changed: boolean;
        records: { name: string; type: string; data: string }[];
        addresses: { reportedAt: string };
      };
      expect(body.changed).toBe(true);
      expect(body.serial).toBeGreaterThan(before);
      expect(body.records).toContainEqual(
        expect.objectContaining({ name: names.internal, type: 'A', data: '10.1.2.3' }),
      );
      expect(body.records).toContainEqual(
        expect.objectContaining({ name: names.internal, type: 'AAAA', data: 'fd00::5' }),
      );
      expect(body.records).toContainEqual(
        expect.objectContaining({ name: names.external, type: 'A', data: '203.0.113.7' }),
      );

      const internal = await doh(names.internal, 'A');
      expect(headerRcode(internal.message)).toBe(Rcode.NOERROR);
      expect(internal.message.flags! & FLAG_AA).toBeTruthy();
      expect(internal.message.flags! & FLAG_RA).toBeFalsy();
      expect(records(internal.message.answers).map((r) => r.data)).toEqual(['10.1.2.3']);
      // The internal name has its own, longer TTL (docs/offline.md); the external one the address TTL.
      expect(internal.res.headers.get('cache-control')).toBe('max-age=300');

      const external = await doh(names.external.toUpperCase(), 'A', { post: true });
      expect(external.res.headers.get('cache-control')).toBe('max-age=60');
      expect(records(external.message.answers).map((r) => r.data)).toEqual(['203.0.113.7']);
      expect(external.message.questions?.[0]?.name).toBe(names.external.toUpperCase());

      const same = await report(licence, 'nur1', credential, {
        privateIpv4: '10.1.2.3',
        publicIpv4: '203.0.113.7',
        privateIpv6: 'fd00::5',
      });
      const unchanged = (await same.json()) as {
        changed: boolean;
        serial: number;
        addresses: { reportedAt: string };
      };
      expect(unchanged.changed).toBe(false);
      // Liveness only: the serial stays, and within the minute nothing is written at all.
      expect(unchanged.serial).toBe(body.serial);
      expect(unchanged.addresses.reportedAt).toBe(body.addresses.reportedAt);
      const after = await state(licence, 'nur1');
      expect(after.serial).toBe(body.serial);
      expect(after.addresses?.reportedAt).toBe(body.addresses.reportedAt);
    });

    it('keeps the address history, old → new, with the source address', async () => {
      const licence = freshLicence();
      const { credential } = await enrol(licence, 'nur1');
      await report(licence, 'nur1', credential, { privateIpv4: '10.0.0.1', publicIpv4: '198.51.100.1' });
      await report(licence, 'nur1', credential, { privateIpv4: '10.0.0.2' });
      const res = await t().fetch(`/v1/licences/${licence}/nodes/nur1/history`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      const { history } = (await res.json()) as {
        history: { old: Record<string, unknown>; new: Record<string, unknown>; serial: number }[];
      };
      expect(history).toHaveLength(2);
      expect(history[0]).toMatchObject({
        old: { privateIpv4: '10.0.0.1', publicIpv4: '198.51.100.1' },
        new: { privateIpv4: '10.0.0.2', publicIpv4: '198.51.100.1' },
      });
      expect(history[1]).toMatchObject({ old: { privateIpv4: null }, new: { privateIpv4: '10.0.0.1' } });
      expect(history[0]!.serial).toBeGreaterThan(history[1]!.serial);
    });
  });

  describe('DNS answers', () => {
    it('answers NXDOMAIN with the SOA for unknown names, NODATA with the SOA for missing types, REFUSED outside', async () => {
      const licence = freshLicence();
      const { credential, names } = await enrol(licence, 'nur1');
      await report(licence, 'nur1', credential, { privateIpv4: '192.168.1.10', publicIpv4: '203.0.113.9' });

      const unknown = await doh(`nope.pl-${licence}.example.test`, 'A');
      expect(headerRcode(unknown.message)).toBe(Rcode.NXDOMAIN);
      expect(records(unknown.message.authorities).map((r) => r.type)).toEqual(['SOA']);
      expect(unknown.message.flags! & FLAG_AA).toBeTruthy();
      expect(unknown.res.headers.get('cache-control')).toBe('max-age=60');

      const nodata = await doh(names.internal, 'AAAA');
      expect(headerRcode(nodata.message)).toBe(Rcode.NOERROR);
      expect(nodata.message.answers).toHaveLength(0);
      expect(records(nodata.message.authorities).map((r) => r.type)).toEqual(['SOA']);

      // RFC 8020: an ancestor of existing names exists (NODATA), it is not NXDOMAIN.
      const ent = await doh(`pl-${licence}.example.test`, 'A');
      expect(headerRcode(ent.message)).toBe(Rcode.NOERROR);

      const outside = await doh('example.com', 'A');
      expect(headerRcode(outside.message)).toBe(Rcode.REFUSED);
      expect(outside.message.flags! & FLAG_AA).toBeFalsy();
      expect(outside.message.answers).toHaveLength(0);
    });

    it('serves SOA and NS at the apex, TXT controls, canaries, and echoes EDNS', async () => {
      const apex = await doh('example.test', 'SOA', { edns: true });
      expect(records(apex.message.answers)[0]?.type).toBe('SOA');
      const opt = findOpt(apex.message);
      expect(opt?.udpPayloadSize).toBe(1232);
      const ns = await doh('example.test', 'NS');
      expect(records(ns.message.answers).map((r) => r.data)).toEqual(['ns1.example.test']);
      const noEdns = await doh('example.test', 'SOA');
      expect(findOpt(noEdns.message)).toBeUndefined();

      const licence = freshLicence();
      const { credential, names } = await enrol(licence, 'nur1');
      await report(licence, 'nur1', credential, { privateIpv4: '172.16.5.4', publicIpv4: '203.0.113.10' });
      const txt = await doh(names.internal, 'TXT');
      expect(records(txt.message.answers).map((r) => String(r.data))).toEqual(['v=hairpin1 a=172.16.5.4']);

      const canary = await doh('private.canary.example.test', 'A');
      expect(records(canary.message.answers).map((r) => r.data)).toEqual(['10.255.255.254']);
      const ula = await doh('ula.canary.example.test', 'AAAA');
      expect(records(ula.message.answers).map((r) => r.data)).toEqual(['fd68:6169:7270:696e::1']);
    });

    it('answers ANY with one RRset (RFC 8482) and the JSON form in the Google/Cloudflare shape', async () => {
      const licence = freshLicence();
      const { credential, names } = await enrol(licence, 'nur1');
      await report(licence, 'nur1', credential, { privateIpv4: '10.9.9.9', publicIpv4: '203.0.113.11' });
      const any = await doh(names.internal, 'ANY');
      const types = new Set(records(any.message.answers).map((r) => r.type));
      expect(types.size).toBe(1);

      const res = await t().fetch(`/resolve?name=${names.internal}&type=A`);
      expect(res.headers.get('content-type')).toBe('application/dns-json');
      expect(await res.json()).toMatchObject({
        Status: 0,
        TC: false,
        RD: true,
        RA: false,
        Question: [{ name: `${names.internal}.`, type: 1 }],
        Answer: [{ name: `${names.internal}.`, type: 1, TTL: 300, data: '10.9.9.9' }],
      });
      const nx = await (
        await t().fetch(`/dns-query?name=nope.example.test&type=AAAA`, { headers: { accept: 'application/dns-json' } })
      ).json();
      expect(nx).toMatchObject({ Status: 3, Authority: [{ type: 6 }] });
    });
  });

  describe('bad input: a clear 4xx problem and nothing stored', () => {
    it('rejects addresses in the wrong class, and keeps the stored ones', async () => {
      const licence = freshLicence();
      const { credential } = await enrol(licence, 'nur1');
      await report(licence, 'nur1', credential, { privateIpv4: '10.1.1.1', publicIpv4: '203.0.113.1' });
      for (const body of [
        { privateIpv4: '203.0.113.5' },
        { privateIpv4: '10.1.1.2', publicIpv4: '192.168.1.1' },
        { privateIpv4: '10.1.1.2', publicIpv4: '100.64.0.1' },
        { privateIpv4: '10.1.1.2', privateIpv6: '2001:db8::1' },
        { privateIpv4: '10.1.1.256' },
        { privateIpv4: '10.1.1.2', port: 70000 },
        {},
      ]) {
        const problem = await expectProblem(await report(licence, 'nur1', credential, body), 400, 'invalid-address');
        expect(problem).toHaveProperty('errors');
      }
      await expectProblem(
        await report(licence, 'nur1', credential, { privateIPv4: '10.1.1.2' }),
        400,
        'invalid-request',
      );
      await expectProblem(await report(licence, 'nur1', credential, '{"privateIpv4": '), 400, 'malformed-json');
      await expectProblem(await report(licence, 'nur1', credential, '[1]'), 400, 'invalid-request');
      await expectProblem(
        await report(licence, 'nur1', credential, { privateIpv4: '10.1.1.2' }, { 'content-type': 'text/plain' }),
        415,
        'unsupported-media-type',
      );
      await expectProblem(
        await report(licence, 'nur1', credential, { privateIpv4: '10.1.1.2', pad: 'x'.repeat(20_000) }),
        413,
        'payload-too-large',
      );
      // Without Content-Length (chunked), the bound is counted as the body arrives.
      const chunked = (text: string) =>
        t().fetch(`/v1/licences/${licence}/nodes/nur1/addresses`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
          body: streamOf(text),
          duplex: 'half',
        } as RequestInit);
      await expectProblem(
        await chunked(JSON.stringify({ privateIpv4: '10.1.1.2', pad: 'x'.repeat(20_000) })),
        413,
        'payload-too-large',
      );
      expect((await state(licence, 'nur1')).addresses).toMatchObject({
        privateIpv4: '10.1.1.1',
        publicIpv4: '203.0.113.1',
      });
      expect((await chunked(JSON.stringify({ privateIpv4: '10.1.1.3' }))).status).toBe(200);
      expect((await state(licence, 'nur1')).addresses).toMatchObject({
        privateIpv4: '10.1.1.3',
        publicIpv4: '203.0.113.1',
      });
    });

    it('rejects invalid and over-long labels at enrolment', async () => {
      const licence = freshLicence();
      for (const node of ['Nur_1', '-nur', 'nur-', 'a'.repeat(64), 'i-nur1', '']) {
        const res = await t().fetch(`/v1/licences/${licence}/nodes`, {
          method: 'POST',
          headers: admin(),
          body: JSON.stringify({ node }),
        });
        expect(res.status, node).toBe(400);
      }
      const longLicence = await t().fetch(`/v1/licences/${'1'.repeat(62)}/nodes`, {
        method: 'POST',
        headers: admin(),
        body: JSON.stringify({ node: 'nur1' }),
      });
      await expectProblem(longLicence, 400, 'invalid-label');
      const list = await t().fetch(`/v1/licences/${licence}`, { headers: admin() });
      expect(list.status).toBe(404);
    });

    it('tells a missing, a wrong and another node’s credential apart', async () => {
      const licence = freshLicence();
      const a = await enrol(licence, 'nur1');
      await enrol(licence, 'nur2');
      const noAuth = await t().fetch(`/v1/licences/${licence}/nodes/nur2/addresses`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"privateIpv4":"10.0.0.9"}',
      });
      await expectProblem(noAuth, 401, 'unauthorized');
      expect(noAuth.headers.get('www-authenticate')).toBe('Bearer');
      await expectProblem(await report(licence, 'nur2', 'hpn_wrong', { privateIpv4: '10.0.0.9' }), 401, 'unauthorized');
      const forbidden = await expectProblem(
        await report(licence, 'nur2', a.credential, { privateIpv4: '10.0.0.9' }),
        403,
        'forbidden',
      );
      expect(forbidden.detail).toContain('nur1');
      await expectProblem(
        await t().fetch(`/v1/licences/${licence}/nodes/nur2`, { headers: { authorization: `Bearer ${a.credential}` } }),
        403,
        'forbidden',
      );
      await expectProblem(
        await t().fetch(`/v1/licences/${licence}/nodes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${a.credential}`, 'content-type': 'application/json' },
          body: '{"node":"nur3"}',
        }),
        401,
        'unauthorized',
      );
      expect((await state(licence, 'nur2')).addresses).toBeNull();
    });

    it('the reachability check takes no target, and one asking per node per minute', async () => {
      const licence = freshLicence();
      const a = await enrol(licence, 'nur1');
      await report(licence, 'nur1', a.credential, { privateIpv4: '10.0.0.9' });
      const check = (body?: unknown) =>
        t().fetch(`/v1/licences/${licence}/nodes/nur1/reachability`, {
          method: 'POST',
          headers: { authorization: `Bearer ${a.credential}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      await expectProblem(await check({ address: '127.0.0.1', port: 22 }), 400, 'invalid-request');
      // Nothing public reported (the report came from a private source): nothing to connect to.
      await expectProblem(await check(), 409, 'no-public-address');
      const again = await expectProblem(await check(), 429, 'rate-limited');
      expect(again.detail).toMatch(/per node per minute/);
    });

    it('rejects malformed DoH requests with 400, 413 and 415', async () => {
      await expectProblem(await t().fetch('/dns-query?dns=%%%'), 400, 'invalid-dns-message');
      await expectProblem(await t().fetch('/dns-query?dns=AAAA'), 400, 'invalid-dns-message');
      const truncated = base64url(query('example.test', 'A').slice(0, 20));
      await expectProblem(await t().fetch(`/dns-query?dns=${truncated}`), 400, 'invalid-dns-message');
      await expectProblem(await t().fetch(`/dns-query?dns=${'A'.repeat(5_000)}`), 413, 'payload-too-large');
      await expectProblem(await t().fetch('/dns-query'), 400, 'invalid-request');
      const post = (body: BodyInit, type: string) =>
        t().fetch('/dns-query', { method: 'POST', headers: { 'content-type': type }, body });
      await expectProblem(
        await post(query('example.test', 'A') as BodyInit, 'application/json'),
        415,
        'unsupported-media-type',
      );
      await expectProblem(
        await post(new Uint8Array(70_000) as BodyInit, 'application/dns-message'),
        413,
        'payload-too-large',
      );
      await expectProblem(
        await post(new Uint8Array([1, 2, 3]) as BodyInit, 'application/dns-message'),
        400,
        'invalid-dns-message',
      );
      const response = decodeMessage(query('example.test', 'A'));
      await expectProblem(
        await post(encodeMessage({ ...response, type: 'response' }) as BodyInit, 'application/dns-message'),
        400,
        'invalid-dns-message',
      );
      await expectProblem(await t().fetch('/resolve?name=exa%20mple&type=A'), 400, 'invalid-request');
      await expectProblem(await t().fetch('/resolve?name=example.test&type=BOGUS'), 400, 'invalid-request');
    });
  });

  describe('service endpoints', () => {
    it('serves /healthz and an OpenAPI document whose paths all exist', async () => {
      expect(await (await t().fetch('/healthz')).json()).toMatchObject({ status: 'ok', zone: 'example.test' });
      expect(await (await t().fetch('/health')).json()).toMatchObject({ status: 'ok', zone: 'example.test' });
      const doc = (await (await t().fetch('/openapi.json')).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(doc.openapi).toBe('3.1.0');
      for (const path of Object.keys(doc.paths)) {
        const res = await t().fetch(path.replace('{licence}', '0000').replace('{node}', 'nur0'), {
          method: Object.keys(doc.paths[path] as object)
            .find((m) => m !== 'parameters')!
            .toUpperCase(),
        });
        const text = await res.text();
        expect(text, path).not.toContain('nothing at');
      }
      await expectProblem(await t().fetch('/nowhere'), 404, 'not-found');
    });

    it('describes every JSON request body by the schema the manager checks it with', async () => {
      const doc = (await (await t().fetch('/openapi.json')).json()) as {
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>>;
        components: { schemas: Record<string, { properties?: Record<string, JsonSchemaProperty> }> };
      };
      const inline = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).flatMap(([method, op]) => {
          const schema = op?.requestBody?.content['application/json']?.schema;
          return schema && !('$ref' in schema) ? [`${method.toUpperCase()} ${path}`] : [];
        }),
      );
      expect(inline, 'request bodies written out by hand').toEqual([]);
      expect(doc.components.schemas.AcmeChallengeAdd?.properties?.name?.enum).toEqual([
        'external',
        'internal',
        'relay',
      ]);
      // The probe's verdict codes, from the same vocabulary the probe reaches them by.
      expect(doc.components.schemas.ProbeReportBody?.properties?.result?.properties?.verdict?.enum).toEqual(
        VERDICT_CODES,
      );
    });

    it('answers a known path with the wrong method 405, with Allow', async () => {
      const res = await t().fetch('/v1/licences/0000/nodes/nur0/addresses', { method: 'POST' });
      await expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.get('allow')).toBe('PUT');
      const doh = await t().fetch('/dns-query', { method: 'DELETE' });
      await expectProblem(doh, 405, 'method-not-allowed');
      expect(doh.headers.get('allow')).toBe('GET, POST, HEAD');
    });
  });

  describe('support page', () => {
    it('draws the weekly verdict shares and the ISP × resolver grid from this store, filtered by ISP, verdict and period', async () => {
      const licence = freshLicence();
      const { credential } = await enrol(licence, 'nur1');
      const isp = `label:suite-${licence}`;
      for (const verdict of ['ok', 'ok', 'filtered-servfail']) {
        const res = await t().fetch(`/v1/licences/${licence}/nodes/nur1/probe-reports`, {
          method: 'POST',
          headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            result: {
              verdict,
              reason: `suite: ${verdict}`,
              name: `i-nur1.pl-${licence}.example.test`,
              resolver: 'system (192.168.1.1)',
            },
            hairpins: false,
            network: { label: `suite-${licence}` },
          }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
      }
      const bogus = await t().fetch(`/v1/licences/${licence}/nodes/nur1/probe-reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify({ result: { verdict: 'bogus', reason: 'r', name: 'n', resolver: 'r' } }),
      });
      expect((await expectProblem(bogus, 400, 'invalid-request')).detail).toContain('verdict code');
      const page = await t().fetch(`/support?isp=${encodeURIComponent(isp)}&verdict=filtered-servfail&days=7`, {
        headers: { authorization: `Bearer ${t().adminToken}` },
      });
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).not.toMatch(/<script|<style|style="/);
      expect(text).toMatch(new RegExp(`<figure data-network="${isp}">`));
      expect(text).toMatch(/<g data-week="\d{4}-\d\d-\d\d" data-reports="3">/);
      expect(text).toContain(`<g data-network="${isp}" data-reports="3">`);
      expect(text).toMatch(/<g data-column="verdict" data-count="1">/);
      expect(text).toMatch(/<g data-column="resolved" data-count="2">/);
      await expectProblem(
        await t().fetch('/support?verdict=bogus', { headers: { authorization: `Bearer ${t().adminToken}` } }),
        400,
        'invalid-request',
      );
    });
  });
}
