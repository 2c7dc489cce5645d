// DNS64 seen from a client: RFC 7050 prefix discovery and RFC 6052 address synthesis. An
// IPv6-only network (most mobile carriers) gives its devices a resolver that makes up an AAAA
// from every A (the NAT64 prefix with the IPv4 address inside); the prefix is found by asking
// for `ipv4only.arpa`, a name with only the well-known addresses 192.0.0.170 and .171.
import { canonicalIpv6, isIpv4, parseIpv6 } from '../dns/address.ts';
import type { Observation } from './observe.ts';

/** RFC 7050 §2.2: the name that has A records only, never an AAAA of its own. */
export const IPV4ONLY_ARPA = 'ipv4only.arpa';

/** RFC 7050 §2.2: the well-known IPv4 addresses of `ipv4only.arpa`. */
const WELL_KNOWN = ['192.0.0.170', '192.0.0.171'];

/** RFC 6052 §2.2: the prefix lengths a NAT64 may use. */
const LENGTHS = [96, 64, 56, 48, 40, 32] as const;
export type Nat64Length = (typeof LENGTHS)[number];

export interface Nat64Prefix {
  /** Canonical text of the prefix's address, e.g. `64:ff9b::`. */
  prefix: string;
  length: Nat64Length;
}

function bytesOf(address: string): number[] | undefined {
  return parseIpv6(address)?.flatMap((g) => [g >> 8, g & 0xff]);
}

function textOf(bytes: number[]): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  return canonicalIpv6(groups.map((g) => g.toString(16)).join(':'));
}

/** RFC 6052 §2.2: where the IPv4 address's four bytes sit for a prefix length (bits 64–71 are skipped). */
function positions(length: Nat64Length): number[] {
  const at: number[] = [];
  for (let i = length / 8; at.length < 4; i++) if (i !== 8) at.push(i);
  return at;
}

/** The IPv4 address inside `address` for a prefix of `length`, and the prefix; undefined if bits 64–71 are not zero. */
function split(address: string, length: Nat64Length): { prefix: string; ipv4: string } | undefined {
  const bytes = bytesOf(address);
  if (!bytes || (length < 96 && bytes[8] !== 0)) return undefined;
  const ipv4 = positions(length)
    .map((i) => bytes[i])
    .join('.');
  const prefix = bytes.map((b, i) => (i < length / 8 ? b : 0));
  return { prefix: textOf(prefix), ipv4 };
}

/**
 * The NAT64 prefixes in the resolver's answer to `ipv4only.arpa AAAA` (RFC 7050 §3): where a
 * well-known address sits in an AAAA gives the prefix length. A prefix that holds the pattern at
 * two places is settled by the other well-known address (§3: .171 exists for that); else the
 * longest wins. Empty when the answer has no synthesised AAAA (no DNS64).
 *
 * ```ts
 * discoverPrefixes(seen); // [{ prefix: '64:ff9b::', length: 96 }]
 * ```
 */
export function discoverPrefixes(seen: Observation): Nat64Prefix[] {
  if (seen.outcome !== 'answer' || seen.rcode !== 'NOERROR') return [];
  const addresses = seen.answers.filter((r) => r.type === 'AAAA').map((r) => r.data);
  const candidates = addresses.map((address) =>
    LENGTHS.flatMap((length) => {
      const found = split(address, length);
      return found && WELL_KNOWN.includes(found.ipv4) ? [{ prefix: found.prefix, length, ipv4: found.ipv4 }] : [];
    }),
  );
  const found = new Map<string, Nat64Prefix>();
  for (const options of candidates) {
    const confirmed = options.filter((o) =>
      candidates.some((other) =>
        other.some((x) => x.prefix === o.prefix && x.length === o.length && x.ipv4 !== o.ipv4),
      ),
    );
    const pick = confirmed[0] ?? options[0];
    if (pick) found.set(`${pick.prefix}/${pick.length}`, { prefix: pick.prefix, length: pick.length });
  }
  return [...found.values()];
}

/**
 * The AAAA a DNS64 with `prefix` makes from `ipv4` (RFC 6052 §2.2).
 *
 * ```ts
 * synthesise({ prefix: '64:ff9b::', length: 96 }, '10.1.2.3'); // '64:ff9b::a01:203'
 * ```
 */
export function synthesise({ prefix, length }: Nat64Prefix, ipv4: string): string {
  const bytes = bytesOf(prefix);
  if (!bytes || !isIpv4(ipv4)) throw new TypeError(`cannot synthesise ${prefix}/${length} with ${ipv4}`);
  const octets = ipv4.split('.').map(Number);
  const out = bytes.map((b, i) => (i < length / 8 ? b : 0));
  for (const [k, i] of positions(length).entries()) out[i] = octets[k]!;
  return textOf(out);
}

/** `64:ff9b::/96` */
export function prefixText(p: Nat64Prefix): string {
  return `${p.prefix}/${p.length}`;
}

/**
 * The IPv4 addresses `addresses` (an AAAA set) were synthesised from, when every one of them is
 * a published A behind one of `prefixes`; undefined otherwise.
 */
export function synthesisedFrom(
  addresses: readonly string[],
  prefixes: readonly Nat64Prefix[],
  published: readonly string[],
): { prefix: Nat64Prefix; ipv4: string[] } | undefined {
  if (addresses.length === 0) return undefined;
  for (const prefix of prefixes) {
    const made = new Map(published.map((a) => [synthesise(prefix, a), a]));
    if (addresses.every((a) => made.has(canonicalIpv6(a))))
      return { prefix, ipv4: addresses.map((a) => made.get(canonicalIpv6(a))!) };
  }
  return undefined;
}
