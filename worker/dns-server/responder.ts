// One query's bytes in, the response messages out, the same for UDP and TCP: the cache for plain
// questions, then the handlers (transfers, NOTIFY), then the zone, then the size limit.
import { type DnsMessage, decodeMessage } from '../../dns/message.ts';
import { Opcode, Rcode } from '../../dns/rcode.ts';
import {
  bareAnswer,
  DnsFormatError,
  HEADER_LENGTH,
  isResponse,
  peekCount,
  peekOpcode,
  Section,
} from '../../dns/wire.ts';
import { nameEnd } from '../../dns/wire-name.ts';
import { answerWire, type Zone } from '../zone/answer.ts';
import type { DnsHandler, DnsMessages, DnsRequestContext } from '../zone/handler.ts';
import { indexedSource } from '../zone/node-index.ts';
import { type Reads, recordReads } from '../zone/reads.ts';
import { run, type Steps, wait } from '../zone/steps.ts';
import type { ZoneWatch } from '../zone/zone-watch.ts';
import { AdmissionDoor } from './admission-door.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { NegativeAnswers } from './negative-answer.ts';
import { boundMessages, fitResponse, payloadLimit, type Transport } from './payload.ts';
import { isPlainQuestion, ResponseCache } from './response-cache.ts';

export interface ResponderOptions {
  zone: Zone;
  /** Consulted in order before the zone; the first that answers wins. */
  handlers?: readonly DnsHandler[];
  /**
   * Enables the response cache and the zone's index of nodes, both kept current by the zone's
   * journal; without it every query reads the store.
   */
  watch?: ZoneWatch;
  cacheEntries?: number;
  cacheBytes?: number;
  /**
   * The memory of the cache's admission door (AdmissionDoor.memory()), when threads share it;
   * without it the responder has a door of its own.
   */
  admission?: SharedArrayBuffer;
  /** Where to report a failure that became SERVFAIL (a store error, a handler bug). */
  onError?: (error: unknown) => void;
}

/**
 * ```ts
 * const respond = createResponder({ zone, handlers: [axfr], watch });
 * const messages = await respond(bytes, { transport: 'udp', peer: '127.0.0.1', raw: bytes });
 * ```
 * A cache hit comes back as is, everything else as a promise; undefined means silence (shorter
 * than a header, or a response). With the cache on, a plain question (see isPlainQuestion) whose answer is cached skips the
 * handlers: a handler must claim plain questions by their bytes alone, never by the peer.
 */
export type Responder = (
  bytes: Uint8Array,
  context: DnsRequestContext & { transport: Transport },
) => Answered | Promise<Answered>;

/** The messages to send back (a stream only over TCP), or undefined for silence. */
export type Answered = DnsMessages | undefined;

async function firstOf(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  for await (const m of stream) return [m];
  return [];
}

export function createResponder(options: ResponderOptions): Responder {
  const { handlers = [], watch } = options;
  // With a watch to keep it current, the zone's nodes are also held in memory (node-index.ts): a
  // question the cache does not hold then reads no store.
  const zone = watch
    ? options.zone.withSource(indexedSource(options.zone.source, watch, options.onError))
    : options.zone;
  const entries = options.cacheEntries ?? DEFAULT_LIMITS.cacheEntries;
  const cache =
    watch && entries > 0
      ? new ResponseCache(entries, options.cacheBytes ?? DEFAULT_LIMITS.cacheBytes, {
          door: new AdmissionDoor(options.admission),
        })
      : undefined;
  if (cache) {
    cache.follow({ serial: watch!.serial, nodes: undefined });
    watch!.onChange((change) => cache.follow(change));
  }

  // The journal is checked once per turn of the event loop, at its first query, not for every
  // datagram: the datagrams read in one turn arrived together, and the check (a read of SQLite's
  // commit counter, a system call) was a tenth of a cached answer's time. A commit is seen by the
  // next turn's first answer.
  let checked = false;
  const nextTurn = () => {
    checked = false;
  };
  const checkWatch = () => {
    if (!watch || checked) return;
    checked = true;
    setImmediate(nextTurn);
    watch.check();
  };

  const negatives = new NegativeAnswers();

  // Counts that the bytes cannot hold (a question takes at least 5 bytes, a record 11) mark the
  // packet malformed at once: the codec would otherwise spend about a millisecond failing on it,
  // a cheap way to make the server slow.
  const impossibleCounts = (bytes: Uint8Array) => {
    const records =
      peekCount(bytes, Section.answer) + peekCount(bytes, Section.authority) + peekCount(bytes, Section.additional);
    return peekCount(bytes, Section.question) * 5 + records * 11 > bytes.byteLength - HEADER_LENGTH;
  };

  // RFC 9619: a QUERY (or NOTIFY, RFC 1996 §3.7) carries exactly one question; any other count is
  // FORMERR at once, a bare header that echoes nothing (so never larger than what came in).
  const notOneQuestion = (bytes: Uint8Array) => {
    const opcode = peekOpcode(bytes);
    return (opcode === Opcode.QUERY || opcode === Opcode.NOTIFY) && peekCount(bytes, Section.question) !== 1;
  };

  // `byZone`: the zone answered, so the bytes alone decided the answer and it may be cached.
  // Steps (worker/zone/steps.ts): a question the handlers decline and the zone answers from
  // memory is answered without a promise.
  function* compute(
    bytes: Uint8Array,
    context: DnsRequestContext & { transport: Transport },
    zone: Zone,
    plain = false,
  ): Steps<{ messages: DnsMessages | undefined; byZone?: never } | { messages: [Uint8Array]; byZone: true }> {
    if (impossibleCounts(bytes) || notOneQuestion(bytes))
      return { messages: isResponse(bytes) ? undefined : [bareAnswer(bytes, Rcode.FORMERR)] };
    let query: DnsMessage;
    try {
      query = decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof DnsFormatError)) throw e;
      // The zone module owns what malformed input gets (FORMERR with the ID, or nothing).
      const answer = yield* wait(answerWire(zone, bytes));
      return { messages: answer && [answer] };
    }
    // Never answer a response: two servers would bounce it forever (and it invites reflection).
    if (query.type === 'response') return { messages: undefined };
    const limit = payloadLimit(query, context.transport);
    for (const handler of handlers) {
      const produced = yield* wait(handler(query, context));
      if (!produced) continue;
      // A datagram carries one message: a stream's first, the rest never produced.
      const messages =
        context.transport === 'udp' && !Array.isArray(produced) ? yield* wait(firstOf(produced)) : produced;
      return { messages: boundMessages(messages, limit, context.transport) };
    }
    const response = yield* wait(zone.answer(query));
    // A plain question's negative answer is written from its prepared tail when it fits.
    const negative = plain ? negatives.encode(bytes, nameEnd(bytes, HEADER_LENGTH, false) + 4, response) : undefined;
    return {
      messages: [negative && negative.byteLength <= limit ? negative : fitResponse(response, limit)],
      byZone: true,
    };
  }

  const servFail = (bytes: Uint8Array, error: unknown): Answered => {
    options.onError?.(error);
    return isResponse(bytes) ? undefined : [bareAnswer(bytes, Rcode.SERVFAIL)];
  };

  function* answer(
    bytes: Uint8Array,
    context: DnsRequestContext & { transport: Transport },
    cacheAs?: string,
  ): Steps<Answered> {
    try {
      if (!cacheAs) return (yield* compute(bytes, context, zone)).messages;
      // What the answer reads is noted, so the cache can drop it when exactly that changes; a
      // change followed meanwhile (the epoch moved) may have come after a read: not kept then.
      const reads: Reads = { tags: [], serial: false };
      const epoch = watch!.epoch;
      // The watch's serial is the store's as of the check just made (negative answers carry it).
      const serial = watch!.current ? watch!.serial : undefined;
      const recorded = zone.withSource(recordReads(zone.source, reads, serial));
      const computed = yield* compute(bytes, context, recorded, true);
      if (computed.byZone && watch!.epoch === epoch && watch!.current) cache!.set(cacheAs, computed.messages[0], reads);
      return computed.messages;
    } catch (error) {
      return servFail(bytes, error);
    }
  }

  // Only a cache hit comes back as is (the counts for /metrics, and DoH's, take that for a hit):
  // any other answer, even one made without a promise, is handed back as one, already settled.
  const answered = (steps: Steps<Answered>): Promise<Answered> => {
    const messages = run(steps);
    return messages instanceof Promise ? messages : Promise.resolve(messages);
  };

  return (bytes, context) => {
    if (bytes.byteLength < HEADER_LENGTH) return undefined;
    // Follows any commit since the last check: the cache and the index of nodes answer only as of
    // the store's last commit.
    checkWatch();
    if (!cache || !isPlainQuestion(bytes)) return answered(answer(bytes, context));
    const key = ResponseCache.key(context.transport, bytes);
    const hit = watch!.current ? cache.get(key, bytes) : undefined;
    // A hit goes back synchronously: no promise, no microtask turn, measurably fewer µs a query.
    return hit ? [hit] : answered(answer(bytes, context, key));
  };
}
