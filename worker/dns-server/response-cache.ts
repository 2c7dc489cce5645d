// A cache of whole wire responses keyed on the query's bytes after the ID, so a repeated question
// costs a map lookup instead of a decode, store reads and an encode. Only plain questions are
// cached (see isPlainQuestion). Every entry remembers what its answer was read from (a node, a
// licence, the serial: worker/zone/reads.ts) and is dropped when the zone's journal says that
// changed (worker/zone/zone-watch.ts), so a report costs the cache only its own names' answers.
import { Buffer } from 'node:buffer';
import {
  HEADER_LENGTH,
  isResponse,
  peekCount,
  peekId,
  peekOpcode,
  Section,
  setId,
  setU32At,
  soaSerialOffset,
  u16At,
} from '../../dns/wire.ts';
import { pooledBytes } from '../../dns/wire-encode.ts';
import { nameEnd } from '../../dns/wire-name.ts';
import { nodeTag, type Reads } from '../zone/reads.ts';
import type { ZoneChange } from '../zone/zone-watch.ts';
import type { AdmissionDoor } from './admission-door.ts';

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
  if (n < HEADER_LENGTH + 5 || isResponse(bytes) || peekOpcode(bytes) !== 0) return false;
  if (
    peekCount(bytes, Section.question) !== 1 ||
    peekCount(bytes, Section.answer) !== 0 ||
    peekCount(bytes, Section.authority) !== 0 ||
    peekCount(bytes, Section.additional) > 1
  )
    return false;
  // Uncompressed: a question has nothing earlier to point at. Then QTYPE and QCLASS.
  const nameEnds = nameEnd(bytes, HEADER_LENGTH, false);
  const at = nameEnds + 4;
  if (nameEnds < 0 || at > n) return false;
  const type = u16At(bytes, nameEnds);
  if (type === TYPE_AXFR || type === TYPE_IXFR || type === TYPE_OPT) return false;
  if (peekCount(bytes, Section.additional) === 0) return at === n;
  // OPT: root owner, type 41, class, TTL, RDLENGTH, then exactly RDLENGTH bytes (RFC 6891 §6.1.2).
  if (at + 11 > n || bytes[at] !== 0 || u16At(bytes, at + 1) !== TYPE_OPT) return false;
  return at + 11 + u16At(bytes, at + 9) === n;
}

interface Entry {
  key: string;
  wire: Uint8Array;
  /** What the answer was read from (worker/zone/reads.ts). */
  tags: readonly string[];
  /** The serial it carries (an SOA), or undefined when the serial is not in it. */
  serial: number | undefined;
  /** Where that serial sits in `wire` (soaSerialOffset), or -1. */
  serialAt: number;
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
 * Entries are also indexed by what they were read from, so that a change drops only its own.
 * An answer that carries the serial (the apex SOA, every negative answer's SOA) is given the new
 * serial at its first hit after the serial moved, in place: a report moves the serial, and
 * dropping those answers instead (NSD's and Knot's are ready in memory) made every negative
 * answer a miss again after each report. What else such an answer read (the node a NODATA
 * answer looked at) drops it like any other.
 *
 * With a `door`, an answer is kept only the second time its question misses (since the door last
 * forgot; admission-door.ts): a flood of random
 * names, or a scan of a million nodes each asked once, then costs no insert, no eviction and no
 * garbage, and does not push out the answers asked again. A question asked twice is answered
 * from the zone twice before it is kept.
 *
 * ```ts
 * const cache = new ResponseCache(10_000);
 * cache.follow({ serial: 7, nodes: undefined });   // the zone's serial, from the ZoneWatch
 * const key = ResponseCache.key('udp', query);
 * const hit = cache.get(key, query);               // the response with the query's ID, or undefined
 * cache.set(key, responseWire, { tags: ['n 1234 nur1'], serial: false });
 * ```
 */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byTag = new Map<string, Set<Entry>>();
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** The sentinel of the recency ring: `newer` is the least recently used entry, `older` the most. */
  readonly #ring: Entry;
  #bytes = 0;
  /** The zone's serial now. */
  #serial = Number.NaN;
  /** The admission filter, or undefined when every answer is kept at once. */
  readonly #door: AdmissionDoor | undefined;

  constructor(capacity: number, maxBytes = Number.POSITIVE_INFINITY, options: { door?: AdmissionDoor } = {}) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
    this.#door = options.door;
    const ring = { key: '', wire: new Uint8Array(0), tags: [], serial: undefined, serialAt: -1 } as unknown as Entry;
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

  /** A change of the zone: the answers read from the changed nodes go (all of them for "anything"). */
  follow(change: ZoneChange): void {
    this.#serial = change.serial;
    if (!change.nodes) return this.#clear();
    for (const { licence, node } of change.nodes) {
      const entries = this.#byTag.get(nodeTag(licence, node));
      if (entries) for (const entry of entries) this.#remove(entry);
    }
  }

  get(key: string, query: Uint8Array): Uint8Array | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.serial !== undefined && entry.serial !== this.#serial) {
      if (entry.serialAt < 0) {
        this.#remove(entry);
        return undefined;
      }
      setU32At(entry.wire, entry.serialAt, this.#serial);
      entry.serial = this.#serial;
    }
    this.#unlink(entry);
    this.#link(entry);
    // Out of Node's pool (pooledBytes): slice() gave each hit an ArrayBuffer of its own, about
    // 300 ns more a hit and the collector's work after it.
    const wire = pooledBytes(entry.wire.byteLength);
    wire.set(entry.wire);
    setId(wire, peekId(query));
    return wire;
  }

  /** Keep a response read as `reads` says, at the serial last followed (the second time, with the filter). */
  set(key: string, wire: Uint8Array, reads: Reads): void {
    if (this.#capacity <= 0) return;
    if (this.#door && !this.#entries.has(key) && !this.#door.knock(key)) return;
    const cost = key.length + wire.byteLength;
    if (cost > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#remove(old);
    while (this.#entries.size >= this.#capacity || this.#bytes + cost > this.#maxBytes) this.#remove(this.#ring.newer);
    const ring = this.#ring;
    const serial = reads.serial ? this.#serial : undefined;
    const serialAt = serial === undefined ? -1 : soaSerialOffset(wire);
    // An answer whose serial cannot be rewritten goes at the next serial move, which every change
    // of what it read makes too: indexing its tags would only cost.
    const tags = serial !== undefined && serialAt < 0 ? [] : reads.tags;
    // A copy of its own: a message may be a view of a slab of Node's buffer pool
    // (encodeCompressed), which keeping the view would keep whole.
    const entry: Entry = { key, wire: new Uint8Array(wire), tags, serial, serialAt, newer: ring, older: ring };
    this.#entries.set(key, entry);
    for (const tag of tags) {
      let entries = this.#byTag.get(tag);
      if (!entries) this.#byTag.set(tag, (entries = new Set()));
      entries.add(entry);
    }
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
    for (const tag of entry.tags) {
      const entries = this.#byTag.get(tag);
      entries?.delete(entry);
      if (entries?.size === 0) this.#byTag.delete(tag);
    }
    this.#bytes -= entry.key.length + entry.wire.byteLength;
  }

  #clear(): void {
    this.#entries.clear();
    this.#byTag.clear();
    this.#ring.newer = this.#ring.older = this.#ring;
    this.#bytes = 0;
  }
}
