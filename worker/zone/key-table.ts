// Pairs of strings (a licence and a node) numbered densely, in typed arrays: an open-addressing
// hash table over the keys' characters. A Map of a million string keys took 1.5-2.5 s to fill
// here and about 90 MB (a string, an entry and the map's rehashing per key, all for the garbage
// collector to walk); this takes a fraction of both and nothing the collector looks into.

import { fnv1a, fnvSeparate } from './fnv.ts';

/** FNV-1a over both strings' UTF-16 units, with a separator the strings cannot both move across. */
function hashPair(a: string, b: string): number {
  return fnv1a(b, fnvSeparate(fnv1a(a)));
}

function latin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

const EMPTY = 0;
const REMOVED = -1;

function grown<T extends Uint8Array | Uint16Array | Uint32Array>(old: T, length: number, make: (n: number) => T): T {
  if (length <= old.length) return old;
  let size = old.length;
  while (size < length) size *= 2;
  const bigger = make(size);
  bigger.set(old);
  return bigger;
}

/**
 * ```ts
 * const keys = new KeyTable();
 * keys.add('1234', 'nur1');    // 0 (a new number, or the one the pair has)
 * keys.find('1234', 'nur1');   // 0
 * keys.find('1234', 'nur2');   // -1
 * keys.remove('1234', 'nur1'); // 0, and the number may be handed out again
 * ```
 */
export class KeyTable {
  /** The keys' characters, one after another: Latin-1, as names read from the wire are (escaped). */
  #chars = new Uint8Array(1 << 12);
  #charsUsed = 0;
  /** Per number: where its key starts, the two lengths, its hash. */
  #start = new Uint32Array(256);
  #lengthA = new Uint16Array(256);
  #lengthB = new Uint16Array(256);
  #hash = new Uint32Array(256);
  #numbers = 0;
  readonly #free: number[] = [];
  /** Number + 1 per bucket; EMPTY ends a probe, REMOVED does not. */
  #buckets = new Int32Array(512);
  /** Buckets not EMPTY (live and removed): what the load factor counts. */
  #occupied = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** One more than the largest number handed out: the length arrays indexed by number need. */
  get capacity(): number {
    return this.#numbers;
  }

  find(a: string, b: string): number {
    const at = this.#bucketOf(a, b, hashPair(a, b));
    return at < 0 ? -1 : this.#buckets[at]! - 1;
  }

  add(a: string, b: string): number {
    const hash = hashPair(a, b);
    const at = this.#bucketOf(a, b, hash);
    if (at >= 0) return this.#buckets[at]! - 1;
    // A key the table cannot hold whole (names from the wire never have one: they are escaped).
    if (!latin1(a) || !latin1(b)) throw new RangeError(`not a Latin-1 key: ${JSON.stringify(a + b)}`);
    if ((this.#occupied + 1) * 2 > this.#buckets.length) this.#rehash();
    const n = this.#free.pop() ?? this.#numbers++;
    this.#store(n, a, b, hash);
    const mask = this.#buckets.length - 1;
    let i = hash & mask;
    while (this.#buckets[i]! > EMPTY) i = (i + 1) & mask;
    if (this.#buckets[i] === EMPTY) this.#occupied++;
    this.#buckets[i] = n + 1;
    this.#size++;
    return n;
  }

  /** The pair's number, now free, or -1 when it had none. */
  remove(a: string, b: string): number {
    const at = this.#bucketOf(a, b, hashPair(a, b));
    if (at < 0) return -1;
    const n = this.#buckets[at]! - 1;
    this.#buckets[at] = REMOVED;
    this.#free.push(n);
    this.#size--;
    return n;
  }

  /** The bucket holding the pair, or -1. */
  #bucketOf(a: string, b: string, hash: number): number {
    const buckets = this.#buckets;
    const mask = buckets.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === EMPTY) return -1;
      if (v > 0 && this.#hash[v - 1] === hash && this.#equals(v - 1, a, b)) return i;
    }
  }

  #equals(n: number, a: string, b: string): boolean {
    if (this.#lengthA[n] !== a.length || this.#lengthB[n] !== b.length) return false;
    const chars = this.#chars;
    let at = this.#start[n]!;
    for (let i = 0; i < a.length; i++) if (chars[at++] !== a.charCodeAt(i)) return false;
    for (let i = 0; i < b.length; i++) if (chars[at++] !== b.charCodeAt(i)) return false;
    return true;
  }

  #store(n: number, a: string, b: string, hash: number): void {
    const length = a.length + b.length;
    // A number handed out again takes new room for its key: removals are rare (a node deleted
    // between two builds of the index), so the old room is not worth reclaiming.
    this.#chars = grown(this.#chars, this.#charsUsed + length, (size) => new Uint8Array(size));
    if (n >= this.#start.length) {
      const size = n + 1;
      this.#start = grown(this.#start, size, (s) => new Uint32Array(s));
      this.#lengthA = grown(this.#lengthA, size, (s) => new Uint16Array(s));
      this.#lengthB = grown(this.#lengthB, size, (s) => new Uint16Array(s));
      this.#hash = grown(this.#hash, size, (s) => new Uint32Array(s));
    }
    const chars = this.#chars;
    let at = this.#charsUsed;
    this.#start[n] = at;
    for (let i = 0; i < a.length; i++) chars[at++] = a.charCodeAt(i);
    for (let i = 0; i < b.length; i++) chars[at++] = b.charCodeAt(i);
    this.#charsUsed = at;
    this.#lengthA[n] = a.length;
    this.#lengthB[n] = b.length;
    this.#hash[n] = hash;
  }

  /** Twice the live keys' room, removed ones dropped. */
  #rehash(): void {
    let size = this.#buckets.length;
    while ((this.#size + 1) * 4 > size) size *= 2;
    const old = this.#buckets;
    const buckets = new Int32Array(size);
    const mask = size - 1;
    for (const v of old) {
      if (v <= 0) continue;
      let i = this.#hash[v - 1]! & mask;
      while (buckets[i] !== EMPTY) i = (i + 1) & mask;
      buckets[i] = v;
    }
    this.#buckets = buckets;
    this.#occupied = this.#size;
  }
}
