// FNV-1a, the one string hash of the answering path: cheap, and spread well enough for the hash
// tables that use it (the rate limit's prefixes, the cache's admission bits, the node index's keys).

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over `text`'s UTF-16 units, unsigned 32-bit; from `state`, another text's hash, it goes
 * on hashing after it (a pair of strings).
 *
 * ```ts
 * fnv1a('192.0.2') % tableSize;
 * fnv1a(node, fnvSeparate(fnv1a(licence)));
 * ```
 */
export function fnv1a(text: string, state = FNV_OFFSET): number {
  let h = state;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** A hash state after a separator no UTF-16 text holds between two strings hashed in a row. */
export function fnvSeparate(state: number): number {
  return Math.imul(state ^ 0xffff, FNV_PRIME);
}
