// Address classes the whole system turns on: RFC 1918 for the internal name, ULA for its IPv6
// twin, and "public" for the external one.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

function ipv4Octets(value: string): number[] {
  return value.split('.').map(Number);
}

/** RFC 1918: 10/8, 172.16/12, 192.168/16. */
export function isRfc1918(value: string): boolean {
  if (!isIpv4(value)) return false;
  const [a, b] = ipv4Octets(value) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * Not usable as the external address: RFC 1918, loopback, link-local, CGNAT (RFC 6598),
 * "this network", multicast and reserved. Documentation and benchmarking ranges are allowed,
 * since test networks stand in for the internet with them.
 */
export function isNonPublicIpv4(value: string): boolean {
  const [a, b] = ipv4Octets(value) as [number, number];
  return (
    isRfc1918(value) ||
    a === 0 ||
    a === 127 ||
    a >= 224 ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** Expand an IPv6 address to eight 16-bit groups, or undefined if it is not one. */
export function parseIpv6(value: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(value) || value.length > 45) return undefined;
  const halves = value.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    const pieces = s.split(':');
    for (const [i, p] of pieces.entries()) {
      if (i === pieces.length - 1 && isIpv4(p)) {
        const [a, b, c, d] = ipv4Octets(p) as [number, number, number, number];
        groups.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        groups.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = part(halves[0] ?? '');
  const tail = halves.length === 2 ? part(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined;
}

export function isIpv6(value: string): boolean {
  return parseIpv6(value) !== undefined;
}

/** Unique local address, fc00::/7 (RFC 4193). */
export function isUla(value: string): boolean {
  const g = parseIpv6(value);
  return g !== undefined && ((g[0] ?? 0) & 0xfe00) === 0xfc00;
}

/** Global unicast 2000::/3, the only IPv6 we publish under the external name. */
export function isGlobalIpv6(value: string): boolean {
  const g = parseIpv6(value);
  return g !== undefined && ((g[0] ?? 0) & 0xe000) === 0x2000;
}

/** Canonical text form (RFC 5952) so stored and compared addresses agree. */
export function canonicalIpv6(value: string): string {
  const g = parseIpv6(value);
  if (!g) throw new TypeError(`not an IPv6 address: ${value}`);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An IPv4-mapped IPv6 source address (::ffff:a.b.c.d, as Node reports it) as plain IPv4. */
export function unmapIpv4(value: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  return m?.[1] ?? value;
}

/** An address as 128 bits (IPv4 mapped into ::ffff:0:0/96), for prefix comparison. */
function addressBits(address: string): bigint | undefined {
  const groups = parseIpv6(isIpv4(address) ? `::ffff:${address}` : address);
  return groups?.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** A CIDR range as (bits, prefix length over 128), or undefined when it is not one. */
export function parseCidr(cidr: string): { bits: bigint; length: number } | undefined {
  const [address = '', len] = cidr.split('/');
  const bits = addressBits(address);
  const max = isIpv4(address) ? 32 : 128;
  const n = len === undefined ? max : Number(len);
  if (bits === undefined || !Number.isInteger(n) || n < 0 || n > max) return undefined;
  return { bits, length: n + (128 - max) };
}

/** `inCidr('192.0.2.7', '192.0.2.0/24')` → true. */
export function inCidr(address: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  const bits = addressBits(address);
  if (!range || bits === undefined) return false;
  const shift = BigInt(128 - range.length);
  return bits >> shift === range.bits >> shift;
}
