// Request-body checks for the API: small, explicit, and strict about unknown fields so a typo
// ("privateIPv4") is an error rather than a silently ignored value.
import { canonicalIpv6, isGlobalIpv6, isIpv4, isNonPublicIpv4, isRfc1918, isUla } from '../dns/address.ts';
import { readBoundedBody } from './body.ts';
import { ProblemError, type FieldError } from './problem.ts';

export type JsonObject = Record<string, unknown>;

/** API bodies are a few hundred bytes; 16 KiB leaves room and bounds what a client can make us parse. */
const JSON_BODY_LIMIT = 16 * 1024;
const utf8 = new TextDecoder();

export async function readJsonObject(request: Request): Promise<JsonObject> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ProblemError('unsupported-media-type', `send the body as application/json (got "${type || 'none'}")`);
  }
  const bytes = await readBoundedBody(request, JSON_BODY_LIMIT, `API request bodies are at most ${JSON_BODY_LIMIT} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new ProblemError('malformed-json', (e as Error).message);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProblemError('invalid-request', 'the body must be a JSON object');
  }
  return body as JsonObject;
}

export function rejectUnknownFields(body: JsonObject, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ProblemError(
      'invalid-request',
      `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`,
      unknown.map((field) => ({ field, message: 'unknown field' })),
    );
  }
}

export function requireString(body: JsonObject, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new ProblemError('invalid-request', `"${field}" is required and must be a string`, [{ field, message: 'required string' }]);
  }
  return value;
}

export interface AddressReport {
  privateIpv4: string;
  privateIpv6: string | null;
  /** undefined: not given (the manager may use the request's source address). */
  publicIpv4: string | null | undefined;
  publicIpv6: string | null | undefined;
  port: number | null;
}

const REPORT_FIELDS = ['privateIpv4', 'privateIpv6', 'publicIpv4', 'publicIpv6', 'port'] as const;

export type AddressField = 'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6';

/** What each address field accepts, for the JSON report and dyndns2 alike; IPv6 kept canonical. */
export const ADDRESS_FIELDS: Record<AddressField, { check: (v: string) => boolean; message: string; canonical: (v: string) => string }> = {
  privateIpv4: { check: isRfc1918, message: 'must be an RFC 1918 IPv4 address: 10/8, 172.16/12 or 192.168/16', canonical: (v) => v },
  privateIpv6: { check: isUla, message: 'must be a unique local IPv6 address (fc00::/7)', canonical: canonicalIpv6 },
  publicIpv4: { check: (v) => isIpv4(v) && !isNonPublicIpv4(v), message: 'must be a public IPv4 address, not private, loopback, link-local or CGNAT', canonical: (v) => v },
  publicIpv6: { check: isGlobalIpv6, message: 'must be a global unicast IPv6 address (2000::/3)', canonical: canonicalIpv6 },
};

/** Check an address report; all field errors are returned together. */
export function parseAddressReport(body: JsonObject): AddressReport {
  rejectUnknownFields(body, REPORT_FIELDS);
  const errors: FieldError[] = [];
  const field = (name: AddressField, optional: boolean): string | null | undefined => {
    const value = body[name];
    const { check, message, canonical } = ADDRESS_FIELDS[name];
    if (value === undefined || value === null) {
      if (!optional) errors.push({ field: name, message: 'required' });
      return value as null | undefined;
    }
    if (typeof value !== 'string' || !check(value)) {
      errors.push({ field: name, message: `${message} (got ${JSON.stringify(value)})` });
      return undefined;
    }
    return canonical(value);
  };
  const privateIpv4 = field('privateIpv4', false);
  const privateIpv6 = field('privateIpv6', true);
  const publicIpv4 = field('publicIpv4', true);
  const publicIpv6 = field('publicIpv6', true);
  const port = body.port;
  if (port !== undefined && port !== null && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535)) {
    errors.push({ field: 'port', message: `must be a whole number from 1 to 65535 (got ${JSON.stringify(port)})` });
  }
  if (errors.length > 0) {
    throw new ProblemError('invalid-address', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  }
  return {
    privateIpv4: privateIpv4 as string,
    privateIpv6: privateIpv6 ?? null,
    publicIpv4: publicIpv4 as string | null | undefined,
    publicIpv6: publicIpv6 as string | null | undefined,
    port: (port as number | null | undefined) ?? null,
  };
}
