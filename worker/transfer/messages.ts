// Zone transfer responses as a stream of DNS messages (RFC 5936 §2.2): the records in order,
// packed into as few messages as fit a size bound, the question in the first message only, each
// record encoded (names compressed within its message) as it arrives.
import { Buffer } from 'node:buffer';
import {
  type DnsMessage,
  type DnsRecord,
  encodeMessage,
  FLAG_AA,
  HEADER_LENGTH,
  MessageWriter,
} from '../../dns/message.ts';
import { Section } from '../../dns/wire.ts';
import type { ZoneDelta } from './journal.ts';

/**
 * Bytes per message, as encoded (names compressed). TCP allows 65535 (RFC 1035 §4.2.2), but a
 * compression pointer reaches only the first 16 KiB of a message (RFC 1035 §4.1.4): past that
 * every owner name would be written in full again, so NSD stops its AXFR messages there too. It
 * leaves ample room for a TSIG record.
 */
export const TRANSFER_MESSAGE_SIZE = 16_384;

/** Records arriving in pages (a zone read page by page), or all at once. */
export type RecordPages = AsyncIterable<readonly DnsRecord[]> | Iterable<readonly DnsRecord[]>;

/** A name's wire length when written in full: its UTF-8 text plus the first length byte and the root. */
const nameBound = (name: string) => Buffer.byteLength(name) + 2;

const textBound = (data: unknown): number => {
  const parts = Array.isArray(data) ? data : [data];
  let n = 0;
  for (const p of parts) n += 1 + (typeof p === 'string' ? Buffer.byteLength(p) : (p as Uint8Array).byteLength);
  return n;
};

/**
 * The bytes a record adds to a message at most: the size with every name written in full (names
 * compressed there can only be shorter), so the sizes add up to at most the bound. Counted, not
 * encoded, for the types a zone holds; any other type is encoded alone to learn it.
 */
function recordBound(record: DnsRecord): number {
  const fixed = nameBound(record.name) + 10; // TYPE, CLASS, TTL, RDLENGTH
  switch (record.type) {
    case 'A':
      return fixed + 4;
    case 'AAAA':
      return fixed + 16;
    case 'NS':
    case 'CNAME':
      return fixed + nameBound(record.data);
    case 'TXT':
      return fixed + textBound(record.data);
    case 'SOA':
      return fixed + nameBound(record.data.mname) + nameBound(record.data.rname) + 20;
    default:
      return encodeMessage({ type: 'response', answers: [record] }).byteLength - HEADER_LENGTH;
  }
}

/**
 * The answer messages of a transfer, unsigned, each record written as it arrives; a message is
 * sent when the next record might not fit. A single record larger than the bound still gets a
 * message of its own (it would fit TCP's 65535).
 *
 * ```ts
 * for await (const wire of transferMessages(query, [[soa, ...records, soa]])) send(wire);
 * ```
 */
export async function* transferMessages(
  query: DnsMessage,
  pages: RecordPages,
  maxSize = TRANSFER_MESSAGE_SIZE,
): AsyncGenerator<Uint8Array> {
  const start = (first: boolean): MessageWriter => {
    const writer = new MessageWriter({ id: query.id ?? 0, type: 'response', flags: FLAG_AA }, maxSize);
    if (first) for (const question of query.questions ?? []) writer.question(question);
    return writer;
  };
  let message = start(true);
  for await (const page of pages) {
    for (const record of page) {
      if (message.count(Section.answer) > 0 && message.byteLength + recordBound(record) > maxSize) {
        yield message.bytes();
        message = start(false);
      }
      message.record(Section.answer, record);
    }
  }
  yield message.bytes();
}

/**
 * AXFR (RFC 5936 §2.2) and IXFR's full-zone form (RFC 1995 §4): SOA, the rest, SOA again. The
 * first page holds the SOA (zoneRecordPages puts it there).
 */
export async function* fullZonePages(pages: AsyncIterable<DnsRecord[]>): AsyncGenerator<DnsRecord[]> {
  let soa: DnsRecord | undefined;
  for await (const page of pages) {
    if (soa) {
      yield page;
      continue;
    }
    soa = page.find((r) => r.type === 'SOA');
    if (!soa) throw new Error('a zone without SOA cannot be transferred');
    yield [soa, ...page.filter((r) => r !== soa)];
  }
  if (soa) yield [soa];
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
