// Zone serial arithmetic (RFC 1982) for the store and its journal: serials are 32-bit and wrap.
// A secondary at 4294967295 must see 1 as newer.

import { SERIAL_HALF as HALF, SERIAL_MODULUS as MODULUS } from '../../dns/serial.ts';

// The order itself lives beside the probe's DNS vocabulary (dns/serial.ts); the store's steps here.
export { compareSerial, serialBefore } from '../../dns/serial.ts';

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
