// From evidence to verdict: what the manager publishes (the truth) against what a resolver
// answers. A control question that filters let through (the TXT on the same name) tells
// "filtered" from "cannot reach the zone", and only by its own outcome: a control that timed out
// or failed vouches for nothing. The zone's SOA (owner, name server, contact, serial) tells a
// negative answer the zone gave (and how old it is) from one the resolver made up. Pure functions.
import { parseControl } from '../contract/control.ts';
import type { Verdict } from '../contract/verdicts.ts';
import { canonicalIpv6, isNonPublicIpv4 } from '../dns/address.ts';
import { serialBefore } from '../dns/serial.ts';
import { type Nat64Prefix, prefixText, synthesisedFrom } from './dns64.ts';
import type { Observation, RecordEvidence } from './observe.ts';

export interface Judgement {
  verdict: Verdict;
  reason: string;
  /** For `stale-cache`: the seconds until the resolver's stale entry expires, when it says. */
  fixesInSeconds?: number;
}

/** The zone's SOA as the manager serves it now. */
export interface ZoneEvidence {
  apex: string;
  mname: string;
  rname: string;
  serial: number;
}

export interface JudgeContext {
  /** The resolver's answer to the control question (the TXT on the same name). */
  control?: Observation;
  /** The manager's SOA, for judging negative answers. */
  zone?: ZoneEvidence;
  /**
   * For an AAAA: the NAT64 prefixes the resolver's DNS64 uses (probe/dns64.ts) and the A records
   * the manager publishes on the same name, to recognise an AAAA made from them.
   */
  dns64?: { prefixes: readonly Nat64Prefix[]; published: readonly string[] };
}

/** RFC 8914 §5.2: 15 Blocked, 16 Censored, 17 Filtered, 18 Prohibited — a policy said no. */
const POLICY_EDE = new Set([15, 16, 17, 18]);

/** The data of the records of the question's own type (a CNAME in front is not an address). */
export function answerData(seen: Observation): string[] {
  return seen.answers
    .filter((r) => r.type === seen.type)
    .map((r) => (r.type === 'AAAA' ? canonicalIpv6(r.data) : r.data))
    .sort();
}

/** The SOA evidence (`mname rname serial`, as observe.ts writes it) as fields. */
export function soaEvidence(record: RecordEvidence): ZoneEvidence | undefined {
  const [mname, rname, serial] = record.data.split(' ');
  const n = Number(serial);
  return mname && rname && Number.isInteger(n) ? { apex: record.name, mname, rname, serial: n } : undefined;
}

function ede(seen: Observation): string {
  if (seen.ede.length === 0) return '';
  return ` (EDE ${seen.ede.map((e) => `${e.code}${e.name ? ` ${e.name}` : ''}${e.text ? `: ${e.text}` : ''}`).join('; ')})`;
}

function policyEde(seen: Observation): boolean {
  return seen.ede.some((e) => POLICY_EDE.has(e.code));
}

function answered(seen: Observation | undefined, rcode?: string): boolean {
  return seen?.outcome === 'answer' && (rcode === undefined || seen.rcode === rcode);
}

/** The control passed: NOERROR with data. Anything else (timeout, SERVFAIL, empty) proves nothing. */
function passes(control: Observation | undefined): boolean {
  return answered(control, 'NOERROR') && answerData(control!).length > 0;
}

/** The addresses the control TXT (contract/control.ts) names for `type`, sorted. */
function vouchedAddresses(control: Observation, type: string): string[] {
  return control.answers
    .filter((r) => r.type === 'TXT')
    .flatMap((r) => {
      const named = parseControl(r.data);
      return named ? (type === 'AAAA' ? named.aaaa : named.a) : [];
    })
    .sort();
}

/** The control is the TXT on the very name asked: only then do its `a=` tokens speak for the answer. */
function sameNameControl(control: Observation | undefined, seen: Observation): boolean {
  return control?.type === 'TXT' && control.name === seen.name;
}

function describeControl(control: Observation | undefined): string {
  if (!control) return 'no control was asked';
  if (control.outcome !== 'answer')
    return `the ${control.type} control ${control.outcome === 'timeout' ? 'timed out' : `failed (${control.outcome})`}`;
  return `${control.rcode} for the ${control.type} control`;
}

function transportFailure(seen: Observation): Judgement | undefined {
  if (seen.outcome === 'timeout')
    return {
      verdict: 'timeout',
      reason: `${seen.transport} did not answer ${seen.name} ${seen.type} in ${seen.attempts} tries (${seen.elapsedMs} ms)`,
    };
  if (seen.outcome === 'unreachable')
    return { verdict: 'unreachable', reason: `${seen.transport} cannot be reached: ${seen.error ?? 'no route'}` };
  if (seen.outcome === 'bad-response')
    return { verdict: 'unreachable', reason: `${seen.transport} sent no usable answer: ${seen.error ?? 'malformed'}` };
  return undefined;
}

/**
 * A negative answer (NXDOMAIN, or NOERROR without the data) judged by the SOA it carries:
 * another zone's (or none, on NXDOMAIN) → the resolver serves its own data; the zone's with an
 * older serial → a cache from before the manager's last change, gone in the SOA's TTL.
 */
function judgeNegativeSoa(seen: Observation, zone: ZoneEvidence | undefined, what: string): Judgement | undefined {
  if (!zone) return undefined;
  const soaRecord = seen.authorities.find((r) => r.type === 'SOA');
  const soa = soaRecord && soaEvidence(soaRecord);
  if (!soa) {
    if (seen.rcode !== 'NXDOMAIN') return undefined;
    // RFC 2308 §3: a negative answer from the zone (cached or not) carries the zone's SOA.
    return {
      verdict: 'overridden',
      reason: `${what} without the zone's SOA: the resolver made the answer up (local zone, blocklist or rewrite)${ede(seen)}`,
    };
  }
  const own = soa.apex === zone.apex && soa.mname === zone.mname && soa.rname === zone.rname;
  if (!own) {
    return {
      verdict: 'overridden',
      reason: `${what} with the SOA of ${soa.apex} (${soa.mname} ${soa.rname} ${soa.serial}), not the zone's (${zone.apex} ${zone.mname} ${zone.rname}): the resolver serves its own zone${ede(seen)}`,
    };
  }
  if (serialBefore(soa.serial, zone.serial)) {
    const seconds = soaRecord!.ttl;
    return {
      verdict: 'stale-cache',
      reason: `${what} cached at serial ${soa.serial}, before the manager's ${zone.serial}: the resolver's negative cache expires in ${seconds} s${ede(seen)}`,
      fixesInSeconds: seconds,
    };
  }
  return undefined;
}

/**
 * Judge an address question (A or AAAA) through a resolver.
 *
 * ```ts
 * judgeAddress(truthA, resolverA, { control: resolverTxt, zone }); // { verdict: 'filtered-servfail', reason: '…' }
 * ```
 */
export function judgeAddress(truth: Observation, seen: Observation, context: JudgeContext = {}): Judgement {
  const { control, zone } = context;
  if (truth.outcome !== 'answer') {
    return {
      verdict: 'unreachable',
      reason: `the manager (${truth.transport}) did not answer, so nothing can be compared: ${truth.error ?? truth.outcome}`,
    };
  }
  const expected = answerData(truth);
  // Before "not published": a DNS64 makes an AAAA up where the manager publishes none.
  const synthesised = answerData(seen).join() === expected.join() ? undefined : judgeSynthesised(seen, context);
  if (synthesised) return synthesised;
  if (expected.length === 0) {
    const why =
      truth.rcode === 'NXDOMAIN'
        ? 'the name does not exist (node not enrolled?)'
        : `the name has no ${truth.type} record (no address reported yet?)`;
    return { verdict: 'not-published', reason: `the manager says ${truth.rcode}: ${why}` };
  }
  const controlPasses = passes(control);
  if (seen.outcome === 'timeout' && answered(control, 'SERVFAIL')) {
    return {
      verdict: 'upstream-failure',
      reason: `no answer for ${seen.type} in ${seen.attempts} tries and SERVFAIL for the ${control!.type} control: the resolver cannot reach the zone's name servers${ede(control!)}`,
    };
  }
  const failed = transportFailure(seen);
  if (failed) return failed;
  switch (seen.rcode) {
    case 'SERVFAIL':
      if (controlPasses || policyEde(seen)) {
        return {
          verdict: 'filtered-servfail',
          reason: `SERVFAIL for ${expected.join(', ')} while ${controlPasses ? `the ${control!.type} control passes` : 'the resolver names a policy'}: the resolver filters private answers${ede(seen)}`,
        };
      }
      return {
        verdict: 'upstream-failure',
        reason: `SERVFAIL for ${seen.type}, and ${describeControl(control)}: the resolver cannot reach the zone's name servers${ede(seen)}`,
      };
    case 'REFUSED':
      if (controlPasses || policyEde(seen))
        return {
          verdict: 'filtered-refused',
          reason: `REFUSED for ${expected.join(', ')} while ${controlPasses ? `the ${control!.type} control passes` : 'the resolver names a policy'}${ede(seen)}`,
        };
      return {
        verdict: 'unreachable',
        reason: `REFUSED for ${seen.type}, and ${describeControl(control)}: the resolver does not serve this client${ede(seen)}`,
      };
    case 'NXDOMAIN':
      return (
        judgeNegativeSoa(seen, zone, 'NXDOMAIN') ?? {
          verdict: 'nxdomain',
          reason: controlPasses
            ? `NXDOMAIN for ${seen.type} but the ${control!.type} on the same name resolves: the resolver rewrites the answer${ede(seen)}`
            : `NXDOMAIN although the manager publishes ${expected.join(', ')}: the resolver blocks or rewrites the name${ede(seen)}`,
        }
      );
    case 'NOERROR':
      break;
    default:
      return {
        verdict: 'unreachable',
        reason: `${seen.rcode} from ${seen.transport}: it does not answer this question${ede(seen)}`,
      };
  }
  const got = answerData(seen);
  if (got.length === 0) return judgeEmpty(seen, expected, context);
  if (got.join() === expected.join())
    return {
      verdict: 'ok',
      reason: `${seen.type} ${got.join(', ')} as published${seen.chain ? ` (through ${seen.chain.join(' → ')})` : ''}`,
    };
  const partial = got.every((a) => expected.includes(a));
  if (
    !partial &&
    sameNameControl(control, seen) &&
    answered(control, 'NOERROR') &&
    vouchedAddresses(control!, seen.type).join() === got.join()
  ) {
    // The same resolver serves the old address and the old TXT that names it: both cached from
    // before the report, both gone within their TTL.
    const seconds = Math.min(...seen.answers.filter((r) => r.type === seen.type).map((r) => r.ttl));
    return {
      verdict: 'stale-cache',
      reason: `${seen.type} ${got.join(', ')} and a TXT control naming it, where the manager now publishes ${expected.join(', ')}: cached from before the report, expires in ${seconds} s`,
      fixesInSeconds: seconds,
    };
  }
  if (!partial && seen.flags?.includes('aa')) {
    return {
      verdict: 'overridden',
      reason: `an authoritative answer (AA) with ${got.join(', ')} where the manager publishes ${expected.join(', ')}: the resolver serves its own zone`,
    };
  }
  return {
    verdict: 'mismatch',
    reason: partial
      ? `partial answer: ${got.join(', ')} of ${expected.join(', ')}`
      : `${seen.type} ${got.join(', ')} where the manager publishes ${expected.join(', ')}: stale or rewritten`,
  };
}

/**
 * An AAAA the resolver's DNS64 made from the name's published A (RFC 6052): through NAT64 a
 * public IPv4 address is reached, a private one never (the NAT64 sits on the carrier's side and
 * routes to the internet, where RFC 1918 addresses lead nowhere).
 */
function judgeSynthesised(seen: Observation, { dns64 }: JudgeContext): Judgement | undefined {
  if (!dns64 || seen.type !== 'AAAA' || !answered(seen, 'NOERROR')) return undefined;
  const got = answerData(seen);
  const made = synthesisedFrom(got, dns64.prefixes, dns64.published);
  if (!made) return undefined;
  const what = `AAAA ${got.join(', ')} synthesised by DNS64 (${prefixText(made.prefix)}) from the published A ${made.ipv4.join(', ')}`;
  const lost = made.ipv4.filter(isNonPublicIpv4);
  if (lost.length === 0) return { verdict: 'ok', reason: `${what}: reached through NAT64` };
  return {
    verdict: 'dns64',
    reason: `${what}: behind NAT64 the private address ${lost.join(', ')} is never reachable; the external name is the path`,
  };
}

/** NOERROR without the address: a filter, the resolver's own zone, or a cache from before the report. */
function judgeEmpty(seen: Observation, expected: string[], { control, zone }: JudgeContext): Judgement {
  const filtered = (shape: string): Judgement => ({
    verdict: 'filtered-nodata',
    reason: `${shape} for ${expected.join(', ')}${passes(control) ? ` while the ${control!.type} control passes` : `, and ${describeControl(control)}`}${ede(seen)}`,
  });
  // An Extended DNS Error naming a policy is the resolver saying why: a filter, whatever else.
  if (policyEde(seen)) return filtered('an empty answer the resolver says it blocked');
  const soa = seen.authorities.some((r) => r.type === 'SOA');
  const bySoa = judgeNegativeSoa(seen, zone, 'NODATA');
  if (bySoa) return bySoa;
  if (sameNameControl(control, seen) && passes(control)) {
    const vouched = vouchedAddresses(control!, seen.type);
    if (vouched.join() !== expected.join()) {
      const seconds = Math.min(...control!.answers.map((r) => r.ttl));
      return {
        verdict: 'stale-cache',
        reason: `no ${seen.type}, and the TXT control it serves names ${vouched.join(', ') || 'no address'}, not ${expected.join(', ')}: cached from before the report, within ${seconds} s`,
        fixesInSeconds: seconds,
      };
    }
  }
  return filtered(
    soa
      ? "a NODATA with the zone's current SOA (synthesised by the filter)"
      : 'NOERROR with empty answer and authority (stripped)',
  );
}

/** Judge the TXT control itself: it passes filters, so anything but equality is news. */
export function judgeText(truth: Observation, seen: Observation, context: JudgeContext = {}): Judgement {
  if (truth.outcome !== 'answer')
    return { verdict: 'unreachable', reason: `the manager (${truth.transport}) did not answer` };
  const expected = answerData(truth);
  if (expected.length === 0) return { verdict: 'not-published', reason: `the manager says ${truth.rcode} for TXT` };
  const failed = transportFailure(seen);
  if (failed) return failed;
  if (seen.rcode === 'NXDOMAIN')
    return (
      judgeNegativeSoa(seen, context.zone, 'NXDOMAIN for the TXT control') ?? {
        verdict: 'nxdomain',
        reason: `NXDOMAIN for the TXT control${ede(seen)}`,
      }
    );
  if (seen.rcode === 'SERVFAIL')
    return {
      verdict: 'upstream-failure',
      reason: `SERVFAIL for the TXT control: the resolver cannot reach the zone${ede(seen)}`,
    };
  if (seen.rcode !== 'NOERROR')
    return { verdict: 'unreachable', reason: `${seen.rcode} for the TXT control${ede(seen)}` };
  const got = answerData(seen);
  if (got.join() === expected.join()) return { verdict: 'ok', reason: 'TXT control as published' };
  if (got.length === 0)
    return (
      judgeNegativeSoa(seen, context.zone, 'NODATA for the TXT control') ?? {
        verdict: 'filtered-nodata',
        reason: `no TXT where the manager publishes "${expected.join('" "')}"${ede(seen)}`,
      }
    );
  return {
    verdict: 'mismatch',
    reason: `TXT "${got.join('" "')}" where the manager publishes "${expected.join('" "')}"`,
  };
}
