// How large an answer may be on each transport, and what to send when it is larger: the header,
// question and OPT with TC set, so the resolver asks again over TCP (RFC 1035 §4.2.1, RFC 7766 §5).
import { type DnsMessage, encodeMessage, FLAG_TC, findOpt, MAX_MESSAGE } from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { addFlags, HEADER_LENGTH, setRcode } from '../../dns/wire.ts';
import { EDNS_PAYLOAD } from '../zone/answer.ts';
import type { DnsMessages } from '../zone/handler.ts';
import { CLASSIC_UDP_PAYLOAD } from './limits.ts';

/** Port 53's two, and DoH (RFC 8484), whose answers the responder gives through the same cache. */
export type Transport = 'udp' | 'tcp' | 'doh';

/**
 * The largest response this query may get: 512 on UDP without EDNS; with EDNS the advertised
 * size, raised to 512 (RFC 6891 §6.2.5) and capped at the size we advertise ourselves (1232,
 * DNS Flag Day 2020: no IP fragmentation); 65535 on TCP, and over DoH, where the answer is an
 * HTTP body and the size EDNS advertises is about UDP (RFC 8484 §6).
 */
export function payloadLimit(query: DnsMessage, transport: Transport): number {
  if (transport !== 'udp') return MAX_MESSAGE;
  const advertised = findOpt(query)?.udpPayloadSize;
  if (advertised === undefined) return CLASSIC_UDP_PAYLOAD;
  return Math.min(Math.max(advertised, CLASSIC_UDP_PAYLOAD), EDNS_PAYLOAD);
}

/**
 * The response as wire bytes of at most `limit` bytes. When it does not fit, every record but the
 * OPT is dropped and TC set: a partial RRset would be cached as if whole (RFC 2181 §9).
 *
 * ```ts
 * const wire = fitResponse(await zone.answer(query), payloadLimit(query, 'udp'));
 * ```
 */
export function fitResponse(response: DnsMessage, limit: number): Uint8Array {
  const wire = encodeMessage(response);
  if (wire.byteLength <= limit) return wire;
  const truncated: DnsMessage = {
    ...response,
    flags: (response.flags ?? 0) | FLAG_TC,
    answers: [],
    authorities: [],
    additionals: (response.additionals ?? []).filter((r) => r.type === 'OPT'),
  };
  const cut = encodeMessage(truncated);
  // A question section too large for the limit goes as well: the header and OPT always fit.
  return cut.byteLength <= limit ? cut : encodeMessage({ ...truncated, questions: [] });
}

/**
 * Messages a handler produced, each within `limit`: one that is larger (a bug, or a question
 * section nobody bounded) becomes a bare header, TC on UDP so the client asks over TCP, SERVFAIL
 * on TCP where no larger message can exist (RFC 1035 §4.2.2: a 16-bit length).
 */
export function boundMessages(messages: Uint8Array[], limit: number, transport: Transport): Uint8Array[];
export function boundMessages(messages: DnsMessages, limit: number, transport: Transport): DnsMessages;
export function boundMessages(messages: DnsMessages, limit: number, transport: Transport): DnsMessages {
  const bound = (m: Uint8Array) => {
    if (m.byteLength <= limit) return m;
    const header = m.slice(0, HEADER_LENGTH).fill(0, 4);
    if (transport === 'udp') addFlags(header, FLAG_TC);
    setRcode(header, transport === 'udp' ? 0 : Rcode.SERVFAIL);
    return header;
  };
  if (Array.isArray(messages)) return messages.map(bound);
  return (async function* () {
    for await (const m of messages) yield bound(m);
  })();
}
