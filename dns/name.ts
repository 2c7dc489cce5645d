// Domain-name rules shared by the manager and the probe (RFC 1035 §2.3.4, RFC 1123 §2.1).
import { splitName } from './wire-name.ts';

/** A host label: letters, digits, inner hyphens, 1–63 characters (the API documents it too). */
export const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_NAME_LENGTH = 253;

/**
 * Lower-case, no trailing dot: names compare case-insensitively (RFC 4343). A name decoded from
 * the wire keeps a '.' byte inside a label escaped (`\.`, see wire-name.ts): that dot is no
 * separator, and it is no trailing dot either.
 */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') && !escapedAt(lower, lower.length - 1) ? lower.slice(0, -1) : lower;
}

/** Whether the character at `i` follows an odd run of backslashes (is escaped). */
function escapedAt(text: string, i: number): boolean {
  let slashes = 0;
  while (i - slashes - 1 >= 0 && text[i - slashes - 1] === '\\') slashes++;
  return slashes % 2 === 1;
}

/** Lower-case with the trailing dot: the fully qualified form of master files and DoH JSON. */
export function absoluteName(name: string): string {
  return `${normalizeName(name)}.`;
}

export function isValidLabel(label: string): boolean {
  return LABEL.test(label);
}

/** A whole host name: every label valid and at most 253 characters in presentation form. */
export function isValidHostName(name: string): boolean {
  const n = normalizeName(name);
  return n.length > 0 && n.length <= MAX_NAME_LENGTH && n.split('.').every(isValidLabel);
}

/**
 * The labels of `name` below `apex`, leftmost first, or undefined when `name` is outside it.
 * `relativeLabels('i-nur1.pl-1234.example.test', 'example.test')` → `['i-nur1', 'pl-1234']`.
 */
export function relativeLabels(name: string, apex: string): string[] | undefined {
  const n = splitName(normalizeName(name));
  const a = apexLabels(apex);
  const below = n.length - a.length;
  if (below < 0 || a.some((label, i) => n[below + i] !== label)) return undefined;
  return n.slice(0, below);
}

// The apex is the zone's at nearly every call (several a question): split once, not each time.
let lastApex: string | undefined;
let lastApexLabels: readonly string[] = [];
function apexLabels(apex: string): readonly string[] {
  if (apex !== lastApex) {
    lastApexLabels = splitName(normalizeName(apex));
    lastApex = apex;
  }
  return lastApexLabels;
}
