import type { OriginStorage } from './storage.ts';

/** One address as Node's `dns.lookup` gives it with `all: true`. */
export interface LookupAddress {
  address: string;
  family: number;
}

/** The options Node's `net.connect` passes to its `lookup` (the parts that matter here). */
export interface LookupOptions {
  family?: number | 'IPv4' | 'IPv6' | undefined;
  all?: boolean | undefined;
  hints?: number | undefined;
}

export type LookupCallback = (error: NodeLikeError | null, address: string | LookupAddress[], family?: number) => void;

interface NodeLikeError extends Error {
  code?: string;
}

/** Node's `dns.lookup` signature, as `net.connect` and undici's `connect.lookup` call it. */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export interface LastKnownAddressOptions {
  /** The real resolver: `dns.lookup` from `node:dns`. */
  lookup: LookupFunction;
  /** Only these names are remembered (the node's two names); default: every name looked up. */
  names?: readonly string[];
  /** A remembered address older than this is never used (ms, default 7 days). */
  maxAgeMs?: number;
  /** Names remembered at once; the least recently resolved is forgotten first (default 16). */
  maxNames?: number;
  /**
   * A lookup with no answer after this long counts as a DNS failure when an address is remembered
   * (ms, default 1 000; `false`: wait for the resolver). A box whose line is down may take the
   * resolver's whole timeout (glibc: 5 s a try) to say so.
   */
  lookupTimeoutMs?: number | false;
  /** Where addresses outlive the process (an app restarted during the outage); default none. */
  storage?: OriginStorage | null;
}

interface Remembered {
  addresses: LookupAddress[];
  /** When the resolver last gave them (ms since the epoch). */
  at: number;
}

const DAY_MS = 86_400_000;
/** Addresses kept per name: a node has one IPv4 and at most a few IPv6 addresses. */
const MAX_ADDRESSES = 8;

/**
 * A `lookup` for Node's HTTP stack that remembers the address each name last resolved to and
 * answers with it when the resolver fails (the shop's internet line is down, so the box's resolver
 * cannot reach the authority). Only the resolution step changes: the connection still goes to
 * `https://<name>`, so SNI, `Host` and the certificate check all use the name, and an address
 * that now belongs to someone else fails the TLS handshake. A name that resolves is connected
 * where it resolves, never to a remembered address.
 *
 * @example
 *   import { lookup } from 'node:dns';
 *   import { Agent } from 'undici';
 *   import { lastKnownAddress } from '@hairpin/client/last-known-address';
 *   const addresses = lastKnownAddress({ lookup, names: ['i-nur1.pl-1234.example.test'] });
 *   const dispatcher = new Agent({ connect: { lookup: addresses.lookup } });
 *   createHairpinClient({ mountPoint, fetch: (input, init) => fetch(input, { ...init, dispatcher } as RequestInit) });
 */
export function lastKnownAddress(options: LastKnownAddressOptions): {
  lookup: LookupFunction;
  /** What is remembered for a name, if anything still young enough to be used. */
  remembered(name: string): LookupAddress[] | undefined;
} {
  const maxAgeMs = options.maxAgeMs ?? 7 * DAY_MS;
  const maxNames = options.maxNames ?? 16;
  const timeoutMs = options.lookupTimeoutMs ?? 1_000;
  const storage = options.storage ?? null;
  const names = options.names ? new Set(options.names.map((n) => n.toLowerCase())) : null;
  const memory = new Map<string, Remembered>();

  const key = (name: string) => `hairpin:last-address:${name}`;
  /** Into memory, most recent last, the oldest names dropped past `maxNames`. */
  const keep = (name: string, entry: Remembered) => {
    memory.delete(name);
    memory.set(name, entry);
    for (const oldest of memory.keys()) {
      if (memory.size <= maxNames) break;
      memory.delete(oldest);
    }
  };
  const remember = (name: string, addresses: LookupAddress[]) => {
    const entry = { addresses: addresses.slice(0, MAX_ADDRESSES), at: Date.now() };
    keep(name, entry);
    try {
      storage?.setItem(key(name), JSON.stringify(entry));
    } catch {
      // Storage is a convenience (quota, read-only disk): memory still has it.
    }
  };
  const recall = (name: string): LookupAddress[] | undefined => {
    let entry = memory.get(name);
    if (!entry) {
      // Read once (an app restarted during the outage), then held in memory with its own age.
      entry = stored(storage, key(name));
      if (entry) keep(name, entry);
    }
    return entry && Date.now() - entry.at <= maxAgeMs ? entry.addresses : undefined;
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const name = hostname.toLowerCase();
    if (names !== null && !names.has(name)) return options.lookup(hostname, lookupOptions, callback);
    const family = familyNumber(lookupOptions.family);
    let settled = false;
    const answer = (addresses: LookupAddress[]) => {
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const fallBack = (error: NodeLikeError) => {
      const usable = recall(name)?.filter((a) => family === 0 || a.family === family);
      if (usable && usable.length > 0) answer(usable);
      else callback(error, lookupOptions.all ? [] : '', 0);
    };
    const timer =
      timeoutMs === false || recall(name) === undefined
        ? undefined
        : setTimeout(() => {
            settled = true;
            fallBack(Object.assign(new Error(`lookup ${hostname} timed out`), { code: 'ETIMEOUT' }));
          }, timeoutMs);
    // Always ask for every address, so that the memory holds all of them whatever this caller wanted.
    options.lookup(hostname, { ...lookupOptions, all: true }, (error, result) => {
      clearTimeout(timer);
      const addresses = Array.isArray(result) ? result : [];
      // A late answer still refreshes the memory, even when the caller went ahead without it.
      if (!error && addresses.length > 0) remember(name, addresses);
      if (settled) return;
      settled = true;
      if (error || addresses.length === 0)
        return fallBack(error ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
      answer(addresses);
    });
  };
  return { lookup, remembered: recall };
}

function familyNumber(family: LookupOptions['family']): number {
  if (family === 'IPv4') return 4;
  if (family === 'IPv6') return 6;
  return family ?? 0;
}

/** What storage holds for a name; anything malformed is no memory at all. */
function stored(storage: OriginStorage | null, key: string): Remembered | undefined {
  try {
    const raw = storage?.getItem(key);
    if (!raw) return undefined;
    const entry = JSON.parse(raw) as Partial<Remembered>;
    if (typeof entry.at !== 'number' || !Array.isArray(entry.addresses)) return undefined;
    const addresses = entry.addresses
      .filter(
        (a): a is LookupAddress =>
          typeof a?.address === 'string' && a.address.length <= 64 && (a.family === 4 || a.family === 6),
      )
      .slice(0, MAX_ADDRESSES);
    return addresses.length > 0 ? { addresses, at: entry.at } : undefined;
  } catch {
    return undefined;
  }
}
