// DNS over HTTPS (RFC 8484) and the JSON form Google and Cloudflare serve, both answered by the
// zone module: on Node through the port-53 responder and its response cache (dohResponder).
import { Buffer } from 'node:buffer';
import { type Context, Hono } from 'hono';
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AD,
  FLAG_CD,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  fullRcode,
  MAX_MESSAGE,
  records,
  typeCode,
  typeName,
} from '../../dns/message.ts';
import { absoluteName, isValidHostName, normalizeName } from '../../dns/name.ts';
import { Rcode } from '../../dns/rcode.ts';
import { peekRcode } from '../../dns/wire.ts';
import { readBoundedBody } from '../body.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { answerWire, responseTtl } from '../zone/answer.ts';
import { presentationData } from '../zone/zone-file.ts';

export const dohRoutes = new Hono<ManagerEnv>();

// RFC 8484 §6 wants bounds on input: a POST body is at most MAX_MESSAGE, a GET parameter this.
const MAX_GET_PARAM = 4096;
const DNS_MESSAGE = 'application/dns-message';
const DNS_JSON = 'application/dns-json';

function decodeBase64Url(value: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value))
    throw new ProblemError('invalid-dns-message', '"dns" must be base64url (RFC 4648 §5) without padding');
  // 4n + 1 characters cannot be base64 (the last would carry 6 bits of a byte), which Buffer
  // would pass over in silence. Buffer decodes natively: atob and a copy a character at a time
  // were a few percent of a DoH answer's time.
  if (value.replace(/=+$/, '').length % 4 === 1)
    throw new ProblemError('invalid-dns-message', '"dns" is not valid base64url');
  return Buffer.from(value, 'base64url');
}

function parseQuery(bytes: Uint8Array): DnsMessage {
  try {
    const message = decodeMessage(bytes);
    if (message.type === 'response') throw new Error('the message is a response, not a query');
    return message;
  } catch (e) {
    throw new ProblemError('invalid-dns-message', (e as Error).message);
  }
}

function cacheControl(wire: Uint8Array): string {
  const ttl = responseTtl(wire);
  return ttl === undefined ? 'no-store' : `max-age=${ttl}`;
}

/**
 * The wire answer to `bytes`, counted for /metrics with the DNS server's answers: through the
 * runtime's responder and its response cache where there is one (Node), else through the zone.
 * Bytes that are not a query get problem+json: both answer them FORMERR or not at all, and only
 * then is the message decoded here, for the reason.
 */
async function answerCounted(c: Context<ManagerEnv>, bytes: Uint8Array): Promise<Uint8Array> {
  const started = performance.now();
  const { zone, metrics, dohResponder } = c.get('deps');
  const answered = dohResponder ? dohResponder(bytes) : answerWire(zone, bytes);
  // A responder gives a cached answer synchronously (WireResponder): that is a cache hit.
  const hit = !(answered instanceof Promise);
  const wire = await answered;
  if (wire === undefined || peekRcode(wire) === Rcode.FORMERR) parseQuery(bytes);
  if (wire === undefined) throw new ProblemError('invalid-dns-message', 'the message got no answer');
  metrics?.dnsAnswer('doh', peekRcode(wire), (performance.now() - started) / 1000, hit);
  return wire;
}

async function answerDoh(c: Context<ManagerEnv>, bytes: Uint8Array): Promise<Response> {
  const wire = await answerCounted(c, bytes);
  return new Response(wire as Uint8Array<ArrayBuffer>, {
    headers: { 'content-type': DNS_MESSAGE, 'cache-control': cacheControl(wire) },
  });
}

dohRoutes.get('/dns-query', async (c) => {
  const dns = c.req.query('dns');
  if (dns === undefined) {
    if (c.req.query('name') !== undefined) return answerJson(c);
    throw new ProblemError('invalid-request', 'GET /dns-query needs "dns" (RFC 8484) or "name" (JSON form)');
  }
  // Queries are small; larger messages belong in a POST body, and URLs this long already strain
  // proxies and servers' header limits.
  if (dns.length > MAX_GET_PARAM)
    throw new ProblemError(
      'payload-too-large',
      `the "dns" value is over ${MAX_GET_PARAM} characters; POST larger messages`,
    );
  return answerDoh(c, decodeBase64Url(dns));
});

dohRoutes.post('/dns-query', async (c) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== DNS_MESSAGE)
    throw new ProblemError('unsupported-media-type', `POST /dns-query takes ${DNS_MESSAGE} (got "${type || 'none'}")`);
  return answerDoh(c, await readBoundedBody(c.req.raw, MAX_MESSAGE, `a DNS message is at most ${MAX_MESSAGE} bytes`));
});

dohRoutes.get('/resolve', (c) => answerJson(c));

// The JSON shape of https://developers.google.com/speed/public-dns/docs/doh/json, which
// Cloudflare's application/dns-json shares: TXT strings JSON-quoted, everything else in master-file
// form.
function jsonRecord(r: DnsRecord) {
  const data =
    r.type === 'TXT'
      ? (r.data as (string | Uint8Array)[]).map((s) => JSON.stringify(String(s))).join(' ')
      : presentationData(r);
  return { name: absoluteName(r.name), type: typeCode(r.type) ?? 0, TTL: r.ttl ?? 0, data };
}

async function answerJson(c: Context<ManagerEnv>): Promise<Response> {
  const name = c.req.query('name') ?? '';
  const typeParam = c.req.query('type') ?? 'A';
  if (name === '' || (normalizeName(name) !== '' && !isValidHostName(name.replace(/(^|\.)_/g, '$1')))) {
    throw new ProblemError('invalid-request', `"name" must be a domain name (got "${name}")`);
  }
  const code = /^\d+$/.test(typeParam) ? Number(typeParam) : typeCode(typeParam);
  if (code === undefined || code < 1 || code > 65535)
    throw new ProblemError(
      'invalid-request',
      `"type" must be a record type name or number 1-65535 (got "${typeParam}")`,
    );
  // Asked as wire bytes, so that the JSON form answers through the same responder and cache as
  // the wire form; the answer is decoded for its fields.
  const query = encodeMessage({
    type: 'query',
    id: 0,
    flags: FLAG_RD,
    questions: [{ type: typeName(code) as DnsRecord['type'], name: normalizeName(name), class: 'IN' }],
  });
  const wire = await answerCounted(c, query);
  const response = decodeMessage(wire);
  const flags = response.flags ?? 0;
  const body = {
    Status: fullRcode(response),
    TC: (flags & FLAG_TC) !== 0,
    RD: (flags & FLAG_RD) !== 0,
    RA: (flags & FLAG_RA) !== 0,
    AD: (flags & FLAG_AD) !== 0,
    CD: (flags & FLAG_CD) !== 0,
    Question: [{ name: absoluteName(name), type: code }],
    ...(response.answers?.length ? { Answer: records(response.answers).map(jsonRecord) } : {}),
    ...(response.authorities?.length ? { Authority: records(response.authorities).map(jsonRecord) } : {}),
  };
  return new Response(JSON.stringify(body), {
    headers: { 'content-type': DNS_JSON, 'cache-control': cacheControl(wire) },
  });
}
