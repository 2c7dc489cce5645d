// The problem types (RFC 9457) that the manager's API and the agent's HTTP helpers answer with,
// defined once: a stable code per failure, its status and a title that does not vary. Callers
// and tests branch on the code (`urn:hairpin:problem:<code>`), never on the wording.

/** Every problem type: its HTTP status and its title. */
export const PROBLEMS = {
  'malformed-json': [400, 'The request body is not valid JSON'],
  'invalid-request': [400, 'The request does not match the expected shape'],
  'invalid-label': [400, 'A licence or node is not a valid DNS label'],
  'invalid-address': [400, 'An address is not valid for its field'],
  'invalid-dns-message': [400, 'The DNS message cannot be parsed'],
  'malformed-http': [400, 'The request is not valid HTTP'],
  unauthorized: [401, 'Missing or invalid credential'],
  forbidden: [403, 'This credential may not act on this resource'],
  'origin-not-allowed': [403, 'This origin may not call this service'],
  'not-found': [404, 'No such resource'],
  'method-not-allowed': [405, 'Method not allowed here'],
  conflict: [409, 'The resource exists already'],
  'no-public-address': [409, 'The node has reported no public address to check'],
  'payload-too-large': [413, 'The request body is too large'],
  'unsupported-media-type': [415, 'Unsupported content type'],
  'misdirected-request': [421, 'This service does not answer for that host name'],
  'upgrade-required': [426, 'This endpoint is a WebSocket'],
  'relay-busy': [429, 'The node has as many relayed requests open as it may'],
  'rate-limited': [429, 'Too many requests: try again after Retry-After seconds'],
  'header-too-large': [431, 'The request head is too large'],
  internal: [500, 'Internal error'],
  'not-available': [501, 'Not available on this runtime'],
  'relay-failed': [502, 'The node dropped the relayed request'],
  'admin-disabled': [503, 'No admin token is configured on this manager'],
  overloaded: [503, 'The manager is busy; retry after the delay given'],
  'relay-offline': [503, 'The node is not connected to the relay'],
  'relay-timeout': [504, 'The node did not answer through the relay in time'],
  'pairing-unavailable': [503, 'No pairing decision could be made just now'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemType = keyof typeof PROBLEMS;

/** Problem types are URNs: stable identifiers that do not pretend to be dereferenceable pages. */
export const PROBLEM_URN = 'urn:hairpin:problem:';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  message: string;
}

/** The body of a problem answer. */
export interface ProblemBody {
  type: `${typeof PROBLEM_URN}${ProblemType}`;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Every bad field of a request body, not just the first. */
  errors?: FieldError[];
}

export function isProblemType(value: unknown): value is ProblemType {
  return typeof value === 'string' && Object.hasOwn(PROBLEMS, value);
}

/**
 * ```ts
 * problemBody('forbidden', 'this credential belongs to 1234/nur2');
 * // { type: 'urn:hairpin:problem:forbidden', title: '…', status: 403, detail: 'this credential belongs to 1234/nur2' }
 * ```
 */
export function problemBody(
  type: ProblemType,
  detail: string,
  extra: { instance?: string; errors?: FieldError[] } = {},
): ProblemBody {
  const [status, title] = PROBLEMS[type];
  return {
    type: `${PROBLEM_URN}${type}`,
    title,
    status,
    detail,
    ...(extra.instance ? { instance: extra.instance } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
}

/** The code of a problem body (`forbidden`), or undefined for anything else. */
export function problemTypeOf(body: unknown): ProblemType | undefined {
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !type.startsWith(PROBLEM_URN)) return undefined;
  const code = type.slice(PROBLEM_URN.length);
  return isProblemType(code) ? code : undefined;
}
