// Negative answers (NXDOMAIN, NODATA) written from a prepared tail instead of through the encoder.
// Such an answer is the header, the question, then the SOA in authority and the OPT if the query
// had one. The encoder compresses the SOA's names (owner, MNAME, RNAME) against the suffixes of
// the question, and only a suffix that is also a suffix of one of those names can ever be pointed
// at; so what follows the question depends only on the serial, the SOA's TTL, the EDNS fields, the
// question's length and the longest suffix it shares with the SOA's names. A flood of distinct
// random names (a random-subdomain attack) is all NXDOMAIN of a few such shapes, and the encoder
// (a map of suffixes, a string per label) was the largest part of each one's time.
//
// The encoder stays the reference: the first answer of each shape is written by it, and its bytes
// after the question become the tail; its question must equal the query's byte for byte, or no
// tail is kept. A test compares both ways over many questions (negative-answer.test.ts).
import { type DnsMessage, type DnsRecord, encodeMessage, findOpt } from '../../dns/message.ts';
import { HEADER_LENGTH, peekCount, Section } from '../../dns/wire.ts';
import { pooledBytes } from '../../dns/wire-encode.ts';
import { wireLabels } from '../../dns/wire-name.ts';

/** Shapes kept at most; past it they are all forgotten (each is one question length and suffix). */
const MAX_TAILS = 4096;

const A = 0x41;
const Z = 0x5a;

type SoaRecord = Extract<DnsRecord, { type: 'SOA' }>;

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
  /** The SOA's three names, and every suffix of them in wire form, ASCII lower-cased (RFC 4343). */
  #names = '';
  #suffixes = new Set<string>();

  /**
   * `response` to `query` (a plain question, whose question section ends at `questionEnd`) in
   * wire form, as encodeMessage writes it, when it is a negative answer; undefined otherwise.
   */
  encode(query: Uint8Array, questionEnd: number, response: DnsMessage): Uint8Array | undefined {
    const soa = negativeSoa(response);
    if (!soa) return undefined;
    const opt = findOpt(response);
    if (opt && (opt.options?.length ?? 0) > 0) return undefined;
    const names = `${soa.name} ${soa.data.mname} ${soa.data.rname}`;
    if (soa.data.serial !== this.#serial || names !== this.#names || this.#tails.size >= MAX_TAILS) {
      this.#tails.clear();
      this.#serial = soa.data.serial ?? -1;
      if (names !== this.#names) this.#suffixes = suffixesOf([soa.name, soa.data.mname, soa.data.rname]);
      this.#names = names;
    }
    const shared = sharedSuffix(query, questionEnd - 4, this.#suffixes);
    const key = `${soa.ttl} ${opt ? `${opt.udpPayloadSize} ${opt.flags ?? 0} ${opt.extendedRcode ?? 0} ${opt.ednsVersion ?? 0}` : '-'} ${questionEnd} ${shared}`;
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
function negativeSoa(response: DnsMessage): SoaRecord | undefined {
  if ((response.answers?.length ?? 0) > 0 || response.questions?.length !== 1) return undefined;
  const additionals = response.additionals ?? [];
  if (additionals.length > 1 || (additionals.length === 1 && additionals[0]!.type !== 'OPT')) return undefined;
  const authority = response.authorities?.[0];
  return response.authorities?.length === 1 && authority?.type === 'SOA' ? authority : undefined;
}

/** Every suffix of the names, as the encoder keys them (wireLabels: labels without the root). */
function suffixesOf(names: string[]): Set<string> {
  const suffixes = new Set<string>();
  for (const name of names) {
    const { key, starts } = wireLabels(name);
    for (const start of starts) suffixes.add(key.slice(start));
  }
  return suffixes;
}

/**
 * The longest suffix of the question's name (wire form up to `nameEnds`, its root byte, ASCII
 * lower-cased) in `suffixes`, or '' for none. The suffixes of a set of names' suffixes include
 * every shorter one, so the look stops at the first label that leaves the set.
 */
function sharedSuffix(query: Uint8Array, nameEnds: number, suffixes: Set<string>): string {
  const starts: number[] = [];
  for (let at = HEADER_LENGTH; at < nameEnds - 1; at += query[at]! + 1) starts.push(at);
  let shared = '';
  for (let i = starts.length - 1; i >= 0; i--) {
    let suffix = '';
    for (let at = starts[i]!; at < nameEnds - 1; at++) {
      const byte = query[at]!;
      suffix += String.fromCharCode(byte >= A && byte <= Z ? byte + 32 : byte);
    }
    if (!suffixes.has(suffix)) break;
    shared = suffix;
  }
  return shared;
}
