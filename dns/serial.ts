// Zone serial order (RFC 1982): serials are 32-bit and wrap, so "newer" is decided by the shorter
// way round the circle, never by plain `<`. Shared: the manager's transfers compare serials, and
// the probe tells a negative answer cached before the manager's last change by its SOA serial.

export const SERIAL_MODULUS = 2 ** 32;
export const SERIAL_HALF = 2 ** 31;

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
  const forward = (b - a + SERIAL_MODULUS) % SERIAL_MODULUS;
  if (forward === SERIAL_HALF) return undefined;
  return forward < SERIAL_HALF ? -1 : 1;
}

/** `a` is strictly older than `b` (false when undefined by the RFC). */
export function serialBefore(a: number, b: number): boolean {
  return compareSerial(a, b) === -1;
}
