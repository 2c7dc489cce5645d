// Zone serial arithmetic (RFC 1982): serials are 32-bit and wrap, so "newer" is decided by the
// shorter way round the circle, never by plain `<`. A secondary at 4294967295 must see 1 as newer.

const MODULUS = 2 ** 32;
const HALF = 2 ** 31;

/**
 * Compare two serials (RFC 1982 §3.2): -1 when `a` is older than `b`, 1 when newer, 0 when equal,
 * and undefined when they are exactly 2^31 apart, where the RFC leaves the order undefined.
 *
 * ```ts
 * compareSerial(4294967295, 1); // -1: 1 is two steps past the wrap
 * ```
 */
export function compareSerial(a: number, b: number): -1 | 0 | 1 | undefined {
  if (a === b) return 0;
  const forward = (b - a + MODULUS) % MODULUS;
  if (forward === HALF) return undefined;
  return forward < HALF ? -1 : 1;
}

/** `a` is strictly older than `b` (false when undefined by the RFC). */
export function serialBefore(a: number, b: number): boolean {
  return compareSerial(a, b) === -1;
}

/** RFC 1982 §3.1 addition: `n` must be in [0, 2^31 - 1]. */
export function addSerial(serial: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n >= HALF) throw new RangeError(`serial increment ${n} outside [0, 2^31 - 1]`);
  return (serial + n) % MODULUS;
}

/** The largest serial, 2^32 - 1. */
export const MAX_SERIAL = MODULUS - 1;

/**
 * The serial the store moves to on a change. The store skips 0 after 2^32 - 1 (see
 * worker/store/store.ts: `(serial % MAX_SERIAL) + 1` in SQL) so that 0 never means "a serial";
 * this is the same step, for walking the journal.
 */
export function nextStoreSerial(serial: number): number {
  return (serial % MAX_SERIAL) + 1;
}

/** How many increments of one lead from `from` to `to` going forward round the circle. */
export function serialDistance(from: number, to: number): number {
  return (to - from + MODULUS) % MODULUS;
}
