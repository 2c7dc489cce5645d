// Encoding a message with name compression (RFC 1035 §4.1.4). dns-packet writes every name in
// full: one A answer took 99 bytes where Knot sends 72, an apex NS set with its glue 3,644 where
// Knot sends 1,997. Here the header, questions, owner names and the names inside the RDATA of the
// RFC 1035 types (NS, CNAME, PTR, SOA, MX; RFC 3597 §4 forbids compressing any other type's) are
// written by us, each name as a pointer to the longest suffix already in the message, and so is
// TXT (the most common RDATA of the zone); every other RDATA (and OPT) is dns-packet's. A message
// can be written a record at a time (MessageWriter): zone transfers fill each to a size as they go.

import { Buffer } from 'node:buffer';
import * as packet from 'dns-packet';
import * as classes from 'dns-packet/classes.js';
import * as recordTypes from 'dns-packet/types.js';
import { HEADER_LENGTH, Section } from './wire.ts';
import { wireLabels } from './wire-name.ts';

type Message = packet.Packet;
type Answer = packet.Answer;

interface RdataCodec {
  encode(data: unknown, buf: Buffer, offset: number): Buffer;
  encodingLength(data: unknown): number;
}
interface Codecs {
  record(type: string): RdataCodec;
  answer: { encode(record: Answer, buf: Buffer, offset: number): Buffer; encodingLength(record: Answer): number };
}
const codecs = packet as unknown as Codecs;

/** Pointers are 14 bits: only names starting in the first 16 KiB can be pointed at. */
export const POINTER_REACH = 0x4000;

type SectionIndex = (typeof Section)[keyof typeof Section];

/**
 * One message written a question or record at a time, its counts filled in by `bytes()`; the
 * size so far is known at every step, so a zone transfer can fill each message to a bound.
 * Sections must be written in their order (questions, answers, authorities, additionals).
 *
 * ```ts
 * const w = new MessageWriter({ id: 7, type: 'response', flags: FLAG_AA });
 * w.question({ name: 'example.test', type: 'AXFR' });
 * w.record(Section.answer, soa);
 * send(w.bytes());
 * ```
 */
export class MessageWriter {
  #buf: Buffer;
  #at = 0;
  readonly #counts = [0, 0, 0, 0];
  /** Suffix (its wireLabels key, lower-cased) → where it starts: case does not matter (RFC 4343). */
  readonly #suffixes = new Map<string, number>();
  /**
   * A name exactly as given → where its whole form is: a record's owner comes again in the
   * next records (a node's A, AAAA and TXT), and is then a pointer found in one look-up.
   */
  readonly #names = new Map<string, number>();

  /**
   * `capacity`: bytes to start with (the buffer grows past it when needed); `into`: a buffer to
   * write in instead, which bytes() then shares.
   */
  constructor(header: Pick<Message, 'id' | 'flags' | 'type'>, capacity = 512, into?: Buffer) {
    this.#buf = into ?? Buffer.alloc(Math.max(capacity, HEADER_LENGTH));
    this.#u16(header.id ?? 0);
    this.#u16(((header.flags ?? 0) & 0x7fff) | (header.type === 'response' ? 0x8000 : 0));
    this.#at = HEADER_LENGTH;
  }

  get byteLength(): number {
    return this.#at;
  }

  count(section: SectionIndex): number {
    return this.#counts[section]!;
  }

  question(question: packet.Question): void {
    this.#name(question.name);
    this.#u16(recordTypes.toType(question.type));
    this.#u16(classes.toClass(question.class ?? 'IN'));
    this.#counts[Section.question]!++;
  }

  record(section: Exclude<SectionIndex, 0>, record: Answer): void {
    this.#record(record);
    this.#counts[section]!++;
  }

  /** The message so far, counts written: a view of this writer's buffer (no copy). */
  bytes(): Uint8Array {
    for (let i = 0; i < 4; i++) this.#buf.writeUInt16BE(this.#counts[i]!, 4 + 2 * i);
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#at);
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    const grown = Buffer.alloc(Math.max(this.#buf.length * 2, this.#at + bytes));
    this.#buf.copy(grown, 0, 0, this.#at);
    this.#buf = grown;
  }

  #u16(value: number): void {
    this.#room(2);
    this.#buf.writeUInt16BE(value & 0xffff, this.#at);
    this.#at += 2;
  }

  #u32(value: number): void {
    this.#room(4);
    this.#buf.writeUInt32BE(value >>> 0, this.#at);
    this.#at += 4;
  }

  /** The labels up to the longest suffix already in the message, then a pointer to it. */
  #name(name: string): void {
    const whole = this.#names.get(name);
    if (whole !== undefined) return this.#u16(0xc000 | whole);
    const { text, key, starts } = wireLabels(name);
    const begin = this.#at;
    let labels = text.length;
    let pointer: number | undefined;
    for (let i = 0; i < starts.length; i++) {
      const suffix = key.slice(starts[i]);
      pointer = this.#suffixes.get(suffix);
      if (pointer !== undefined) {
        labels = starts[i]!;
        break;
      }
      if (begin + starts[i]! < POINTER_REACH) this.#suffixes.set(suffix, begin + starts[i]!);
    }
    // This very string again (the owner of the next record) is then one look-up.
    if (labels === 0 && pointer !== undefined) this.#names.set(name, pointer);
    else if (labels > 0 && begin < POINTER_REACH) this.#names.set(name, begin);
    this.#room(labels + 2);
    this.#at += this.#buf.write(text, this.#at, labels, 'latin1');
    if (pointer === undefined) this.#buf[this.#at++] = 0;
    else this.#u16(0xc000 | pointer);
  }

  /** Writes RDLENGTH once the RDATA written by `body` is known. */
  #rdata(body: () => void): void {
    const lengthAt = this.#at;
    this.#u16(0);
    body();
    this.#buf.writeUInt16BE(this.#at - lengthAt - 2, lengthAt);
  }

  /**
   * Its length, then its bytes (RFC 1035 §3.3): written here rather than by dns-packet, which
   * turns every string into a Buffer first (and cuts a length past 255 to its low byte).
   */
  #characterString(text: string | Uint8Array): void {
    this.#room(1 + (typeof text === 'string' ? 3 * text.length : text.byteLength));
    const length = typeof text === 'string' ? this.#buf.write(text, this.#at + 1, 'utf8') : text.byteLength;
    if (length > 255) throw new RangeError(`a character-string holds at most 255 bytes, not ${length}`);
    if (typeof text !== 'string') this.#buf.set(text, this.#at + 1);
    this.#buf[this.#at] = length;
    this.#at += 1 + length;
  }

  /** RDLENGTH and RDATA written by dns-packet's codec for the type. */
  #delegated(type: string, data: unknown): void {
    const codec = codecs.record(type);
    this.#room(codec.encodingLength(data));
    codec.encode(data, this.#buf, this.#at);
    this.#at += (codec.encode as unknown as { bytes: number }).bytes;
  }

  #record(record: Answer): void {
    if (record.type === 'OPT') {
      this.#room(codecs.answer.encodingLength(record));
      codecs.answer.encode(record, this.#buf, this.#at);
      this.#at += (codecs.answer.encode as unknown as { bytes: number }).bytes;
      return;
    }
    this.#name(record.name);
    this.#u16(recordTypes.toType(record.type));
    this.#u16(classes.toClass(record.class ?? 'IN'));
    this.#u32(record.ttl ?? 0);
    switch (record.type) {
      case 'NS':
      case 'CNAME':
      case 'PTR':
        return this.#rdata(() => this.#name(record.data));
      case 'MX':
        return this.#rdata(() => {
          this.#u16(record.data.preference ?? 0);
          this.#name(record.data.exchange);
        });
      case 'SOA':
        return this.#rdata(() => {
          const soa = record.data;
          this.#name(soa.mname);
          this.#name(soa.rname);
          for (const field of [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum]) this.#u32(field ?? 0);
        });
      case 'TXT':
        return this.#rdata(() => {
          for (const text of Array.isArray(record.data) ? record.data : [record.data]) this.#characterString(text);
        });
      default:
        return this.#delegated(record.type, (record as { data?: unknown }).data);
    }
  }
}

/**
 * The message in wire form, names compressed.
 *
 * ```ts
 * encodeCompressed({ type: 'response', id: 1, questions: [q], answers: [a] }).byteLength; // 12 + question + 16 for an A
 * ```
 */
export function encodeCompressed(message: Message): Uint8Array {
  const w = new MessageWriter(message, 0, scratch);
  for (const q of message.questions ?? []) w.question(q);
  for (const r of message.answers ?? []) w.record(Section.answer, r);
  for (const r of message.authorities ?? []) w.record(Section.authority, r);
  for (const r of message.additionals ?? []) w.record(Section.additional, r);
  const bytes = w.bytes();
  const out = pooledBytes(bytes.byteLength);
  out.set(bytes);
  return out;
}

// A message is written in one synchronous call, so one buffer serves every call, and the message
// is copied out at its size.
const scratch = Buffer.allocUnsafe(4096);

/**
 * `length` bytes, not zeroed, from Node's pool of small buffers: a buffer of its own per message
 * (512 bytes, zeroed) was a fifth of a cache miss's CPU time, with the garbage collector's work
 * on it. They share the pool's 8 KiB slab: whatever keeps messages (the response cache) keeps a
 * copy of its own.
 */
export function pooledBytes(length: number): Uint8Array {
  const buf = Buffer.allocUnsafe(length);
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}
