// Zone transfer responses as a stream of DNS messages (RFC 5936 §2.2): the records in order,
// packed into as few messages as fit a size bound, the question in the first message only.
import { type DnsMessage, type DnsRecord, encodeMessage, FLAG_AA, HEADER_LENGTH } from '../../dns/message.ts';
import type { ZoneDelta } from './journal.ts';

/**
 * Bytes of records per message. TCP allows 65535 (RFC 1035 §4.2.2); 16 KiB leaves room for the
 * TSIG record and keeps each message a few TCP segments, as BIND and Knot do for large zones.
 */
export const TRANSFER_MESSAGE_SIZE = 16_384;

/**
 * The bytes a record takes in a message of its own: an upper bound on what it adds to a message
 * (names compressed there can only be shorter), so the sizes add up to at most the bound.
 */
function recordSize(record: DnsRecord): number {
  return encodeMessage({ type: 'response', answers: [record] }).byteLength - HEADER_LENGTH;
}

/**
 * The answer messages of a transfer, unsigned. A single record larger than the bound still
 * gets a message of its own (it would fit TCP's 65535).
 *
 * ```ts
 * const wires = transferMessages(query, [soa, ...records, soa]);
 * ```
 */
export function transferMessages(
  query: DnsMessage,
  records: readonly DnsRecord[],
  maxSize = TRANSFER_MESSAGE_SIZE,
): Uint8Array[] {
  const questions = query.questions ?? [];
  const base = (first: boolean): DnsMessage => ({
    id: query.id ?? 0,
    type: 'response',
    flags: FLAG_AA,
    questions: first ? questions : [],
    answers: [],
  });
  const messages: DnsMessage[] = [base(true)];
  let size = encodeMessage(messages[0]!).byteLength;
  for (const record of records) {
    const bytes = recordSize(record);
    let current = messages[messages.length - 1]!;
    if (current.answers!.length > 0 && size + bytes > maxSize) {
      current = base(false);
      messages.push(current);
      size = HEADER_LENGTH;
    }
    current.answers!.push(record);
    size += bytes;
  }
  return messages.map(encodeMessage);
}

/** AXFR (RFC 5936 §2.2) and IXFR's full-zone form (RFC 1995 §4): SOA, the rest, SOA again. */
export function fullZoneRecords(records: readonly DnsRecord[]): DnsRecord[] {
  const soa = records.find((r) => r.type === 'SOA');
  if (!soa) throw new Error('a zone without SOA cannot be transferred');
  return [soa, ...records.filter((r) => r !== soa), soa];
}

/**
 * IXFR's incremental form (RFC 1995 §4): the new SOA, then per step the old SOA, what went,
 * the new SOA, what came, and the new SOA once more to close.
 */
export function incrementalRecords(
  soaAt: (serial: number) => DnsRecord,
  current: number,
  deltas: readonly ZoneDelta[],
): DnsRecord[] {
  const out = [soaAt(current)];
  for (const d of deltas) out.push(soaAt(d.from), ...d.removed, soaAt(d.to), ...d.added);
  out.push(soaAt(current));
  return out;
}
