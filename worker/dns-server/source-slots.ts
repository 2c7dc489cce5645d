// TCP connections counted per source, so that one client cannot take every connection the server
// allows and shut everyone else out of the TCP fallback that truncated UDP answers depend on
// (RFC 7766 §6.2.2 lets a server limit connections per client address or subnet, much more
// loosely than a client limits itself: one address may be many resolvers, or a NAT).
import { isIpv4, parseIpv6, unmapIpv4 } from '../../dns/address.ts';

/**
 * The network `address` belongs to, `ipv4Bits` or `ipv6Bits` long, as a string key. An
 * IPv4-mapped address (`::ffff:192.0.2.1`, a dual-stack socket) is its IPv4 address.
 *
 * ```ts
 * sourcePrefix('192.0.2.77', 24, 56);           // '192.0.2.0/24'
 * sourcePrefix('2001:db8:1:2ff:a:b:c:d', 24, 56); // '2001:db8:1:200::/56'
 * ```
 */
export function sourcePrefix(address: string, ipv4Bits: number, ipv6Bits: number): string {
  const plain = unmapIpv4(address);
  if (isIpv4(plain)) {
    const value = plain.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
    const masked = ipv4Bits === 0 ? 0 : value - (value % 2 ** (32 - ipv4Bits));
    return `${[24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256).join('.')}/${ipv4Bits}`;
  }
  const groups = parseIpv6(plain);
  if (!groups) return plain;
  const masked = groups.map((g, i) => {
    const keep = Math.min(16, Math.max(0, ipv6Bits - i * 16));
    return keep === 0 ? 0 : g - (g % 2 ** (16 - keep));
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${ipv6Bits}`;
}

/**
 * Who counts as one source for TCP connections: an IPv4 address, or an IPv6 /64, since one host
 * picks addresses across its whole /64 at will (RFC 8981 temporary addresses).
 *
 * ```ts
 * sourceKey('2001:db8:1:2:a:b:c:d'); // '2001:db8:1:2:0:0:0:0/64'
 * sourceKey('::ffff:192.0.2.1');     // '192.0.2.1/32'
 * ```
 */
export function sourceKey(address: string): string {
  return sourcePrefix(address, 32, 64);
}

/**
 * ```ts
 * const slots = new SourceSlots(32);
 * const key = sourceKey(socket.remoteAddress);
 * if (!slots.take(key)) socket.destroy();
 * else socket.on('close', () => slots.release(key));
 * ```
 */
export class SourceSlots {
  readonly #held = new Map<string, number>();
  readonly #perSource: number;

  constructor(perSource: number) {
    this.#perSource = perSource;
  }

  /** Takes a slot for `key`; false (and nothing taken) when it already holds them all. */
  take(key: string): boolean {
    const held = this.#held.get(key) ?? 0;
    if (held >= this.#perSource) return false;
    this.#held.set(key, held + 1);
    return true;
  }

  release(key: string): void {
    const held = (this.#held.get(key) ?? 0) - 1;
    if (held > 0) this.#held.set(key, held);
    else this.#held.delete(key);
  }
}
