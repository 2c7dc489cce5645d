// TCP connections counted per source, so that one client cannot take every connection the server
// allows and shut everyone else out of the TCP fallback that truncated UDP answers depend on
// (RFC 7766 §6.2.2 lets a server limit connections per client address or subnet, much more
// loosely than a client limits itself: one address may be many resolvers, or a NAT).
import { isIpv4, parseIpv6, unmapIpv4 } from '../../dns/address.ts';

/**
 * Who counts as one source: an IPv4 address, or an IPv6 /64, since one host picks addresses
 * across its whole /64 at will (RFC 8981 temporary addresses). An IPv4-mapped address
 * (`::ffff:192.0.2.1`, a dual-stack socket) is its IPv4 address.
 *
 * ```ts
 * sourceKey('2001:db8:1:2:a:b:c:d'); // '2001:db8:1:2::/64'
 * sourceKey('::ffff:192.0.2.1');     // '192.0.2.1'
 * ```
 */
export function sourceKey(address: string): string {
  const plain = unmapIpv4(address);
  const groups = isIpv4(plain) ? undefined : parseIpv6(plain);
  return groups ? `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64` : plain;
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
