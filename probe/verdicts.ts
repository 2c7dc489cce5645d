// The probe's vocabulary, defined once: every verdict a probe can reach, with a stable code and
// the sentence support staff read. Tests, the API, the support page and the docs use these codes;
// callers branch on the code, never on a reason's wording.

/** Verdict codes and what each means, in the order the support page shows them. */
export const VERDICTS = {
  ok: 'the resolver returns the address the manager publishes',
  'filtered-servfail': 'the resolver answers SERVFAIL for the private address (Free, BIND deny-answer-addresses)',
  'filtered-nodata': 'the resolver strips the private address and answers NOERROR with nothing in it',
  'filtered-refused': 'the resolver answers REFUSED for the private address, yet passes the TXT control',
  nxdomain: 'the resolver says the name does not exist although the manager publishes it',
  'not-published': 'the manager has no address for this name yet (not enrolled or not reported)',
  mismatch: 'the resolver returns another address than the manager: stale cache, partial or rewritten answer',
  timeout: 'no answer from the resolver within the time bound',
  unreachable: 'no resolver answers (refused connection, unreachable network) or it cannot reach the zone',
} as const;

export type Verdict = keyof typeof VERDICTS;

export const VERDICT_CODES = Object.keys(VERDICTS) as Verdict[];

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === 'string' && Object.hasOwn(VERDICTS, value);
}

