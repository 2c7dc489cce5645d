// A cache of whole wire responses keyed on the query's bytes after the ID, so a repeated question
// costs a map lookup instead of a decode, store reads and an encode. Only plain questions are
// cached (see isPlainQuestion); every entry carries the store version it was computed at and is
// used only while the store still reports that version, so a report is visible at once.
import { Buffer } from 'node:buffer';
import { HEADER_LENGTH } from '../../dns/message.ts';

/**
 * Something that changes whenever the zone's data may have changed, read synchronously on every
 * query (e.g. SQLite's `PRAGMA data_version` on a connection of its own).
 */
export type StoreVersion = () => number;

const TYPE_OPT = 41;
const TYPE_IXFR = 251;
const TYPE_AXFR = 252;

/**
 * A standard query (QR 0, opcode QUERY) with exactly one question, not a transfer, and nothing but
 * an optional bare OPT after it, with no trailing bytes. Everything else (NOTIFY, transfers, TSIG)
 * goes to the handlers every time, never through the cache.
 */
export function isPlainQuestion(bytes: Uint8Array): boolean {
  const n = bytes.byteLength;
  if (n < HEADER_LENGTH + 5 || (bytes[2]! & 0xf8) !== 0) return false;
  const count = (i: number) => (bytes[i]! << 8) | bytes[i + 1]!;
  if (count(4) !== 1 || count(6) !== 0 || count(8) !== 0 || count(10) > 1) return false;
  let at = HEADER_LENGTH;
  // Uncompressed labels only (a question has nothing earlier to point at), at most 255 bytes.
  while (at < n && bytes[at] !== 0) {
    const length = bytes[at]!;
    if (length > 63 || at - HEADER_LENGTH + length + 1 > 254) return false;
    at += length + 1;
  }
  at += 1 + 4;
  if (at > n) return false;
  const type = count(at - 4);
  if (type === TYPE_AXFR || type === TYPE_IXFR || type === TYPE_OPT) return false;
  if (count(10) === 0) return at === n;
  // OPT: root owner, type 41, class, TTL, RDLENGTH, then exactly RDLENGTH bytes (RFC 6891 §6.1.2).
  if (at + 11 > n || bytes[at] !== 0 || count(at + 1) !== TYPE_OPT) return false;
  return at + 11 + count(at + 9) === n;
}

interface Entry {
  key: string;
  wire: Uint8Array;
  /** Neighbours in recency order; the list is a ring through the cache's sentinel. */
  newer: Entry;
  older: Entry;
}

/**
 * A least-recently-used cache: a map to entries threaded on a doubly linked list, so a hit, an
 * insert and an eviction each touch a fixed number of entries. (Evicting the first key of a Map
 * in insertion order looked O(1) but is not: V8 leaves deleted entries in place until it
 * rehashes, and `keys().next()` walks past every one, 28–170 µs an insert once a flood of
 * distinct names had churned the map.) Bounded by entries and by bytes (keys and responses).
 *
 * ```ts
 * const cache = new ResponseCache(10_000);
 * const key = ResponseCache.key('udp', query);
 * const hit = cache.get(key, version, query);   // the response with the query's ID, or undefined
 * cache.set(key, version, responseWire);
 * ```
 */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** The sentinel of the recency ring: `newer` is the least recently used entry, `older` the most. */
  readonly #ring: Entry;
  #bytes = 0;
  /** The store version every entry was computed at. */
  #version = Number.NaN;

  constructor(capacity: number, maxBytes = Number.POSITIVE_INFINITY) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
    const ring = { key: '', wire: new Uint8Array(0) } as Entry;
    ring.newer = ring.older = ring;
    this.#ring = ring;
  }

  /** The transport is part of the key: the same question may be truncated on UDP only. */
  static key(transport: string, query: Uint8Array): string {
    return transport + Buffer.from(query.buffer, query.byteOffset + 2, query.byteLength - 2).toString('latin1');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held: keys (one per character) and responses. */
  get bytes(): number {
    return this.#bytes;
  }

  get(key: string, version: number, query: Uint8Array): Uint8Array | undefined {
    if (version !== this.#version) {
      // The store moved on: every entry may be stale.
      this.#clear();
      this.#version = version;
      return undefined;
    }
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#unlink(entry);
    this.#link(entry);
    const wire = entry.wire.slice();
    wire[0] = query[0]!;
    wire[1] = query[1]!;
    return wire;
  }

  /** Keep a response computed from the store at `version` (dropped if the store moved since). */
  set(key: string, version: number, wire: Uint8Array): void {
    if (version !== this.#version || this.#capacity <= 0) return;
    const cost = key.length + wire.byteLength;
    if (cost > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#remove(old);
    while (this.#entries.size >= this.#capacity || this.#bytes + cost > this.#maxBytes) this.#remove(this.#ring.newer);
    const entry = { key, wire } as Entry;
    this.#entries.set(key, entry);
    this.#link(entry);
    this.#bytes += cost;
  }

  /** Keys from the least to the most recently used (for tests). */
  *keys(): IterableIterator<string> {
    for (let e = this.#ring.newer; e !== this.#ring; e = e.newer) yield e.key;
  }

  /** Puts `entry` at the most recently used end. */
  #link(entry: Entry): void {
    const ring = this.#ring;
    entry.older = ring.older;
    entry.newer = ring;
    ring.older.newer = entry;
    ring.older = entry;
  }

  #unlink(entry: Entry): void {
    entry.older.newer = entry.newer;
    entry.newer.older = entry.older;
  }

  #remove(entry: Entry): void {
    this.#unlink(entry);
    this.#entries.delete(entry.key);
    this.#bytes -= entry.key.length + entry.wire.byteLength;
  }

  #clear(): void {
    this.#entries.clear();
    this.#ring.newer = this.#ring.older = this.#ring;
    this.#bytes = 0;
  }
}
