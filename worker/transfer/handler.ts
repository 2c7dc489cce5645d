// The zone-transfer side of port 53: AXFR (RFC 5936) and IXFR (RFC 1995) for the secondaries,
// and TSIG (RFC 8945) on anything signed, so a secondary that signs its SOA refresh queries gets
// signed answers. A DnsHandler: consulted before the zone by the built-in server.
import { setImmediate } from 'node:timers/promises';
import { type DnsMessage, type DnsRecord, encodeMessage, FLAG_AA, headerOpcode, records } from '../../dns/message.ts';
import { normalizeName } from '../../dns/name.ts';
import { Rcode } from '../../dns/rcode.ts';
import type { Fields } from '../../log/logger.ts';
import type { ManagerConfig } from '../config.ts';
import { fitResponse, payloadLimit } from '../dns-server/payload.ts';
import type { Metrics } from '../metrics.ts';
import { compareSerial } from '../store/serial.ts';
import type { Store } from '../store/store.ts';
import type { Zone } from '../zone/answer.ts';
import type { DnsHandler, DnsMessages, DnsRequestContext } from '../zone/handler.ts';
import { soaRecord } from '../zone/records.ts';
import { zoneRecordPages } from '../zone/zone-file.ts';
import { isSecondary, type TransferConfig } from './config.ts';
import { journalDeltas } from './journal.ts';
import { fullZonePages, incrementalRecords, type RecordPages, transferMessages } from './messages.ts';
import {
  findTsig,
  signMessage,
  signStream,
  TsigError,
  TsigFormatError,
  type TsigRecord,
  unsignedError,
  verifyMessage,
} from './tsig.ts';

export interface TransferHandlerOptions {
  config: ManagerConfig;
  store: Store;
  zone: Zone;
  transfer: TransferConfig;
  /** Seconds since the epoch (TSIG time checks). */
  now?: () => number;
  /** Wire-derived values go in `fields`, escaped there, the line itself constant (throttled by it). */
  log?: (line: string, fields?: Fields) => void;
  /** Counts transfers served and refused for /metrics. */
  metrics?: Metrics;
}

/**
 * Nodes per page of a transfer: about 425 records, a millisecond or two of reading, building and
 * encoding between two turns of the event loop, so questions asked meanwhile wait little (500
 * made their p99 worse).
 */
const TRANSFER_PAGE = 100;

/** Bytes our TSIG record adds: owner and algorithm names, fixed fields, a 32-byte MAC. */
const TSIG_ROOM = 256;

/**
 * The whole zone at one serial however writers go on (RFC 5936 §6), read page by page from a
 * snapshot of the store (store.snapshot: a REPEATABLE READ transaction on Postgres, a read
 * transaction on a connection of its own on SQLite) as the client takes the messages. Between
 * pages the event loop turns, so other queries are answered while a large zone streams out. The
 * snapshot is released when the last page is read, or when the client goes (the stream's return).
 */
async function* zoneSnapshotPages(config: ManagerConfig, store: Store): AsyncGenerator<DnsRecord[]> {
  const snapshot = await store.snapshot();
  try {
    for await (const page of zoneRecordPages(config, snapshot.reads, TRANSFER_PAGE)) {
      yield page;
      await setImmediate();
    }
  } finally {
    await snapshot.release();
  }
}

/** The serial the IXFR client holds: the SOA in the query's authority section (RFC 1995 §3). */
function clientSerial(query: DnsMessage): number | undefined {
  const soa = records(query.authorities).find((r) => r.type === 'SOA');
  return soa?.type === 'SOA' ? soa.data.serial : undefined;
}

function response(query: DnsMessage, rcode: number, answers: DnsRecord[] = []): DnsMessage {
  return {
    id: query.id ?? 0,
    type: 'response',
    flags: (headerOpcode(query) << 11) | FLAG_AA | rcode,
    questions: query.questions ?? [],
    answers,
  };
}

/**
 * ```ts
 * const handler = transferHandler({ config, store, zone, transfer: transferConfigFromEnv(env) });
 * await startDnsServer({ zone, host: '127.0.0.1', port: 5353, handlers: [handler] });
 * // kdig @127.0.0.1 -p 5353 -y hmac-sha256:<name>:<secret> example.test AXFR
 * ```
 */
export function transferHandler(options: TransferHandlerOptions): DnsHandler {
  const { config, store, zone, transfer } = options;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const log = options.log ?? (() => {});
  const keys = transfer.key ? [transfer.key] : [];

  async function refuse(query: DnsMessage, request: TsigRecord | undefined, rcode: number): Promise<Uint8Array[]> {
    const wire = encodeMessage(response(query, rcode));
    return [request && transfer.key ? (await signMessage(wire, transfer.key, { priorMac: request.mac })).wire : wire];
  }

  /**
   * The records to send, in pages: up-to-date SOA, the journal's deltas, or the whole zone
   * streamed (`theirs`: IXFR only).
   */
  async function answerRecords(
    type: 'AXFR' | 'IXFR',
    theirs: number,
    transport: DnsRequestContext['transport'],
  ): Promise<RecordPages> {
    if (type === 'AXFR') return fullZonePages(zoneSnapshotPages(config, store));
    const current = await store.serial();
    const soa = (serial: number) => soaRecord(config, serial);
    // RFC 1995 §2: a client as new as we are (or newer: a restored primary) gets our SOA alone;
    // so does a UDP client we cannot answer in one datagram, which then retries over TCP.
    if (compareSerial(theirs, current) !== -1 || transport === 'udp') return [[soa(current)]];
    const deltas = await journalDeltas(config, store, theirs, current);
    if (deltas) return [incrementalRecords(soa, current, deltas)];
    log(`ixfr: journal does not cover ${theirs} -> ${current}, sending the whole zone`);
    return fullZonePages(zoneSnapshotPages(config, store));
  }

  const transferType = (query: DnsMessage): 'AXFR' | 'IXFR' | undefined => {
    const type = query.questions?.[0]?.type;
    return headerOpcode(query) === 0 && (type === 'AXFR' || type === 'IXFR') ? type : undefined;
  };

  /** A transfer, or a query signed with `request` (found once, by the handler below). */
  const handle = async (
    query: DnsMessage,
    context: DnsRequestContext,
    request: TsigRecord | undefined,
  ): Promise<DnsMessages> => {
    const question = query.questions?.[0];
    const type = transferType(query);
    const isTransfer = type !== undefined;
    if (request) {
      const verified = await verifyMessage(context.raw, keys, { now: now() });
      if (verified.status === 'badtime') {
        // RFC 8945 §5.2.3: signed, Time Signed copied from the request (so the client can check
        // the MAC), our clock in Other Data (so it can see the skew).
        const time = now();
        const other = new Uint8Array([
          0,
          0,
          (time >>> 24) & 0xff,
          (time >>> 16) & 0xff,
          (time >>> 8) & 0xff,
          time & 0xff,
        ]);
        const wire = encodeMessage(response(query, Rcode.NOTAUTH));
        return [
          (
            await signMessage(wire, verified.key!, {
              priorMac: request.mac,
              error: TsigError.BADTIME,
              otherData: other,
              time: request.timeSigned,
            })
          ).wire,
        ];
      }
      if (verified.status !== 'ok') {
        log('tsig: rejected', { status: verified.status, peer: context.peer, key: request.keyName });
        const error = verified.status === 'badkey' ? TsigError.BADKEY : TsigError.BADSIG;
        return [unsignedError(encodeMessage(response(query, Rcode.NOTAUTH)), request, error, now())];
      }
    }

    if (!isTransfer) {
      // A signed ordinary query (a secondary's SOA refresh): the zone answers, we sign.
      const unsigned = { ...query, additionals: (query.additionals ?? []).filter((r) => r.type !== 'TSIG') };
      const limit = payloadLimit(query, context.transport === 'udp' ? 'udp' : 'tcp') - TSIG_ROOM;
      const answer = fitResponse(await zone.answer(unsigned), limit);
      return [(await signMessage(answer, transfer.key!, { priorMac: request!.mac })).wire];
    }

    // Transfers: AXFR never over UDP (RFC 5936 §4.2), only of our zone, only to secondaries we
    // know (by address when listed, by key when one is configured). DoH never asks this handler:
    // the zone module answers a transfer asked there with NOTIMP.
    if (type === 'AXFR' && context.transport === 'udp') return refuse(query, request, Rcode.NOTIMP);
    if (normalizeName(question!.name) !== config.names.zone || (question!.class ?? 'IN') !== 'IN')
      return refuse(query, request, Rcode.NOTAUTH);
    const allowedByAddress = transfer.secondaries.length === 0 || isSecondary(transfer, context.peer);
    const allowedByKey = transfer.key ? request !== undefined : transfer.secondaries.length > 0;
    if (!allowedByAddress || !allowedByKey) {
      log(`${type}: refused`, { peer: context.peer, signed: request !== undefined });
      options.metrics?.transfer(type === 'AXFR' ? 'axfr' : 'ixfr', 'refused');
      return refuse(query, request, Rcode.REFUSED);
    }

    // RFC 1995 §3: an IXFR query carries the client's SOA in its authority section.
    const theirs = type === 'IXFR' ? clientSerial(query) : 0;
    if (theirs === undefined) return refuse(query, request, Rcode.FORMERR);
    const messages = transferMessages(query, await answerRecords(type, theirs, context.transport));
    options.metrics?.transfer(type === 'AXFR' ? 'axfr' : 'ixfr', 'served');
    return request && transfer.key ? signStream(messages, transfer.key, request.mac, now()) : messages;
  };

  // Anything neither a transfer nor signed is the zone's, declined at once: the responder then
  // answers it without a promise (worker/zone/steps.ts).
  return (query, context) => {
    let request: TsigRecord | undefined;
    try {
      request = findTsig(context.raw);
    } catch (e) {
      if (e instanceof TsigFormatError) return [encodeMessage(response(query, Rcode.FORMERR))];
      throw e;
    }
    return request || transferType(query) ? handle(query, context, request) : undefined;
  };
}
