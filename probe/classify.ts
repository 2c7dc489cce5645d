// From evidence to verdict: what the manager publishes (the truth) against what a resolver
// answers, with a control question that filters let through (the TXT on the same name, or the
// public canary) to tell "filtered" from "cannot reach the zone" and "stale". Pure functions.
import { canonicalIpv6 } from '../dns/address.ts';
import type { Observation } from './observe.ts';
import type { Verdict } from './verdicts.ts';

export interface Judgement {
  verdict: Verdict;
  reason: string;
}

/** The data of the records of the question's own type (a CNAME in front is not an address). */
export function answerData(seen: Observation): string[] {
  return seen.answers
    .filter((r) => r.type === seen.type)
    .map((r) => (r.type === 'AAAA' ? canonicalIpv6(r.data) : r.data))
    .sort();
}

function ede(seen: Observation): string {
  if (seen.ede.length === 0) return '';
  return ` (EDE ${seen.ede.map((e) => `${e.code}${e.name ? ` ${e.name}` : ''}${e.text ? `: ${e.text}` : ''}`).join('; ')})`;
}

function answered(seen: Observation | undefined, rcode?: string): boolean {
  return seen?.outcome === 'answer' && (rcode === undefined || seen.rcode === rcode);
}

/** Does the control TXT (`v=hairpin1 a=10.1.2.3`) name every address the manager publishes? */
function vouches(control: Observation | undefined, type: string, truth: string[]): boolean {
  if (!answered(control, 'NOERROR') || control!.type !== 'TXT') return false;
  const key = type === 'AAAA' ? 'aaaa' : 'a';
  const tokens = new Set(control!.answers.flatMap((r) => r.data.split(/\s+/)).map((t) => (key === 'aaaa' && t.startsWith('aaaa=') ? `aaaa=${canonicalIpv6(t.slice(5))}` : t)));
  return truth.every((a) => tokens.has(`${key}=${a}`));
}

function transportFailure(seen: Observation): Judgement | undefined {
  if (seen.outcome === 'timeout') return { verdict: 'timeout', reason: `${seen.transport} did not answer ${seen.name} ${seen.type} in ${seen.attempts} tries (${seen.elapsedMs} ms)` };
  if (seen.outcome === 'unreachable') return { verdict: 'unreachable', reason: `${seen.transport} cannot be reached: ${seen.error ?? 'no route'}` };
  if (seen.outcome === 'bad-response') return { verdict: 'unreachable', reason: `${seen.transport} sent no usable answer: ${seen.error ?? 'malformed'}` };
  return undefined;
}

/**
 * Judge an address question (A or AAAA) through a resolver.
 *
 * ```ts
 * judgeAddress(truthA, resolverA, resolverTxt); // { verdict: 'filtered-servfail', reason: '…' }
 * ```
 */
export function judgeAddress(truth: Observation, seen: Observation, control?: Observation): Judgement {
  if (truth.outcome !== 'answer') {
    return { verdict: 'unreachable', reason: `the manager (${truth.transport}) did not answer, so nothing can be compared: ${truth.error ?? truth.outcome}` };
  }
  const expected = answerData(truth);
  if (expected.length === 0) {
    const why = truth.rcode === 'NXDOMAIN' ? 'the name does not exist (node not enrolled?)' : `the name has no ${truth.type} record (no address reported yet?)`;
    return { verdict: 'not-published', reason: `the manager says ${truth.rcode}: ${why}` };
  }
  const failed = transportFailure(seen);
  if (failed) return failed;
  const controlSame = answered(control, seen.rcode) && control!.rcode !== 'NOERROR';
  switch (seen.rcode) {
    case 'SERVFAIL':
      if (controlSame) return { verdict: 'unreachable', reason: `SERVFAIL for the ${control!.type} control too: the resolver cannot reach the zone's name servers${ede(seen)}` };
      return { verdict: 'filtered-servfail', reason: `SERVFAIL for ${expected.join(', ')} while the ${control?.type ?? 'control'} passes: the resolver filters private answers${ede(seen)}` };
    case 'REFUSED':
      if (controlSame) return { verdict: 'unreachable', reason: `REFUSED for the ${control!.type} control too: the resolver does not serve this client${ede(seen)}` };
      return { verdict: 'filtered-refused', reason: `REFUSED for ${expected.join(', ')} while the ${control?.type ?? 'control'} passes${ede(seen)}` };
    case 'NXDOMAIN':
      return {
        verdict: 'nxdomain',
        reason: answered(control, 'NOERROR')
          ? `NXDOMAIN for ${seen.type} but the ${control!.type} on the same name resolves: the resolver rewrites the answer${ede(seen)}`
          : `NXDOMAIN: the resolver still caches the name as missing (negative TTL) or rewrites it${ede(seen)}`,
      };
    case 'NOERROR':
      break;
    default:
      return { verdict: 'unreachable', reason: `${seen.rcode} from ${seen.transport}: it does not answer this question${ede(seen)}` };
  }
  const got = answerData(seen);
  if (got.length === 0) {
    const soa = seen.authorities.some((r) => r.type === 'SOA');
    if (control?.type === 'TXT' && answered(control, 'NOERROR') && !vouches(control, seen.type, expected)) {
      return { verdict: 'mismatch', reason: `no ${seen.type}, and the TXT control it serves lacks ${expected.join(', ')}: a stale cache from before the report` };
    }
    const shape = soa ? 'a NODATA with an SOA (synthesised by the filter)' : 'NOERROR with empty answer and authority (stripped)';
    return { verdict: 'filtered-nodata', reason: `${shape} for ${expected.join(', ')}${control ? ` while the ${control.type} control passes` : ''}${ede(seen)}` };
  }
  if (got.join() === expected.join()) return { verdict: 'ok', reason: `${seen.type} ${got.join(', ')} as published` };
  const partial = got.every((a) => expected.includes(a));
  return {
    verdict: 'mismatch',
    reason: partial
      ? `partial answer: ${got.join(', ')} of ${expected.join(', ')}`
      : `${seen.type} ${got.join(', ')} where the manager publishes ${expected.join(', ')}: stale or rewritten`,
  };
}

/** Judge the TXT control itself: it passes filters, so anything but equality is news. */
export function judgeText(truth: Observation, seen: Observation): Judgement {
  if (truth.outcome !== 'answer') return { verdict: 'unreachable', reason: `the manager (${truth.transport}) did not answer` };
  const expected = answerData(truth);
  if (expected.length === 0) return { verdict: 'not-published', reason: `the manager says ${truth.rcode} for TXT` };
  const failed = transportFailure(seen);
  if (failed) return failed;
  if (seen.rcode === 'NXDOMAIN') return { verdict: 'nxdomain', reason: `NXDOMAIN for the TXT control${ede(seen)}` };
  if (seen.rcode !== 'NOERROR') return { verdict: 'unreachable', reason: `${seen.rcode} for the TXT control: the resolver cannot reach the zone${ede(seen)}` };
  const got = answerData(seen);
  if (got.join() === expected.join()) return { verdict: 'ok', reason: 'TXT control as published' };
  return { verdict: got.length ? 'mismatch' : 'filtered-nodata', reason: `TXT "${got.join('" "')}" where the manager publishes "${expected.join('" "')}"` };
}
