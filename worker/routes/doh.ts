// DNS over HTTPS (RFC 8484) and the JSON form Google and Cloudflare serve, both answered by the
// zone module: on Node through the port-53 responder and its response cache (dohResponder). What
// a wire question gets is doh-answer.ts's, which the Node entry's HTTP/2 streams answer with too.
import { type Context, Hono } from 'hono';
import {
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
import { readBoundedBody } from '../body.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { presentationData } from '../zone/zone-file.ts';
import {
  answerCounted,
  answerDnsParam,
  answerMessage,
  cacheControl,
  DNS_MESSAGE,
  type DohAnswer,
} from './doh-answer.ts';

export const dohRoutes = new Hono<ManagerEnv>();

const DNS_JSON = 'application/dns-json';

function wireResponse({ wire, headers }: DohAnswer): Response {
  return new Response(wire as Uint8Array<ArrayBuffer>, { headers });
}

dohRoutes.get('/dns-query', async (c) => {
  const dns = c.req.query('dns');
  if (dns === undefined) {
    if (c.req.query('name') !== undefined) return answerJson(c);
    throw new ProblemError('invalid-request', 'GET /dns-query needs "dns" (RFC 8484) or "name" (JSON form)');
  }
  return wireResponse(await answerDnsParam(c.get('deps'), dns));
});

dohRoutes.post('/dns-query', async (c) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== DNS_MESSAGE)
    throw new ProblemError('unsupported-media-type', `POST /dns-query takes ${DNS_MESSAGE} (got "${type || 'none'}")`);
  const bytes = await readBoundedBody(c.req.raw, MAX_MESSAGE, `a DNS message is at most ${MAX_MESSAGE} bytes`);
  return wireResponse(await answerMessage(c.get('deps'), bytes));
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
  const wire = await answerCounted(c.get('deps'), query);
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
