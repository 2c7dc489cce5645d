// The probe: "does this node's internal name resolve here, and if not, why". It asks the truth
// (the manager, over DoH) and the resolver the same questions at once — the internal name's A,
// AAAA and TXT, the canaries, the external name — and judges each pair. Bounded by a deadline.
import { CANARIES } from '../dns/canary.ts';
import type { RecordType } from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { answerData, type Judgement, judgeAddress, judgeText, soaEvidence, type ZoneEvidence } from './classify.ts';
import { discoverPrefixes, IPV4ONLY_ARPA, type Nat64Prefix, prefixText } from './dns64.ts';
import { type Observation, observe } from './observe.ts';
import { checkServeStale, type StaleCheck } from './serve-stale.ts';
import type { DnsTransport } from './transport.ts';

export type CheckRole = 'internal' | 'external' | 'canary-private' | 'canary-ula' | 'canary-public';

export interface Check extends Judgement {
  role: CheckRole;
  name: string;
  type: string;
  truth: Observation;
  resolver: Observation;
}

export interface ProbeResult extends Judgement {
  /** The internal name probed. */
  name: string;
  zone: string;
  resolver: string;
  truth: string;
  /** The zone's SOA as the manager served it when the probe began (negative answers are judged by it). */
  soa?: ZoneEvidence;
  /** The resolver's answer to `version.bind CH TXT`, a question it answers itself (or refuses): is it alive? */
  liveness: Observation;
  /**
   * RFC 7050 discovery: the resolver's answer to `ipv4only.arpa AAAA` and the NAT64 prefixes
   * found in it (empty: no DNS64 on this network).
   */
  dns64: { prefixes: Nat64Prefix[]; observation: Observation };
  /** Whether the resolver serves stale answers (RFC 8767), when `serveStale` asked for it. */
  serveStale?: StaleCheck;
  checks: Check[];
  startedAt: string;
  elapsedMs: number;
}

export interface ProbeOptions {
  names: { internal: string; external?: string };
  /** The manager's DoH transport: what is published. */
  truth: DnsTransport;
  /** The resolver under test. */
  resolver: DnsTransport;
  /** The zone apex; asked of the truth (SOA owner) when not given. */
  zone?: string;
  timeoutMs?: number;
  attempts?: number;
  /** Hard bound on the whole probe (ms); default timeoutMs × attempts + 1000. */
  deadlineMs?: number;
  /**
   * Also check whether the resolver serves stale answers (probe/serve-stale.ts). Beside the other
   * questions, under its own bound: the probe then takes up to about 14 s instead of 4.
   */
  serveStale?: boolean;
}

interface Question {
  role: CheckRole;
  name: string;
  type: RecordType;
}

/**
 * The zone's SOA from the truth: asked at the apex when known, else at the name (the SOA then
 * comes in the negative answer's authority section, and its owner is the apex).
 */
async function zoneSoa(
  truth: DnsTransport,
  name: string,
  options: { timeoutMs: number; attempts: number; signal: AbortSignal },
): Promise<ZoneEvidence | undefined> {
  const seen = await observe(truth, name, 'SOA', options);
  const record = seen.answers.find((r) => r.type === 'SOA') ?? seen.authorities.find((r) => r.type === 'SOA');
  return record && soaEvidence(record);
}

/** The resolver sent something back to a question it never forwards: it is alive. */
function alive(liveness: Observation): boolean {
  return liveness.outcome === 'answer' || liveness.outcome === 'bad-response';
}

function summary(checks: Check[], liveness: Observation, prefixes: readonly Nat64Prefix[]): Judgement {
  const by = (role: CheckRole, type: string) => checks.find((c) => c.role === role && c.type === type);
  const main = by('internal', 'A')!;
  const notes: string[] = [];
  // Partial results: the pairing needs the A, but a stripped AAAA or a filtered external name
  // is what support will be asked about next.
  for (const [role, type, label] of [
    ['internal', 'AAAA', 'AAAA'],
    ['external', 'A', 'external'],
    ['external', 'AAAA', 'external AAAA'],
  ] as const) {
    const other = by(role, type);
    const expected = ['ok', 'not-published', ...(role === 'internal' && prefixes.length ? ['dns64'] : [])];
    if (other && !expected.includes(other.verdict)) notes.push(`${label} ${other.verdict}`);
  }
  if (prefixes.length > 0) {
    const nat64 = prefixes.map(prefixText).join(', ');
    if (main.verdict === 'ok') {
      // The A resolves, but a device on this network has IPv6 only: it reaches IPv4 through the
      // carrier's NAT64, on the internet side, where a private address leads nowhere.
      const aaaa = by('internal', 'AAAA');
      const made = aaaa?.verdict === 'dns64' ? ` (${aaaa.reason})` : '';
      return {
        verdict: 'dns64',
        reason: `${main.reason}, but the resolver synthesises IPv6 (DNS64, NAT64 prefix ${nat64})${made}: on an IPv6-only network the private address is never reachable; the external name is the path${notes.length ? ` [${notes.join(', ')}]` : ''}`,
      };
    }
    notes.push(`DNS64 ${nat64}`);
  }
  const canary = by('canary-private', 'A');
  if (canary && main.verdict !== 'ok') notes.push(`private canary ${canary.verdict}`);
  const pub = by('canary-public', 'A');
  if (pub && pub.verdict !== 'ok') notes.push(`public canary ${pub.verdict}`);
  const reason = notes.length ? `${main.reason} [${notes.join(', ')}]` : main.reason;
  // A resolver that lets some questions time out and answers SERVFAIL to others has lost its
  // upstream: the timeout on the address is one more symptom, not the story.
  const servfail = checks.find(
    (c) => c.resolver.outcome === 'answer' && c.resolver.rcode === 'SERVFAIL' && c.verdict === 'upstream-failure',
  );
  if (main.verdict === 'timeout' && servfail) {
    return {
      verdict: 'upstream-failure',
      reason: `${reason}; SERVFAIL for ${servfail.name} ${servfail.type}: the resolver cannot reach the zone's name servers`,
    };
  }
  // Silent on every name of the zone, TXT control included, yet answering a question it keeps to
  // itself: the resolver is up and waiting on an upstream that does not answer.
  const control = by('internal', 'TXT');
  if (main.verdict === 'timeout' && control?.verdict !== 'ok' && alive(liveness)) {
    return {
      verdict: 'upstream-failure',
      reason: `${reason}; yet it answers version.bind (${liveness.rcode ?? liveness.outcome}) at once: it is up, and the zone's name servers do not answer it`,
    };
  }
  return {
    verdict: main.verdict,
    reason,
    ...(main.fixesInSeconds !== undefined ? { fixesInSeconds: main.fixesInSeconds } : {}),
  };
}

/**
 * Probe a node's names through one resolver.
 *
 * ```ts
 * const result = await probeNode({
 *   names: { internal: 'i-nur1.pl-1234.example.test', external: 'nur1.pl-1234.example.test' },
 *   truth: dohTransport('http://127.0.0.1:8787/dns-query'),
 *   resolver: await systemTransport(),
 * });
 * result.verdict; // 'ok', 'filtered-servfail', …
 * ```
 */
export async function probeNode(options: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 1500;
  const attempts = options.attempts ?? 2;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const signal = AbortSignal.timeout(options.deadlineMs ?? timeoutMs * attempts + 1000);
  const bounds = { timeoutMs, attempts, signal };
  const internal = normalizeName(options.names.internal);
  const soa = await zoneSoa(options.truth, options.zone ? normalizeName(options.zone) : internal, bounds);
  const zone = options.zone ? normalizeName(options.zone) : soa?.apex;

  const questions: Question[] = [
    { role: 'internal', name: internal, type: 'A' },
    { role: 'internal', name: internal, type: 'AAAA' },
    { role: 'internal', name: internal, type: 'TXT' },
  ];
  if (options.names.external) {
    const external = normalizeName(options.names.external);
    questions.push({ role: 'external', name: external, type: 'A' }, { role: 'external', name: external, type: 'AAAA' });
  }
  if (zone) {
    questions.push(
      { role: 'canary-private', name: `${CANARIES.private}.${zone}`, type: 'A' },
      { role: 'canary-ula', name: `${CANARIES.ula}.${zone}`, type: 'AAAA' },
      { role: 'canary-public', name: `${CANARIES.public}.${zone}`, type: 'A' },
    );
  }
  const liveness = observe(options.resolver, 'version.bind', 'TXT', { ...bounds, qclass: 'CH', attempts: 1 });
  const nat64 = observe(options.resolver, IPV4ONLY_ARPA, 'AAAA', bounds);
  const stale =
    options.serveStale && zone ? checkServeStale(options.resolver, zone, { timeoutMs, attempts }) : undefined;
  const pairs = await Promise.all(
    questions.map(async (q) => {
      const [truth, resolver] = await Promise.all([
        observe(options.truth, q.name, q.type, bounds),
        observe(options.resolver, q.name, q.type, bounds),
      ]);
      return { ...q, truth, resolver };
    }),
  );
  // Every address is judged against the same control, the internal name's TXT: filters pass it,
  // a dead upstream does not. The canaries too, so a dead resolver is not "public canary filtered".
  const context = {
    control: pairs.find((p) => p.role === 'internal' && p.type === 'TXT')!.resolver,
    ...(soa ? { zone: soa } : {}),
  };
  const dns64 = await nat64;
  const prefixes = discoverPrefixes(dns64);
  // An AAAA is recognised as DNS64's making from the A the manager publishes on the same name.
  const published = (name: string) => {
    const a = pairs.find((p) => p.name === name && p.type === 'A');
    return a ? answerData(a.truth) : [];
  };
  const checks: Check[] = pairs.map((p) => ({
    ...p,
    ...(p.type === 'TXT'
      ? judgeText(p.truth, p.resolver, context)
      : judgeAddress(p.truth, p.resolver, {
          ...context,
          ...(p.type === 'AAAA' && prefixes.length ? { dns64: { prefixes, published: published(p.name) } } : {}),
        })),
  }));
  const live = await liveness;
  const serveStale = await stale;
  return {
    ...summary(checks, live, prefixes),
    name: internal,
    zone: zone ?? '',
    resolver: options.resolver.label,
    truth: options.truth.label,
    ...(soa ? { soa } : {}),
    liveness: live,
    dns64: { prefixes, observation: dns64 },
    ...(serveStale ? { serveStale } : {}),
    checks,
    startedAt,
    elapsedMs: Math.round(performance.now() - started),
  };
}
