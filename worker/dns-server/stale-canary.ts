// The authority's side of the probe's serve-stale check (RFC 8767): `<nonce>.stale.canary.<zone>`
// is answered for one second after its first question, with a one-second TTL, then met with
// silence, as a dead internet line would be. A resolver that still answers it once the TTL has
// run out serves stale data. Port 53 only: silence over DoH would be an HTTP request left open.
//
// Hostile input: anyone may ask any nonce. The answer is one A record (no larger than the zone's
// other answers; the response rate limit applies as to them), silence costs nothing, and the
// nonces remembered are bounded in number and in time.
import { STALE_CANARY, STALE_NONCE, STALE_TTL } from '../../dns/canary.ts';
import { type DnsMessage, type DnsQuestion, encodeMessage, headerOpcode, headerRcode } from '../../dns/message.ts';
import { normalizeName, relativeLabels } from '../../dns/name.ts';
import { Rcode } from '../../dns/rcode.ts';
import type { Zone } from '../zone/answer.ts';
import type { DnsHandler } from '../zone/handler.ts';

export interface StaleCanaryOptions {
  /**
   * After the first question, how long the name is still answered (ms): a resolver's retry of
   * an answer lost on the way. Shorter than the TTL plus the probe's wait before it asks again.
   */
  answerMs?: number;
  /** How long a nonce is met with silence after its first question (ms); longer than a probe's check. */
  silenceMs?: number;
  /** The most nonces remembered; the oldest is forgotten first (then answered again, which the probe notices). */
  maxNonces?: number;
  now?: () => number;
}

/**
 * The address answered: in 198.18.0.0/15 (RFC 2544, benchmarking, the public canary's range, so
 * filters treat it alike), numbered by the second of the first answer. A second answer of the
 * authority (a forgotten nonce) carries another, so the probe never takes it for a stale copy. An
 * address rather than a TXT because some resolvers cache addresses only (dnsmasq without
 * `--cache-rr`), and the internal name's address is what must outlive the line.
 */
export function staleAddress(firstMs: number): string {
  const n = Math.floor(firstMs / 1000) % 0x20000;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

export const STALE_CANARY_DEFAULTS = { answerMs: 1000, silenceMs: 30_000, maxNonces: 10_000 } as const;

/**
 * ```ts
 * await startDnsServer({ zone, host, port, handlers: [staleCanaryHandler(zone)] });
 * // dig @127.0.0.1 -p 5353 0123456789abcdef.stale.canary.example.test A     → A 198.18.x.y, TTL 1
 * // the same a second later                                                → no answer
 * ```
 */
export function staleCanaryHandler(zone: Zone, options: StaleCanaryOptions = {}): DnsHandler {
  const { answerMs, silenceMs, maxNonces } = { ...STALE_CANARY_DEFAULTS, ...options };
  const now = options.now ?? Date.now;
  const apex = zone.config.names.zone;
  /** Nonce → when it was first asked (ms). */
  const firstAsked = new Map<string, number>();
  // The remembered nonces in the order first asked, from `head`: expiry and eviction take from
  // here, so the map is never walked. V8 leaves deleted entries in a map until it rehashes, and
  // walking past them under a flood of distinct nonces is the cost response-cache.ts measured.
  let order: string[] = [];
  let head = 0;
  const forgetOldest = () => {
    firstAsked.delete(order[head++]!);
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head);
      head = 0;
    }
  };

  /** The first question of `nonce` (now if it is new), after forgetting the expired and, when full, the oldest. */
  const remember = (nonce: string, at: number): number => {
    while (head < order.length && at - firstAsked.get(order[head]!)! >= silenceMs) forgetOldest();
    const first = firstAsked.get(nonce);
    if (first !== undefined) return first;
    if (firstAsked.size >= maxNonces) forgetOldest();
    firstAsked.set(nonce, at);
    order.push(nonce);
    return at;
  };

  const answer = async (query: DnsMessage, question: DnsQuestion, nonce: string): Promise<Uint8Array[]> => {
    const at = now();
    const first = remember(nonce, at);
    if (at - first > answerMs) return [];
    // The zone builds the header, EDNS and error answers (FORMERR, BADVERS…) as for any name; to
    // it the nonce does not exist, so a clean answer is its NXDOMAIN turned into data.
    const response = await zone.answer(query);
    if (headerRcode(response) !== Rcode.NXDOMAIN) return [encodeMessage(response)];
    const data = question.type === 'A' || String(question.type) === 'ANY';
    return [
      encodeMessage({
        ...response,
        flags: (response.flags ?? 0) & ~0x0f,
        answers: data
          ? [{ type: 'A', name: question.name, ttl: STALE_TTL, class: 'IN', data: staleAddress(first) }]
          : [],
        authorities: data ? [] : response.authorities,
      }),
    ];
  };

  // Every canary name ends so, whatever its case and trailing dot: a look at the end first spares
  // the names asked under a flood (nearly all of them) the split into labels.
  const ending = `.${STALE_CANARY}.${apex}`;
  const endsAsCanary = (name: string) => {
    const end = name.endsWith('.') ? name.length - 1 : name.length;
    return end > ending.length && name.slice(end - ending.length, end).toLowerCase() === ending;
  };

  // Any other name is declined at once (no promise: a miss of the zone's is answered without one).
  return (query) => {
    const question = query.questions?.[0];
    if (!question || query.type === 'response' || headerOpcode(query) !== 0 || !endsAsCanary(question.name))
      return undefined;
    const labels = relativeLabels(normalizeName(question.name), apex);
    const nonce = labels?.[0];
    if (labels?.length !== 3 || labels.slice(1).join('.') !== STALE_CANARY || !STALE_NONCE.test(nonce!))
      return undefined;
    return answer(query, question, nonce!);
  };
}
