// A fixed-window counter per key (a source address, a node), bounded in memory: the table is
// emptied when a window ends and holds at most `maxKeys` keys within one. Per process (per
// isolate on Workers): a bound on what one manager instance does, not a global quota.

/**
 * ```ts
 * const limiter = new WindowLimiter({ limit: 20, windowMs: 60_000 });
 * if (!limiter.allow(sourceAddress, Date.now())) return tooMany();
 * ```
 */
export class WindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  #window = Number.NaN;
  readonly #counts = new Map<string, number>();

  constructor(options: { limit: number; windowMs: number; maxKeys?: number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Count one event for `key`; false once the key is over its limit in this window. */
  allow(key: string, now: number): boolean {
    const window = Math.floor(now / this.#windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    // A flood of distinct keys (spoofed sources cannot do HTTP, but many real ones can) fills the
    // table; new keys then wait for the next window rather than growing it.
    if (count === 1 && this.#counts.size >= this.#maxKeys) return false;
    this.#counts.set(key, count);
    return count <= this.#limit;
  }
}
