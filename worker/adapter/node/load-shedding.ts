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

/** Requests in progress, bounded: the app's (shedLoad) and the DoH streams' answered beside it (doh-streams.ts). */
export class InFlight {
  readonly limit: number;
  #count = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get full(): boolean {
    return this.#count >= this.limit;
  }

  /** Run `work`, counted in progress until it settles. */
  async during<T>(work: () => T | Promise<T>): Promise<T> {
    this.#count++;
    try {
      return await work();
    } finally {
      this.#count--;
    }
  }
}

/**
 * Wrap the app's fetch: more than `maxRequestsInFlight` requests at once (counted in `inFlight`),
 * or a write while `maxQueuedWrites` wait for the store, get 503 `overloaded` with Retry-After.
 */
export function shedLoad(
  fetch: FetchHandler,
  limits: HttpLimits,
  gauges: LoadGauges,
  inFlight = new InFlight(limits.maxRequestsInFlight),
): FetchHandler {
  return (request, env) => {
    if (inFlight.full) return overloaded(limits, `${inFlight.limit} requests are in progress; retry later`);
    if (isWrite(request) && gauges.queuedWrites() >= limits.maxQueuedWrites) {
      return overloaded(limits, `${limits.maxQueuedWrites} writes are waiting; retry later`);
    }
    return inFlight.during(() => fetch(request, env));
  };
}
