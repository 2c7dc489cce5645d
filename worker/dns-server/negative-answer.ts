// Negative answers (NXDOMAIN, NODATA) written from a prepared tail instead of through the encoder.
// Such an answer is the header, the question, then the SOA in authority and the OPT if the query
// had one: what follows the question depends only on the serial, the EDNS flags and the question's
// shape (where in it each suffix the SOA's names are compressed against starts). A flood of
// distinct random names (a random-subdomain attack) is all NXDOMAIN under a few parents, and the
// encoder (a map of suffixes, a buffer per message) was the largest part of each one's time.
//
// The encoder stays the reference: the first answer of each shape is written by it, and its bytes
// after the question become the tail; its question must equal the query's byte for byte, or no
// tail is kept. A test compares both ways over many questions (negative-answer.test.ts).
import { type DnsMessage, type DnsRecord, encodeMessage, findOpt } from '../../dns/message.ts';
import { HEADER_LENGTH, peekCount, Section } from '../../dns/wire.ts';
import { pooledBytes } from '../../dns/wire-encode.ts';

/** Shapes kept at most; past it they are all forgotten (a flood of distinct parents builds each anew). */
const MAX_TAILS = 4096;

const A = 0x41;
const Z = 0x5a;

/**
 * ```ts
 * const negatives = new NegativeAnswers();
 * const wire = negatives.encode(query, questionEnd, response) ?? encodeMessage(response);
 * ```
 */
export class NegativeAnswers {
  readonly #tails = new Map<string, Uint8Array>();
  /** The serial the tails carry: another empties them. */
  #serial = -1;

  /**
   * `response` to `query` (a plain question, whose question section ends at `questionEnd`) in
   * wire form, as encodeMessage writes it, when it is a negative answer; undefined otherwise.
   */
  encode(query: Uint8Array, questionEnd: number, response: DnsMessage): Uint8Array | undefined {
    const soa = negativeSoa(response);
    if (!soa) return undefined;
    const opt = findOpt(response);
    if (opt && (opt.options?.length ?? 0) > 0) return undefined;
    const question = response.questions![0]!.name.toLowerCase();
    // The question's own start is pointed at only by a name it is a suffix of: not that shape.
    if ([soa.name, soa.data.mname, soa.data.rname].some((n) => isSuffix(question, n.toLowerCase()))) return undefined;
    if (soa.data.serial !== this.#serial || this.#tails.size >= MAX_TAILS) {
      this.#tails.clear();
      this.#serial = soa.data.serial ?? -1;
    }
    const key = shapeKey(query, questionEnd, soa, opt);
    const tail = this.#tails.get(key);
    if (!tail) return this.#prepare(key, query, questionEnd, response);
    const out = pooledBytes(questionEnd + tail.byteLength);
    out.set(query.subarray(0, questionEnd));
    const flags = ((response.flags ?? 0) & 0x7fff) | 0x8000;
    out[2] = flags >> 8;
    out[3] = flags & 0xff;
    // Counts: the question, nothing in answer, the SOA, the OPT if any.
    out.set([0, 1, 0, 0, 0, 1, 0, opt ? 1 : 0], 4);
    out.set(tail, questionEnd);
    return out;
  }

  /** Written by the encoder, its tail kept when its header and question are as this class writes them. */
  #prepare(key: string, query: Uint8Array, questionEnd: number, response: DnsMessage): Uint8Array {
    const wire = encodeMessage(response);
    const same =
      wire.byteLength >= questionEnd &&
      peekCount(wire, Section.question) === 1 &&
      peekCount(wire, Section.answer) === 0 &&
      peekCount(wire, Section.authority) === 1 &&
      peekCount(wire, Section.additional) === (findOpt(response) ? 1 : 0) &&
      query.subarray(HEADER_LENGTH, questionEnd).every((byte, i) => wire[HEADER_LENGTH + i] === byte);
    if (same) this.#tails.set(key, wire.slice(questionEnd));
    return wire;
  }
}

/** The SOA of a negative answer: nothing in answer, the SOA alone in authority, at most an OPT after. */
function negativeSoa(response: DnsMessage): Extract<DnsRecord, { type: 'SOA' }> | undefined {
  if ((response.answers?.length ?? 0) > 0 || response.questions?.length !== 1) return undefined;
  const additionals = response.additionals ?? [];
  if (additionals.length > 1 || (additionals.length === 1 && additionals[0]!.type !== 'OPT')) return undefined;
  const authority = response.authorities?.[0];
  return response.authorities?.length === 1 && authority?.type === 'SOA' ? authority : undefined;
}

/** `name` is `suffix` or ends with its labels (both lower-cased, without the root's dot). */
function isSuffix(suffix: string, name: string): boolean {
  const s = suffix.endsWith('.') ? suffix.slice(0, -1) : suffix;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n === s || n.endsWith(`.${s}`);
}

/**
 * What the tail depends on: the first label's length and the rest of the question's name, its
 * ASCII letters lower-cased as the encoder compares suffixes (RFC 4343); the SOA's TTL; the OPT's
 * fields. (The serial empties the tails; the SOA's other fields come from the configuration.)
 */
function shapeKey(query: Uint8Array, questionEnd: number, soa: DnsRecord, opt: ReturnType<typeof findOpt>): string {
  let key = `${soa.ttl} ${opt ? `${opt.udpPayloadSize} ${opt.flags ?? 0} ${opt.extendedRcode ?? 0} ${opt.ednsVersion ?? 0}` : '-'} ${query[HEADER_LENGTH]} `;
  const nameEnds = questionEnd - 4;
  for (let i = HEADER_LENGTH + 1 + query[HEADER_LENGTH]!; i < nameEnds; i++) {
    const byte = query[i]!;
    key += String.fromCharCode(byte >= A && byte <= Z ? byte + 32 : byte);
  }
  return key;
}
