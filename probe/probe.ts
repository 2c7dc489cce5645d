// The probe: "does this node's internal name resolve here, and if not, why". It asks the truth
// (the manager, over DoH) and the resolver the same questions at once — the internal name's A,
// AAAA and TXT, the canaries, the external name — and judges each pair. Bounded by a deadline.
import { CANARIES } from '../dns/canary.ts';
import type { RecordType } from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { judgeAddress, judgeText, type Judgement } from './classify.ts';
import { observe, type Observation } from './observe.ts';
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
}

interface Question {
  role: CheckRole;
  name: string;
  type: RecordType;
}

/** The zone apex: the owner of the SOA the truth puts in a negative answer's authority section. */
async function discoverZone(truth: DnsTransport, name: string, options: { timeoutMs: number; attempts: number; signal: AbortSignal }): Promise<string | undefined> {
  const seen = await observe(truth, name, 'SOA', options);
  return seen.authorities.find((r) => r.type === 'SOA')?.name ?? seen.answers.find((r) => r.type === 'SOA')?.name;
}

function summary(checks: Check[]): Judgement {
  const by = (role: CheckRole, type: string) => checks.find((c) => c.role === role && c.type === type);
  const main = by('internal', 'A')!;
  const notes: string[] = [];
  // Partial results: the pairing needs the A, but a stripped AAAA or a filtered external name
  // is what support will be asked about next.
  for (const [role, type, label] of [['internal', 'AAAA', 'AAAA'], ['external', 'A', 'external']] as const) {
    const other = by(role, type);
    if (other && other.verdict !== 'ok' && other.verdict !== 'not-published') notes.push(`${label} ${other.verdict}`);
  }
  const canary = by('canary-private', 'A');
  if (canary && main.verdict !== 'ok') notes.push(`private canary ${canary.verdict}`);
  const pub = by('canary-public', 'A');
  if (pub && pub.verdict !== 'ok') notes.push(`public canary ${pub.verdict}`);
  return { verdict: main.verdict, reason: notes.length ? `${main.reason} [${notes.join(', ')}]` : main.reason };
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
  const zone = options.zone ? normalizeName(options.zone) : await discoverZone(options.truth, internal, bounds);

  const questions: Question[] = [
    { role: 'internal', name: internal, type: 'A' },
    { role: 'internal', name: internal, type: 'AAAA' },
    { role: 'internal', name: internal, type: 'TXT' },
  ];
  if (options.names.external) questions.push({ role: 'external', name: normalizeName(options.names.external), type: 'A' });
  if (zone) {
    questions.push(
      { role: 'canary-private', name: `${CANARIES.private}.${zone}`, type: 'A' },
      { role: 'canary-ula', name: `${CANARIES.ula}.${zone}`, type: 'AAAA' },
      { role: 'canary-public', name: `${CANARIES.public}.${zone}`, type: 'A' },
    );
  }
  const pairs = await Promise.all(questions.map(async (q) => {
    const [truth, resolver] = await Promise.all([observe(options.truth, q.name, q.type, bounds), observe(options.resolver, q.name, q.type, bounds)]);
    return { ...q, truth, resolver };
  }));
  const control = (role: CheckRole) => {
    if (role === 'internal') return pairs.find((p) => p.role === 'internal' && p.type === 'TXT')?.resolver;
    return pairs.find((p) => p.role === 'canary-public')?.resolver;
  };
  const checks: Check[] = pairs.map((p) => ({
    ...p,
    ...(p.type === 'TXT' ? judgeText(p.truth, p.resolver) : judgeAddress(p.truth, p.resolver, p.role === 'canary-public' ? undefined : control(p.role))),
  }));
  return {
    ...summary(checks),
    name: internal,
    zone: zone ?? '',
    resolver: options.resolver.label,
    truth: options.truth.label,
    checks,
    startedAt,
    elapsedMs: Math.round(performance.now() - started),
  };
}

