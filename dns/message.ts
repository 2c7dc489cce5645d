// The project's one door to the DNS wire format. dns-packet does the encoding; this module pins
// down the parts of it we rely on (flags, EDNS, errors) so the manager and the probe never touch
// the codec's quirks directly.

import { Buffer } from 'node:buffer';
import * as packet from 'dns-packet';
import * as recordTypes from 'dns-packet/types.js';
import { DnsFormatError, HEADER_LENGTH } from './wire.ts';
import { encodeCompressed } from './wire-encode.ts';
import { decodeName, nameLabels } from './wire-name.ts';

/** A message written a record at a time, its size known as it grows (zone transfers). */
export { MessageWriter } from './wire-encode.ts';
// The header and its error live in wire.ts (raw bytes, no codec); re-exported for the callers
// that only decode.
export { DnsFormatError, HEADER_LENGTH };

// dns-packet reads a label's bytes as UTF-8 and joins labels with '.', so the one label
// `example.test` came out as the two labels of our apex (and the probe could take a forged answer
// for the name it asked). Its name codec, which every section and RDATA decoder calls, is swapped
// for one that keeps such bytes escaped (wire-name.ts); names written by its RDATA encoders read
// the same escapes.
interface NameCodec {
  decode: ((buf: Buffer, offset?: number) => string) & { bytes: number };
  encode: ((name: string, buf?: Buffer, offset?: number) => Buffer) & { bytes: number };
  encodingLength(name: string): number;
}
const nameCodec = (packet as unknown as { name: NameCodec }).name;
nameCodec.decode = Object.assign(
  (buf: Buffer, offset = 0): string => {
    const { name, bytes } = decodeName(buf, offset);
    nameCodec.decode.bytes = bytes;
    return name;
  },
  { bytes: 0 },
);
nameCodec.encode = Object.assign(
  (name: string, buf?: Buffer, offset = 0): Buffer => {
    const labels = nameLabels(name);
    const out = buf ?? Buffer.alloc(nameCodec.encodingLength(name));
    let at = offset;
    for (const label of labels) {
      out[at++] = label.length;
      out.set(label, at);
      at += label.length;
    }
    out[at++] = 0;
    nameCodec.encode.bytes = at - offset;
    return out;
  },
  { bytes: 0 },
);
nameCodec.encodingLength = (name: string) => nameLabels(name).reduce((n, l) => n + l.length + 1, 1);

// dns-packet names record types; we keep its names (UNKNOWN_n for the rest) throughout.
export type DnsMessage = packet.Packet;
export type DnsAnswer = packet.Answer;
/** A resource record proper: any answer but the OPT pseudo-record. */
export type DnsRecord = Exclude<packet.Answer, packet.OptAnswer>;
export type DnsQuestion = packet.Question;
export type RecordType = packet.RecordType;

export const FLAG_AA = packet.AUTHORITATIVE_ANSWER;
export const FLAG_TC = packet.TRUNCATED_RESPONSE;
export const FLAG_RD = packet.RECURSION_DESIRED;
export const FLAG_RA = packet.RECURSION_AVAILABLE;
export const FLAG_AD = packet.AUTHENTIC_DATA;
export const FLAG_CD = packet.CHECKING_DISABLED;

/** A DNS message's size is a 16-bit length on TCP (RFC 1035 §4.2.2); nothing can be larger. */
export const MAX_MESSAGE = 65_535;

/**
 * Decode wire bytes. Every packet may be hostile: the codec's own bounds checks (pointer loops,
 * overflow, name length) surface here as one error type.
 *
 * ```ts
 * const query = decodeMessage(bytes);
 * console.log(query.questions?.[0]?.name);
 * ```
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  if (bytes.byteLength < HEADER_LENGTH) throw new DnsFormatError('message shorter than a DNS header');
  try {
    return packet.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw new DnsFormatError(`malformed DNS message: ${(cause as Error).message}`, { cause });
  }
}

/** Encode a message, names compressed (RFC 1035 §4.1.4); a plain Uint8Array view (no copy). */
export function encodeMessage(message: DnsMessage): Uint8Array {
  return encodeCompressed(message);
}

/** The 4-bit RCODE in the header flags (RFC 1035 §4.1.1). */
export function headerRcode(message: DnsMessage): number {
  return (message.flags ?? 0) & 0x000f;
}

/** The opcode in the header flags (RFC 1035 §4.1.1). */
export function headerOpcode(message: DnsMessage): number {
  return ((message.flags ?? 0) >> 11) & 0x0f;
}

export type OptRecord = packet.OptAnswer;

/** A section's resource records, without the OPT pseudo-record. */
export function records(section: readonly DnsAnswer[] | undefined): DnsRecord[] {
  return (section ?? []).filter((r): r is DnsRecord => r.type !== 'OPT');
}

/** The OPT pseudo-record (RFC 6891), if the message carries one. */
export function findOpt(message: DnsMessage): OptRecord | undefined {
  return message.additionals?.find((r): r is OptRecord => r.type === 'OPT');
}

/** Full 12-bit rcode: header bits plus the OPT record's extended bits (RFC 6891 §6.1.3). */
export function fullRcode(message: DnsMessage): number {
  const opt = findOpt(message);
  return ((opt?.extendedRcode ?? 0) << 4) | headerRcode(message);
}

/** 'AAAA' → 28; 'TYPE65' and 'UNKNOWN_65' → 65; undefined for names nobody defined. */
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  const generic = /^(?:TYPE|UNKNOWN_)(\d{1,5})$/.exec(upper);
  if (generic) return Number(generic[1]) <= 65535 ? Number(generic[1]) : undefined;
  const code = recordTypes.toType(upper);
  return code > 0 ? code : undefined;
}

/** 28 → 'AAAA', as dns-packet names it ('UNKNOWN_n' when it has no name). */
export function typeName(code: number): string {
  return recordTypes.toString(code);
}
