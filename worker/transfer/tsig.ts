// TSIG (RFC 8945) over the wire bytes: sign and verify DNS messages with HMAC-SHA256. dns-packet
// does not know TSIG, and TSIG must see the exact bytes anyway (the MAC covers the message as
// sent, compression and all), so this module walks the wire format itself rather than re-encoding
// decoded messages. The MAC is node:crypto's, computed in place: this is the Node wing (zone
// transfers and NOTIFY), and Web Crypto's HMAC cost about half a millisecond of the event loop per
// message plus a trip through the thread pool, where every NOTIFY, SOA refresh and IXFR under
// dense reports takes two or more (an eighth of the manager's CPU time while
// bench/transfer.bench.ts sent 33 reports a second to two secondaries).
import { createHmac } from 'node:crypto';
import { normalizeName } from '../../dns/name.ts';
import {
  concatBytes,
  DnsFormatError,
  HEADER_LENGTH,
  peekCount,
  peekId,
  Section,
  setCount,
  setId,
  WireReader,
} from '../../dns/wire.ts';
import { nameWire } from '../../dns/wire-name.ts';

/** RR type of TSIG (RFC 8945 §4.2) and the class it is sent in. */
export const TSIG_TYPE = 250;
const CLASS_ANY = 255;
export const HMAC_SHA256 = 'hmac-sha256';
/** RFC 8945 §10: 300 s fudge is recommended. */
export const DEFAULT_FUDGE = 300;
const SHA256_LENGTH = 32;
/** RFC 8945 §5.2.2.1: a truncated MAC shorter than half the hash (and 10 bytes) is refused. */
const MIN_MAC_LENGTH = SHA256_LENGTH / 2;

/** TSIG error codes (RFC 8945 §3, IANA "DNS RCODEs"), carried in the TSIG RR's Error field. */
export const TsigError = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export interface TsigKey {
  /** Key name as configured on both ends (a domain name, e.g. `transfer.example.test`). */
  name: string;
  algorithm: typeof HMAC_SHA256;
  secret: Uint8Array;
}

export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  otherData: Uint8Array;
  /** Offset of the TSIG RR in the message: everything before it is what the MAC covers. */
  offset: number;
}

export class TsigFormatError extends Error {
  readonly code = 'ERR_TSIG_FORMAT';
}

// --- wire walking: dns/wire.ts reads, dns/wire-name.ts decodes and encodes names ---------

/** Canonical wire form (RFC 4034 §6.2): lower case, uncompressed. */
function canonicalName(name: string): Uint8Array {
  return nameWire(normalizeName(name));
}

function be(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = value % 256;
    value = Math.floor(value / 256);
  }
  return out;
}

/**
 * The TSIG record of a message, if its last additional record is one (RFC 8945 §5.1: TSIG must
 * be last, and there must be one at most).
 */
export function findTsig(wire: Uint8Array): TsigRecord | undefined {
  try {
    return readTsig(wire);
  } catch (e) {
    if (e instanceof DnsFormatError) throw new TsigFormatError(e.message, { cause: e });
    throw e;
  }
}

function readTsig(wire: Uint8Array): TsigRecord | undefined {
  const r = new WireReader(wire);
  r.skip(HEADER_LENGTH);
  for (let i = peekCount(wire, Section.question); i > 0; i--) {
    r.skipName();
    r.skip(4);
  }
  const additionals = peekCount(wire, Section.additional);
  const records = peekCount(wire, Section.answer) + peekCount(wire, Section.authority) + additionals;
  let last = -1;
  let lastType = 0;
  for (let i = 0; i < records; i++) {
    last = r.at;
    r.skipName();
    lastType = r.u16();
    if (lastType === TSIG_TYPE && i !== records - 1) throw new TsigFormatError('TSIG is not the last record');
    r.skip(6);
    r.skip(r.u16());
  }
  if (additionals === 0 || lastType !== TSIG_TYPE) return undefined;
  r.at = last;
  const keyName = r.name().toLowerCase();
  r.skip(10);
  const algorithm = r.name().toLowerCase();
  const timeSigned = r.u48();
  const fudge = r.u16();
  const mac = new Uint8Array(r.take(r.u16()));
  const originalId = r.u16();
  const error = r.u16();
  const otherData = new Uint8Array(r.take(r.u16()));
  return { keyName, algorithm, timeSigned, fudge, mac, originalId, error, otherData, offset: last };
}

// --- MAC ----------------------------------------------------------------------------------

interface MacFields {
  timeSigned: number;
  fudge: number;
  error: number;
  otherData: Uint8Array;
}

/**
 * What the MAC covers (RFC 8945 §4.3): the prior MAC (request MAC for a response, previous
 * message's MAC inside a TCP stream), the message with its original ID and without the TSIG, then
 * either every TSIG variable (first message) or only the timers (later messages of a stream,
 * §4.3.1).
 */
function macInput(
  key: TsigKey,
  message: Uint8Array,
  fields: MacFields,
  priorMac: Uint8Array | undefined,
  timersOnly: boolean,
): Uint8Array {
  const prior = priorMac ? [be(priorMac.length, 2), priorMac] : [];
  const timers = [be(fields.timeSigned, 6), be(fields.fudge, 2)];
  if (timersOnly) return concatBytes([...prior, message, ...timers]);
  return concatBytes([
    ...prior,
    message,
    canonicalName(key.name),
    be(CLASS_ANY, 2),
    be(0, 4),
    canonicalName(key.algorithm),
    ...timers,
    be(fields.error, 2),
    be(fields.otherData.length, 2),
    fields.otherData,
  ]);
}

function computeMac(key: TsigKey, input: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key.secret).update(input).digest());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Constant time over the compared length: no early exit a timing probe could read.
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  time?: number;
  fudge?: number;
  /** MAC of the request this message answers, or of the previous message in a TCP stream. */
  priorMac?: Uint8Array;
  /** Later message of a multi-message answer (AXFR/IXFR over TCP): MAC the timers only. */
  timersOnly?: boolean;
  /** TSIG error to report (BADTIME answers are signed; BADKEY/BADSIG ones are not, see unsignedError). */
  error?: number;
  otherData?: Uint8Array;
}

function tsigRecord(key: TsigKey, id: number, fields: MacFields, mac: Uint8Array): Uint8Array {
  const rdata = concatBytes([
    canonicalName(key.algorithm),
    be(fields.timeSigned, 6),
    be(fields.fudge, 2),
    be(mac.length, 2),
    mac,
    be(id, 2),
    be(fields.error, 2),
    be(fields.otherData.length, 2),
    fields.otherData,
  ]);
  return concatBytes([
    canonicalName(key.name),
    be(TSIG_TYPE, 2),
    be(CLASS_ANY, 2),
    be(0, 4),
    be(rdata.length, 2),
    rdata,
  ]);
}

function withTsig(wire: Uint8Array, record: Uint8Array): Uint8Array {
  const out = concatBytes([wire, record]);
  setCount(out, Section.additional, peekCount(out, Section.additional) + 1);
  return out;
}

/**
 * Sign an encoded message: returns the message with a TSIG record appended, and its MAC (keep it
 * to verify the answer, or to chain the next message of a stream).
 *
 * ```ts
 * const { wire, mac } = await signMessage(encodeMessage(query), key);
 * ```
 */
export async function signMessage(
  wire: Uint8Array,
  key: TsigKey,
  options: SignOptions = {},
): Promise<{ wire: Uint8Array; mac: Uint8Array }> {
  const fields: MacFields = {
    timeSigned: options.time ?? Math.floor(Date.now() / 1000),
    fudge: options.fudge ?? DEFAULT_FUDGE,
    error: options.error ?? TsigError.NOERROR,
    otherData: options.otherData ?? new Uint8Array(0),
  };
  const mac = computeMac(key, macInput(key, wire, fields, options.priorMac, options.timersOnly ?? false));
  return { wire: withTsig(wire, tsigRecord(key, peekId(wire), fields, mac)), mac };
}

/**
 * A BADKEY or BADSIG answer carries a TSIG with an empty MAC (RFC 8945 §5.3.2): the server
 * cannot, or must not, sign with a key it does not share.
 */
export function unsignedError(
  wire: Uint8Array,
  request: TsigRecord,
  error: number,
  now = Math.floor(Date.now() / 1000),
): Uint8Array {
  const key = { name: request.keyName, algorithm: request.algorithm } as TsigKey;
  const fields = { timeSigned: now, fudge: request.fudge, error, otherData: new Uint8Array(0) };
  return withTsig(wire, tsigRecord(key, peekId(wire), fields, new Uint8Array(0)));
}

export type VerifyResult =
  | { status: 'unsigned' }
  | { status: 'ok'; key: TsigKey; tsig: TsigRecord }
  | { status: 'badkey' | 'badsig' | 'badtime' | 'badtrunc'; tsig: TsigRecord; key?: TsigKey };

export interface VerifyOptions {
  /** Seconds since the epoch; default now. */
  now?: number;
  priorMac?: Uint8Array;
  timersOnly?: boolean;
}

/**
 * Verify a message's TSIG against the keys we share (RFC 8945 §5.2 order: key, then MAC, then
 * time). Malformed TSIG records throw TsigFormatError (answer FORMERR).
 *
 * ```ts
 * const result = await verifyMessage(raw, [key]);
 * if (result.status !== 'ok') refuse(result.status);
 * ```
 */
export async function verifyMessage(
  wire: Uint8Array,
  keys: readonly TsigKey[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const tsig = findTsig(wire);
  if (!tsig) return { status: 'unsigned' };
  const key = keys.find((k) => normalizeName(k.name) === tsig.keyName && tsig.algorithm === k.algorithm);
  if (!key) return { status: 'badkey', tsig };
  if (tsig.mac.length < MIN_MAC_LENGTH || tsig.mac.length > SHA256_LENGTH)
    return { status: tsig.mac.length > SHA256_LENGTH ? 'badsig' : 'badtrunc', tsig, key };
  // The MAC covers the message as it was before signing: original ID, one record fewer.
  // A copy: `wire` may be a Node Buffer, whose slice() is a view we must not write through.
  const message = new Uint8Array(wire.subarray(0, tsig.offset));
  setId(message, tsig.originalId);
  setCount(message, Section.additional, peekCount(message, Section.additional) - 1);
  const expected = computeMac(key, macInput(key, message, tsig, options.priorMac, options.timersOnly ?? false));
  if (!sameBytes(expected.subarray(0, tsig.mac.length), tsig.mac)) return { status: 'badsig', tsig, key };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) return { status: 'badtime', tsig, key };
  return { status: 'ok', key, tsig };
}

/**
 * Sign every message of a multi-message answer (AXFR/IXFR over TCP) as it passes: the first over
 * the request MAC and all TSIG variables, each later one over the previous MAC and the timers
 * (RFC 8945 §5.3.1; we sign every message rather than use the 99-message allowance of RFC 2845).
 */
export async function* signStream(
  messages: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  key: TsigKey,
  requestMac: Uint8Array | undefined,
  time?: number,
): AsyncGenerator<Uint8Array> {
  let prior = requestMac;
  let first = true;
  for await (const message of messages) {
    const signed = await signMessage(message, key, {
      ...(time === undefined ? {} : { time }),
      ...(prior ? { priorMac: prior } : {}),
      timersOnly: !first,
    });
    first = false;
    prior = signed.mac;
    yield signed.wire;
  }
}
