// Does the shop's resolver serve stale answers (RFC 8767) — will the internal name still resolve
// a while after the internet line drops? Asked through the resolver as it is, with a name of its
// own: `<nonce>.stale.canary.<zone>`, which the manager's port-53 server answers once with a
// one-second TTL and then meets with silence (worker/dns-server/stale-canary.ts). Once that TTL
// has run out the name is asked again: only a resolver serving stale data can still answer.
import { STALE_CANARY, STALE_TTL } from '../dns/canary.ts';
import { normalizeName } from '../dns/name.ts';
import { type Observation, observe } from './observe.ts';
import { abortableSleep } from './sleep.ts';
import type { DnsTransport } from './transport.ts';

/** What the check found, with the sentence support reads (docs/probe.md, checked by test/docs). */
export const STALE_INFO = {
  'serves-stale': {
    meaning: 'the resolver answers from its expired cache when the zone does not answer (RFC 8767)',
    evidence:
      "the check's name answered again, with the first answer's data, after its TTL ran out while the manager stayed silent",
  },
  'no-stale': {
    meaning: 'the resolver does not serve stale answers, or only after longer than the probe waits',
    evidence:
      "SERVFAIL, or no answer within 6 s, for the check's name once its TTL ran out and the manager stayed silent",
  },
  unknown: {
    meaning: 'the check could not be made through this resolver',
    evidence:
      "the check's name did not resolve at first (no port-53 server of the manager: Workers; a filter; a secondary answering), the resolver keeps answers longer than 5 s, or another answer than the first came back",
  },
} as const;

export type StaleOutcome = keyof typeof STALE_INFO;
export const STALE_OUTCOMES = Object.keys(STALE_INFO) as StaleOutcome[];

export function isStaleOutcome(value: unknown): value is StaleOutcome {
  return typeof value === 'string' && Object.hasOwn(STALE_INFO, value);
}

export interface StaleCheck {
  outcome: StaleOutcome;
  reason: string;
  /** The check's name, `<nonce>.stale.canary.<zone>`. */
  name: string;
  /** The first question: the manager's answer, as the resolver passed it on. */
  primed: Observation;
  /** The question once the TTL ran out (absent when the first one failed). */
  expired?: Observation;
}

export interface StaleCheckOptions {
  /** Bounds of the first question (as the probe's other questions). */
  timeoutMs?: number;
  attempts?: number;
  /** Aborting ends the check at once (outcome unknown). */
  signal?: AbortSignal;
}

/**
 * The longest TTL the check waits out (s). Resolvers raise tiny TTLs to a floor of their own
 * (Knot Resolver: 5 s); a longer floor would make the probe wait too long.
 */
export const STALE_MAX_TTL = 5;
/**
 * How long the second question may take (ms). RFC 8767 §5 suggests answering stale data after a
 * 1.8 s client response timer; Knot Resolver's serve_stale waits about 3 s; BIND's default
 * (`stale-answer-client-timeout off`) waits its whole resolver-query-timeout (10 s), past this.
 */
export const STALE_ANSWER_MS = 6000;
/** Past the TTL, before asking again: resolvers count TTLs in whole seconds. */
const MARGIN_MS = 1000;

function nonce(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function addresses(seen: Observation): string[] {
  return seen.answers.filter((r) => r.type === 'A').map((r) => r.data);
}

function ede(seen: Observation): string {
  return seen.ede.length ? ` (EDE ${seen.ede.map((e) => `${e.code}${e.name ? ` ${e.name}` : ''}`).join('; ')})` : '';
}

/**
 * ```ts
 * const stale = await checkServeStale(resolverTransport('192.168.1.1'), 'example.test');
 * stale.outcome; // 'serves-stale', 'no-stale' or 'unknown'
 * ```
 * Bounded: the first question's tries, at most STALE_MAX_TTL + 1 s of waiting, then one question
 * of at most STALE_ANSWER_MS.
 */
export async function checkServeStale(
  resolver: DnsTransport,
  zone: string,
  options: StaleCheckOptions = {},
): Promise<StaleCheck> {
  const name = `${nonce()}.${STALE_CANARY}.${normalizeName(zone)}`;
  const bounds = {
    timeoutMs: options.timeoutMs ?? 1500,
    attempts: options.attempts ?? 2,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const primed = await observe(resolver, name, 'A', bounds);
  const unknown = (reason: string, expired?: Observation): StaleCheck => ({
    outcome: 'unknown',
    reason,
    name,
    primed,
    ...(expired ? { expired } : {}),
  });
  const first = addresses(primed);
  if (primed.outcome !== 'answer' || primed.rcode !== 'NOERROR' || first.length === 0)
    return unknown(
      `${name} did not resolve (${primed.rcode ?? primed.outcome}${ede(primed)}): the manager's own port-53 server must answer the zone (not Workers, not a secondary), through a resolver that passes its address (198.18.0.0/15)`,
    );
  const ttl = Math.min(...primed.answers.filter((r) => r.type === 'A').map((r) => r.ttl));
  if (ttl > STALE_MAX_TTL)
    return unknown(
      `the resolver keeps the ${STALE_TTL} s answer ${ttl} s (a minimum TTL): longer than the probe waits`,
    );
  await abortableSleep(ttl * 1000 + MARGIN_MS, options.signal);
  if (options.signal?.aborted) return unknown('the probe ended before the answer expired');
  const expired = await observe(resolver, name, 'A', {
    timeoutMs: STALE_ANSWER_MS,
    attempts: 1,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const again = addresses(expired);
  if (expired.outcome === 'answer' && expired.rcode === 'NOERROR' && again.length > 0) {
    if (again.join() !== first.join())
      return unknown(
        `another answer (${again.join()}) than the first (${first.join()}): the manager answered again`,
        expired,
      );
    const ttlNow = Math.min(...expired.answers.filter((r) => r.type === 'A').map((r) => r.ttl));
    return {
      outcome: 'serves-stale',
      reason: `the expired answer came back ${Math.round((ttl * 1000 + MARGIN_MS) / 1000)} s after a ${ttl} s TTL while the manager stayed silent, with TTL ${ttlNow}, in ${expired.elapsedMs} ms${ede(expired)}`,
      name,
      primed,
      expired,
    };
  }
  if (expired.outcome === 'timeout' || (expired.outcome === 'answer' && expired.rcode === 'SERVFAIL'))
    return {
      outcome: 'no-stale',
      reason:
        expired.outcome === 'timeout'
          ? `no answer within ${STALE_ANSWER_MS / 1000} s once the answer expired and the manager stayed silent`
          : `SERVFAIL once the answer expired and the manager stayed silent${ede(expired)}`,
      name,
      primed,
      expired,
    };
  return unknown(`${expired.rcode ?? expired.outcome}${ede(expired)} once the answer expired`, expired);
}
