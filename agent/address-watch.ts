// Seeing the node's own address change within seconds (a DHCP renewal that moved it, a cable
// moved to another LAN), not at the next report poll: a short, cheap poll of the detection itself
// (os.networkInterfaces() is one getifaddrs call, /proc/net/route one small read). Netlink events
// (`ip monitor address`) would be faster still, but need iproute2 and a child process per agent,
// and 2 s is well inside the address TTL that bounds how soon anything can use the new address.
import { addressesChanged, type NodeAddresses } from './addresses.ts';

/** How often the addresses are looked at; a change is reported at the next look. */
export const ADDRESS_WATCH_MS = 2_000;

/**
 * ```ts
 * const watch = new AddressWatch(() => detectAddresses(), (now) => loop.wake());
 * watch.start(current); // … watch.stop();
 * ```
 */
export class AddressWatch {
  readonly #detect: () => Promise<NodeAddresses>;
  readonly #onChange: (addresses: NodeAddresses) => void;
  readonly #intervalMs: number;
  #last: NodeAddresses | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #looking = false;

  constructor(
    detect: () => Promise<NodeAddresses>,
    onChange: (addresses: NodeAddresses) => void,
    intervalMs = ADDRESS_WATCH_MS,
  ) {
    this.#detect = detect;
    this.#onChange = onChange;
    this.#intervalMs = intervalMs;
  }

  /** Start watching from `current` (what was last reported). */
  start(current: NodeAddresses | undefined): void {
    this.#last = current;
    this.#timer ??= setInterval(() => void this.#look(), this.#intervalMs);
    this.#timer.unref?.();
  }

  /** What the agent reported since: the base the next change is measured from. */
  settle(addresses: NodeAddresses): void {
    this.#last = addresses;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #look(): Promise<void> {
    if (this.#looking) return;
    this.#looking = true;
    try {
      const now = await this.#detect();
      if (this.#last && !addressesChanged(this.#last, now)) return;
      this.#last = now;
      this.#onChange(now);
    } catch {
      // No private address this instant (the interface is between leases): the next look tells.
    } finally {
      this.#looking = false;
    }
  }
}
