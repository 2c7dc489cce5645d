// Every node of the zone in memory, packed: at 1,000,000 nodes an object per node (a state, its
// addresses, their strings) would take about 200 MB, where its key's characters in a typed hash
// table (key-table.ts) and two 32-bit words take about 40. A node whose addresses do not pack (an IPv6 address, a text that is not a
// canonical dotted quad) keeps them as one text (addresses never hold a space).
import { KeyTable } from './key-table.ts';
import type { ZoneNode } from './records.ts';

/** Kinds of slot: enrolled and never reported, packed IPv4 (with or without a public one), kept as text. */
const UNREPORTED = 0;
const PRIVATE_ONLY = 1;
const BOTH = 2;
const TEXT = 3;

/** The address as a 32-bit number, or -1 when its text would not come back the same (ipv4Text). */
export function packIpv4(text: string): number {
  // By character codes: split and Number made this a sixth of building a million nodes.
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + octet;
      octet = digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // No leading zero: "010" would not come back as written.
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + c - 48;
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return n * 256 + octet;
}

export const ipv4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;

/**
 * ```ts
 * const table = new NodeTable();
 * table.set('1234', 'nur1', { addresses: { privateIpv4: '10.0.0.1', privateIpv6: null, publicIpv4: null, publicIpv6: null } });
 * table.get('1234', 'nur1');     // { addresses: { privateIpv4: '10.0.0.1', ... } }
 * table.hasNodes('1234');        // true
 * ```
 */
export class NodeTable {
  readonly #nodes = new KeyTable();
  /** Licences numbered, with their count of nodes: whether one has any (its apps name, its empty non-terminals). */
  readonly #licences = new KeyTable();
  #counts = new Uint32Array(64);
  /** Addresses that do not pack (an IPv6 one, text no dotted quad reads back as), as one text. */
  readonly #texts = new Map<number, string>();
  #kind = new Uint8Array(1024);
  #private = new Uint32Array(1024);
  #public = new Uint32Array(1024);

  get size(): number {
    return this.#nodes.size;
  }

  get(licence: string, node: string): ZoneNode | undefined {
    const slot = this.#nodes.find(licence, node);
    if (slot < 0) return undefined;
    switch (this.#kind[slot]) {
      case UNREPORTED:
        return { addresses: undefined };
      case TEXT: {
        const [privateIpv4, privateIpv6, publicIpv4, publicIpv6] = this.#texts.get(slot)!.split(' ');
        return {
          addresses: {
            privateIpv4: privateIpv4!,
            privateIpv6: privateIpv6 || null,
            publicIpv4: publicIpv4 || null,
            publicIpv6: publicIpv6 || null,
          },
        };
      }
      default: {
        const publicIpv4 = this.#kind[slot] === BOTH ? ipv4Text(this.#public[slot]!) : null;
        return {
          addresses: { privateIpv4: ipv4Text(this.#private[slot]!), privateIpv6: null, publicIpv4, publicIpv6: null },
        };
      }
    }
  }

  hasNodes(licence: string): boolean {
    return this.#licences.find(licence, '') >= 0;
  }

  set(licence: string, node: string, state: ZoneNode): void {
    const known = this.#nodes.size;
    const slot = this.#nodes.add(licence, node);
    if (this.#nodes.size > known) this.#counted(licence, 1);
    else this.#texts.delete(slot);
    if (slot >= this.#kind.length) this.#grow(this.#nodes.capacity);
    const a = state.addresses;
    const privateIpv4 = a ? packIpv4(a.privateIpv4) : -1;
    const publicIpv4 = a?.publicIpv4 ? packIpv4(a.publicIpv4) : -1;
    if (!a) this.#kind[slot] = UNREPORTED;
    else if (
      a.privateIpv6 === null &&
      a.publicIpv6 === null &&
      privateIpv4 >= 0 &&
      (!a.publicIpv4 || publicIpv4 >= 0)
    ) {
      this.#kind[slot] = a.publicIpv4 ? BOTH : PRIVATE_ONLY;
      this.#private[slot] = privateIpv4;
      this.#public[slot] = Math.max(publicIpv4, 0);
    } else {
      this.#kind[slot] = TEXT;
      // One string, where an object of four took about 370 bytes a node (a quarter of a million
      // nodes with a ULA in the benchmark's zone: 92 MB).
      const text = [a.privateIpv4, a.privateIpv6 ?? '', a.publicIpv4 ?? '', a.publicIpv6 ?? ''].join(' ');
      this.#texts.set(slot, text);
    }
  }

  delete(licence: string, node: string): void {
    const slot = this.#nodes.remove(licence, node);
    if (slot < 0) return;
    this.#texts.delete(slot);
    this.#counted(licence, -1);
  }

  #counted(licence: string, by: 1 | -1): void {
    const n = this.#licences.add(licence, '');
    if (n >= this.#counts.length) {
      const counts = new Uint32Array(this.#counts.length * 2);
      counts.set(this.#counts);
      this.#counts = counts;
    }
    this.#counts[n]! += by;
    if (this.#counts[n] === 0) this.#licences.remove(licence, '');
  }

  #grow(length: number): void {
    let size = this.#kind.length;
    while (size < length) size *= 2;
    const grow = <T extends Uint8Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(size);
      bigger.set(old);
      return bigger;
    };
    this.#kind = grow(this.#kind, (n) => new Uint8Array(n));
    this.#private = grow(this.#private, (n) => new Uint32Array(n));
    this.#public = grow(this.#public, (n) => new Uint32Array(n));
  }
}
