// One question to one transport, bounded: EDNS query, at most `attempts` tries each bounded by
// `timeoutMs` (over a reliable transport such as DoH, one try bounded by all of them when it
// times out), and the raw evidence (rcode, flags, sections, Extended DNS Errors, timings) kept
// whatever happens. A CNAME chain the answer leaves open is followed through the same transport.
// Never throws: every failure becomes an observation.
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_AD,
  FLAG_CD,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  findOpt,
  fullRcode,
  type RecordType,
  records,
} from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { EDE_OPTION, ExtendedError, rcodeName } from '../dns/rcode.ts';
import { asProbeError, BadResponse, ProbeTimeout, timeoutError } from './errors.ts';
import type { DnsTransport } from './transport.ts';

export interface RecordEvidence {
  name: string;
  type: string;
  ttl: number;
  data: string;
}

/** RFC 8914 Extended DNS Error: info-code, its registry name when we know it, extra text. */
export interface ExtendedErrorEvidence {
  code: number;
  name?: string;
  text?: string;
}

export interface Observation {
  transport: string;
  name: string;
  type: string;
  outcome: 'answer' | 'timeout' | 'unreachable' | 'bad-response';
  /** 'NOERROR', 'SERVFAIL'… when the outcome is 'answer'. */
  rcode?: string;
  /** Header flags set in the response: aa, tc, rd, ra, ad, cd. */
  flags?: string[];
  answers: RecordEvidence[];
  authorities: RecordEvidence[];
  ede: ExtendedErrorEvidence[];
  attempts: number;
  elapsedMs: number;
  error?: string;
  /** False when the answer came to a query without EDNS (RFC 6891 §7 fallback). */
  edns?: boolean;
  /** The CNAME targets followed after the first answer, in order, when the chain was left open. */
  chain?: string[];
}

export interface ObserveOptions {
  /** Per-attempt bound (ms); default 1500. Over a reliable transport, a try may take all of them. */
  timeoutMs?: number;
  /** Tries in all; default 2 (one retry). */
  attempts?: number;
  /** The whole probe's deadline: aborting ends the observation at once. */
  signal?: AbortSignal;
  /** The question's class; CH for a server's own `version.bind`, which it never forwards. */
  qclass?: 'IN' | 'CH';
}

/** The payload size DNS Flag Day 2020 settled on: no fragmentation on real paths. */
const EDNS_PAYLOAD = 1232;

const FLAG_NAMES: [number, string][] = [
  [FLAG_AA, 'aa'],
  [FLAG_TC, 'tc'],
  [FLAG_RD, 'rd'],
  [FLAG_RA, 'ra'],
  [FLAG_AD, 'ad'],
  [FLAG_CD, 'cd'],
];
const EDE_NAMES = new Map<number, string>(Object.entries(ExtendedError).map(([k, v]) => [v, k]));

/** The longest CNAME chain followed (unbound's MAX_RESTART_COUNT is 11; 8 is plenty for a zone). */
const MAX_CHAIN = 8;

function buildQuery(id: number, name: string, type: RecordType, edns: boolean, qclass: 'IN' | 'CH'): Uint8Array {
  // EDNS so that resolvers can attach Extended DNS Errors (RFC 8914 §3 needs an OPT in the query).
  return encodeMessage({
    type: 'query',
    id,
    flags: FLAG_RD,
    questions: [{ name, type, class: qclass }],
    additionals: edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: EDNS_PAYLOAD,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ]
      : [],
  });
}

export function recordEvidence(r: DnsRecord): RecordEvidence {
  let data: string;
  if (r.type === 'TXT')
    data = (r.data as (string | Uint8Array)[])
      .map((s) => (typeof s === 'string' ? s : new TextDecoder().decode(s)))
      .join('');
  else if (r.type === 'SOA') data = `${r.data.mname} ${r.data.rname} ${r.data.serial}`;
  else data = typeof r.data === 'string' ? r.data : JSON.stringify(r.data);
  return { name: normalizeName(r.name), type: r.type, ttl: r.ttl ?? 0, data };
}

function extendedErrors(message: DnsMessage): ExtendedErrorEvidence[] {
  const options = (findOpt(message)?.options ?? []) as { code: number; data?: Uint8Array }[];
  return options
    .filter((o) => o.code === EDE_OPTION && o.data && o.data.byteLength >= 2)
    .map((o) => {
      const data = o.data!;
      const code = (data[0]! << 8) | data[1]!;
      const text = new TextDecoder().decode(data.subarray(2)).replace(/\0+$/, '');
      const name = EDE_NAMES.get(code);
      return { code, ...(name ? { name } : {}), ...(text ? { text } : {}) };
    });
}

function checkResponse(bytes: Uint8Array, id: number, name: string, type: string): DnsMessage {
  let message: DnsMessage;
  try {
    message = decodeMessage(bytes);
  } catch (e) {
    throw new BadResponse((e as Error).message, { cause: e });
  }
  const q = message.questions?.[0];
  // RFC 5452 §4: a response counts only if ID and question match the query.
  if (
    message.type !== 'response' ||
    message.id !== id ||
    !q ||
    normalizeName(q.name) !== normalizeName(name) ||
    q.type !== type
  ) {
    throw new BadResponse('the response does not match the query (ID or question)');
  }
  return message;
}

const OUTCOME = {
  // A transport's own ProbeError with no finer code: it did not get an answer, as asProbeError says.
  ERR_PROBE: 'unreachable',
  ERR_PROBE_TIMEOUT: 'timeout',
  ERR_PROBE_UNREACHABLE: 'unreachable',
  ERR_PROBE_BAD_RESPONSE: 'bad-response',
} as const;

/**
 * Ask one question, bounded in time, following a CNAME chain the answer leaves open (a forwarder
 * may hand back the alias alone; RFC 1034 §3.6.2 has the client restart at the target).
 *
 * ```ts
 * const seen = await observe(dohTransport('http://127.0.0.1:8787/dns-query'), 'i-nur1.pl-1234.example.test', 'A');
 * seen.rcode; // 'NOERROR'
 * ```
 */
export async function observe(
  transport: DnsTransport,
  name: string,
  type: RecordType,
  options: ObserveOptions = {},
): Promise<Observation> {
  let seen = await observeOnce(transport, name, type, options);
  const chain: string[] = [];
  for (;;) {
    const target = openChainEnd(seen);
    if (!target || chain.length >= MAX_CHAIN || chain.includes(target) || options.signal?.aborted) break;
    chain.push(target);
    const next = await observeOnce(transport, target, type, options);
    seen = {
      ...next,
      name: seen.name,
      answers: [...seen.answers, ...next.answers],
      ede: [...seen.ede, ...next.ede],
      attempts: seen.attempts + next.attempts,
      elapsedMs: seen.elapsedMs + next.elapsedMs,
      chain,
    };
  }
  return seen;
}

/** The target where the answer's CNAME chain ends without a record of the asked type, if any. */
function openChainEnd(seen: Observation): string | undefined {
  if (seen.outcome !== 'answer' || seen.rcode !== 'NOERROR' || seen.type === 'CNAME') return undefined;
  // A filter that says why (EDE 15–18) blocked the chain on purpose: asking again changes nothing.
  if (seen.ede.some((e) => e.code >= 15 && e.code <= 18)) return undefined;
  let end = seen.name;
  for (let hops = 0; hops <= MAX_CHAIN; hops++) {
    const next = seen.answers.find((r) => r.type === 'CNAME' && r.name === end);
    if (!next) break;
    end = normalizeName(next.data);
  }
  if (end === seen.name || seen.answers.some((r) => r.name === end && r.type === seen.type)) return undefined;
  return end;
}

async function observeOnce(
  transport: DnsTransport,
  name: string,
  type: RecordType,
  options: ObserveOptions,
): Promise<Observation> {
  const timeoutMs = options.timeoutMs ?? 1500;
  let attempts = Math.max(1, options.attempts ?? 2);
  // Over a reliable transport the one try may use every try's bound (see DnsTransport.reliable).
  const tryMs = transport.reliable ? timeoutMs * attempts : timeoutMs;
  const started = performance.now();
  const base = { transport: transport.label, name: normalizeName(name), type, answers: [], authorities: [], ede: [] };
  let failure = timeoutError(transport.label);
  let tries = 0;
  let edns = true;
  while (tries < attempts && !options.signal?.aborted) {
    tries++;
    const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
    const signal = options.signal
      ? AbortSignal.any([options.signal, AbortSignal.timeout(tryMs)])
      : AbortSignal.timeout(tryMs);
    try {
      const message = checkResponse(
        await transport.exchange(buildQuery(id, name, type, edns, options.qclass ?? 'IN'), signal),
        id,
        name,
        type,
      );
      const rcode = rcodeName(fullRcode(message));
      if (edns && rcode === 'FORMERR') {
        // RFC 6891 §7: FORMERR to a query with an OPT means "no EDNS here": ask again without,
        // at once and on top of the tries (the server did answer).
        edns = false;
        attempts++;
        continue;
      }
      const flags = message.flags ?? 0;
      return {
        ...base,
        outcome: 'answer',
        rcode,
        flags: FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n),
        answers: records(message.answers).map(recordEvidence),
        authorities: records(message.authorities).map(recordEvidence),
        ede: extendedErrors(message),
        attempts: tries,
        elapsedMs: Math.round(performance.now() - started),
        ...(edns ? {} : { edns: false }),
      };
    } catch (e) {
      failure = asProbeError(transport.label, e, signal);
      if (failure.code === ProbeTimeout.code) {
        if (transport.reliable) break;
        // RFC 6891 §7: a query with an OPT that goes unanswered may be dropped by a middlebox or
        // an old server that chokes on it: the next try goes without.
        edns = false;
      }
    }
  }
  return {
    ...base,
    outcome: OUTCOME[failure.code],
    attempts: tries,
    elapsedMs: Math.round(performance.now() - started),
    error: failure.message,
  };
}
