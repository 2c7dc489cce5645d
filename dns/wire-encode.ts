// Encoding a message with name compression (RFC 1035 §4.1.4). dns-packet writes every name in
// full: one A answer took 99 bytes where Knot sends 72, an apex NS set with its glue 3,644 where
// Knot sends 1,997. Here the header, questions, owner names and the names inside the RDATA of the
// RFC 1035 types (NS, CNAME, PTR, SOA, MX; RFC 3597 §4 forbids compressing any other type's) are
// written by us, each name as a pointer to the longest suffix already in the message; every other
// RDATA (and OPT) is dns-packet's.

import { Buffer } from 'node:buffer';
import * as packet from 'dns-packet';
import * as classes from 'dns-packet/classes.js';
import * as recordTypes from 'dns-packet/types.js';
import { nameLabels } from './wire-name.ts';

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
const POINTER_REACH = 0x4000;

class Writer {
  buf = Buffer.alloc(512);
  at = 0;
  /** Suffix (lower-cased labels, as bytes) → where it starts: case does not matter (RFC 4343). */
  readonly #names = new Map<string, number>();

  room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  u16(value: number): void {
    this.room(2);
    this.buf.writeUInt16BE(value & 0xffff, this.at);
    this.at += 2;
  }

  u32(value: number): void {
    this.room(4);
    this.buf.writeUInt32BE(value >>> 0, this.at);
    this.at += 4;
  }

  name(name: string): void {
    const labels = nameLabels(name);
    // keys[i]: the suffix made of labels i.. (lower-cased), built from the root up.
    const keys: string[] = new Array(labels.length + 1);
    keys[labels.length] = '';
    for (let i = labels.length - 1; i >= 0; i--) {
      keys[i] =
        `${String.fromCharCode(labels[i]!.length)}${Buffer.from(labels[i]!).toString('latin1').toLowerCase()}${keys[i + 1]}`;
    }
    for (let i = 0; i < labels.length; i++) {
      const earlier = this.#names.get(keys[i]!);
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.at < POINTER_REACH) this.#names.set(keys[i]!, this.at);
      const label = labels[i]!;
      this.room(label.length + 1);
      this.buf[this.at++] = label.length;
      this.buf.set(label, this.at);
      this.at += label.length;
    }
    this.room(1);
    this.buf[this.at++] = 0;
  }

  /** Writes RDLENGTH once the RDATA written by `body` is known. */
  rdata(body: () => void): void {
    const lengthAt = this.at;
    this.u16(0);
    body();
    this.buf.writeUInt16BE(this.at - lengthAt - 2, lengthAt);
  }

  /** RDLENGTH and RDATA written by dns-packet's codec for the type. */
  delegated(type: string, data: unknown): void {
    const codec = codecs.record(type);
    this.room(codec.encodingLength(data));
    codec.encode(data, this.buf, this.at);
    this.at += (codec.encode as unknown as { bytes: number }).bytes;
  }

  record(record: Answer): void {
    if (record.type === 'OPT') {
      this.room(codecs.answer.encodingLength(record));
      codecs.answer.encode(record, this.buf, this.at);
      this.at += (codecs.answer.encode as unknown as { bytes: number }).bytes;
      return;
    }
    this.name(record.name);
    this.u16(recordTypes.toType(record.type));
    this.u16(classes.toClass(record.class ?? 'IN'));
    this.u32(record.ttl ?? 0);
    switch (record.type) {
      case 'NS':
      case 'CNAME':
      case 'PTR':
        return this.rdata(() => this.name(record.data));
      case 'MX':
        return this.rdata(() => {
          this.u16(record.data.preference ?? 0);
          this.name(record.data.exchange);
        });
      case 'SOA':
        return this.rdata(() => {
          const soa = record.data;
          this.name(soa.mname);
          this.name(soa.rname);
          for (const field of [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum]) this.u32(field ?? 0);
        });
      default:
        return this.delegated(record.type, (record as { data?: unknown }).data);
    }
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.at);
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
  const w = new Writer();
  const sections = [
    message.questions ?? [],
    message.answers ?? [],
    message.authorities ?? [],
    message.additionals ?? [],
  ];
  w.u16(message.id ?? 0);
  w.u16(((message.flags ?? 0) & 0x7fff) | (message.type === 'response' ? 0x8000 : 0));
  for (const section of sections) w.u16(section.length);
  for (const q of message.questions ?? []) {
    w.name(q.name);
    w.u16(recordTypes.toType(q.type));
    w.u16(classes.toClass(q.class ?? 'IN'));
  }
  for (const section of sections.slice(1) as Answer[][]) for (const record of section) w.record(record);
  return w.bytes();
}
