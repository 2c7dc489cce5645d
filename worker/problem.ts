// Errors that become HTTP answers: one class, RFC 9457 problem+json, a stable `type` per
// failure. Callers and tests branch on the type, never on the wording.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every problem type the API can answer with: its status and a title that does not vary. */
export const PROBLEMS = {
  'malformed-json': [400, 'The request body is not valid JSON'],
  'invalid-request': [400, 'The request does not match the expected shape'],
  'invalid-label': [400, 'A licence or node is not a valid DNS label'],
  'invalid-address': [400, 'An address is not valid for its field'],
  'invalid-dns-message': [400, 'The DNS message cannot be parsed'],
  'malformed-http': [400, 'The request is not valid HTTP'],
  unauthorized: [401, 'Missing or invalid credential'],
  forbidden: [403, 'This credential may not act on this resource'],
  'not-found': [404, 'No such resource'],
  'method-not-allowed': [405, 'Method not allowed here'],
  conflict: [409, 'The resource exists already'],
  'payload-too-large': [413, 'The request body is too large'],
  'unsupported-media-type': [415, 'Unsupported content type'],
  'header-too-large': [431, 'The request head is too large'],
  'upgrade-required': [426, 'This endpoint is a WebSocket'],
  'relay-busy': [429, 'The node has as many relayed requests open as it may'],
  'relay-failed': [502, 'The node dropped the relayed request'],
  'relay-offline': [503, 'The node is not connected to the relay'],
  'relay-timeout': [504, 'The node did not answer through the relay in time'],
  'admin-disabled': [503, 'No admin token is configured on this manager'],
  internal: [500, 'Internal error'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemType = keyof typeof PROBLEMS;

export const PROBLEM_URN = 'urn:hairpin:problem:';

export interface FieldError {
  field: string;
  message: string;
}

export class ProblemError extends Error {
  readonly type: ProblemType;
  readonly status: ContentfulStatusCode;
  readonly errors: FieldError[] | undefined;

  constructor(type: ProblemType, detail: string, errors?: FieldError[]) {
    super(detail);
    this.type = type;
    this.status = PROBLEMS[type][0] as ContentfulStatusCode;
    this.errors = errors;
  }

  /** The RFC 9457 body, also what the Node entry writes itself where no Response exists yet. */
  toBody(instance?: string): string {
    return JSON.stringify({
      type: `${PROBLEM_URN}${this.type}`,
      title: PROBLEMS[this.type][1],
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    });
  }

  toResponse(instance?: string): Response {
    return new Response(this.toBody(instance), {
      status: this.status,
      headers: { 'content-type': 'application/problem+json', ...(this.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) },
    });
  }
}
