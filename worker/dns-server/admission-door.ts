// The response cache's admission filter (TinyLFU's doorkeeper): a bit per hash of a question, so
// that an answer is kept only the second time its question misses. Its memory may be shared by
// the DNS worker threads: the kernel spreads a resolver's questions over them by source port, and
// with a door per thread each thread had to miss a question twice before keeping it (two
// threads warmed in twice the passes of one, and asked less often than that, never).
import { fnv1a } from '../zone/fnv.ts';

/** Bits of the filter: 2^20, 128 KiB. */
const DOOR_BITS = 1 << 20;
const DOOR_WORDS = DOOR_BITS / 32;
/**
 * Questions let through the door before it forgets them all: an eighth of its bits, so a question
 * asked once passes as one asked twice about one time in eight at worst.
 */
const DOOR_KNOCKS = DOOR_BITS / 8;

/**
 * ```ts
 * const memory = AdmissionDoor.memory();         // a SharedArrayBuffer, for every thread's door
 * const door = new AdmissionDoor(memory);
 * door.knock('question');                        // false: first time
 * door.knock('question');                        // true: asked before
 * ```
 */
export class AdmissionDoor {
  /** The filter's words, then the count of knocks since it last forgot. */
  readonly #words: Int32Array;

  static memory(): SharedArrayBuffer {
    return new SharedArrayBuffer((DOOR_WORDS + 1) * Int32Array.BYTES_PER_ELEMENT);
  }

  constructor(memory: ArrayBufferLike = new ArrayBuffer((DOOR_WORDS + 1) * Int32Array.BYTES_PER_ELEMENT)) {
    this.#words = new Int32Array(memory);
    if (this.#words.length !== DOOR_WORDS + 1) throw new Error('an admission door takes AdmissionDoor.memory()');
  }

  /** Whether `key` knocked before since the door last forgot; it has now. */
  knock(key: string): boolean {
    const words = this.#words;
    const bit = fnv1a(key) & (DOOR_BITS - 1);
    const mask = 1 << (bit & 31);
    // Atomics on shared memory: a bit set by one thread is never lost to another's write.
    if ((Atomics.or(words, bit >>> 5, mask) & mask) !== 0) return true;
    // The thread whose knock reaches the bound forgets for all. A bit another thread sets during
    // the wipe may go with it: that question is kept one miss later, no answer is wrong.
    if (Atomics.add(words, DOOR_WORDS, 1) + 1 === DOOR_KNOCKS) {
      words.fill(0, 0, DOOR_WORDS);
      Atomics.store(words, DOOR_WORDS, 0);
    }
    return false;
  }
}
