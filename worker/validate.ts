// Request bodies of the API: read within a bound, parsed, and checked against their schemas in
// contract/api.ts, strict about unknown fields so a typo ("privateIPv4") is an error rather than a
// silently ignored value.
import * as v from 'valibot';
import { ADDRESS_FIELDS, type AddressField, AddressReport } from '../contract/api.ts';
import type { FieldError, ProblemType } from '../contract/problem.ts';
import { readBoundedBody } from './body.ts';
import { ProblemError } from './problem.ts';

export type JsonObject = Record<string, unknown>;

/** API bodies are a few hundred bytes; 16 KiB leaves room and bounds what a client can make us parse. */
const JSON_BODY_LIMIT = 16 * 1024;
const utf8 = new TextDecoder();

export async function readJsonObject(request: Request): Promise<JsonObject> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ProblemError('unsupported-media-type', `send the body as application/json (got "${type || 'none'}")`);
  }
  const bytes = await readBoundedBody(
    request,
    JSON_BODY_LIMIT,
    `API request bodies are at most ${JSON_BODY_LIMIT} bytes`,
  );
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

/**
 * Check a body against its schema in contract/api.ts: unknown fields first (`invalid-request`,
 * so a typo is named as one), then every bad field at once, as `problem`.
 *
 * ```ts
 * const { node } = parseBody(NodeEnrolment, await readJsonObject(c.req.raw));
 * ```
 */
export function parseBody<
  S extends v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>,
>(schema: S, body: JsonObject, problem: ProblemType = 'invalid-request'): v.InferOutput<S> {
  rejectUnknownFields(body, Object.keys(schema.entries));
  const result = v.safeParse(schema, body, { abortPipeEarly: true });
  if (result.success) return result.output;
  const errors: FieldError[] = result.issues.map((issue) => ({
    field: v.getDotPath(issue) ?? '',
    message:
      issue.input === undefined || issue.input === null
        ? 'required'
        : `${issue.message} (got ${JSON.stringify(issue.input)})`,
  }));
  throw new ProblemError(problem, errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

/** An address report, IPv6 addresses in canonical form; `publicIpv4`/`publicIpv6` undefined when not given. */
export function parseAddressReport(body: JsonObject) {
  const report = parseBody(AddressReport, body, 'invalid-address');
  const canonical = (field: AddressField, a: string | null | undefined) => (a ? ADDRESS_FIELDS[field].canonical(a) : a);
  return {
    privateIpv4: report.privateIpv4,
    privateIpv6: canonical('privateIpv6', report.privateIpv6) ?? null,
    publicIpv4: report.publicIpv4,
    publicIpv6: canonical('publicIpv6', report.publicIpv6),
    port: report.port ?? null,
  };
}
