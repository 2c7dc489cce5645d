// The responder with its answers counted for /metrics: by transport and RCODE, latency, cache hits.

import { Rcode } from '../../dns/rcode.ts';
import { peekRcode } from '../../dns/wire.ts';
import type { Metrics } from '../metrics.ts';
import type { Transport } from './payload.ts';
import type { Answered, Responder } from './responder.ts';

/** The answer's RCODE; a stream is a zone transfer under way: NOERROR, its latency the time to its start. */
function rcodeOf(messages: Answered): number | undefined {
  if (!Array.isArray(messages)) return messages && Rcode.NOERROR;
  const first = messages[0];
  return first && first.byteLength > 3 ? peekRcode(first) : undefined;
}

/**
 * ```ts
 * const respond = countedResponder(createResponder({ zone }), metrics);
 * ```
 * The responder answers a cache hit synchronously and everything else through a promise, so a
 * synchronous answer is counted as a hit (the rare synchronous SERVFAIL, when the store version
 * cannot be read, along with them). The hit path allocates nothing here.
 */
export function countedResponder(respond: Responder, metrics: Metrics): Responder {
  const record = (messages: Answered, transport: Transport, started: number, hit: boolean) => {
    metrics.dnsAnswer(transport, rcodeOf(messages), (performance.now() - started) / 1000, hit);
  };
  return (bytes, context) => {
    const started = performance.now();
    const answered = respond(bytes, context);
    if (!(answered instanceof Promise)) {
      record(answered, context.transport, started, answered !== undefined);
      return answered;
    }
    return answered.then((messages) => {
      record(messages, context.transport, started, false);
      return messages;
    });
  };
}
