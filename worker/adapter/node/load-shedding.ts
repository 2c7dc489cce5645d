// Load shedding for the Node entry: past a bound, answer 503 with Retry-After at once. Work taken
// on beyond what can be finished in time is worse than work refused: its clients time out and
// retry, the kernel's accept queue overflows, and every caller waits longer (a herd of nodes
// reporting at once after a regional power cut is the case this is for).
import { ProblemError } from '../../problem.ts';
import type { HttpLimits } from './http-limits.ts';

// The env argument is the runtime's (@hono/node-server passes the socket there, which the
// peer address is read from): passed through untouched.
type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface LoadGauges {
  /** Writes waiting for the store. */
  queuedWrites(): number;
}

function overloaded(limits: HttpLimits, why: string): Response {
  const response = new ProblemError('overloaded', why).toResponse();
  // Spread over [base, 2·base] so the refused do not all come back in the same second.
  response.headers.set(
    'retry-after',
    String(limits.retryAfterSeconds + Math.floor(Math.random() * (limits.retryAfterSeconds + 1))),
  );
  return response;
}

/**
 * Whether a request may write to the store. A DoH POST (RFC 8484 §4.1) carries a DNS question: a
 * read, and the one a node's probe sends, so a queue of reports must not turn the probes away too.
 */
function isWrite(request: Request): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  return !(request.method === 'POST' && new URL(request.url).pathname === '/dns-query');
}

/**
 * Wrap the app's fetch: more than `maxRequestsInFlight` requests at once, or a write while
 * `maxQueuedWrites` wait for the store, get 503 `overloaded` with Retry-After.
 */
export function shedLoad(fetch: FetchHandler, limits: HttpLimits, gauges: LoadGauges): FetchHandler {
  let inFlight = 0;
  return async (request, env) => {
    if (inFlight >= limits.maxRequestsInFlight)
      return overloaded(limits, `${limits.maxRequestsInFlight} requests are in progress; retry later`);
    if (isWrite(request) && gauges.queuedWrites() >= limits.maxQueuedWrites) {
      return overloaded(limits, `${limits.maxQueuedWrites} writes are waiting; retry later`);
    }
    inFlight++;
    try {
      return await fetch(request, env);
    } finally {
      inFlight--;
    }
  };
}
