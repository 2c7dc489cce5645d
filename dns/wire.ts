// Raw message bytes before (or instead of) the codec: the 12-byte header read and written in place
// (RFC 1035 §4.1.1), and a bounded reader for the paths that walk records themselves (TSIG). The
// server decides on a datagram by its header alone (a response, an impossible count, a cached
// question) before it pays for a decode, and answers what it cannot decode with a bare header.

import { decodeName, nameEnd } from './wire-name.ts';

/** RFC 1035 §4.1.1 header is 12 bytes; anything shorter cannot even carry an ID to answer. */
export const HEADER_LENGTH = 12;

/** The header's four counts, in order (RFC 1035 §4.1.1): QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT. */
export const Section = { question: 0, answer: 1, authority: 2, additional: 3 } as const;
export type Section = (typeof Section)[keyof typeof Section];

/** Thrown for bytes that are not a DNS message; callers answer FORMERR or HTTP 400. */
export class DnsFormatError extends Error {
  static code = 'ERR_DNS_FORMAT';
  code = DnsFormatError.code;
}

// The readers below take a message of at least HEADER_LENGTH bytes (callers check it once), but
// for peekId and sameId, which need the first two only.

/** The 16-bit field at `at`, which the caller has checked lies within the bytes (the hot paths). */
export function u16At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function peekId(message: Uint8Array): number {
  return u16At(message, 0);
}

/** Whether two messages carry the same ID: an answer to that query, not an off-path datagram. */
export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength >= 2 && b.byteLength >= 2 && a[0] === b[0] && a[1] === b[1];
}

/** The 16 flag bits, QR included (test them with the message.ts FLAG_* masks). */
export function peekFlags(message: Uint8Array): number {
  return u16At(message, 2);
}

/** QR: a response, which a server never answers (two servers would bounce it forever). */
export function isResponse(message: Uint8Array): boolean {
  return (message[2]! & 0x80) !== 0;
}

export function peekOpcode(message: Uint8Array): number {
  return (message[2]! >> 3) & 0x0f;
}

/** The 4-bit header RCODE; the extended bits sit in OPT (message.ts fullRcode). */
export function peekRcode(message: Uint8Array): number {
  return message[3]! & 0x0f;
}

export function peekCount(message: Uint8Array, section: Section): number {
  return u16At(message, 4 + 2 * section);
}

export function setId(message: Uint8Array, id: number): void {
  message[0] = id >> 8;
  message[1] = id & 0xff;
}

/** Sets the given flag bits (message.ts FLAG_*, as peekFlags reads them). */
export function addFlags(message: Uint8Array, flags: number): void {
  message[2]! |= flags >> 8;
  message[3]! |= flags & 0xff;
}

/** Replaces the 4-bit header RCODE. */
export function setRcode(message: Uint8Array, rcode: number): void {
  message[3] = (message[3]! & 0xf0) | (rcode & 0x0f);
}

export function setCount(message: Uint8Array, section: Section, count: number): void {
  const at = 4 + 2 * section;
  message[at] = count >> 8;
  message[at + 1] = count & 0xff;
}

const TYPE_SOA = 6;

/**
 * Where the SERIAL of the first SOA record in the answer or authority section starts (RFC 1035
 * §3.3.13: after MNAME and RNAME), or -1 when there is none or the bytes do not hold one whole:
 * so that a kept answer can be given a new serial in place (worker/dns-server/response-cache.ts).
 */
export function soaSerialOffset(message: Uint8Array): number {
  if (message.byteLength < HEADER_LENGTH) return -1;
  let at = HEADER_LENGTH;
  for (let q = peekCount(message, Section.question); q > 0; q--) {
    const end = nameEnd(message, at);
    if (end < 0) return -1;
    at = end + 4;
  }
  const records = peekCount(message, Section.answer) + peekCount(message, Section.authority);
  for (let r = 0; r < records; r++) {
    const owner = nameEnd(message, at);
    if (owner < 0 || owner + 10 > message.byteLength) return -1;
    const rdata = owner + 10;
    const rdataEnd = rdata + u16At(message, owner + 8);
    if (rdataEnd > message.byteLength) return -1;
    if (u16At(message, owner) === TYPE_SOA) {
      const mname = nameEnd(message, rdata);
      const rname = mname < 0 ? -1 : nameEnd(message, mname);
      return rname < 0 || rname + 20 > rdataEnd ? -1 : rname;
    }
    at = rdataEnd;
  }
  return -1;
}

/** Writes the 32-bit field at `at` (network order), which the caller has checked lies within the bytes. */
export function setU32At(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/**
 * A bare header answering `query` (its ID, opcode and RD echoed, QR set) with `rcode` and no
 * sections: for a query that could not be parsed, or not answered (never larger than the query).
 */
export function bareAnswer(query: Uint8Array, rcode: number): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = 0x80 | (query[2]! & 0x79);
  out[3] = rcode & 0x0f;
  return out;
}

/** The parts back to back, in one new array (`length`: their total, when the caller has it). */
export function concatBytes(
  parts: readonly Uint8Array[],
  length = parts.reduce((n, p) => n + p.byteLength, 0),
): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Reads a message field by field; every read is checked against the end, so a count or a length
 * that lies ends in DnsFormatError, never in a read past the bytes.
 *
 * ```ts
 * const r = new WireReader(wire, HEADER_LENGTH);
 * r.skipName();
 * const type = r.u16();
 * ```
 */
export class WireReader {
  readonly bytes: Uint8Array;
  at: number;

  constructor(bytes: Uint8Array, at = 0) {
    this.bytes = bytes;
    this.at = at;
  }

  #need(n: number): number {
    const at = this.at;
    if (at + n > this.bytes.byteLength) throw new DnsFormatError(`message truncated at byte ${at}`);
    this.at = at + n;
    return at;
  }

  u8(): number {
    return this.bytes[this.#need(1)]!;
  }

  u16(): number {
    return u16At(this.bytes, this.#need(2));
  }

  /** A 32-bit number (a TTL, an SOA field). */
  u32(): number {
    return this.u16() * 65536 + this.u16();
  }

  /** A 48-bit number (TSIG's Time Signed, RFC 8945 §4.2). */
  u48(): number {
    return this.u16() * 2 ** 32 + this.u16() * 65536 + this.u16();
  }

  /** `n` bytes, as a view into the message. */
  take(n: number): Uint8Array {
    const at = this.#need(n);
    return this.bytes.subarray(at, at + n);
  }

  skip(n: number): void {
    this.#need(n);
  }

  /** Past the name here (a compression pointer ends it, RFC 1035 §4.1.4). */
  skipName(): void {
    const end = nameEnd(this.bytes, this.at);
    if (end < 0) throw new DnsFormatError(`malformed name at byte ${this.at}`);
    this.at = end;
  }

  /** The name here in presentation form (wire-name.ts), pointers followed; then past it. */
  name(): string {
    try {
      const { name, bytes } = decodeName(this.bytes, this.at);
      this.at += bytes;
      return name;
    } catch (cause) {
      throw new DnsFormatError(`malformed name at byte ${this.at}`, { cause });
    }
  }
}
