// The TXT control record on each node name: `v=hairpin1 a=10.1.2.3 aaaa=fd00::5`, the addresses
// the manager holds. Resolvers that filter private answers strip A/AAAA but pass TXT, so a probe
// that sees this record and no address knows the answer was filtered, and which one it was.
// The manager writes it (worker/zone/records.ts), the probe reads it (probe/classify.ts).
import { canonicalIpv6 } from '../dns/address.ts';

export const CONTROL_VERSION = 'v=hairpin1';

export interface Control {
  /** IPv4 addresses the manager holds for the name. */
  a: string[];
  /** IPv6 addresses, canonical form. */
  aaaa: string[];
}

/**
 * ```ts
 * controlText({ a: ['10.1.2.3'], aaaa: ['fd00::5'] }); // 'v=hairpin1 a=10.1.2.3 aaaa=fd00::5'
 * ```
 */
export function controlText(control: Control): string {
  return [CONTROL_VERSION, ...control.a.map((x) => `a=${x}`), ...control.aaaa.map((x) => `aaaa=${x}`)].join(' ');
}

/** The addresses a TXT string names, or undefined when it is not a hairpin control record. */
export function parseControl(text: string): Control | undefined {
  const [version, ...tokens] = text.trim().split(/\s+/);
  if (version !== CONTROL_VERSION) return undefined;
  const control: Control = { a: [], aaaa: [] };
  for (const token of tokens) {
    if (token.startsWith('a=')) control.a.push(token.slice(2));
    else if (token.startsWith('aaaa=')) control.aaaa.push(canonicalIpv6(token.slice(5)));
  }
  return control;
}
