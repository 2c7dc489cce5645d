// The zone-answering module: one DNS question in, one authoritative response out. DoH, the
// JSON API and the port-53 server all answer through here, so they cannot disagree.
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_CD,
  FLAG_RD,
  findOpt,
  headerOpcode,
  type OptRecord,
} from '../../dns/message.ts';
import { normalizeName, relativeLabels } from '../../dns/name.ts';
import { Rcode } from '../../dns/rcode.ts';
import {
  bareAnswer,
  DnsFormatError,
  HEADER_LENGTH,
  isResponse,
  peekCount,
  Section,
  WireReader,
} from '../../dns/wire.ts';
import type { ManagerConfig } from '../config.ts';
import type { NameKind } from '../names.ts';
import {
  apexRecords,
  appsRecords,
  canaryRecords,
  nameServerRecords,
  nodeRecords,
  soaRecord,
  type ZoneNode,
} from './records.ts';
import { type Maybe, run, type Steps, wait } from './steps.ts';

export type { Maybe };

/**
 * What the zone needs from storage: the Store provides it (through Kysely), prepared SQLite
 * statements provide it synchronously (worker/adapter/sqlite/zone-reads.ts), a wrapper may record
 * what was read (worker/zone/reads.ts).
 */
export interface ZoneSource {
  serial(): Maybe<number>;
  getNode(licence: string, node: string): Maybe<ZoneNode | undefined>;
  licenceHasNodes(licence: string): Maybe<boolean>;
  /**
   * Every node in (licence, node) order, a page at a time after `after` (or from the first): what
   * an in-memory index of the zone is built from (worker/zone/node-index.ts).
   */
  nodePage?(after: { licence: string; node: string } | undefined, limit: number): Maybe<ZoneNodeRow[]>;
  /** TXT values published at `_acme-challenge.<name>` for one of the node's names. */
  acmeChallenges?(licence: string, node: string, kind: NameKind): Maybe<string[]>;
}

/** A node of a page: its key, and what the zone reads of it. */
export interface ZoneNodeRow extends ZoneNode {
  licence: string;
  node: string;
}

export type Lookup = { status: 'refused' } | { status: 'nxdomain' } | { status: 'exists'; records: DnsRecord[] };

/** The EDNS payload size we advertise: the DNS Flag Day 2020 value, safe from fragmentation. */
export const EDNS_PAYLOAD = 1232;

const UNANSWERABLE_TYPES = new Set(['AXFR', 'IXFR', 'MAILA', 'MAILB']);

/** In-zone CNAMEs followed in one answer; a loop or a longer chain stops there. */
const MAX_CNAME_CHAIN = 8;

/**
 * The zone, answering from a source.
 *
 * ```ts
 * const zone = new Zone(config, store);
 * const response = await zone.answer(decodeMessage(queryBytes));
 * ```
 * Each answer is a response at once while the source's reads are (steps.ts), else a promise.
 */
export class Zone {
  readonly config: ManagerConfig;
  readonly source: ZoneSource;

  constructor(config: ManagerConfig, source: ZoneSource) {
    this.config = config;
    this.source = source;
  }

  /** The same zone answering from another source (one that records its reads, for instance). */
  withSource(source: ZoneSource): Zone {
    return new Zone(this.config, source);
  }

  /** Every record at `name` (owner names spelled as given), or why there are none. */
  lookup(name: string): Maybe<Lookup> {
    return run(this.#lookup(name));
  }

  *#lookup(name: string): Steps<Lookup> {
    const { config, source } = this;
    const { names } = config;
    const relative = relativeLabels(name, names.zone);
    if (!relative) return { status: 'refused' };
    const exists = (records: DnsRecord[]): Lookup => ({ status: 'exists', records });
    if (relative.length === 0)
      return exists(apexRecords(config, yield* wait(source.serial())).map((r) => ({ ...r, name })));

    const key = relative.join('.');
    const canary = canaryRecords(config, key, name);
    if (canary) return exists(canary);
    const glue = nameServerRecords(config, normalizeName(name));
    // A name server configured without an address has no records here: it does not exist, as in
    // the zone the secondaries load (NXDOMAIN there too), not NODATA.
    if (glue && glue.length > 0) return exists(glue);

    const challenged =
      relative[0] === '_acme-challenge' ? normalizeName(name).slice('_acme-challenge.'.length) : undefined;
    const parsed = names.parse(challenged ?? name);
    if (parsed) {
      const state = yield* wait(source.getNode(parsed.licence, parsed.node));
      if (!state) return { status: 'nxdomain' };
      if (challenged) {
        const values = (yield* wait(source.acmeChallenges?.(parsed.licence, parsed.node, parsed.kind))) ?? [];
        if (values.length === 0) return { status: 'nxdomain' };
        return exists(
          values.map((v): DnsRecord => ({ type: 'TXT', name, ttl: config.addressTtl, class: 'IN', data: [v] })),
        );
      }
      return exists(nodeRecords(config, parsed.kind, state, name));
    }
    const appsLicence = names.parseApps(name);
    if (appsLicence !== undefined) {
      return config.apps && (yield* wait(source.licenceHasNodes(appsLicence)))
        ? exists(appsRecords(config, name))
        : { status: 'nxdomain' };
    }
    const ancestor = names.parseAncestor(name);
    if (ancestor) {
      if (ancestor.of === 'apps' && !config.apps) return { status: 'nxdomain' };
      if (ancestor.licence === null || (yield* wait(source.licenceHasNodes(ancestor.licence)))) return exists([]);
    }
    return { status: 'nxdomain' };
  }

  /** Answer one decoded query. Never throws for hostile input: it answers FORMERR instead. */
  answer(query: DnsMessage): Maybe<DnsMessage> {
    return run(this.#answer(query));
  }

  *#answer(query: DnsMessage): Steps<DnsMessage> {
    const opcode = headerOpcode(query);
    const response: DnsMessage = {
      id: query.id ?? 0,
      type: 'response',
      // Opcode echoed, RD copied (RFC 1035 §4.1.1), CD copied (RFC 4035 §3.2.2); RA never set:
      // this server does not recurse.
      flags: (opcode << 11) | ((query.flags ?? 0) & (FLAG_RD | FLAG_CD)),
      // Only a lone question is echoed: more (or none) is FORMERR (RFC 9619), and echoing a
      // thousand questions, each a pointer to one long name, made 1,463 bytes into 51,412.
      questions: query.questions?.length === 1 ? query.questions : [],
      answers: [],
      authorities: [],
      additionals: [],
    };
    const queryOpt = findOpt(query);
    if (queryOpt) response.additionals!.push(responseOpt(queryOpt));

    const fail = (rcode: number): DnsMessage => ({ ...response, flags: (response.flags ?? 0) | rcode });
    if (query.type === 'response') return fail(Rcode.FORMERR);
    if (opcode !== 0) return fail(Rcode.NOTIMP);
    const question = query.questions?.[0];
    if (!question || query.questions!.length !== 1) return fail(Rcode.FORMERR);
    if ((query.additionals ?? []).filter((r) => r.type === 'OPT').length > 1) return fail(Rcode.FORMERR);
    if (queryOpt && (queryOpt.ednsVersion ?? 0) > 0) {
      // RFC 6891 §6.1.3: BADVERS is 16, carried as extended rcode 1 with header rcode 0.
      const opt = response.additionals![0] as OptRecord;
      opt.extendedRcode = 1;
      return response;
    }
    if (question.class !== 'IN' && question.class !== 'ANY') return fail(Rcode.REFUSED);

    let found = yield* this.#lookup(question.name);
    if (found.status === 'refused') return fail(Rcode.REFUSED);
    response.flags! |= FLAG_AA;
    if (UNANSWERABLE_TYPES.has(question.type)) return fail(Rcode.NOTIMP | FLAG_AA);
    // RFC 1034 §4.3.2 step 3a: a CNAME goes into the answer and the search restarts at its
    // target while that is in the zone, so one answer carries the whole chain (as Knot and NSD
    // do); the rcode is the last name's (RFC 6604 §2). A target outside the zone ends the chain.
    const chain: DnsRecord[] = [];
    /** The chain ends at a CNAME whose target is not followed (outside the zone, a loop). */
    let openEnd = false;
    while (found.status === 'exists' && chain.length < MAX_CNAME_CHAIN) {
      const cname =
        question.type === 'CNAME' || String(question.type) === 'ANY'
          ? undefined
          : found.records.find((r) => r.type === 'CNAME');
      if (!cname) break;
      chain.push(cname);
      const target = normalizeName(String(cname.data));
      const next = chain.some((r) => normalizeName(r.name) === target) ? undefined : yield* this.#lookup(target);
      if (!next || next.status === 'refused') {
        openEnd = true;
        break;
      }
      found = next;
    }
    response.answers = chain;
    if (found.status === 'nxdomain') {
      response.authorities!.push(yield* this.#negativeSoa());
      return fail(Rcode.NXDOMAIN | FLAG_AA);
    }
    if (openEnd) return response;
    const answers = selectAnswers(found.records, question.type);
    if (answers.length === 0) {
      response.authorities!.push(yield* this.#negativeSoa());
      return response;
    }
    response.answers = [...chain, ...answers];
    if (question.type === 'NS') {
      for (const ns of answers) {
        const glue = nameServerRecords(this.config, normalizeName(String(ns.data)));
        if (glue) response.additionals!.unshift(...glue);
      }
    }
    return response;
  }

  // RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, MINIMUM) as its TTL.
  *#negativeSoa(): Steps<DnsRecord> {
    const soa = soaRecord(this.config, yield* wait(this.source.serial()));
    return { ...soa, ttl: Math.min(this.config.zoneTtl, this.config.negativeTtl) };
  }
}

function responseOpt(queryOpt: OptRecord): OptRecord {
  // The DO bit is echoed (RFC 3225 §3); we sign nothing, so it changes nothing else.
  const flags = (queryOpt.flags ?? 0) & 0x8000;
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_PAYLOAD,
    extendedRcode: 0,
    ednsVersion: 0,
    flags,
    flag_do: flags !== 0,
    options: [],
  };
}

function selectAnswers(records: DnsRecord[], type: string): DnsRecord[] {
  const cname = records.filter((r) => r.type === 'CNAME');
  if (cname.length > 0 && type !== 'CNAME') return cname;
  if (type === 'ANY') {
    // RFC 8482 §4.2: answer ANY with one RRset rather than everything the name has.
    const first = records[0];
    return first ? records.filter((r) => r.type === first.type) : [];
  }
  return records.filter((r) => r.type === type);
}

const TYPE_SOA = 6;

/**
 * The smallest TTL a response may be cached for (answers, or the SOA of a negative one: its TTL
 * or its MINIMUM, RFC 2308 §5), read from the wire answer so that a cached answer needs no
 * decoding; undefined when it has no such record, or does not parse.
 */
export function responseTtl(wire: Uint8Array): number | undefined {
  try {
    const r = new WireReader(wire, HEADER_LENGTH);
    for (let n = peekCount(wire, Section.question); n > 0; n--) {
      r.skipName();
      r.skip(4);
    }
    let smallest: number | undefined;
    for (let n = peekCount(wire, Section.answer) + peekCount(wire, Section.authority); n > 0; n--) {
      r.skipName();
      const type = r.u16();
      r.skip(2);
      let ttl = r.u32();
      const length = r.u16();
      const rdata = r.at;
      if (type === TYPE_SOA) {
        // MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM.
        r.skipName();
        r.skipName();
        r.skip(16);
        ttl = Math.min(ttl, r.u32());
      }
      r.at = rdata;
      r.skip(length);
      smallest = smallest === undefined ? ttl : Math.min(smallest, ttl);
    }
    return smallest;
  } catch (e) {
    if (e instanceof DnsFormatError) return undefined;
    throw e;
  }
}

/**
 * Answer raw query bytes. Undecodable input with a readable header gets FORMERR with its ID;
 * anything shorter, or a response, gets nothing (answering responses invites reflection loops).
 */
export async function answerWire(zone: Zone, bytes: Uint8Array): Promise<Uint8Array | undefined> {
  let query: DnsMessage;
  try {
    query = decodeMessage(bytes);
  } catch (e) {
    if (!(e instanceof DnsFormatError) || bytes.byteLength < HEADER_LENGTH || isResponse(bytes)) return undefined;
    return bareAnswer(bytes, Rcode.FORMERR);
  }
  if (query.type === 'response') return undefined;
  return encodeMessage(await zone.answer(query));
}
