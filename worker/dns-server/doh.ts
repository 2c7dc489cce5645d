// DoH's way to the port-53 responder: a question asked before is answered from the response
// cache, which follows the zone's journal, instead of through the store.
import type { Zone } from '../zone/answer.ts';
import type { WireResponder } from '../zone/handler.ts';
import type { ZoneWatch } from '../zone/zone-watch.ts';
import { type Answered, createResponder, type ResponderOptions } from './responder.ts';

/**
 * The responder for DoH (`ManagerDeps.dohResponder`): the zone alone, no handlers, as DoH always
 * answered (transfers and NOTIFY are port 53's; AXFR over DoH gets the zone's NOTIMP), answers of
 * up to 65,535 bytes, cached under the 'doh' transport. The peer is not passed: the cache keeps
 * what the question's bytes alone decide.
 *
 * ```ts
 * const app = createApp({ ...deps, dohResponder: dohResponder({ zone, watch }) });
 * ```
 */
export function dohResponder(
  options: { zone: Zone; watch?: ZoneWatch } & Pick<ResponderOptions, 'cacheEntries' | 'cacheBytes' | 'onError'>,
): WireResponder {
  const respond = createResponder(options);
  return (bytes) => {
    const answered = respond(bytes, { transport: 'doh', peer: undefined, raw: bytes });
    return answered instanceof Promise ? answered.then(only) : only(answered);
  };
}

/** Without handlers the answer is one message, never a stream (those come from transfer handlers). */
function only(messages: Answered): Uint8Array | undefined {
  return Array.isArray(messages) ? messages[0] : undefined;
}
