// Response rate limiting on UDP, as NSD and Knot do it: a spoofed source cannot turn the server
// into a flood aimed at its victim. Responses are counted per source prefix (/24, /56) in token
// buckets; past the rate, responses are dropped, except every `slip`-th, which goes out as a bare
// truncated answer (TC=1, no records): a real resolver behind that prefix asks again over TCP,
// where the handshake proves its address. TCP is never limited.
import { FLAG_TC } from '../../dns/message.ts';
import { addFlags, HEADER_LENGTH, peekCount, Section, setCount } from '../../dns/wire.ts';
import { nameEnd } from '../../dns/wire-name.ts';
import { ConfigError } from '../config.ts';
import { fnv1a } from '../zone/fnv.ts';
import { sourcePrefix } from './source-slots.ts';

export interface RateLimitOptions {
  /** Responses per second one prefix may receive; 0 turns rate limiting off. */
  rate: number;
  /** Every slip-th response over the rate goes out truncated; 0: all are dropped, 1: none are. */
  slip: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Buckets in the table: its memory is fixed, whatever the number of sources. */
  tableSize: number;
}

// Knot's mod-rrl counts by /24 and /56 with a token bucket and recommends slip 2 ("every other
// response slips"); 20/s is its default rate in recent versions, NSD's is 200. A resolver asks
// one zone's server far less often than that per name, and over the rate it still gets a TC
// answer every other time.
export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  rate: 20,
  slip: 2,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  tableSize: 65_536,
};

export type RateVerdict = 'send' | 'slip' | 'drop';

/**
 * ```ts
 * const limiter = new ResponseRateLimiter(DEFAULT_RATE_LIMIT);
 * switch (limiter.verdict(peer.address)) { case 'send': ...; case 'slip': send(slipped(wire)); case 'drop': }
 * ```
 * A fixed table of buckets indexed by a hash of the prefix, as in NSD and Knot: a prefix that
 * lands on a bucket another holds takes it over with a full bucket. A flood of spoofed prefixes
 * can thus reset others' counts, never grow the table.
 */
export class ResponseRateLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  readonly #owners: (string | undefined)[];
  readonly #tokens: Float64Array;
  readonly #stamps: Float64Array;
  readonly #over: Uint32Array;

  constructor(options: RateLimitOptions, now: () => number = () => performance.now()) {
    this.#options = options;
    this.#now = now;
    this.#owners = new Array(options.tableSize);
    this.#tokens = new Float64Array(options.tableSize);
    this.#stamps = new Float64Array(options.tableSize);
    this.#over = new Uint32Array(options.tableSize);
  }

  /** What to do with one response to `address`. */
  verdict(address: string): RateVerdict {
    const { rate, slip, ipv4Prefix, ipv6Prefix, tableSize } = this.#options;
    const prefix = sourcePrefix(address, ipv4Prefix, ipv6Prefix);
    const i = fnv1a(prefix) % tableSize;
    const now = this.#now();
    if (this.#owners[i] !== prefix) {
      this.#owners[i] = prefix;
      this.#tokens[i] = rate;
      this.#over[i] = 0;
    } else {
      // Refilled at `rate` a second, holding at most one second's worth (the burst).
      this.#tokens[i] = Math.min(rate, this.#tokens[i]! + ((now - this.#stamps[i]!) / 1000) * rate);
    }
    this.#stamps[i] = now;
    if (this.#tokens[i]! >= 1) {
      this.#tokens[i]! -= 1;
      return 'send';
    }
    this.#over[i]! += 1;
    return slip > 0 && this.#over[i]! % slip === 0 ? 'slip' : 'drop';
  }
}

/**
 * The slip answer: the response's header and question with TC set and every other section
 * gone, never larger than the response (our responses write the question uncompressed, first).
 */
export function slipped(wire: Uint8Array): Uint8Array {
  const question = peekCount(wire, Section.question) === 1 ? nameEnd(wire, HEADER_LENGTH) + 4 : -1;
  const end = question >= HEADER_LENGTH + 4 && question <= wire.length ? question : HEADER_LENGTH;
  const out = wire.slice(0, end);
  addFlags(out, FLAG_TC);
  setCount(out, Section.answer, 0);
  setCount(out, Section.authority, 0);
  setCount(out, Section.additional, 0);
  if (end === HEADER_LENGTH) setCount(out, Section.question, 0);
  return out;
}

/** The limits from HAIRPIN_RRL_* (docs/dns.md); undefined when HAIRPIN_RRL_RATE is 0. */
export function rateLimitFromEnv(env: Record<string, string | undefined>): RateLimitOptions | undefined {
  const read = (key: string, fallback: number, max: number): number => {
    const raw = env[key];
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new ConfigError(`${key} must be an integer from 0 to ${max}, got "${raw}"`);
    return n;
  };
  const d = DEFAULT_RATE_LIMIT;
  const options: RateLimitOptions = {
    rate: read('HAIRPIN_RRL_RATE', d.rate, 1_000_000),
    slip: read('HAIRPIN_RRL_SLIP', d.slip, 100),
    ipv4Prefix: read('HAIRPIN_RRL_IPV4_PREFIX', d.ipv4Prefix, 32),
    ipv6Prefix: read('HAIRPIN_RRL_IPV6_PREFIX', d.ipv6Prefix, 128),
    tableSize: read('HAIRPIN_RRL_TABLE_SIZE', d.tableSize, 16_777_216),
  };
  if (options.tableSize === 0) throw new ConfigError('HAIRPIN_RRL_TABLE_SIZE must be at least 1');
  return options.rate === 0 ? undefined : options;
}
