// The agent's local pairing endpoint, `GET /pairing-url`. It has no credential, and each decision
// costs a probe through the shop's resolver, maybe a hairpin self-test and a probe report sent
// to the manager: so callers share decisions. One is made at a time, reused for a minute, and
// `?fresh` forces a new one at most every 10 s (later fresh requests get the one just made).
// Requests whose Host is not an address, localhost, this machine's name or one of the node's
// names are refused: a page on another name rebinding its DNS to this address (DNS rebinding)
// would send its own name.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { PROBLEM_MEDIA_TYPE, PROBLEMS, type ProblemType } from '../contract/problem.ts';
import type { HostPort } from './host-port.ts';
import { hostName, type NodeNames, problem } from './http/policy.ts';
import { formatDecision, type PairingDecision } from './pairing.ts';

/** How long a decision is reused for a plain request. */
export const DECISION_MAX_AGE_MS = 60_000;
/** How soon after the last decision `?fresh` may force another. */
export const FRESH_MIN_INTERVAL_MS = 10_000;

/**
 * One decision shared by every caller: concurrent callers wait for the one in flight, and a
 * settled one (success or failure) is reused while it is young enough for the caller.
 *
 * ```ts
 * const shared = new SharedDecision(() => agent.decidePairing(), Date.now);
 * await shared.get({ fresh: true }); // a new decision, unless one is in flight or < 10 s old
 * ```
 */
export class SharedDecision<T> {
  readonly #decide: () => Promise<T>;
  readonly #now: () => number;
  #current: { decision: Promise<T>; settledAt: number | undefined } | undefined;

  constructor(decide: () => Promise<T>, now: () => number) {
    this.#decide = decide;
    this.#now = now;
  }

  get({ fresh = false } = {}): Promise<T> {
    const current = this.#current;
    const maxAge = fresh ? FRESH_MIN_INTERVAL_MS : DECISION_MAX_AGE_MS;
    if (current && (current.settledAt === undefined || this.#now() - current.settledAt < maxAge))
      return current.decision;
    const next: { decision: Promise<T>; settledAt: number | undefined } = {
      decision: this.#decide(),
      settledAt: undefined,
    };
    const settled = () => void (next.settledAt = this.#now());
    next.decision.then(settled, settled);
    this.#current = next;
    return next.decision;
  }
}

/** The Host names the endpoint answers for; any address literal is accepted besides these. */
export function pairingHosts(names: NodeNames): Set<string> {
  const machine = hostname().toLowerCase();
  return new Set(['localhost', machine, `${machine}.local`, names.external, names.internal].map((h) => hostName(h)!));
}

function acceptsHost(host: string | undefined, hosts: Set<string>): boolean {
  const name = hostName(host);
  return name !== undefined && (isIP(name) !== 0 || hosts.has(name));
}

/**
 * Listen on `listen` (`127.0.0.1`, 8788; port 0 for any) and answer `GET /pairing-url` (JSON,
 * `?format=text` for people, `?fresh` to decide again).
 */
export async function listenPairingEndpoint(
  listen: HostPort,
  decisions: SharedDecision<PairingDecision>,
  names: NodeNames,
): Promise<Server> {
  const hosts = pairingHosts(names);
  // Every refusal is problem+json, with the types the node's own service and the manager use.
  const refuse = (res: ServerResponse, type: ProblemType, detail: string, headers: Record<string, string> = {}) =>
    void res
      .writeHead(PROBLEMS[type][0], { 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store', ...headers })
      .end(problem(type, detail));
  const server = createServer((req, res) => {
    if (!acceptsHost(req.headers.host, hosts)) {
      // RFC 9110 §15.5.20, as the node's own service answers names it does not serve. The body
      // says nothing of this machine: the page reading it may be a rebinding attacker's, which
      // must learn neither the host name nor the node's names.
      return refuse(res, 'misdirected-request', 'this endpoint does not answer for that host name');
    }
    const url = new URL(req.url ?? '/', 'http://agent.invalid');
    if (url.pathname !== '/pairing-url') return refuse(res, 'not-found', 'this endpoint serves GET /pairing-url only');
    if (req.method !== 'GET') return refuse(res, 'method-not-allowed', 'use GET', { allow: 'GET' });
    decisions.get({ fresh: url.searchParams.has('fresh') }).then(
      (d) => {
        const { probe: _probe, ...shown } = d;
        if (url.searchParams.get('format') === 'text')
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${formatDecision(d)}\n`);
        else
          res
            .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(shown));
      },
      (e: Error) => refuse(res, 'pairing-unavailable', e.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return server;
}
