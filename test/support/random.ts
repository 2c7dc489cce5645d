// Seeded pseudo-random traffic for the fuzz test, the soak and the DNS benchmark: xorshift32 (Marsaglia),
// so a failing run can be replayed from its seed. Not for anything secret.

/** The same numbers on every run for one seed. */
export function seededRandom(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    int: (n: number) => next() % n,
    byte: () => next() & 0xff,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}
