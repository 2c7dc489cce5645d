// What the node's HTTPS service must do before its own handler runs, as one pure decision over
// the request's facts: the Host allow-list, CORS for the app store and the sibling origin on
// every answer (errors included), the private/local-network preflight, and the identity
// endpoint. The Node and Fetch wrappers (./node.ts, ./fetch.ts) only translate.
import { IDENTITY_PATH, identityBody, type NodeNames } from '../../contract/identity.ts';
import { PROBLEM_MEDIA_TYPE, type ProblemType, problemBody } from '../../contract/problem.ts';

export { IDENTITY_PATH, type NodeNames };

export interface ServiceIdentity {
  licence: string;
  node: string;
  names: NodeNames;
  /** The app store's name, `pl-{licence}.apps.<zone>`: its https origin may call the node. */
  appsName: string;
  /** The port the node's service is reached on (part of the sibling origins); default 443. */
  port?: number;
  /** More Host names to accept (e.g. `localhost` for a health check). */
  extraHosts?: string[];
  /** More origins allowed by CORS, as `https://host[:port]`. */
  extraOrigins?: string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth); off by default. */
  allowCredentials?: boolean;
}

/** The request as the policy sees it, whatever the runtime. */
export interface RequestFacts {
  method: string;
  /** Host header (HTTP/1.1) or :authority (HTTP/2). */
  host: string | undefined;
  path: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
}

export type Decision =
  /** Answer now, without calling the service's handler. */
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: string | null }
  /** Call the handler, then add these headers to whatever it answers. */
  | { kind: 'pass'; headers: Record<string, string> };

/** The nonce is echoed: a bounded, inert alphabet keeps the endpoint from reflecting markup. */
const NONCE = /^[A-Za-z0-9._~-]{1,128}$/;

const PREFLIGHT_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Host header → lower-case host name without port, brackets or trailing dot. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  const name = bracketed ? bracketed[1]! : h.replace(/:\d+$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function origin(host: string, port: number): string {
  return port === 443 ? `https://${host}` : `https://${host}:${port}`;
}

/** The origins CORS lets in: the app store, the node's own two names (siblings), extras. */
export function allowedOrigins(identity: ServiceIdentity): Set<string> {
  const port = identity.port ?? 443;
  return new Set(
    [
      origin(identity.appsName, 443),
      origin(identity.names.external, port),
      origin(identity.names.internal, port),
      ...(identity.names.relay ? [origin(identity.names.relay, 443)] : []),
      ...(identity.extraOrigins ?? []).map((o) => new URL(o).origin),
    ].map((o) => o.toLowerCase()),
  );
}

export function allowedHosts(identity: ServiceIdentity): Set<string> {
  return new Set([...nodeNameList(identity.names), ...(identity.extraHosts ?? [])].map((h) => hostName(h)!));
}

/** The node's names: external, internal, and the relay's when there is one. */
export function nodeNameList(names: NodeNames): string[] {
  return [names.external, names.internal, ...(names.relay ? [names.relay] : [])];
}

/** An RFC 9457 problem body, its type from the registry the manager uses too (contract/problem.ts). */
export function problem(type: ProblemType, detail: string): string {
  return JSON.stringify(problemBody(type, detail));
}

/**
 * Build the decision function once per service.
 *
 * ```ts
 * const decide = servicePolicy({ licence: '1234', node: 'nur1', appsName: 'pl-1234.apps.example.test',
 *   names: { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' }, port: 8443 });
 * decide(facts); // { kind: 'pass', headers: { 'access-control-allow-origin': … } }
 * ```
 */
export function servicePolicy(identity: ServiceIdentity): (facts: RequestFacts) => Decision {
  const origins = allowedOrigins(identity);
  const hosts = allowedHosts(identity);
  return (facts) => {
    // Vary on every answer: a cache must not hand one origin's CORS answer to another.
    const headers: Record<string, string> = { vary: 'Origin' };
    const requestOrigin = facts.header('origin');
    const corsAllowed = requestOrigin !== undefined && origins.has(requestOrigin.toLowerCase());
    if (corsAllowed) {
      headers['access-control-allow-origin'] = requestOrigin;
      if (identity.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    }
    const answer = (status: number, body: string | null, extra: Record<string, string> = {}): Decision => ({
      kind: 'answer',
      status,
      headers: {
        ...headers,
        ...(body ? { 'content-type': status < 400 ? 'application/json' : PROBLEM_MEDIA_TYPE } : {}),
        'cache-control': 'no-store',
        ...extra,
      },
      body,
    });

    const host = hostName(facts.host);
    if (!host || !hosts.has(host)) {
      // RFC 9110 §15.5.20: 421 tells the client this server does not serve that name here, so a
      // browser or proxy that coalesced connections retries on a fresh one.
      return answer(
        421,
        problem('misdirected-request', `this service answers for ${[...hosts].join(', ')}, not "${host ?? ''}"`),
      );
    }

    const preflightMethod = facts.header('access-control-request-method');
    if (facts.method === 'OPTIONS' && preflightMethod !== undefined) {
      if (!corsAllowed)
        return answer(403, problem('origin-not-allowed', `origin "${requestOrigin ?? ''}" may not call this service`));
      const extra: Record<string, string> = {
        'access-control-allow-methods': PREFLIGHT_METHODS,
        'access-control-max-age': '600',
      };
      const requestHeaders = facts.header('access-control-request-headers');
      if (requestHeaders) extra['access-control-allow-headers'] = requestHeaders;
      // Private Network Access (Chrome 104+): a public page calling a private address must be
      // allowed by this answer. Local Network Access, its successor, names the same handshake
      // with "Local"; answer both so either generation of browser gets through.
      if (facts.header('access-control-request-private-network') === 'true')
        extra['access-control-allow-private-network'] = 'true';
      if (facts.header('access-control-request-local-network') === 'true')
        extra['access-control-allow-local-network'] = 'true';
      headers.vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
      return answer(204, null, extra);
    }

    if (facts.path === IDENTITY_PATH) {
      if (facts.method !== 'GET' && facts.method !== 'HEAD')
        return answer(405, problem('method-not-allowed', 'use GET'), { allow: 'GET, HEAD' });
      const nonce = facts.query.get('nonce') ?? '';
      if (!NONCE.test(nonce))
        return answer(400, problem('invalid-request', 'send ?nonce= with 1-128 characters of A-Z a-z 0-9 . _ ~ -'));
      return answer(200, JSON.stringify(identityBody(identity, nonce)));
    }
    return { kind: 'pass', headers };
  };
}

/** The answer a wrapper gives when the service's own handler throws: still with CORS. */
export function failure(headers: Record<string, string>): Extract<Decision, { kind: 'answer' }> {
  return {
    kind: 'answer',
    status: 500,
    headers: { ...headers, 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store' },
    body: problem('internal', 'the service failed to handle this request'),
  };
}
