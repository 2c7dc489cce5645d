// One question to one transport, bounded: EDNS query, at most `attempts` tries each bounded by
// `timeoutMs`, and the raw evidence (rcode, flags, sections, Extended DNS Errors, timings) kept
// whatever happens. Never throws: every failure becomes an observation.
import {
  FLAG_AA, FLAG_AD, FLAG_CD, FLAG_RA, FLAG_RD, FLAG_TC, decodeMessage, encodeMessage, findOpt, fullRcode, records,
  type DnsMessage, type DnsRecord, type RecordType,
} from '../dns/message.ts';
import { normalizeName } from '../dns/name.ts';
import { EDE_OPTION, ExtendedError, rcodeName } from '../dns/rcode.ts';
import { ProbeError, asProbeError, timeoutError } from './errors.ts';
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
}

export interface ObserveOptions {
  /** Per-attempt bound (ms); default 1500. */
  timeoutMs?: number;
  /** Tries in all; default 2 (one retry). */
  attempts?: number;
  /** The whole probe's deadline: aborting ends the observation at once. */
  signal?: AbortSignal;
}

/** The payload size DNS Flag Day 2020 settled on: no fragmentation on real paths. */
const EDNS_PAYLOAD = 1232;

const FLAG_NAMES: [number, string][] = [[FLAG_AA, 'aa'], [FLAG_TC, 'tc'], [FLAG_RD, 'rd'], [FLAG_RA, 'ra'], [FLAG_AD, 'ad'], [FLAG_CD, 'cd']];
const EDE_NAMES = new Map<number, string>(Object.entries(ExtendedError).map(([k, v]) => [v, k]));

function buildQuery(id: number, name: string, type: RecordType): Uint8Array {
  // EDNS so that resolvers can attach Extended DNS Errors (RFC 8914 §3 needs an OPT in the query).
  return encodeMessage({
    type: 'query',
    id,
    flags: FLAG_RD,
    questions: [{ name, type, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}

export function recordEvidence(r: DnsRecord): RecordEvidence {
  let data: string;
  if (r.type === 'TXT') data = (r.data as (string | Uint8Array)[]).map((s) => (typeof s === 'string' ? s : new TextDecoder().decode(s))).join('');
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
    throw new ProbeError('ERR_PROBE_BAD_RESPONSE', (e as Error).message, { cause: e });
  }
  const q = message.questions?.[0];
  // RFC 5452 §4: a response counts only if ID and question match the query.
  if (message.type !== 'response' || message.id !== id || !q || normalizeName(q.name) !== normalizeName(name) || q.type !== type) {
    throw new ProbeError('ERR_PROBE_BAD_RESPONSE', 'the response does not match the query (ID or question)');
  }
  return message;
}

const OUTCOME = { ERR_PROBE_TIMEOUT: 'timeout', ERR_PROBE_UNREACHABLE: 'unreachable', ERR_PROBE_BAD_RESPONSE: 'bad-response' } as const;

/**
 * Ask one question, bounded in time.
 *
 * ```ts
 * const seen = await observe(dohTransport('http://127.0.0.1:8787/dns-query'), 'i-nur1.pl-1234.example.test', 'A');
 * seen.rcode; // 'NOERROR'
 * ```
 */
export async function observe(transport: DnsTransport, name: string, type: RecordType, options: ObserveOptions = {}): Promise<Observation> {
  const timeoutMs = options.timeoutMs ?? 1500;
  const attempts = Math.max(1, options.attempts ?? 2);
  const started = performance.now();
  const base = { transport: transport.label, name: normalizeName(name), type, answers: [], authorities: [], ede: [] };
  let failure = timeoutError(transport.label);
  let tries = 0;
  while (tries < attempts && !options.signal?.aborted) {
    tries++;
    const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
    const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    try {
      const message = checkResponse(await transport.exchange(buildQuery(id, name, type), signal), id, name, type);
      const flags = message.flags ?? 0;
      return {
        ...base,
        outcome: 'answer',
        rcode: rcodeName(fullRcode(message)),
        flags: FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n),
        answers: records(message.answers).map(recordEvidence),
        authorities: records(message.authorities).map(recordEvidence),
        ede: extendedErrors(message),
        attempts: tries,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (e) {
      failure = asProbeError(transport.label, e, signal);
    }
  }
  return { ...base, outcome: OUTCOME[failure.code], attempts: tries, elapsedMs: Math.round(performance.now() - started), error: failure.message };
}
