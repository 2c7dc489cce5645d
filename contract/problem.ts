// The problem types (RFC 9457) that the manager's API and the agent's HTTP helpers answer with,
// defined once: a stable code per failure, its status and a title that does not vary. Callers
// and tests branch on the code (`urn:hairpin:problem:<code>`), never on the wording.

/** Every problem type, by its HTTP status: its code and its title. */
const BY_STATUS = {
  400: {
    'malformed-json': 'The request body is not valid JSON',
    'invalid-request': 'The request does not match the expected shape',
    'invalid-label': 'A licence or node is not a valid DNS label',
    'invalid-address': 'An address is not valid for its field',
    'invalid-dns-message': 'The DNS message cannot be parsed',
    'malformed-http': 'The request is not valid HTTP',
  },
  401: { unauthorized: 'Missing or invalid credential' },
  403: {
    forbidden: 'This credential may not act on this resource',
    'origin-not-allowed': 'This origin may not call this service',
  },
  404: { 'not-found': 'No such resource' },
  405: { 'method-not-allowed': 'Method not allowed here' },
  409: {
    conflict: 'The resource exists already',
    'no-public-address': 'The node has reported no public address to check',
  },
  413: { 'payload-too-large': 'The request body is too large' },
  415: { 'unsupported-media-type': 'Unsupported content type' },
  421: { 'misdirected-request': 'This service does not answer for that host name' },
  426: { 'upgrade-required': 'This endpoint is a WebSocket' },
  429: {
    'relay-busy': 'The node has as many relayed requests open as it may',
    'rate-limited': 'Too many requests: try again after Retry-After seconds',
  },
  431: { 'header-too-large': 'The request head is too large' },
  500: { internal: 'Internal error' },
  501: { 'not-available': 'Not available on this runtime' },
  502: { 'relay-failed': 'The node dropped the relayed request' },
  503: {
    'admin-disabled': 'No admin token is configured on this manager',
    overloaded: 'The manager is busy; retry after the delay given',
    'relay-offline': 'The node is not connected to the relay',
    'pairing-unavailable': 'No pairing decision could be made just now',
  },
  504: { 'relay-timeout': 'The node did not answer through the relay in time' },
} as const satisfies Record<number, Record<string, string>>;

type ByStatus = typeof BY_STATUS;
export type ProblemType = { [S in keyof ByStatus]: keyof ByStatus[S] }[keyof ByStatus];

/** Every problem type: its HTTP status and its title, in the order of `BY_STATUS`. */
export const PROBLEMS = Object.fromEntries(
  Object.entries(BY_STATUS).flatMap(([status, titles]) =>
    Object.entries(titles).map(([code, title]) => [code, [Number(status), title] as const]),
  ),
) as Readonly<Record<ProblemType, readonly [status: number, title: string]>>;

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
