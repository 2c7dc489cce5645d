// Numeric constants from the IANA DNS parameters registry, named once.

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;
export type RcodeName = keyof typeof Rcode;

/** Header opcodes (RFC 1035 §4.1.1, RFC 1996 NOTIFY). */
export const Opcode = {
  QUERY: 0,
  NOTIFY: 4,
} as const;

const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));

/** "NXDOMAIN" for 3; "RCODE42" for codes we have no name for. */
export function rcodeName(code: number): string {
  return rcodeNames.get(code) ?? `RCODE${code}`;
}

/** EDNS option code of Extended DNS Errors (RFC 8914). */
export const EDE_OPTION = 15;

/** The RFC 8914 info-codes a filtering resolver is likely to send, named. */
export const ExtendedError = {
  OTHER: 0,
  STALE_ANSWER: 3,
  FORGED_ANSWER: 4,
  BLOCKED: 15,
  CENSORED: 16,
  FILTERED: 17,
  PROHIBITED: 18,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;
